package engine

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestWorkerShutdownWaitsForWork(t *testing.T) {
	w := NewWorker(zerolog.Nop(), time.Minute)
	release := make(chan struct{})
	var done atomic.Bool
	w.Go("slow", func(ctx context.Context) {
		<-release
		done.Store(true)
	})
	go func() { time.Sleep(10 * time.Millisecond); close(release) }()
	if !w.Shutdown(context.Background()) {
		t.Fatal("Shutdown reported unfinished work")
	}
	if !done.Load() {
		t.Fatal("Shutdown returned before the work finished")
	}
}

func TestWorkerShutdownCancelsAtDeadline(t *testing.T) {
	w := NewWorker(zerolog.Nop(), time.Minute)
	started := make(chan struct{})
	var cancelled atomic.Bool
	w.Go("hung", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has already passed
	if w.Shutdown(ctx) {
		t.Fatal("Shutdown reported success for work it had to cancel")
	}
	if !cancelled.Load() {
		t.Fatal("the hung work's context was not cancelled before Shutdown returned")
	}
}

// TestWorkerLoopOutlivesTheTimeout: a loop (the job workers, a module's
// ticker) runs for as long as the process, not for the worker's timeout,
// which bounds one piece of work: with the timeout on its context the job
// workers all returned a minute after start, and nothing ran after that.
func TestWorkerLoopOutlivesTheTimeout(t *testing.T) {
	w := NewWorker(zerolog.Nop(), 20*time.Millisecond)
	stop := make(chan struct{})
	ticks := make(chan error, 100)
	w.Loop("loop", func(ctx context.Context) {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				ticks <- ctx.Err()
				return
			case <-tick.C:
				w.Run(ctx, "one piece", func(ctx context.Context) {}) // each piece still bounded
			}
		}
	})
	time.Sleep(100 * time.Millisecond) // five times the timeout
	select {
	case err := <-ticks:
		t.Fatalf("the loop's context ended after the worker's timeout: %v", err)
	default:
	}
	close(stop)
	if !w.Shutdown(context.Background()) {
		t.Fatal("Shutdown reported unfinished work")
	}
}

func TestWorkerTimeoutBoundsWork(t *testing.T) {
	w := NewWorker(zerolog.Nop(), 20*time.Millisecond)
	got := make(chan error, 1)
	w.Go("bounded", func(ctx context.Context) {
		<-ctx.Done()
		got <- ctx.Err()
	})
	if err := <-got; err != context.DeadlineExceeded {
		t.Fatalf("ctx.Err() = %v, want the worker's timeout", err)
	}
	w.Shutdown(context.Background())
}

// syncBuffer is a log sink safe for the worker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWorkerPanicIsLogged(t *testing.T) {
	var logs syncBuffer
	w := NewWorker(zerolog.New(&logs), time.Minute)
	w.Go("boom", func(context.Context) { panic("kaboom") })
	if !w.Shutdown(context.Background()) {
		t.Fatal("Shutdown reported unfinished work")
	}
	if out := logs.String(); !strings.Contains(out, `"job":"boom"`) || !strings.Contains(out, "kaboom") {
		t.Fatalf("log = %q, want the job and the panic", out)
	}
}

func TestEngineTicksModulesUntilShutdown(t *testing.T) {
	w := NewWorker(zerolog.Nop(), time.Minute)
	e := New(w)
	var atStart, ticked atomic.Int32
	firstTick := make(chan struct{})
	var once sync.Once
	e.Add(
		Module{Name: "start", Interval: time.Hour, AtStart: true, Tick: func(context.Context) { atStart.Add(1) }},
		Module{Name: "tick", Interval: time.Millisecond, Tick: func(context.Context) {
			ticked.Add(1)
			once.Do(func() { close(firstTick) })
		}},
	)
	e.Start()
	e.Start() // a second Start changes nothing
	<-firstTick
	if !e.Shutdown(context.Background()) {
		t.Fatal("Shutdown reported unfinished work")
	}
	after := ticked.Load()
	if got := atStart.Load(); got != 1 {
		t.Errorf("AtStart module ran %d times, want once (its interval is an hour)", got)
	}
	time.Sleep(5 * time.Millisecond)
	if ticked.Load() != after {
		t.Error("a module ticked after Shutdown returned")
	}
}

func TestEngineRunsOfOneModuleNeverOverlap(t *testing.T) {
	w := NewWorker(zerolog.Nop(), time.Minute)
	e := New(w)
	var running, overlaps, runs atomic.Int32
	enough := make(chan struct{})
	e.Add(Module{Name: "slow", Interval: time.Millisecond, Tick: func(context.Context) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(3 * time.Millisecond)
		running.Add(-1)
		if runs.Add(1) == 5 {
			close(enough)
		}
	}})
	e.Start()
	<-enough
	e.Shutdown(context.Background())
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d runs overlapped", n)
	}
}
