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
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/query"
	driver "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite implementation of incident.Store.
//
// Every method takes the gate before it uses the connection and holds it
// until it is done with it (a transaction: until the commit or rollback).
// Methods that hold the gate call only the unexported helpers below, which
// never take it, so nothing waits for a gate it already holds.
type DB struct {
	db  *sql.DB
	now func() time.Time

	gate gate // the one connection: requests first, then background work (gate.go)

	mu    sync.Mutex           // guards stmts
	stmts map[string]*sql.Stmt // prepared once, keyed by the SQL text

	entries batch[*addReq] // AddEntry calls not yet taken into a group commit (batch.go)
	jobs    batch[*jobReq] // EnqueueJob calls, likewise

	// The checkpointer (checkpoints): its own connection, woken through
	// dirty after the store was used, stopped through ckStop.
	ck         *sql.DB
	dirty      chan struct{}
	ckStop     chan struct{}
	ckDone     chan struct{}
	ckStopOnce sync.Once
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
	// cache_size: 8 MB of pages (the default is 2 MB). Replies spread over
	// many incidents touch an index page per incident; with the default
	// cache they were read again from the file on most commits, and
	// ingestion into 100 incidents ran 10–15 % slower than into one. The
	// cache fills only as pages are used (28 MB resident at rest).
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=cache_size(-8000)&_txlock=immediate"
	// The automatic checkpoint, run by whichever commit crosses it, is what
	// made the slowest acknowledgements slow; the checkpointer below does
	// that work off the request path, and this larger threshold (about
	// 32 MB of WAL) is only the safety net should it fall behind.
	db, err := sql.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint(8000)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, cause(err))
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never meets SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	s := &DB{db: db, now: time.Now, stmts: make(map[string]*sql.Stmt),
		dirty: make(chan struct{}, 1), ckStop: make(chan struct{}), ckDone: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if path == ":memory:" {
		close(s.ckDone)
		return s, nil
	}
	if s.ck, err = sql.Open("sqlite", dsn); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s for checkpoints: %w", path, cause(err))
	}
	s.ck.SetMaxOpenConns(1)
	go s.checkpoints()
	return s, nil
}

// checkpointEvery is the most often the checkpointer runs.
const checkpointEvery = 20 * time.Millisecond

// checkpoints copies the WAL back into the database file on a connection
// of its own, a short while after the store was used: PASSIVE never blocks
// the writer, and an idle bot does no work at all.
func (s *DB) checkpoints() {
	defer close(s.ckDone)
	for {
		select {
		case <-s.ckStop:
			return
		case <-s.dirty:
		}
		var busy, logFrames, done int
		// An error is left to the next round; the automatic checkpoint is the safety net.
		_ = s.ck.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done)
		select {
		case <-s.ckStop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// acquire takes the gate, waiting behind the callers that came before, or
// gives up when ctx ends.
func (s *DB) acquire(ctx context.Context) error {
	c := s.gate.ask(ctx)
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		if !s.gate.withdraw(c) {
			s.release() // handed over as ctx ended: pass it on
		}
		return ctx.Err()
	}
}

// release lets the next caller in.
func (s *DB) release() {
	s.gate.release()
	select {
	case s.dirty <- struct{}{}: // wake the checkpointer
	default:
	}
}

var errClosed = errors.New("sqlite: the store is closed")

// stmt returns query prepared on the connection, preparing it on first
// use. Call it with the gate held, and outside a transaction: a statement
// not yet prepared needs the connection, which an open transaction holds.
// Transactions take theirs before they begin and use them with
// tx.StmtContext, which finds them already prepared on the connection.
// With one connection the statements stay prepared on it; database/sql
// prepares them again if the connection is ever replaced.
func (s *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmts == nil {
		return nil, errClosed
	}
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// prepare returns the queries prepared, in order, for a transaction to come.
func (s *DB) prepare(ctx context.Context, queries ...string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		st, err := s.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// Migrate applies the embedded migrations that are not yet recorded in
// schema_migrations, each in its own transaction.
func (s *DB) migrate(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer s.release()
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", cause(err))
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
		return fmt.Errorf("sqlite: migration %s: %w", name, cause(err))
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", name, cause(err))
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("sqlite: apply migration %s: %w", name, cause(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, s.now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", name, cause(err))
	}
	return tx.Commit()
}

// Ping reports whether the database can write: it rewrites the one row of
// the health table. A database that still answers reads but refuses writes
// (read-only, full) fails it with an error that names the cause.
func (s *DB) Ping(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `INSERT INTO health (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`)
	if err != nil {
		return fmt.Errorf("sqlite: ping: %w", cause(err))
	}
	if _, err := st.ExecContext(ctx, s.now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: ping: write: %w", cause(err))
	}
	return nil
}

// Close closes the database and its prepared statements. Calls still
// waiting for the gate then fail, as database/sql fails them after Close.
func (s *DB) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close() // one still in use closes when that use ends
	}
	s.stmts = nil
	s.mu.Unlock()
	if s.ck != nil {
		s.ckStopOnce.Do(func() { close(s.ckStop) })
		<-s.ckDone
		s.ck.Close()
	}
	return s.db.Close()
}

const incidentCols = `id, team_id, number, title, vendor, vendor_name, severity, status, commander,
	created_by, channel_id, message_ts, diagnosis, summary, declared_at, acknowledged_at,
	mitigated_at, resolved_at, next_update_at, updated_at, postmortem, postmortem_file_id,
	postmortem_link, version, channel_public,
	comms, scribe, impact, statuspage_draft, statuspage_ts, statuspage_id,
	declared_in, pointer_ts, channel_archived`

// CreateIncident stores inc with the next number of its workspace.
func (s *DB) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: create incident: %w", err)
	}
	defer s.release()
	st, err := s.prepare(ctx, createQueries...)
	if err != nil {
		return fmt.Errorf("sqlite: create incident: %w", cause(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create incident: %w", cause(err))
	}
	defer tx.Rollback() // before the release: the transaction holds the connection
	n, err := insertIncident(ctx, tx, st, inc, diag)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create incident: %w", cause(err))
	}
	inc.Number, inc.Version = n, 1
	return nil
}

