// Package postgres is the shared store for teams that run several replicas of
// the bot: incidents and their timelines in PostgreSQL (pgx, a connection
// pool), with the schema migrations embedded in the binary and applied at
// open under an advisory lock, so replicas starting together migrate once.
//
// It behaves as the SQLite store does, and both pass the storetest suite.
//
// What the bot needs from the database: PostgreSQL 12 or later, a database,
// and a role that can connect to it and create tables in the schema the bot
// uses (the first schema of the role's search_path, usually public; on
// PostgreSQL 15 and later CREATE on public is no longer granted to everyone,
// so make the role the database's owner or GRANT CREATE ON SCHEMA public).
// No extensions and no superuser: ids are made by the bot, and uuid,
// timestamptz and jsonb are built in. Another schema is chosen by adding
// search_path=NAME to the connection URL; the pool's size by
// pool_max_conns=N.
//
//	DATABASE_URL=postgres://bot:PASSWORD@db.internal:5432/bot?sslmode=verify-full
//
// The advisory lock is held by one session for the whole migration, so the
// bot must reach Postgres directly (or through a session-mode pooler) when it
// starts.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/query"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the Postgres implementation of incident.Store.
type DB struct {
	pool *pgxpool.Pool
	adds adds // AddEntry's group commit
}

var _ incident.Store = (*DB)(nil)

// Open connects to the database named by url (postgres://… or key=value
// form) and applies any migrations it has not seen.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error can quote the URL, password included.
		return nil, errors.New("postgres: cannot parse the database URL; " +
			"want postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=… (not shown: it may hold a password)")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "incident-bot"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", cause(err))
	}
	s := &DB{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.startCommitters(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// lockClass is the first half of the advisory lock key taken while
// migrating; the second half is a hash of the schema, so that bots in
// different schemas of one database do not wait for each other.
const lockClass int32 = 0x1bc1_0001

// migrationLock returns the two keys of the advisory lock for a schema.
func migrationLock(schema string) (int32, int32) {
	h := fnv.New32a()
	h.Write([]byte(schema))
	return lockClass, int32(h.Sum32())
}

// migrate applies the embedded migrations that are not yet recorded in
// schema_migrations, each in its own transaction, holding a session advisory
// lock throughout so that only one process migrates at a time; the others
// wait and then find nothing left to do.
//
// The lock is taken on a connection taken out of the pool and closed at the
// end, which releases the lock whatever happened.
func (s *DB) migrate(ctx context.Context) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", cause(err))
	}
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()

	var schema pgtype.Text
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: migrate: %w", cause(err))
	}
	if !schema.Valid {
		return errors.New("postgres: migrate: no schema of the search_path exists; create it or fix search_path")
	}
	k1, k2 := migrationLock(schema.String)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, k1, k2); err != nil {
		return fmt.Errorf("postgres: migrate: take the advisory lock: %w", cause(err))
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", cause(err))
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("postgres: migration %s: name must start with a number", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("postgres: read migration %s: %w", base, err)
		}
		if err := apply(ctx, conn, v, base, string(body)); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, k1, k2); err != nil {
		return fmt.Errorf("postgres: migrate: release the advisory lock: %w", cause(err))
	}
	return nil
}

