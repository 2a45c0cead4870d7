package sqlite

import (
	"context"
	"sync"

	"github.com/incident-bot/bot/internal/incident"
)

// gate is the one connection, held by one caller at a time.
//
// Callers get it in the order they asked, in two classes: requests (a
// person, and Slack's 3-second clock, waits on them) before background work
// (jobs and timed tasks, whose contexts incident.Background marks). Under a
// storm of triages the eight workers' writes would otherwise stand between
// each acknowledgement and its one insert. So that background work cannot
// starve while requests keep coming, every bgEvery-th hand-over with
// background work waiting goes to it.
//
// FIFO within a class matters as much: database/sql hands a freed
// connection to a random waiter, so with 32 callers waiting one could be
// overtaken by a hundred later ones. With the gate held database/sql never
// has a waiter to choose from.
type gate struct {
	mu     sync.Mutex
	held   bool
	waits  [2][]chan struct{} // by class: requests, background
	served int                // requests let in since background work last was
}

// bgEvery bounds how many requests may go before waiting background work.
const bgEvery = 8

// class is the queue a caller with ctx waits in.
func class(ctx context.Context) int {
	if incident.IsBackground(ctx) {
		return 1
	}
	return 0
}

// ask asks for the gate; the channel is closed when the caller holds it.
func (g *gate) ask(ctx context.Context) chan struct{} {
	c := make(chan struct{})
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.held {
		g.held = true
		close(c)
		return c
	}
	k := class(ctx)
	g.waits[k] = append(g.waits[k], c)
	return c
}

// withdraw takes back the ask that returned c. It reports false when the
// gate had been handed to c already: the caller holds it and must release.
func (g *gate) withdraw(c chan struct{}) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, w := range g.waits {
		for i, x := range w {
			if x == c {
				g.waits[k] = append(w[:i], w[i+1:]...)
				return true
			}
		}
	}
	return false
}

// release hands the gate to the next waiter, or frees it.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	req, bg := g.waits[0], g.waits[1]
	var next chan struct{}
	switch {
	case len(req) > 0 && (len(bg) == 0 || g.served < bgEvery):
		next, g.waits[0] = req[0], req[1:]
		g.served++
	case len(bg) > 0:
		next, g.waits[1] = bg[0], bg[1:]
		g.served = 0
	default:
		g.held = false
		return
	}
	close(next)
}