// createQueries are the statements insertIncident runs: the next number
// of the workspace, and the insert.
var createQueries = []string{`SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE team_id = ?`,
	`INSERT INTO incidents (` + incidentCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?)`}

// insertIncident inserts inc in tx with the next number of its workspace,
// with the statements of createQueries, and returns the number.
func insertIncident(ctx context.Context, tx *sql.Tx, st []*sql.Stmt, inc *incident.Incident, diag any) (int, error) {
	var n int
	if err := tx.StmtContext(ctx, st[0]).QueryRowContext(ctx, inc.TeamID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: next incident number: %w", cause(err))
	}
	if inc.UpdatedAt.IsZero() {
		inc.UpdatedAt = inc.DeclaredAt
	}
	_, err := tx.StmtContext(ctx, st[1]).ExecContext(ctx,
		inc.ID.String(), inc.TeamID, n, inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity),
		string(inc.Status), inc.Commander, inc.CreatedBy, inc.ChannelID, inc.MessageTS, diag, inc.Summary,
		inc.DeclaredAt.UnixMicro(), micros(inc.AcknowledgedAt), micros(inc.MitigatedAt),
		micros(inc.ResolvedAt), micros(inc.NextUpdateAt), inc.UpdatedAt.UnixMicro(), inc.Postmortem,
		inc.PostmortemFileID, inc.PostmortemLink, inc.Public,
		inc.Comms, inc.Scribe, inc.Impact, inc.StatuspageDraft, inc.StatuspageTS, inc.StatuspageID,
		inc.DeclaredIn, inc.PointerTS, inc.ChannelArchived)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert incident: %w", cause(err))
	}
	return n, nil
}

// UpdateIncident writes inc when its version is still current.
func (s *DB) UpdateIncident(ctx context.Context, inc *incident.Incident) error {
	diag, err := marshalDiagnosis(inc.Diagnosis)
	if err != nil {
		return err
	}
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, err)
	}
	defer s.release()
	update, err := s.stmt(ctx, `UPDATE incidents SET title = ?, vendor = ?, vendor_name = ?,
		severity = ?, status = ?, commander = ?, channel_id = ?, message_ts = ?, diagnosis = ?,
		summary = ?, acknowledged_at = ?, mitigated_at = ?, resolved_at = ?, next_update_at = ?,
		updated_at = ?, postmortem = ?, postmortem_file_id = ?, postmortem_link = ?,
		comms = ?, scribe = ?, impact = ?, statuspage_draft = ?, statuspage_ts = ?, statuspage_id = ?,
		declared_in = ?, pointer_ts = ?, channel_archived = ?,
		version = version + 1
		WHERE id = ? AND version = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, cause(err))
	}
	res, err := update.ExecContext(ctx,
		inc.Title, inc.Vendor, inc.VendorName, string(inc.Severity), string(inc.Status), inc.Commander,
		inc.ChannelID, inc.MessageTS, diag, inc.Summary, micros(inc.AcknowledgedAt),
		micros(inc.MitigatedAt), micros(inc.ResolvedAt), micros(inc.NextUpdateAt),
		inc.UpdatedAt.UnixMicro(), inc.Postmortem, inc.PostmortemFileID, inc.PostmortemLink,
		inc.Comms, inc.Scribe, inc.Impact, inc.StatuspageDraft, inc.StatuspageTS, inc.StatuspageID,
		inc.DeclaredIn, inc.PointerTS, inc.ChannelArchived,
		inc.ID.String(), inc.Version)
	if err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: update incident %s: %w", inc.ID, cause(err))
	}
	if n == 0 {
		// s.one, not s.Incident: the gate is held.
		if _, err := s.one(ctx, `WHERE id = ?`, inc.ID.String()); err != nil {
			return err
		}
		return incident.ErrConflict
	}
	inc.Version++
	return nil
}