func apply(ctx context.Context, conn *pgx.Conn, version int, name, body string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migration %s: %w", name, cause(err))
	}
	defer tx.Rollback(ctx)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return fmt.Errorf("postgres: migration %s: %w", name, cause(err))
	}
	if n > 0 {
		return nil
	}
	// Without arguments Exec uses the simple protocol, which runs every
	// statement of the file.
	if _, err := tx.Exec(ctx, body); err != nil {
		return fmt.Errorf("postgres: apply migration %s: %w", name, cause(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, name); err != nil {
		return fmt.Errorf("postgres: record migration %s: %w", name, cause(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migration %s: %w", name, cause(err))
	}
	return nil
}

// Ping reports whether the database can write: it rewrites the one row of
// the health table. A database that still answers reads but refuses writes
// (a standby after a failover, a full disk) fails it with an error that
// names the cause.
func (s *DB) Ping(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO health (id, checked_at) VALUES (1, now())
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`); err != nil {
		return fmt.Errorf("postgres: ping: write: %w", cause(err))
	}
	return nil
}

// Close commits the entries already queued, then closes the pool, waiting
// for connections in use to be returned.
func (s *DB) Close() error {
	s.stopCommitters()
	s.pool.Close()
	return nil
}

const incidentCols = `id, team_id, number, title, vendor, vendor_name, severity, status, commander,
	created_by, channel_id, message_ts, diagnosis, summary, declared_at, acknowledged_at,
	mitigated_at, resolved_at, next_update_at, updated_at, postmortem, postmortem_file_id,
	postmortem_link, version, channel_public,
	comms, scribe, impact, statuspage_draft, statuspage_ts, statuspage_id,
	declared_in, pointer_ts, channel_archived`

// CreateIncident stores inc with the next number of its workspace.
//
// The number comes from the workspace's row in incident_numbers, bumped by
// an upsert in the transaction that inserts the incident: the row stays
// locked until commit, so concurrent creates, in this process or another,
// take numbers one after the other, and a failed insert gives its number
// back. The counter never falls below MAX(number) + 1, so incidents written
// without it (an import) are not numbered twice.
func (s *DB) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create incident: %w", cause(err))
	}
	defer tx.Rollback(ctx)
	n, err := insertIncident(ctx, tx, inc, diag)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create incident: %w", cause(err))
	}
	inc.Number, inc.Version = n, 1
	return nil
}

// insertIncident inserts inc in tx with the next number of its workspace
// and returns the number.
func insertIncident(ctx context.Context, tx pgx.Tx, inc *incident.Incident, diag []byte) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, `INSERT INTO incident_numbers AS c (team_id, last)
		VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE team_id = $1))
		ON CONFLICT (team_id) DO UPDATE SET last = GREATEST(c.last + 1, EXCLUDED.last)
		RETURNING last`, inc.TeamID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: next incident number: %w", cause(err))
	}
	if inc.UpdatedAt.IsZero() {
		inc.UpdatedAt = inc.DeclaredAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO incidents (`+incidentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
		$19, $20, $21, $22, $23, 1, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)`,
		inc.ID, inc.TeamID, n, inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity),
		string(inc.Status), inc.Commander, inc.CreatedBy, inc.ChannelID, inc.MessageTS, diag, inc.Summary,
		inc.DeclaredAt, nullTime(inc.AcknowledgedAt), nullTime(inc.MitigatedAt),
		nullTime(inc.ResolvedAt), nullTime(inc.NextUpdateAt), inc.UpdatedAt, inc.Postmortem,
		inc.PostmortemFileID, inc.PostmortemLink, inc.Public,
		inc.Comms, inc.Scribe, inc.Impact, inc.StatuspageDraft, inc.StatuspageTS, inc.StatuspageID,
		inc.DeclaredIn, inc.PointerTS, inc.ChannelArchived)
	if err != nil {
		return 0, fmt.Errorf("postgres: insert incident: %w", cause(err))
	}
	return n, nil
}

// UpdateIncident writes inc when its version is still current.
//
// Concurrent updates of one version queue on the row lock; each re-checks
// the version once the one before it commits, so exactly one of them wins.
func (s *DB) UpdateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE incidents SET title = $1, vendor = $2, vendor_name = $3,
		severity = $4, status = $5, commander = $6, channel_id = $7, message_ts = $8, diagnosis = $9,
		summary = $10, acknowledged_at = $11, mitigated_at = $12, resolved_at = $13, next_update_at = $14,
		updated_at = $15, postmortem = $16, postmortem_file_id = $17, postmortem_link = $18,
		comms = $21, scribe = $22, impact = $23, statuspage_draft = $24, statuspage_ts = $25, statuspage_id = $26,
		declared_in = $27, pointer_ts = $28, channel_archived = $29,
		version = version + 1
		WHERE id = $19 AND version = $20`,
		inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity), string(inc.Status), inc.Commander,
		inc.ChannelID, inc.MessageTS, diag, inc.Summary, nullTime(inc.AcknowledgedAt),
		nullTime(inc.MitigatedAt), nullTime(inc.ResolvedAt), nullTime(inc.NextUpdateAt),
		inc.UpdatedAt, inc.Postmortem, inc.PostmortemFileID, inc.PostmortemLink,
		inc.ID, inc.Version,
		inc.Comms, inc.Scribe, inc.Impact, inc.StatuspageDraft, inc.StatuspageTS, inc.StatuspageID,
		inc.DeclaredIn, inc.PointerTS, inc.ChannelArchived)
	if err != nil {
		return fmt.Errorf("postgres: update incident %s: %w", inc.ID, cause(err))
	}
	if tag.RowsAffected() == 0 {
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
	return s.one(ctx, `WHERE id = $1`, id)
}

