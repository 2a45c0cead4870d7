package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Group commit of AddEntry. With synchronous_commit on, every commit waits
// for its WAL to reach the disk, and one event per commit made ingestion as
// slow as the disk's flushes. AddEntry therefore queues its entry and waits;
// committer goroutines take every entry waiting, insert them with one
// statement (one transaction, one flush) and answer each caller. While a
// group waits for its flush, the next one gathers.

const (
	// committers is how many groups may be in flight at once, each on a
	// connection of its own.
	committers = 2
	// maxGroup bounds the entries of one group.
	maxGroup = 256
	// groupTimeout bounds one group's statement: it runs under no caller's
	// context, so that one caller giving up does not fail the others.
	groupTimeout = 30 * time.Second
)

var errClosed = errors.New("postgres: the store is closed")

// addReq is an AddEntry call waiting for its answer.
type addReq struct {
	ctx   context.Context
	e     incident.Entry // a copy: a caller that gives up may leave before its answer
	id    int64          // the entry's id, when added
	added bool
	err   error
	done  chan struct{} // closed when id, added and err are the answer
}

// adds is the queue of AddEntry calls and the committers that serve it.
type adds struct {
	mu      sync.Mutex
	pending []*addReq
	closed  bool
	insert  string        // insertEntries, for this database's sequence
	wake    chan struct{} // a call is pending (capacity 1)
	stop    chan struct{} // closed by Close
	wg      sync.WaitGroup
}

// startCommitters finds the entries' identity sequence and starts the
// goroutines that commit the queued entries.
func (s *DB) startCommitters(ctx context.Context) error {
	var seq pgtype.Text
	if err := s.pool.QueryRow(ctx, `SELECT pg_get_serial_sequence('entries', 'id')`).Scan(&seq); err != nil {
		return fmt.Errorf("postgres: find the entries' id sequence: %w", cause(err))
	}
	if !seq.Valid {
		return errors.New("postgres: the entries table has no id sequence")
	}
	s.adds.insert = insertEntries(seq.String)
	s.adds.wake = make(chan struct{}, 1)
	s.adds.stop = make(chan struct{})
	for range committers {
		s.adds.wg.Add(1)
		go s.commitLoop()
	}
	return nil
}

// stopCommitters lets the committers finish the entries already queued,
// waits for them, and refuses calls from then on.
func (s *DB) stopCommitters() {
	s.adds.mu.Lock()
	if s.adds.closed {
		s.adds.mu.Unlock()
		return
	}
	s.adds.closed = true
	s.adds.mu.Unlock()
	close(s.adds.stop)
	s.adds.wg.Wait()
}

// AddEntry appends e unless an entry with its dedup key or event id exists.
// It returns once the entry is committed (added), found already stored
// (not added), or refused (an error). A caller whose context ends first is
// told to try again (an error) even if its entry is committed after all:
// the retry then finds it stored.
func (s *DB) AddEntry(ctx context.Context, e *incident.Entry) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, addErr(e, err)
	}
	r := &addReq{ctx: ctx, e: *e, done: make(chan struct{})}
	q := &s.adds
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false, addErr(e, errClosed)
	}
	q.pending = append(q.pending, r)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		select {
		case <-r.done: // answered meanwhile: the answer stands
		default:
			return false, addErr(e, ctx.Err())
		}
	}
	if r.added {
		e.ID = r.id
	}
	return r.added, r.err
}

// commitLoop commits groups while calls are pending, then waits for more.
// After stop it still empties the queue, so that no call is left waiting.
func (s *DB) commitLoop() {
	defer s.adds.wg.Done()
	for {
		for g := s.takeGroup(); len(g) > 0; g = s.takeGroup() {
			s.groupCommit(g)
		}
		select {
		case <-s.adds.stop:
			return
		case <-s.adds.wake:
		}
	}
}

// takeGroup takes the oldest pending calls, maxGroup at most.
func (s *DB) takeGroup() []*addReq {
	q := &s.adds
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.pending), maxGroup)
	if n == 0 {
		return nil
	}
	g := make([]*addReq, n)
	copy(g, q.pending)
	q.pending = append(q.pending[:0], q.pending[n:]...)
	return g
}