// Incident returns the incident with the id.
func (s *DB) Incident(ctx context.Context, id uuid.UUID) (*incident.Incident, error) {
	return s.gatedOne(ctx, `WHERE id = ?`, id.String())
}

// IncidentByNumber returns INC-n of a workspace.
func (s *DB) IncidentByNumber(ctx context.Context, teamID string, n int) (*incident.Incident, error) {
	return s.gatedOne(ctx, `WHERE team_id = ? AND number = ?`, teamID, n)
}

// IncidentByMessage returns the incident whose message is channel/ts.
func (s *DB) IncidentByMessage(ctx context.Context, channelID, ts string) (*incident.Incident, error) {
	if ts == "" {
		return nil, incident.ErrNotFound
	}
	return s.gatedOne(ctx, `WHERE channel_id = ? AND message_ts = ?`, channelID, ts)
}

// Incidents lists incidents, newest first.
func (s *DB) Incidents(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	where, args := query.Incidents(f, func(int) string { return "?" }, func(t time.Time) any { return t.UnixMicro() })
	q := `SELECT ` + incidentCols + ` FROM incidents` + where
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", err)
	}
	defer s.release() // after rows.Close: the rows hold the connection
	// One prepared statement per combination of filters, 128 at most.
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", cause(err))
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list incidents: %w", cause(err))
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
		return nil, fmt.Errorf("sqlite: list incidents: %w", cause(err))
	}
	return out, nil
}

// CountIncidents counts the incidents f selects, its Limit aside.
func (s *DB) CountIncidents(ctx context.Context, f incident.Filter) (int, error) {
	where, args := query.Where(f, func(int) string { return "?" }, func(t time.Time) any { return t.UnixMicro() })
	if err := s.acquire(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: count incidents: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `SELECT COUNT(*) FROM incidents`+where)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count incidents: %w", err)
	}
	var n int
	if err := st.QueryRowContext(ctx, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count incidents: %w", err)
	}
	return n, nil
}

// gatedOne is one with the gate taken.
func (s *DB) gatedOne(ctx context.Context, where string, args ...any) (*incident.Incident, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: read incident: %w", err)
	}
	defer s.release()
	return s.one(ctx, where, args...)
}

// one reads the incident the where clause selects. The gate must be held.
func (s *DB) one(ctx context.Context, where string, args ...any) (*incident.Incident, error) {
	st, err := s.stmt(ctx, `SELECT `+incidentCols+` FROM incidents `+where)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read incident: %w", cause(err))
	}
	inc, err := scanIncident(st.QueryRowContext(ctx, args...))
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
		&inc.PostmortemFileID, &inc.PostmortemLink, &inc.Version, &inc.Public,
		&inc.Comms, &inc.Scribe, &inc.Impact, &inc.StatuspageDraft, &inc.StatuspageTS, &inc.StatuspageID,
		&inc.DeclaredIn, &inc.PointerTS, &inc.ChannelArchived)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read incident: %w", cause(err))
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