// IncidentByNumber returns INC-n of a workspace.
func (s *DB) IncidentByNumber(ctx context.Context, teamID string, n int) (*incident.Incident, error) {
	return s.one(ctx, `WHERE team_id = $1 AND number = $2`, teamID, n)
}

// IncidentByMessage returns the incident whose message is channel/ts.
func (s *DB) IncidentByMessage(ctx context.Context, channelID, ts string) (*incident.Incident, error) {
	if ts == "" {
		return nil, incident.ErrNotFound
	}
	return s.one(ctx, `WHERE channel_id = $1 AND message_ts = $2`, channelID, ts)
}

// Incidents lists incidents, newest first.
func (s *DB) Incidents(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	where, args := query.Incidents(f, func(n int) string { return "$" + strconv.Itoa(n) }, func(t time.Time) any { return t })
	q := `SELECT ` + incidentCols + ` FROM incidents` + where
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list incidents: %w", cause(err))
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
		return nil, fmt.Errorf("postgres: list incidents: %w", cause(err))
	}
	return out, nil
}

// CountIncidents counts the incidents f selects, its Limit aside.
func (s *DB) CountIncidents(ctx context.Context, f incident.Filter) (int, error) {
	where, args := query.Where(f, func(n int) string { return "$" + strconv.Itoa(n) }, func(t time.Time) any { return t })
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count incidents: %w", err)
	}
	return n, nil
}

func (s *DB) one(ctx context.Context, where string, args ...any) (*incident.Incident, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+incidentCols+` FROM incidents `+where, args...)
	inc, err := scanIncident(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return inc, err
}

func scanIncident(r pgx.Row) (*incident.Incident, error) {
	var (
		inc                            incident.Incident
		sev, status                    string
		diag                           []byte
		ack, mitigated, resolved, next pgtype.Timestamptz
	)
	err := r.Scan(&inc.ID, &inc.TeamID, &inc.Number, &inc.Title, &inc.Vendor, &inc.VendorName, &sev,
		&status, &inc.Commander, &inc.CreatedBy, &inc.ChannelID, &inc.MessageTS, &diag, &inc.Summary,
		&inc.DeclaredAt, &ack, &mitigated, &resolved, &next, &inc.UpdatedAt, &inc.Postmortem,
		&inc.PostmortemFileID, &inc.PostmortemLink, &inc.Version, &inc.Public,
		&inc.Comms, &inc.Scribe, &inc.Impact, &inc.StatuspageDraft, &inc.StatuspageTS, &inc.StatuspageID,
		&inc.DeclaredIn, &inc.PointerTS, &inc.ChannelArchived)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read incident: %w", cause(err))
	}
	inc.Severity, inc.Status = incident.Severity(sev), incident.Status(status)
	if len(diag) > 0 {
		inc.Diagnosis = new(incident.Diagnosis)
		if err := json.Unmarshal(diag, inc.Diagnosis); err != nil {
			return nil, fmt.Errorf("postgres: read incident %s diagnosis: %w", inc.ID, err)
		}
	}
	inc.DeclaredAt, inc.UpdatedAt = inc.DeclaredAt.UTC(), inc.UpdatedAt.UTC()
	inc.AcknowledgedAt, inc.MitigatedAt = fromNull(ack), fromNull(mitigated)
	inc.ResolvedAt, inc.NextUpdateAt = fromNull(resolved), fromNull(next)
	return &inc, nil
}

