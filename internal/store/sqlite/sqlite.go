// Package sqlite is the embedded store: incidents and their timelines in one
// SQLite file (pure Go driver, WAL, busy timeout), with the schema migrations
// embedded in the binary and applied at open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite implementation of incident.Store.
type DB struct {
	db  *sql.DB
	now func() time.Time
}

var _ incident.Store = (*DB)(nil)

// Open opens (creating it and its directory when missing) the database at
// path and applies any migrations it has not seen.
//
// WAL with synchronous=NORMAL makes every committed write survive the
// process being killed (the write is in the WAL file before Commit returns);
// only a power loss can take back the last transactions.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
			}
		}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never meets SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	s := &DB{db: db, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the embedded migrations that are not yet recorded in
// schema_migrations, each in its own transaction.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with a number", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("sqlite: read migration %s: %w", base, err)
		}
		if err := s.apply(ctx, v, base, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (s *DB) apply(ctx context.Context, version int, name, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("sqlite: apply migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, s.now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", name, err)
	}
	return tx.Commit()
}

// Ping reports whether the database answers a query.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

const incidentCols = `id, team_id, number, title, vendor, vendor_name, severity, status, commander,
	created_by, channel_id, message_ts, diagnosis, summary, declared_at, acknowledged_at,
	mitigated_at, resolved_at, next_update_at, updated_at, postmortem, postmortem_file_id,
	postmortem_link, version`

// CreateIncident stores inc with the next number of its workspace.
func (s *DB) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create incident: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE team_id = ?`,
		inc.TeamID).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: next incident number: %w", err)
	}
	if inc.UpdatedAt.IsZero() {
		inc.UpdatedAt = inc.DeclaredAt
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO incidents (`+incidentCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		inc.ID.String(), inc.TeamID, n, inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity),
		string(inc.Status), inc.Commander, inc.CreatedBy, inc.ChannelID, inc.MessageTS, diag, inc.Summary,
		inc.DeclaredAt.UnixMicro(), micros(inc.AcknowledgedAt), micros(inc.MitigatedAt),
		micros(inc.ResolvedAt), micros(inc.NextUpdateAt), inc.UpdatedAt.UnixMicro(), inc.Postmortem,
		inc.PostmortemFileID, inc.PostmortemLink)
	if err != nil {
		return fmt.Errorf("sqlite: insert incident: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create incident: %w", err)
	}
	inc.Number, inc.Version = n, 1
	return nil
}

// UpdateIncident writes inc when its version is still current.
func (s *DB) UpdateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE incidents SET title = ?, vendor = ?, vendor_name = ?,
		severity = ?, status = ?, commander = ?, channel_id = ?, message_ts = ?, diagnosis = ?,
		summary = ?, acknowledged_at = ?, mitigated_at = ?, resolved_at = ?, next_update_at = ?,
		updated_at = ?, postmortem = ?, postmortem_file_id = ?, postmortem_link = ?,
		version = version + 1
		WHERE id = ? AND version = ?`,
		inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity), string(inc.Status), inc.Commander,
		inc.ChannelID, inc.MessageTS, diag, inc.Summary, micros(inc.AcknowledgedAt),
		micros(inc.MitigatedAt), micros(inc.ResolvedAt), micros(inc.NextUpdateAt),
		inc.UpdatedAt.UnixMicro(), inc.Postmortem, inc.PostmortemFileID, inc.PostmortemLink,
		inc.ID.String(), inc.Version)
	if err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, err)
	}
	if n == 0 {
		if _, err := s.Incident(ctx, inc.ID); err != nil {
			return err
		}
		return incident.ErrConflict
	}
	inc.Version++
	return nil
}

// Incident returns the incident with the id.
func (s *DB) Incident(ctx context.Context, id uuid.UUID) (*incident.Incident, error) {
	return s.one(ctx, `WHERE id = ?`, id.String())
}

// IncidentByNumber returns INC-n of a workspace.
func (s *DB) IncidentByNumber(ctx context.Context, teamID string, n int) (*incident.Incident, error) {
	return s.one(ctx, `WHERE team_id = ? AND number = ?`, teamID, n)
}

// IncidentByMessage returns the incident whose message is channel/ts.
func (s *DB) IncidentByMessage(ctx context.Context, channelID, ts string) (*incident.Incident, error) {
	if ts == "" {
		return nil, incident.ErrNotFound
	}
	return s.one(ctx, `WHERE channel_id = ? AND message_ts = ?`, channelID, ts)
}

// Incidents lists incidents, newest first.
func (s *DB) Incidents(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	q := `SELECT ` + incidentCols + ` FROM incidents WHERE 1 = 1`
	var args []any
	if f.TeamID != "" {
		q += ` AND team_id = ?`
		args = append(args, f.TeamID)
	}
	if f.Number > 0 {
		q += ` AND number = ?`
		args = append(args, f.Number)
	}
	if f.ChannelID != "" {
		q += ` AND channel_id = ?`
		args = append(args, f.ChannelID)
	}
	if f.OpenOnly {
		q += ` AND status <> 'resolved'`
	}
	if !f.DueBy.IsZero() {
		q += ` AND next_update_at IS NOT NULL AND next_update_at <= ?`
		args = append(args, f.DueBy.UnixMicro())
	}
	if f.Unfinished {
		q += ` AND (message_ts = '' OR (status = 'resolved' AND postmortem_file_id = ''))`
	}
	q += ` ORDER BY declared_at DESC, number DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", err)
	}
	defer rows.Close()
	var out []*incident.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", err)
	}
	return out, nil
}

