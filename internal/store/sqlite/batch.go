package sqlite

import (
	"context"
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

// pendingCall is a call waiting in a batch: its context, and a channel
// closed when its answer is set.
type pendingCall interface {
	comparable
	context() context.Context
	answered() chan struct{}
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
// its own when it gets the gate first (commit writes a group and answers
// each of its calls). It returns r's context's error when that ended
// before any group took r; then r is not written.
func join[R pendingCall](s *DB, b *batch[R], r R, commit func([]R)) error {
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
			commit(b.take())
		}
	}
}
