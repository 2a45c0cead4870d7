package slackapp

import (
	"container/list"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DedupeWindow is how long a delivery is remembered: Slack's five minutes,
// the window in which it redelivers and in which Verifier accepts a
// request's timestamp (so a replayed request is refused after it anyway).
const DedupeWindow = MaxSkew

// DefaultDedupeKeys caps how many deliveries a Dedupe remembers, about a
// megabyte: past it the oldest are forgotten early.
const DefaultDedupeKeys = 10_000

// Seen says whether a delivery came before.
type Seen int

// What Dedupe.Begin finds.
const (
	// FirstDelivery: not seen within the window; hand it on.
	FirstDelivery Seen = iota
	// InFlight: a copy of a delivery still being handled.
	InFlight
	// Handled: a copy of a delivery already handled.
	Handled
)

// Dedupe remembers the deliveries of the last DedupeWindow by a key (the
// trigger_id of a slash command or interaction, else the request's
// X-Slack-Signature; the envelope_id in Socket Mode), so that one
// delivered twice runs once. Its memory is bounded: at most max keys,
// the oldest forgotten first.
//
// It is one process's memory: with several replicas, a copy that reaches
// another replica is not caught here. The durable guard across replicas is
// the store's job table, keyed by the same delivery key.
//
// A nil *Dedupe remembers nothing: every delivery is the first.
type Dedupe struct {
	window time.Duration
	max    int
	// Now is the clock; nil is time.Now. For tests.
	Now func() time.Time

	mu    sync.Mutex
	keys  map[string]*delivery
	order list.List // of *delivery, oldest first: each lives the same window
	dups  atomic.Uint64
}

type delivery struct {
	key  string
	at   time.Time
	done bool
	elem *list.Element
}

// NewDedupe returns a Dedupe remembering deliveries for window, at most
// maxKeys of them; zero values mean DedupeWindow and DefaultDedupeKeys.
func NewDedupe(window time.Duration, maxKeys int) *Dedupe {
	if window <= 0 {
		window = DedupeWindow
	}
	if maxKeys <= 0 {
		maxKeys = DefaultDedupeKeys
	}
	return &Dedupe{window: window, max: maxKeys, keys: map[string]*delivery{}}
}

func (d *Dedupe) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Begin records a delivery of key and says whether one came before. On
// FirstDelivery the caller hands the delivery on, then calls finish:
// finish(true) once it is handled, finish(false) when it failed in a way
// that Slack should deliver it again (the key is forgotten). For a copy,
// finish does nothing. An empty key is always a first delivery.
func (d *Dedupe) Begin(key string) (seen Seen, finish func(handled bool)) {
	if d == nil || key == "" {
		return FirstDelivery, func(bool) {}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expireLocked(now)
	if e, ok := d.keys[key]; ok {
		d.dups.Add(1)
		if e.done {
			return Handled, func(bool) {}
		}
		return InFlight, func(bool) {}
	}
	for len(d.keys) >= d.max {
		d.removeLocked(d.order.Front().Value.(*delivery))
	}
	e := &delivery{key: key, at: now}
	e.elem = d.order.PushBack(e)
	d.keys[key] = e
	return FirstDelivery, func(handled bool) { d.finish(e, handled) }
}

func (d *Dedupe) finish(e *delivery, handled bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.keys[e.key] != e {
		return // expired or evicted meanwhile
	}
	if handled {
		e.done = true
		return
	}
	d.removeLocked(e)
}

func (d *Dedupe) expireLocked(now time.Time) {
	for f := d.order.Front(); f != nil; f = d.order.Front() {
		e := f.Value.(*delivery)
		if now.Sub(e.at) < d.window {
			return
		}
		d.removeLocked(e)
	}
}

func (d *Dedupe) removeLocked(e *delivery) {
	d.order.Remove(e.elem)
	delete(d.keys, e.key)
}

// Len is how many deliveries are remembered now.
func (d *Dedupe) Len() int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expireLocked(d.now())
	return len(d.keys)
}

// Duplicates counts the copies caught since the start, for a metric.
func (d *Dedupe) Duplicates() uint64 {
	if d == nil {
		return 0
	}
	return d.dups.Load()
}

// deliveryKey is the key a delivery is remembered by: its trigger_id
// (Slack's id of one invocation of a command, click or submission), else
// the request's signature, which covers its timestamp and body. Keys of
// either kind never collide.
func deliveryKey(r *http.Request, triggerID string) string {
	if triggerID != "" {
		return "trigger:" + triggerID
	}
	if sig := r.Header.Get("X-Slack-Signature"); sig != "" {
		return "signature:" + sig
	}
	return ""
}

// envelopeKey is a Socket Mode envelope's key: its envelope_id, the same on
// every redelivery.
func envelopeKey(envelopeID string) string {
	if envelopeID == "" {
		return ""
	}
	return "envelope:" + envelopeID
}
