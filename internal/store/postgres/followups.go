package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/jackc/pgx/v5"
)

// AddFollowup stores f unless the incident has a follow-up from the same
// source (a redelivered command or event): then added is false.
func (s *DB) AddFollowup(ctx context.Context, f *incident.Followup) (bool, error) {
	f.Defaults(time.Now())
	var inserted bool
	err := s.pool.QueryRow(ctx, `WITH inc AS (SELECT id FROM incidents WHERE id = $2),
		ins AS (INSERT INTO followups (id, incident_id, source, text, author, tracker, state, issue_key, issue_url,
			reply_ts, error, created_at, updated_at)
			SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM inc
			ON CONFLICT (incident_id, source) DO NOTHING RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM inc), EXISTS (SELECT 1 FROM ins)`,
		f.ID, f.IncidentID, f.Source, f.Text, f.Author, f.Tracker, string(f.State), f.IssueKey, f.IssueURL,
		f.ReplyTS, f.Error, f.CreatedAt, f.UpdatedAt).Scan(new(bool), &inserted)
	if err != nil {
		return false, fmt.Errorf("postgres: add follow-up to %s: %w", f.IncidentID, cause(err))
	}
	if !inserted {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM incidents WHERE id = $1`, f.IncidentID).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return false, incident.ErrNotFound
			}
			return false, fmt.Errorf("postgres: add follow-up to %s: %w", f.IncidentID, cause(err))
		}
	}
	return inserted, nil
}

// Followups returns an incident's follow-ups in the order they were added.
func (s *DB) Followups(ctx context.Context, incidentID uuid.UUID) ([]incident.Followup, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, incident_id, source, text, author, tracker, state, issue_key, issue_url,
		reply_ts, error, created_at, updated_at FROM followups WHERE incident_id = $1 ORDER BY created_at, id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("postgres: follow-ups of %s: %w", incidentID, cause(err))
	}
	defer rows.Close()
	var out []incident.Followup
	for rows.Next() {
		var f incident.Followup
		var state string
		if err := rows.Scan(&f.ID, &f.IncidentID, &f.Source, &f.Text, &f.Author, &f.Tracker, &state, &f.IssueKey,
			&f.IssueURL, &f.ReplyTS, &f.Error, &f.CreatedAt, &f.UpdatedAt); err != nil {
			return nil, fmt.Errorf("postgres: follow-ups of %s: %w", incidentID, cause(err))
		}
		f.State, f.CreatedAt, f.UpdatedAt = incident.FollowupState(state), f.CreatedAt.UTC(), f.UpdatedAt.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: follow-ups of %s: %w", incidentID, cause(err))
	}
	return out, nil
}

// UpdateFollowup writes what happened to a follow-up at its tracker.
func (s *DB) UpdateFollowup(ctx context.Context, f *incident.Followup) error {
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = time.Now()
	}
	tag, err := s.pool.Exec(ctx, `UPDATE followups SET tracker = $1, state = $2, issue_key = $3, issue_url = $4,
		reply_ts = $5, error = $6, updated_at = $7 WHERE id = $8`,
		f.Tracker, string(f.State), f.IssueKey, f.IssueURL, f.ReplyTS, f.Error, f.UpdatedAt, f.ID)
	if err != nil {
		return fmt.Errorf("postgres: update follow-up %s: %w", f.ID, cause(err))
	}
	if tag.RowsAffected() == 0 {
		return incident.ErrNotFound
	}
	return nil
}