// addReq is an AddEntry call waiting for its entry to be committed.
type addReq struct {
	ctx   context.Context
	e     *incident.Entry
	id    int64 // e.ID when the call began, put back when the entry is not stored
	added bool
	err   error
	done  chan struct{} // closed when added and err are the call's answer
}

func (r *addReq) context() context.Context { return r.ctx }
func (r *addReq) answered() chan struct{}  { return r.done }
func (r *addReq) what() string {
	return fmt.Sprintf("add %s entry to %s", r.e.Kind, r.e.IncidentID)
}
func (r *addReq) write(ctx context.Context, st *sql.Stmt) (bool, error) {
	return addEntry(ctx, st, r.e)
}

// answer sets the call's answer; an entry not stored gets its id back.
func (r *addReq) answer(added bool, err error) {
	r.added, r.err = added, err
	if !added {
		r.e.ID = r.id
	}
}

// AddEntry appends e unless an entry with its dedup key or event id exists.
// Concurrent calls share one transaction (group commit, batch.go).
func (s *DB) AddEntry(ctx context.Context, e *incident.Entry) (bool, error) {
	r := &addReq{ctx: ctx, e: e, id: e.ID, done: make(chan struct{})}
	if err := join(s, &s.entries, insertEntry, r); err != nil {
		return false, fmt.Errorf("sqlite: add %s entry to %s: %w", e.Kind, e.IncidentID, err)
	}
	return r.added, r.err
}

// statementOnly reports whether err undid only the statement that failed,
// leaving its transaction open: a constraint SQLite checks as the
// statement runs (ABORT, the default conflict resolution, backs out the
// statement and keeps the transaction).
func statementOnly(err error) bool {
	return code(err)&0xff == sqlite3.SQLITE_CONSTRAINT
}

// causes names the states of the database that SQLite's primary result
// codes report: every write fails the same way until someone acts, so the
// log and the readiness check say which.
var causes = map[int]string{
	sqlite3.SQLITE_FULL:     "the database is full",
	sqlite3.SQLITE_READONLY: "the database is read-only",
	sqlite3.SQLITE_IOERR:    "the database's disk failed (I/O error)",
	sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
	sqlite3.SQLITE_CORRUPT:  "the database file is corrupt",
	sqlite3.SQLITE_NOTADB:   "the database file is not a SQLite database",
	sqlite3.SQLITE_BUSY:     "the database is locked by another process",
	sqlite3.SQLITE_NOMEM:    "SQLite ran out of memory",
}

// cause returns err as an internal incident.Error whose message names the
// database's state, when SQLite's code says what it is; otherwise err. The
// driver's error stays in the chain.
func cause(err error) error {
	var named *incident.Error
	if errors.As(err, &named) {
		return err // named already
	}
	c := code(err)
	msg, ok := causes[c&0xff]
	switch c {
	case sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_FSYNC, sqlite3.SQLITE_IOERR_TRUNCATE:
		// a read-only or failing file system, a file made immutable
		msg = "the database's disk refuses writes (I/O error)"
	}
	if !ok || c == 0 {
		return err
	}
	return &incident.Error{Kind: incident.Internal, Message: msg, Err: err}
}

// code is SQLite's extended result code of err, 0 for other errors.
func code(err error) int {
	var se *driver.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

const insertEntry = `INSERT INTO entries (incident_id, kind, author, text, at, slack_ts,
		event_id, dedup_key, edited, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`

// addEntry runs insertEntry, prepared as st (alone or inside a transaction).
func addEntry(ctx context.Context, st *sql.Stmt, e *incident.Entry) (bool, error) {
	res, err := st.ExecContext(ctx,
		e.IncidentID.String(), string(e.Kind), e.Author, e.Text, e.At.UnixMicro(), e.SlackTS,
		e.EventID, e.DedupKey(), e.Edited, e.Deleted)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return false, fmt.Errorf("sqlite: add %s entry to %s: %w (%w)", e.Kind, e.IncidentID, incident.ErrNotFound, cause(err))
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: add %s entry to %s: %w", e.Kind, e.IncidentID, cause(err))
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
	if err := s.acquire(ctx); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, err)
	}
	defer s.release()
	st, err := s.prepare(ctx,
		`SELECT COUNT(*) FROM entries WHERE incident_id = ? AND kind = 'message' AND slack_ts = ?`,
		insertEntry, update)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, cause(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, cause(err))
	}
	defer tx.Rollback() // before the release: the transaction holds the connection
	var n int
	if err := tx.StmtContext(ctx, st[0]).QueryRowContext(ctx, e.IncidentID.String(), e.SlackTS).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, cause(err))
	}
	if n == 0 {
		return false, nil
	}
	added, err := addEntry(ctx, tx.StmtContext(ctx, st[1]), e)
	if err != nil || !added {
		return false, err
	}
	if _, err := tx.StmtContext(ctx, st[2]).ExecContext(ctx, args...); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, cause(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", e.Kind, cause(err))
	}
	return true, nil
}

