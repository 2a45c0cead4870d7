package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/incident-bot/bot/internal/incident"
)

// OpenAlertIncident returns the open incident of the alert group, or
// stores inc as the group's new one. The group is read and written in one
// immediate transaction, behind the store's gate: nothing else writes in
// between, so one incident is stored for the group.
func (s *DB) OpenAlertIncident(ctx context.Context, inc *incident.Incident, source, key string) (*incident.Incident, bool, error) {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return nil, false, err
	}
	if err := s.acquire(ctx); err != nil {
		return nil, false, fmt.Errorf("sqlite: open alert incident: %w", err)
	}
	defer s.release()
	st, err := s.prepare(ctx, append([]string{
		`SELECT i.id FROM alert_groups g JOIN incidents i ON i.id = g.incident_id
		WHERE g.team_id = ? AND g.source = ? AND g.group_key = ? AND i.status <> 'resolved'`,
		`INSERT INTO alert_groups (team_id, source, group_key, incident_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id, source, group_key) DO UPDATE SET incident_id = excluded.incident_id`,
	}, createQueries...)...)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: open alert incident: %w", cause(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: open alert incident: %w", cause(err))
	}
	defer tx.Rollback() // before the release: the transaction holds the connection
	var open string
	err = tx.StmtContext(ctx, st[0]).QueryRowContext(ctx, inc.TeamID, source, key).Scan(&open)
	switch {
	case err == nil:
		tx.Rollback() // wrote nothing; frees the connection for the read
		cur, err := s.one(ctx, `WHERE id = ?`, open)
		return cur, false, err
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, fmt.Errorf("sqlite: read alert group: %w", cause(err))
	}
	n, err := insertIncident(ctx, tx, st[2:], inc, diag)
	if err != nil {
		return nil, false, err
	}
	if _, err := tx.StmtContext(ctx, st[1]).ExecContext(ctx, inc.TeamID, source, key, inc.ID.String()); err != nil {
		return nil, false, fmt.Errorf("sqlite: write alert group: %w", cause(err))
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("sqlite: open alert incident: %w", cause(err))
	}
	inc.Number, inc.Version = n, 1
	cp := *inc
	return &cp, true, nil
}

// AlertIncident returns the latest incident of the alert group.
func (s *DB) AlertIncident(ctx context.Context, teamID, source, key string) (*incident.Incident, error) {
	return s.gatedOne(ctx, `WHERE id = (SELECT incident_id FROM alert_groups
		WHERE team_id = ? AND source = ? AND group_key = ?)`, teamID, source, key)
}
