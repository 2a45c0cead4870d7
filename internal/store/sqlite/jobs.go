package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

const jobCols = `id, kind, job_key, payload, state, attempts, run_at, owner, lease_until, last_error, created_at, updated_at`

// EnqueueJob stores j unless a job with its key exists.
func (s *DB) EnqueueJob(ctx context.Context, j *incident.Job) (bool, error) {
	j.Defaults(s.now())
	r := &jobReq{ctx: ctx, j: j, done: make(chan struct{})}
	if err := join(s, &s.jobs, insertJob, r); err != nil {
		return false, fmt.Errorf("sqlite: enqueue %s job: %w", j.Kind, err)
	}
	return r.added, r.err
}

// jobReq is an EnqueueJob call waiting for its job to be committed: every
// acknowledgement of the bot writes one, so under a storm they are many
// at once, and each in a transaction of its own queued the last of them
// behind all the others' commits.
type jobReq struct {
	ctx   context.Context
	j     *incident.Job
	added bool
	err   error
	done  chan struct{} // closed when added and err are the call's answer
}

func (r *jobReq) context() context.Context     { return r.ctx }
func (r *jobReq) answered() chan struct{}      { return r.done }
func (r *jobReq) what() string                 { return "enqueue " + r.j.Kind + " job" }
func (r *jobReq) answer(added bool, err error) { r.added, r.err = added, err }
func (r *jobReq) write(ctx context.Context, st *sql.Stmt) (bool, error) {
	return enqueueOne(ctx, st, r.j)
}

const insertJob = `INSERT INTO jobs (` + jobCols + `) VALUES (?, ?, ?, ?, ?, 0, ?, '', 0, '', ?, ?)
		ON CONFLICT (job_key) DO NOTHING`

// enqueueOne inserts j with the prepared insertJob st.
func enqueueOne(ctx context.Context, st *sql.Stmt, j *incident.Job) (bool, error) {
	res, err := st.ExecContext(ctx, j.ID.String(), j.Kind, j.Key, string(j.Payload), string(incident.JobQueued),
		j.RunAt.UnixMicro(), j.CreatedAt.UnixMicro(), j.UpdatedAt.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: enqueue %s job: %w", j.Kind, cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: enqueue %s job: %w", j.Kind, cause(err))
	}
	if n == 1 {
		j.State = incident.JobQueued
	}
	return n == 1, nil
}

// ClaimJobs leases runnable jobs. SQLite has one writer and this is one
// statement, so no two callers can claim the same job.
func (s *DB) ClaimJobs(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*incident.Job, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: claim jobs: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM jobs
			WHERE (state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until <= ?)
			ORDER BY run_at, id LIMIT ?)
		RETURNING `+jobCols)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim jobs: %w", cause(err))
	}
	at := now.UnixMicro()
	rows, err := st.QueryContext(ctx, owner, now.Add(lease).UnixMicro(), at, at, at, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim jobs: %w", cause(err))
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
		return nil, fmt.Errorf("sqlite: claim jobs: %w", cause(err))
	}
	return out, nil
}

// ExtendJob moves the lease of a job owner holds.
func (s *DB) ExtendJob(ctx context.Context, id uuid.UUID, owner string, until time.Time) error {
	return s.changeJob(ctx, "extend", `UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'`,
		until.UnixMicro(), id.String(), owner)
}

// FinishJob ends a job owner holds: done, queued again, or failed.
func (s *DB) FinishJob(ctx context.Context, id uuid.UUID, owner, errText string, retryAt, now time.Time) error {
	state, runAt := incident.Finished(errText, retryAt, now)
	return s.changeJob(ctx, "finish", `UPDATE jobs SET state = ?, run_at = ?, owner = '', lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ? AND owner = ? AND state = 'running'`,
		string(state), runAt.UnixMicro(), errText, now.UnixMicro(), id.String(), owner)
}

// ReleaseJob queues a job owner holds again without counting the attempt.
func (s *DB) ReleaseJob(ctx context.Context, id uuid.UUID, owner string, now time.Time) error {
	return s.changeJob(ctx, "release", `UPDATE jobs SET state = 'queued', run_at = ?, owner = '', lease_until = 0,
		attempts = MAX(attempts - 1, 0), updated_at = ? WHERE id = ? AND owner = ? AND state = 'running'`,
		now.UnixMicro(), now.UnixMicro(), id.String(), owner)
}

// changeJob runs an update of one job that its owner must still hold.
func (s *DB) changeJob(ctx context.Context, what, q string, args ...any) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: %s job: %w", what, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, q)
	if err != nil {
		return fmt.Errorf("sqlite: %s job: %w", what, cause(err))
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s job: %w", what, cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s job: %w", what, cause(err))
	}
	if n == 0 {
		return incident.ErrConflict
	}
	return nil
}

// Job returns one job.
func (s *DB) Job(ctx context.Context, id uuid.UUID) (*incident.Job, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: read job: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read job: %w", cause(err))
	}
	j, err := scanJob(st.QueryRowContext(ctx, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return j, err
}

// JobStats counts the queue.
func (s *DB) JobStats(ctx context.Context) (incident.JobStats, error) {
	var st incident.JobStats
	if err := s.acquire(ctx); err != nil {
		return st, fmt.Errorf("sqlite: job stats: %w", err)
	}
	defer s.release()
	q, err := s.stmt(ctx, `SELECT
		COALESCE(SUM(state IN ('queued', 'running')), 0), COALESCE(SUM(state = 'running'), 0),
		COALESCE(SUM(state = 'failed'), 0), MIN(CASE WHEN state IN ('queued', 'running') THEN created_at END)
		FROM jobs`)
	if err != nil {
		return st, fmt.Errorf("sqlite: job stats: %w", cause(err))
	}
	var oldest sql.NullInt64
	if err := q.QueryRowContext(ctx).Scan(&st.Queued, &st.Running, &st.Failed, &oldest); err != nil {
		return st, fmt.Errorf("sqlite: job stats: %w", cause(err))
	}
	st.Oldest = fromNull(oldest)
	return st, nil
}

// PruneJobs deletes done jobs finished before before.
func (s *DB) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	if err := s.acquire(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: prune jobs: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `DELETE FROM jobs WHERE state = 'done' AND updated_at < ?`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune jobs: %w", cause(err))
	}
	res, err := st.ExecContext(ctx, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune jobs: %w", cause(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanJob(r scanner) (*incident.Job, error) {
	var (
		j                                       incident.Job
		id, payload, state                      string
		runAt, leaseUntil, createdAt, updatedAt int64
	)
	err := r.Scan(&id, &j.Kind, &j.Key, &payload, &state, &j.Attempts, &runAt, &j.Owner, &leaseUntil,
		&j.LastError, &createdAt, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read job: %w", cause(err))
	}
	if j.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("sqlite: read job: bad id %q: %w", id, err)
	}
	j.Payload, j.State = []byte(payload), incident.JobState(state)
	j.RunAt, j.CreatedAt, j.UpdatedAt = fromMicros(runAt), fromMicros(createdAt), fromMicros(updatedAt)
	if leaseUntil > 0 {
		j.LeaseUntil = fromMicros(leaseUntil)
	}
	return &j, nil
}