// Timeline returns the entries of an incident in the order they happened.
func (s *DB) Timeline(ctx context.Context, id uuid.UUID) ([]incident.Entry, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, err)
	}
	defer s.release() // after rows.Close: the rows hold the connection
	st, err := s.stmt(ctx, `SELECT id, kind, author, text, at, slack_ts, event_id, edited, deleted
		FROM entries WHERE incident_id = ? ORDER BY at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, cause(err))
	}
	rows, err := st.QueryContext(ctx, id.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, cause(err))
	}
	defer rows.Close()
	var out []incident.Entry
	for rows.Next() {
		e := incident.Entry{IncidentID: id}
		var kind string
		var at int64
		if err := rows.Scan(&e.ID, &kind, &e.Author, &e.Text, &at, &e.SlackTS, &e.EventID, &e.Edited, &e.Deleted); err != nil {
			return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, cause(err))
		}
		e.Kind, e.At = incident.EntryKind(kind), fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: timeline of %s: %w", id, cause(err))
	}
	return out, nil
}

// SeenEvent records a Slack event id; first is false when it was seen before.
func (s *DB) SeenEvent(ctx context.Context, eventID string, at time.Time) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `INSERT INTO slack_events (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", cause(err))
	}
	res, err := st.ExecContext(ctx, eventID, at.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: record event: %w", cause(err))
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

// Uncapture deletes the captured message ts from the incident's timeline.
func (s *DB) Uncapture(ctx context.Context, id uuid.UUID, ts string) (bool, error) {
	n, err := s.exec(ctx, "uncapture", `DELETE FROM entries WHERE incident_id = ? AND kind = ? AND slack_ts = ?`,
		id.String(), string(incident.KindCaptured), ts)
	return n > 0, err
}

// SawHome records that a user opened the app's Home.
func (s *DB) SawHome(ctx context.Context, v incident.HomeViewer) error {
	_, err := s.exec(ctx, "record home viewer", `INSERT INTO home_viewers (team_id, user_id, channel_id, seen_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (team_id, user_id)
		DO UPDATE SET channel_id = excluded.channel_id, seen_at = MAX(seen_at, excluded.seen_at)`,
		v.TeamID, v.UserID, v.ChannelID, v.SeenAt.UnixMicro())
	return err
}

// exec runs one write with the gate taken and returns the rows it changed.
func (s *DB) exec(ctx context.Context, what, q string, args ...any) (int64, error) {
	if err := s.acquire(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, cause(err))
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, cause(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, cause(err))
	}
	return n, nil
}

// HomeViewers lists who opened Home at or after since, most recent first.
func (s *DB) HomeViewers(ctx context.Context, teamID string, since time.Time) ([]incident.HomeViewer, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: home viewers: %w", err)
	}
	defer s.release() // after rows.Close: the rows hold the connection
	st, err := s.stmt(ctx, `SELECT team_id, user_id, channel_id, seen_at FROM home_viewers
		WHERE team_id = ? AND seen_at >= ? ORDER BY seen_at DESC, user_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: home viewers: %w", cause(err))
	}
	rows, err := st.QueryContext(ctx, teamID, since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("sqlite: home viewers: %w", cause(err))
	}
	defer rows.Close()
	var out []incident.HomeViewer
	for rows.Next() {
		var v incident.HomeViewer
		var at int64
		if err := rows.Scan(&v.TeamID, &v.UserID, &v.ChannelID, &at); err != nil {
			return nil, fmt.Errorf("sqlite: home viewers: %w", cause(err))
		}
		v.SeenAt = time.UnixMicro(at).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: home viewers: %w", cause(err))
	}
	return out, nil
}
