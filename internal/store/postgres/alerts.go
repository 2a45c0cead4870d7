package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// OpenAlertIncident returns the open incident of the alert group, or
// stores inc as the group's new one. The group's row is made to exist and
// then locked (FOR UPDATE) for the transaction: concurrent calls for one
// group, from any replica, queue on it, and each finds the incident the
// one before it stored.
func (s *DB) OpenAlertIncident(ctx context.Context, inc *incident.Incident, source, key string) (*incident.Incident, bool, error) {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return nil, false, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: open alert incident: %w", cause(err))
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO alert_groups (team_id, source, group_key) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, inc.TeamID, source, key); err != nil {
		return nil, false, fmt.Errorf("postgres: add alert group: %w", cause(err))
	}
	var cur, status string
	if err := tx.QueryRow(ctx, `SELECT COALESCE(g.incident_id::text, ''), COALESCE(i.status, '')
		FROM alert_groups g LEFT JOIN incidents i ON i.id = g.incident_id
		WHERE g.team_id = $1 AND g.source = $2 AND g.group_key = $3 FOR UPDATE OF g`,
		inc.TeamID, source, key).Scan(&cur, &status); err != nil {
		return nil, false, fmt.Errorf("postgres: lock alert group: %w", cause(err))
	}
	if cur != "" && status != "" && status != string(incident.Resolved) {
		if err := tx.Commit(ctx); err != nil {
			return nil, false, fmt.Errorf("postgres: open alert incident: %w", cause(err))
		}
		id, err := uuid.Parse(cur)
		if err != nil {
			return nil, false, fmt.Errorf("postgres: alert group: %w", err)
		}
		open, err := s.one(ctx, `WHERE id = $1`, id)
		return open, false, err
	}
	n, err := insertIncident(ctx, tx, inc, diag)
	if err != nil {
		return nil, false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE alert_groups SET incident_id = $4
		WHERE team_id = $1 AND source = $2 AND group_key = $3`, inc.TeamID, source, key, inc.ID); err != nil {
		return nil, false, fmt.Errorf("postgres: write alert group: %w", cause(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("postgres: open alert incident: %w", cause(err))
	}
	inc.Number, inc.Version = n, 1
	cp := *inc
	return &cp, true, nil
}

// AlertIncident returns the latest incident of the alert group.
func (s *DB) AlertIncident(ctx context.Context, teamID, source, key string) (*incident.Incident, error) {
	return s.one(ctx, `WHERE id = (SELECT incident_id FROM alert_groups
		WHERE team_id = $1 AND source = $2 AND group_key = $3)`, teamID, source, key)
}
