package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

const jobCols = `id, kind, job_key, payload, state, attempts, run_at, owner, lease_until, last_error, created_at, updated_at`

// EnqueueJob stores j unless a job with its key exists.
func (s *DB) EnqueueJob(ctx context.Context, j *incident.Job) (bool, error) {
	j.Defaults(time.Now())
	tag, err := s.pool.Exec(ctx, `INSERT INTO jobs (`+jobCols+`) VALUES ($1, $2, $3, $4, 'queued', 0, $5, '', NULL, '', $6, $7)
		ON CONFLICT (job_key) DO NOTHING`,
		j.ID, j.Kind, j.Key, string(j.Payload), j.RunAt, j.CreatedAt, j.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("postgres: enqueue %s job: %w", j.Kind, cause(err))
	}
	if tag.RowsAffected() == 1 {
		j.State = incident.JobQueued
		return true, nil
	}
	return false, nil
}

// ClaimJobs leases runnable jobs. FOR UPDATE SKIP LOCKED lets replicas
// claim side by side: each skips the rows another is claiming.
func (s *DB) ClaimJobs(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*incident.Job, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE jobs SET state = 'running', owner = $1, lease_until = $2,
		attempts = attempts + 1, updated_at = $3
		WHERE id IN (SELECT id FROM jobs
			WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until <= $3)
			ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+jobCols, owner, now.Add(lease), now, n)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim jobs: %w", cause(err))
	}
	defer rows.Close()
	var out []*incident.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: claim jobs: %w", cause(err))
	}
	return out, nil
}

// ExtendJob moves the lease of a job owner holds.
func (s *DB) ExtendJob(ctx context.Context, id uuid.UUID, owner string, until time.Time) error {
	return s.changeJob(ctx, "extend", `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND state = 'running'`,
		until, id, owner)
}

// FinishJob ends a job owner holds: done, queued again, or failed.
func (s *DB) FinishJob(ctx context.Context, id uuid.UUID, owner, errText string, retryAt, now time.Time) error {
	state, runAt := incident.Finished(errText, retryAt, now)
	return s.changeJob(ctx, "finish", `UPDATE jobs SET state = $1, run_at = $2, owner = '', lease_until = NULL,
		last_error = $3, updated_at = $4 WHERE id = $5 AND owner = $6 AND state = 'running'`,
		string(state), runAt, errText, now, id, owner)
}

// ReleaseJob queues a job owner holds again without counting the attempt.
func (s *DB) ReleaseJob(ctx context.Context, id uuid.UUID, owner string, now time.Time) error {
	return s.changeJob(ctx, "release", `UPDATE jobs SET state = 'queued', run_at = $1, owner = '', lease_until = NULL,
		attempts = GREATEST(attempts - 1, 0), updated_at = $1 WHERE id = $2 AND owner = $3 AND state = 'running'`,
		now, id, owner)
}

func (s *DB) changeJob(ctx context.Context, what, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s job: %w", what, cause(err))
	}
	if tag.RowsAffected() == 0 {
		return incident.ErrConflict
	}
	return nil
}

// Job returns one job.
func (s *DB) Job(ctx context.Context, id uuid.UUID) (*incident.Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return j, err
}

// JobStats counts the queue.
func (s *DB) JobStats(ctx context.Context) (incident.JobStats, error) {
	var st incident.JobStats
	var oldest pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT
		COUNT(*) FILTER (WHERE state IN ('queued', 'running')), COUNT(*) FILTER (WHERE state = 'running'),
		COUNT(*) FILTER (WHERE state = 'failed'), MIN(created_at) FILTER (WHERE state IN ('queued', 'running'))
		FROM jobs`).Scan(&st.Queued, &st.Running, &st.Failed, &oldest)
	if err != nil {
		return st, fmt.Errorf("postgres: job stats: %w", cause(err))
	}
	st.Oldest = fromNull(oldest)
	return st, nil
}

// PruneJobs deletes done jobs finished before before.
func (s *DB) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM jobs WHERE state = 'done' AND updated_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune jobs: %w", cause(err))
	}
	return int(tag.RowsAffected()), nil
}

func scanJob(r pgx.Row) (*incident.Job, error) {
	var (
		j          incident.Job
		payload    string
		state      string
		leaseUntil pgtype.Timestamptz
	)
	err := r.Scan(&j.ID, &j.Kind, &j.Key, &payload, &state, &j.Attempts, &j.RunAt, &j.Owner, &leaseUntil,
		&j.LastError, &j.CreatedAt, &j.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read job: %w", cause(err))
	}
	j.Payload, j.State = []byte(payload), incident.JobState(state)
	j.RunAt, j.CreatedAt, j.UpdatedAt = j.RunAt.UTC(), j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	j.LeaseUntil = fromNull(leaseUntil)
	return &j, nil
}