func (s *DB) one(ctx context.Context, where string, args ...any) (*incident.Incident, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents `+where, args...)
	inc, err := scanIncident(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return inc, err
}

type scanner interface{ Scan(...any) error }

func scanIncident(r scanner) (*incident.Incident, error) {
	var (
		inc                            incident.Incident
		id, sev, status                string
		diag                           sql.NullString
		declared, updated              int64
		ack, mitigated, resolved, next sql.NullInt64
	)
	err := r.Scan(&id, &inc.TeamID, &inc.Number, &inc.Title, &inc.Vendor, &inc.VendorName, &sev,
		&status, &inc.Commander, &inc.CreatedBy, &inc.ChannelID, &inc.MessageTS, &diag, &inc.Summary,
		&declared, &ack, &mitigated, &resolved, &next, &updated, &inc.Postmortem,
		&inc.PostmortemFileID, &inc.PostmortemLink, &inc.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read incident: %w", err)
	}
	if inc.ID, err = uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("sqlite: read incident: bad id %q: %w", id, err)
	}
	inc.Severity, inc.Status = incident.Severity(sev), incident.Status(status)
	if diag.Valid && diag.String != "" {
		inc.Diagnosis = new(incident.Diagnosis)
		if err := json.Unmarshal([]byte(diag.String), inc.Diagnosis); err != nil {
			return nil, fmt.Errorf("sqlite: read incident %s diagnosis: %w", id, err)
		}
	}
	inc.DeclaredAt, inc.UpdatedAt = fromMicros(declared), fromMicros(updated)
	inc.AcknowledgedAt, inc.MitigatedAt = fromNull(ack), fromNull(mitigated)
	inc.ResolvedAt, inc.NextUpdateAt = fromNull(resolved), fromNull(next)
	return &inc, nil
}

// AddEntry appends e unless an entry with its dedup key or event id exists.
func (s *DB) AddEntry(ctx context.Context, e *incident.Entry) (bool, error) {
	return s.addEntry(ctx, s.db, e)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *DB) addEntry(ctx context.Context, x execer, e *incident.Entry) (bool, error) {
	res, err := x.ExecContext(ctx, `INSERT INTO entries (incident_id, kind, author, text, at, slack_ts,
		event_id, dedup_key, edited, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		e.IncidentID.String(), string(e.Kind), e.Author, e.Text, e.At.UnixMicro(), e.SlackTS,
		e.EventID, e.DedupKey(), e.Edited, e.Deleted)
	if err != nil {
		return false, fmt.Errorf("sqlite: add %s entry to %s: %w", e.Kind, e.IncidentID, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	e.ID, _ = res.LastInsertId()
	return true, nil
}

// EditMessage records an edit of the reply ts.
func (s *DB) EditMessage(ctx context.Context, id uuid.UUID, ts, text, eventID string, at time.Time) (bool, error) {
	return s.changeMessage(ctx, &incident.Entry{IncidentID: id, Kind: incident.KindEdit, Text: text,
		SlackTS: ts, EventID: eventID, At: at},
		`UPDATE entries SET text = ?, edited = 1 WHERE incident_id = ? AND kind = 'message' AND slack_ts = ?`,
		text, id.String(), ts)
}

// DeleteMessage records the deletion of the reply ts.
func (s *DB) DeleteMessage(ctx context.Context, id uuid.UUID, ts, eventID string, at time.Time) (bool, error) {
	return s.changeMessage(ctx, &incident.Entry{IncidentID: id, Kind: incident.KindDeletion,
		SlackTS: ts, EventID: eventID, At: at},
		`UPDATE entries SET deleted = 1 WHERE incident_id = ? AND kind = 'message' AND slack_ts = ?`,
		id.String(), ts)
}

// changeMessage applies update to a reply and appends the entry e that
// records it, both or neither. A reply the timeline does not have is ignored.
func (s *DB) changeMessage(ctx context.Context, e *incident.Entry, update string, args ...any) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entries WHERE incident_id = ? AND kind = 'message' AND slack_ts = ?`,
		e.IncidentID.String(), e.SlackTS).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, err)
	}
	if n == 0 {
		return false, nil
	}
	added, err := s.addEntry(ctx, tx, e)
	if err != nil || !added {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, update, args...); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, err)
	}
	return true, nil
}

// Timeline returns the entries of an incident in the order they happened.
func (s *DB) Timeline(ctx context.Context, id uuid.UUID) ([]incident.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, author, text, at, slack_ts, event_id, edited, deleted
		FROM entries WHERE incident_id = ? ORDER BY at, id`, id.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, err)
	}
	defer rows.Close()
	var out []incident.Entry
	for rows.Next() {
		e := incident.Entry{IncidentID: id}
		var kind string
		var at int64
		if err := rows.Scan(&e.ID, &kind, &e.Author, &e.Text, &at, &e.SlackTS, &e.EventID, &e.Edited, &e.Deleted); err != nil {
			return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, err)
		}
		e.Kind, e.At = incident.EntryKind(kind), fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, err)
	}
	return out, nil
}

// SeenEvent records a Slack event id; first is false when it was seen before.
func (s *DB) SeenEvent(ctx context.Context, eventID string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO slack_events (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		eventID, at.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", err)
	}
	return n == 1, nil
}

func marshalDiagnosis(d *incident.Diagnosis) (any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode diagnosis: %w", err)
	}
	return string(b), nil
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNull(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}