// querier is what the pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// addEntry inserts e inside a transaction of changeMessage; ON CONFLICT DO
// NOTHING without a target covers both unique indexes, (incident_id,
// dedup_key) and event_id. A delivery racing an identical one waits for it
// to commit and then adds nothing.
func addEntry(ctx context.Context, q querier, e *incident.Entry) (bool, error) {
	err := q.QueryRow(ctx, `INSERT INTO entries (incident_id, kind, author, text, at, slack_ts,
		event_id, dedup_key, edited, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT DO NOTHING RETURNING id`,
		e.IncidentID, string(e.Kind), e.Author, e.Text, e.At, e.SlackTS,
		e.EventID, e.DedupKey(), e.Edited, e.Deleted).Scan(&e.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: add %s entry to %s: %w", e.Kind, e.IncidentID, cause(err))
	}
	return true, nil
}

// EditMessage records an edit of the reply ts.
func (s *DB) EditMessage(ctx context.Context, id uuid.UUID, ts, text, eventID string, at time.Time) (bool, error) {
	return s.changeMessage(ctx, &incident.Entry{IncidentID: id, Kind: incident.KindEdit, Text: text,
		SlackTS: ts, EventID: eventID, At: at},
		`UPDATE entries SET text = $1, edited = true WHERE incident_id = $2 AND kind = 'message' AND slack_ts = $3`,
		text, id, ts)
}

// DeleteMessage records the deletion of the reply ts.
func (s *DB) DeleteMessage(ctx context.Context, id uuid.UUID, ts, eventID string, at time.Time) (bool, error) {
	return s.changeMessage(ctx, &incident.Entry{IncidentID: id, Kind: incident.KindDeletion,
		SlackTS: ts, EventID: eventID, At: at},
		`UPDATE entries SET deleted = true WHERE incident_id = $1 AND kind = 'message' AND slack_ts = $2`,
		id, ts)
}

// changeMessage applies update to a reply and appends the entry e that
// records it, both or neither. A reply the timeline does not have is ignored.
// The reply's row is locked first, so changes to one reply from several
// replicas apply one after the other, as they do in SQLite.
func (s *DB) changeMessage(ctx context.Context, e *incident.Entry, update string, args ...any) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", e.Kind, cause(err))
	}
	defer tx.Rollback(ctx)
	var one int
	err = tx.QueryRow(ctx, `SELECT 1 FROM entries WHERE incident_id = $1 AND kind = 'message' AND slack_ts = $2
		FOR UPDATE`, e.IncidentID, e.SlackTS).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", e.Kind, cause(err))
	}
	added, err := addEntry(ctx, tx, e)
	if err != nil || !added {
		return false, err
	}
	if _, err := tx.Exec(ctx, update, args...); err != nil {
		return false, fmt.Errorf("postgres: %s: %w", e.Kind, cause(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: %s: %w", e.Kind, cause(err))
	}
	return true, nil
}

// Timeline returns the entries of an incident in the order they happened.
func (s *DB) Timeline(ctx context.Context, id uuid.UUID) ([]incident.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, author, text, at, slack_ts, event_id, edited, deleted
		FROM entries WHERE incident_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: timeline of %s: %w", id, cause(err))
	}
	defer rows.Close()
	var out []incident.Entry
	for rows.Next() {
		e := incident.Entry{IncidentID: id}
		var kind string
		if err := rows.Scan(&e.ID, &kind, &e.Author, &e.Text, &e.At, &e.SlackTS, &e.EventID, &e.Edited, &e.Deleted); err != nil {
			return nil, fmt.Errorf("postgres: timeline of %s: %w", id, cause(err))
		}
		e.Kind, e.At = incident.EntryKind(kind), e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: timeline of %s: %w", id, cause(err))
	}
	return out, nil
}

