// Package engine owns the bot's work that does not run inside a request:
// what a handler hands off after Slack's acknowledgement, and what runs on a
// timer (update reminders, recovery of half-done work, the vendor watch). Request handlers only hand work over; the engine owns the
// goroutines, bounds them, and drains them on shutdown.
//
// It knows nothing of incidents or Slack: a Module is a name, an interval
// and a function, and the application layer supplies them.
package engine

import (
	"context"
	"sync"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/rs/zerolog"
)

// Module is one kind of timed work: every Interval, Tick is called with a
// context bounded by the engine's per-run timeout. Every replica runs every
// module; a module that must act once across replicas claims its work in the
// store before acting (a versioned update, a lease), never after.
type Module struct {
	Name     string
	Interval time.Duration
	// AtStart runs Tick once as soon as the engine starts, before the
	// first interval has passed.
	AtStart bool
	Tick    func(ctx context.Context)
}

// Engine runs modules on their intervals, on a Worker, until Shutdown.
type Engine struct {
	work    *Worker
	modules []Module
	stop    chan struct{}
	once    sync.Once
	started bool
}

// New returns an engine whose timed work runs on w.
func New(w *Worker) *Engine {
	return &Engine{work: w, stop: make(chan struct{})}
}

// Add registers modules; call it before Start.
func (e *Engine) Add(m ...Module) { e.modules = append(e.modules, m...) }

// Start begins ticking every module. Each module's runs never overlap: the
// next tick waits for the previous run to end.
func (e *Engine) Start() {
	if e.started {
		return
	}
	e.started = true
	for _, m := range e.modules {
		e.work.Loop(m.Name, func(ctx context.Context) { e.loop(ctx, m) })
	}
}

func (e *Engine) loop(ctx context.Context, m Module) {
	ctx = incident.Background(ctx) // timed work: requests go first
	if m.AtStart {
		e.work.Run(ctx, m.Name, m.Tick)
	}
	t := time.NewTicker(max(m.Interval, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			e.work.Run(ctx, m.Name, m.Tick)
		}
	}
}

// Shutdown ends the loops (a run in progress finishes), then waits for all
// of the worker's work until ctx ends, as Worker.Shutdown does.
func (e *Engine) Shutdown(ctx context.Context) bool {
	e.once.Do(func() { close(e.stop) })
	return e.work.Shutdown(ctx)
}

// Worker owns the goroutines of work handed off after a request: it bounds
// each piece of work in time, logs a panic instead of crashing the process,
// and on Shutdown waits for what is running, then cancels what is left.
type Worker struct {
	log     zerolog.Logger
	timeout time.Duration

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewWorker returns a worker; timeout bounds one piece of work (a minute
// when zero).
func NewWorker(log zerolog.Logger, timeout time.Duration) *Worker {
	if timeout <= 0 {
		timeout = time.Minute
	}
	w := &Worker{log: log, timeout: timeout}
	w.base, w.cancel = context.WithCancel(context.Background())
	return w
}

// Go runs fn in the background with a context bounded by the worker's
// timeout. Shutdown waits for it.
func (w *Worker) Go(name string, fn func(ctx context.Context)) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := context.WithTimeout(w.base, w.timeout)
		defer cancel()
		w.Run(ctx, name, fn)
	}()
}

// Loop runs fn in the background until it returns, with a context that
// ends when Shutdown gives up waiting, and only then: not the worker's
// timeout, which bounds one piece of work, not a loop that lives as long
// as the process (the job workers, the modules' tickers). It is for loops
// that watch their own stop signal.
func (w *Worker) Loop(name string, fn func(ctx context.Context)) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.call(w.base, name, fn)
	}()
}

// Run calls fn now, in this goroutine, with a context bounded by the
// worker's timeout, and turns a panic into a log line.
func (w *Worker) Run(ctx context.Context, name string, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	w.call(ctx, name, fn)
}

// call calls fn with ctx and turns a panic into a log line.
func (w *Worker) call(ctx context.Context, name string, fn func(ctx context.Context)) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error().Str("job", name).Interface("panic", r).Msg("background work failed")
		}
	}()
	fn(ctx)
}

// Shutdown waits for the work in progress until ctx ends, then cancels
// what is left and waits for it to return. It reports whether everything
// finished in time.
func (w *Worker) Shutdown(ctx context.Context) bool {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		w.cancel()
		return true
	case <-ctx.Done():
		w.cancel()
		<-done
		return false
	}
}
