package sqlite

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// AddFollowup stores f unless the incident has a follow-up from the same
// source (a redelivered command or event): then added is false.
func (s *DB) AddFollowup(ctx context.Context, f *incident.Followup) (bool, error) {
	f.Defaults(s.now())
	if err := s.acquire(ctx); err != nil {
		return false, fmt.Errorf("sqlite: add follow-up to %s: %w", f.IncidentID, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `INSERT INTO followups (id, incident_id, source, text, author, tracker, state,
		issue_key, issue_url, reply_ts, error, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?)
		ON CONFLICT (incident_id, source) DO NOTHING`)
	if err != nil {
		return false, fmt.Errorf("sqlite: add follow-up to %s: %w", f.IncidentID, cause(err))
	}
	res, err := st.ExecContext(ctx, f.ID.String(), f.IncidentID.String(), f.Source, f.Text, f.Author, f.Tracker,
		string(f.State), f.IssueKey, f.IssueURL, f.ReplyTS, f.Error, f.CreatedAt.UnixMicro(), f.UpdatedAt.UnixMicro(),
		f.IncidentID.String())
	if err != nil {
		return false, fmt.Errorf("sqlite: add follow-up to %s: %w", f.IncidentID, cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: add follow-up to %s: %w", f.IncidentID, cause(err))
	}
	if n == 0 {
		var one int
		err := s.db.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = ?`, f.IncidentID.String()).Scan(&one)
		if err != nil {
			return false, incident.ErrNotFound
		}
	}
	return n == 1, nil
}

// Followups returns an incident's follow-ups in the order they were added.
func (s *DB) Followups(ctx context.Context, incidentID uuid.UUID) ([]incident.Followup, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: follow-ups of %s: %w", incidentID, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `SELECT id, incident_id, source, text, author, tracker, state, issue_key, issue_url,
		reply_ts, error, created_at, updated_at FROM followups WHERE incident_id = ? ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: follow-ups of %s: %w", incidentID, cause(err))
	}
	rows, err := st.QueryContext(ctx, incidentID.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: follow-ups of %s: %w", incidentID, cause(err))
	}
	defer rows.Close()
	var out []incident.Followup
	for rows.Next() {
		var f incident.Followup
		var id, inc, state string
		var created, updated int64
		if err := rows.Scan(&id, &inc, &f.Source, &f.Text, &f.Author, &f.Tracker, &state, &f.IssueKey, &f.IssueURL,
			&f.ReplyTS, &f.Error, &created, &updated); err != nil {
			return nil, fmt.Errorf("sqlite: follow-ups of %s: %w", incidentID, cause(err))
		}
		f.ID, f.IncidentID = uuid.MustParse(id), uuid.MustParse(inc)
		f.State, f.CreatedAt, f.UpdatedAt = incident.FollowupState(state), fromMicros(created), fromMicros(updated)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: follow-ups of %s: %w", incidentID, cause(err))
	}
	return out, nil
}

// UpdateFollowup writes what happened to a follow-up at its tracker.
func (s *DB) UpdateFollowup(ctx context.Context, f *incident.Followup) error {
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = s.now()
	}
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: update follow-up %s: %w", f.ID, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `UPDATE followups SET tracker = ?, state = ?, issue_key = ?, issue_url = ?, reply_ts = ?,
		error = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: update follow-up %s: %w", f.ID, cause(err))
	}
	res, err := st.ExecContext(ctx, f.Tracker, string(f.State), f.IssueKey, f.IssueURL, f.ReplyTS, f.Error,
		f.UpdatedAt.UnixMicro(), f.ID.String())
	if err != nil {
		return fmt.Errorf("sqlite: update follow-up %s: %w", f.ID, cause(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: update follow-up %s: %w", f.ID, cause(err))
	} else if n == 0 {
		return incident.ErrNotFound
	}
	return nil
}