// SeenEvent records a Slack event id; first is false when it was seen before.
func (s *DB) SeenEvent(ctx context.Context, eventID string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO slack_events (event_id, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		eventID, at)
	if err != nil {
		return false, fmt.Errorf("postgres: record event: %w", cause(err))
	}
	return tag.RowsAffected() == 1, nil
}

// causes names the states of the database that SQLSTATEs report, by code
// and then by class: every write fails the same way until someone acts, so
// the log and the readiness check say which.
var causes = map[string]string{
	"25006": "the database is read-only", // read_only_sql_transaction: a standby, or default_transaction_read_only
	"53100": "the database is full",      // disk_full
	"42501": "the bot's database role may not write there",
	"53":    "the database is out of resources (memory or connections)",
	"57":    "the database is shutting down or not accepting connections",
	"08":    "the connection to the database failed",
}

// cause returns err as an internal incident.Error whose message names the
// database's state, when Postgres's code says what it is (or the
// connection could not be made); otherwise err. The driver's error stays in
// the chain.
func cause(err error) error {
	var named *incident.Error
	if errors.As(err, &named) {
		return err // named already
	}
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	msg := ""
	switch {
	case errors.As(err, &pe):
		if m, ok := causes[pe.Code]; ok {
			msg = m
		} else if len(pe.Code) == 5 {
			msg = causes[pe.Code[:2]]
		}
	case errors.As(err, &ce):
		msg = "cannot connect to the database"
	}
	if msg == "" {
		return err
	}
	return &incident.Error{Kind: incident.Internal, Message: msg, Err: err}
}

func marshalDiagnosis(d *incident.Diagnosis) ([]byte, error) {
	if d == nil {
		return nil, nil // NULL
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode diagnosis: %w", err)
	}
	return b, nil
}

// nullTime is NULL for the zero time. Postgres keeps microseconds, as the
// SQLite store does.
func nullTime(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

func fromNull(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}

// Uncapture deletes the captured message ts from the incident's timeline.
func (s *DB) Uncapture(ctx context.Context, id uuid.UUID, ts string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM entries WHERE incident_id = $1 AND kind = $2 AND slack_ts = $3`,
		id, string(incident.KindCaptured), ts)
	if err != nil {
		return false, fmt.Errorf("postgres: uncapture %s from %s: %w", ts, id, cause(err))
	}
	return tag.RowsAffected() > 0, nil
}

// SawHome records that a user opened the app's Home.
func (s *DB) SawHome(ctx context.Context, v incident.HomeViewer) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO home_viewers (team_id, user_id, channel_id, seen_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, user_id)
		DO UPDATE SET channel_id = EXCLUDED.channel_id, seen_at = GREATEST(home_viewers.seen_at, EXCLUDED.seen_at)`,
		v.TeamID, v.UserID, v.ChannelID, v.SeenAt)
	if err != nil {
		return fmt.Errorf("postgres: record home viewer: %w", cause(err))
	}
	return nil
}

// HomeViewers lists who opened Home at or after since, most recent first.
func (s *DB) HomeViewers(ctx context.Context, teamID string, since time.Time) ([]incident.HomeViewer, error) {
	rows, err := s.pool.Query(ctx, `SELECT team_id, user_id, channel_id, seen_at FROM home_viewers
		WHERE team_id = $1 AND seen_at >= $2 ORDER BY seen_at DESC, user_id`, teamID, since)
	if err != nil {
		return nil, fmt.Errorf("postgres: home viewers: %w", cause(err))
	}
	defer rows.Close()
	var out []incident.HomeViewer
	for rows.Next() {
		var v incident.HomeViewer
		if err := rows.Scan(&v.TeamID, &v.UserID, &v.ChannelID, &v.SeenAt); err != nil {
			return nil, fmt.Errorf("postgres: home viewers: %w", cause(err))
		}
		v.SeenAt = v.SeenAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: home viewers: %w", cause(err))
	}
	return out, nil
}
