package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
)

// Group commit. Each commit appends its pages to the WAL and its frames
// are written one system call at a time, so the rows of the calls waiting
// for the gate (AddEntry's entries, EnqueueJob's jobs) are written
// together, in one transaction, by whichever of them gets the gate first.
// A call that finds no other waiting yields once first, so that the
// requests already running join it. Every call still gets its own answer,
// and only once its row is committed.

// pendingCall is a call waiting in a batch to write one row.
type pendingCall interface {
	comparable
	context() context.Context
	// answered is closed once answer has set the call's answer.
	answered() chan struct{}
	// write writes the call's row with st, the batch's prepared statement.
	write(ctx context.Context, st *sql.Stmt) (added bool, err error)
	// answer sets the call's answer (called again when a group is undone).
	answer(added bool, err error)
	// what says what the call does, for its errors: "add message entry to …".
	what() string
}

// batch is the calls of one kind not yet taken into a group commit, in
// the order they came.
type batch[R pendingCall] struct {
	mu      sync.Mutex
	pending []R
}

// maxGroup bounds the rows of one group commit.
const maxGroup = 128

func (b *batch[R]) push(r R) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, r)
}

// withdraw takes r out; false when a group commit has taken it.
func (b *batch[R]) withdraw(r R) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, p := range b.pending {
		if p == r {
			b.pending = append(b.pending[:i], b.pending[i+1:]...)
			return true
		}
	}
	return false
}

// alone reports whether at most one call is waiting.
func (b *batch[R]) alone() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending) < 2
}

// take takes the oldest calls, maxGroup at most.
func (b *batch[R]) take() []R {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.pending), maxGroup)
	g := make([]R, n)
	copy(g, b.pending)
	b.pending = append(b.pending[:0], b.pending[n:]...)
	return g
}

// join waits until r is answered by a group commit: another call's, or
// its own when it gets the gate first (its rows are written with query).
// It returns r's context's error when that ended before any group took r;
// then r is not written.
func join[R pendingCall](s *DB, b *batch[R], query string, r R) error {
	ctx := r.context()
	b.push(r)
	ticket := s.gate.ask(ctx)
	select {
	case <-r.answered(): // another call's group commit took it
		if !s.gate.withdraw(ticket) {
			s.release()
		}
		return nil
	case <-ticket:
	case <-ctx.Done():
		if !s.gate.withdraw(ticket) {
			s.release()
		}
		if b.withdraw(r) {
			return ctx.Err()
		}
		<-r.answered() // a group commit has it already: its answer stands
		return nil
	}
	defer s.release()
	for {
		select {
		case <-r.answered():
			return nil
		default: // r is still pending: commit the calls up to it, r included
			if b.alone() {
				// Let the requests already running reach the store
				// before committing: when the bot is busy they join
				// this transaction; when it is idle nothing else is
				// runnable and Gosched returns at once.
				runtime.Gosched()
			}
			commitGroup(s, query, b.take())
		}
	}
}

// commitGroup writes the rows of g with query and answers each call. Calls
// whose context has ended are answered with its error and not written. The
// live rows are written in one transaction, whatever each write answers: a
// duplicate adds nothing (ON CONFLICT DO NOTHING) and a row SQLite refuses
// (a constraint: an incident that does not exist) is that call's error
// alone, since SQLite backs out only the statement that broke it. Only an
// error that can end the transaction itself (a full disk, an I/O error)
// sends the group back to one transaction per row, so each caller still
// gets exactly the answer it would have had without grouping. The gate
// must be held.
func commitGroup[R pendingCall](s *DB, query string, g []R) {
	var live []R
	for _, r := range g {
		if err := r.context().Err(); err != nil {
			r.answer(false, fmt.Errorf("sqlite: %s: %w", r.what(), err))
			continue
		}
		live = append(live, r)
	}
	if len(live) < 2 || !writeTogether(s, query, live) {
		for _, r := range live {
			r.answer(writeAlone(s, query, r))
		}
	}
	for _, r := range g {
		close(r.answered())
	}
}

// writeAlone writes r's row in a transaction of its own. The gate must be
// held.
//
// Like writeTogether it runs under no caller's context: the caller was
// still waiting when its row was taken (commitGroup checked), and a
// context that ends during the write makes the driver answer its error
// even when the write has committed (modernc.org/sqlite reports ctx.Err()
// whenever the context ended while the statement ran). The caller would be
// told "not added" for a row that is stored.
func writeAlone[R pendingCall](s *DB, query string, r R) (bool, error) {
	ctx := context.Background()
	st, err := s.stmt(ctx, query)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", r.what(), cause(err))
	}
	return r.write(ctx, st)
}

// writeTogether writes the rows of rs in one transaction and answers each.
// A write that breaks a constraint is its caller's answer and the others go
// on. It returns false, having stored nothing and answered no one, when the
// transaction cannot begin or a write fails in a way that may have rolled
// the transaction back (SQLite does that on SQLITE_FULL, SQLITE_IOERR,
// SQLITE_NOMEM…, and a statement after it would commit on its own). A
// failed commit is every caller's answer. The gate must be held.
//
// The transaction runs under no caller's context: one caller giving up
// must not interrupt the others' writes. Callers that give up before the
// transaction begins are not in rs.
func writeTogether[R pendingCall](s *DB, query string, rs []R) bool {
	ctx := context.Background()
	st, err := s.stmt(ctx, query) // before the transaction, which holds the one connection
	if err != nil {
		return false
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	insert := tx.StmtContext(ctx, st)
	failed := make([]bool, len(rs))
	for i, r := range rs {
		added, err := r.write(ctx, insert)
		if err != nil && !statementOnly(err) {
			tx.Rollback()
			for _, r := range rs {
				r.answer(false, nil)
			}
			return false
		}
		r.answer(added, err)
		failed[i] = err != nil
	}
	if err := tx.Commit(); err != nil {
		for i, r := range rs {
			if !failed[i] {
				r.answer(false, fmt.Errorf("sqlite: %s: %w", r.what(), cause(err)))
			}
		}
	}
	return true
}