// groupCommit stores the entries of g and answers each call. Calls whose
// context has ended are answered with its error and not stored. When the
// group's statement fails on something one entry can cause (bad data, a
// constraint, a deadlock with another replica), each entry is tried alone,
// so each caller gets exactly the answer it would have had without
// grouping; any other failure (the connection, a read-only database) is
// every caller's answer.
func (s *DB) groupCommit(g []*addReq) {
	live := make([]*addReq, 0, len(g))
	for _, r := range g {
		if err := r.ctx.Err(); err != nil {
			r.err = addErr(&r.e, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
		err := s.insertGroup(ctx, live)
		switch {
		case err == nil:
		case len(live) > 1 && oneEntryCouldCause(err):
			for _, r := range live {
				if err := s.insertGroup(ctx, []*addReq{r}); err != nil {
					r.err = addErr(&r.e, err)
				}
			}
		default:
			for _, r := range live {
				r.err = addErr(&r.e, err)
			}
		}
		cancel()
	}
	for _, r := range g {
		close(r.done)
	}
}

// insertGroup inserts the entries of rs with one statement and, when it
// succeeds, answers each: added with its id, not added (its dedup key or
// event id is stored, maybe by an earlier entry of rs), or ErrNotFound
// (no such incident: such entries are left out rather than failing the
// statement). On error nothing is stored and no one is answered.
//
// Ids come from the entries' identity sequence in the callers' order, so
// that the statement's answer can be matched to the callers: the inserted
// rows return their ids.
func (s *DB) insertGroup(ctx context.Context, rs []*addReq) error {
	n := len(rs)
	incidents := make([]pgtype.UUID, n)
	kinds, authors, texts := make([]string, n), make([]string, n), make([]string, n)
	tss, events, dedups := make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	edited, deleted := make([]bool, n), make([]bool, n)
	for i, r := range rs {
		e := &r.e
		incidents[i] = pgtype.UUID{Bytes: e.IncidentID, Valid: true}
		kinds[i], authors[i], texts[i], ats[i] = string(e.Kind), e.Author, e.Text, e.At
		tss[i], events[i], dedups[i], edited[i], deleted[i] = e.SlackTS, e.EventID, e.DedupKey(), e.Edited, e.Deleted
	}
	rows, err := s.pool.Query(ctx, s.adds.insert, incidents, kinds, authors, texts, ats, tss, events, dedups, edited, deleted)
	if err != nil {
		return err
	}
	defer rows.Close()
	answered := make([]bool, n)   // the entry's incident exists
	ids := make([]pgtype.Int8, n) // its id, NULL when not added
	for rows.Next() {
		var ord int64
		var id pgtype.Int8
		if err := rows.Scan(&ord, &id); err != nil {
			return err
		}
		if ord < 1 || ord > int64(n) {
			return fmt.Errorf("the insert answered for entry %d of %d", ord, n)
		}
		answered[ord-1], ids[ord-1] = true, id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, r := range rs {
		if !answered[i] {
			r.err = addErr(&r.e, incident.ErrNotFound)
			continue
		}
		r.id, r.added = ids[i].Int64, ids[i].Valid
	}
	return nil
}

// insertEntries returns the statement that inserts the entries given as
// arrays, one element each, and answers, for each entry whose incident
// exists, its position (from 1) and its id when it was added (NULL when ON
// CONFLICT DO NOTHING skipped it: without a target it covers both unique
// indexes, (incident_id, dedup_key) and event_id). A delivery racing an
// identical one in another transaction waits for that one to commit and
// then adds nothing. seq is the entries' identity sequence, named in the
// statement so that Postgres resolves it once, not once per row.
func insertEntries(seq string) string {
	return `WITH v AS (
	SELECT nextval(` + quoteLiteral(seq) + `::regclass) AS id, u.*
	FROM (SELECT u.* FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
			$6::text[], $7::text[], $8::text[], $9::boolean[], $10::boolean[])
		WITH ORDINALITY AS u (incident_id, kind, author, text, at, slack_ts, event_id, dedup_key, edited, deleted, ord)
		WHERE EXISTS (SELECT 1 FROM incidents i WHERE i.id = u.incident_id)
		ORDER BY u.ord) u
), ins AS (
	INSERT INTO entries (id, incident_id, kind, author, text, at, slack_ts, event_id, dedup_key, edited, deleted)
	OVERRIDING SYSTEM VALUE
	SELECT id, incident_id, kind, author, text, at, slack_ts, event_id, dedup_key, edited, deleted FROM v ORDER BY id
	ON CONFLICT DO NOTHING
	RETURNING id
)
SELECT v.ord, ins.id FROM v LEFT JOIN ins ON ins.id = v.id`
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// oneEntryCouldCause reports whether err is one a single entry of a group
// may have caused: bad data (class 22, e.g. a NUL byte in a text), a
// constraint (23), or a transaction rollback (40: a deadlock or
// serialization failure with another replica's group).
func oneEntryCouldCause(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "40":
		return true
	}
	return false
}

func addErr(e *incident.Entry, err error) error {
	return fmt.Errorf("postgres: add %s entry to %s: %w", e.Kind, e.IncidentID, cause(err))
}
