package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/rs/zerolog"
)

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newQueue(t *testing.T, db incident.JobStore, owner string, opts QueueOptions) (*Queue, *Worker) {
	t.Helper()
	w := NewWorker(zerolog.Nop(), time.Minute)
	if opts.Poll == 0 {
		opts.Poll = 5 * time.Millisecond
	}
	q := NewQueue(db, w, zerolog.Nop(), owner, opts)
	return q, w
}

// waitFor waits until cond holds for the job.
func waitFor(t *testing.T, db incident.JobStore, id uuid.UUID, cond func(*incident.Job) bool) *incident.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := db.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: condition not met: %+v", j.Kind, j)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitJob waits until the job reaches one of the states.
func waitJob(t *testing.T, db incident.JobStore, id uuid.UUID, states ...incident.JobState) *incident.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := db.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s stayed %s (%s)", j.Kind, j.State, j.LastError)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestQueueRunsEachJobOnceAcrossReplicas(t *testing.T) {
	db := openStore(t)
	var mu sync.Mutex
	ran := map[string]int{}
	handler := func(ctx context.Context, j *incident.Job) error {
		mu.Lock()
		ran[j.Key]++
		mu.Unlock()
		return nil
	}
	var qs []*Queue
	var ws []*Worker
	for _, owner := range []string{"a", "b"} {
		q, w := newQueue(t, db, owner, QueueOptions{Workers: 4})
		q.Handle("k", handler)
		qs, ws = append(qs, q), append(ws, w)
	}
	const n = 60
	ids := make([]uuid.UUID, 0, n)
	for i := 0; i < n; i++ {
		j := &incident.Job{Kind: "k", Key: fmt.Sprint("job-", i)}
		if _, err := qs[i%2].Enqueue(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	// A redelivery: the same key again adds nothing.
	if added, err := qs[0].Enqueue(context.Background(), &incident.Job{Kind: "k", Key: "job-7"}); err != nil || added {
		t.Fatalf("Enqueue of a known key = %v, %v", added, err)
	}
	for _, q := range qs {
		q.Start()
	}
	for _, id := range ids {
		waitJob(t, db, id, incident.JobDone)
	}
	for i, q := range qs {
		q.Stop()
		ws[i].Shutdown(context.Background())
	}
	for i := 0; i < n; i++ {
		if got := ran[fmt.Sprint("job-", i)]; got != 1 {
			t.Errorf("job-%d ran %d times", i, got)
		}
	}
}

func TestQueueRetriesThenFails(t *testing.T) {
	db := openStore(t)
	now := time.Now()
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	var failed atomic.Int32
	q, w := newQueue(t, db, "a", QueueOptions{Workers: 1, MaxAttempts: 3,
		Now:    func() time.Time { return time.Unix(0, clock.Load()) },
		Failed: func(context.Context, *incident.Job, error) { failed.Add(1) }})
	var attempts atomic.Int32
	q.Handle("flaky", func(ctx context.Context, j *incident.Job) error {
		attempts.Add(1)
		return errors.New("slack answered 500")
	})
	j := &incident.Job{Kind: "flaky"}
	if _, err := q.Enqueue(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	q.Start()
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { q.Stop(); w.Shutdown(context.Background()) }) }
	defer stop()
	for attempt := 1; attempt <= 2; attempt++ {
		got := waitFor(t, db, j.ID, func(j *incident.Job) bool { return j.Attempts == attempt && j.State == incident.JobQueued })
		if got.LastError != "slack answered 500" || !got.RunAt.After(time.Unix(0, clock.Load())) {
			t.Fatalf("retry %d recorded as %+v; want the error and a later run time", attempt, got)
		}
		clock.Add(int64(10 * time.Minute)) // past the backoff
		q.poke()
	}
	waitJob(t, db, j.ID, incident.JobFailed)
	// The hook runs after the outcome is stored: the worker's shutdown
	// waits for the run to end, hook included.
	stop()
	if a := attempts.Load(); a != 3 {
		t.Errorf("%d attempts, want 3", a)
	}
	if failed.Load() != 1 {
		t.Errorf("Failed called %d times, want once", failed.Load())
	}
}

func TestQueuePermanentErrorFailsAtOnce(t *testing.T) {
	db := openStore(t)
	q, w := newQueue(t, db, "a", QueueOptions{Workers: 1})
	q.Handle("bad", func(context.Context, *incident.Job) error { return Permanent(errors.New("no such incident")) })
	q.Handle("panics", func(context.Context, *incident.Job) error { panic("boom") })
	a, b := &incident.Job{Kind: "bad"}, &incident.Job{Kind: "panics"}
	for _, j := range []*incident.Job{a, b} {
		if _, err := q.Enqueue(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	q.Start()
	defer func() { q.Stop(); w.Shutdown(context.Background()) }()
	if got := waitJob(t, db, a.ID, incident.JobFailed, incident.JobDone); got.State != incident.JobFailed || got.Attempts != 1 {
		t.Fatalf("permanent error: %+v", got)
	}
	if got := waitJob(t, db, b.ID, incident.JobFailed, incident.JobDone); got.State != incident.JobFailed {
		t.Fatalf("a panicking job was %s, want failed", got.State)
	}
}

// TestQueueShutdownGivesBackUnfinishedWork: a job cut short by the
// shutdown deadline is queued again, unrun, for the next start.
func TestQueueShutdownGivesBackUnfinishedWork(t *testing.T) {
	db := openStore(t)
	q, w := newQueue(t, db, "a", QueueOptions{Workers: 1})
	started := make(chan struct{})
	q.Handle("hang", func(ctx context.Context, j *incident.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	j := &incident.Job{Kind: "hang"}
	if _, err := q.Enqueue(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	q.Start()
	<-started
	q.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Shutdown(ctx)
	got, err := db.Job(context.Background(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != incident.JobQueued || got.Attempts != 0 {
		t.Fatalf("after shutdown the job is %s with %d attempts; want queued, none counted", got.State, got.Attempts)
	}
	// The next process runs it.
	q2, w2 := newQueue(t, db, "b", QueueOptions{Workers: 1})
	q2.Handle("hang", func(context.Context, *incident.Job) error { return nil })
	q2.Start()
	waitJob(t, db, j.ID, incident.JobDone)
	q2.Stop()
	w2.Shutdown(context.Background())
}

// TestQueueTakesOverADeadReplicasJob: a job leased by a process that died
// is claimed by another once the lease has passed.
func TestQueueTakesOverADeadReplicasJob(t *testing.T) {
	db := openStore(t)
	j := &incident.Job{Kind: "k"}
	if _, err := db.EnqueueJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if c, err := db.ClaimJobs(context.Background(), "dead", 1, time.Now(), 50*time.Millisecond); err != nil || len(c) != 1 {
		t.Fatalf("claim = %v, %v", c, err)
	}
	q, w := newQueue(t, db, "alive", QueueOptions{Workers: 1})
	q.Handle("k", func(context.Context, *incident.Job) error { return nil })
	q.Start()
	got := waitJob(t, db, j.ID, incident.JobDone)
	q.Stop()
	w.Shutdown(context.Background())
	if got.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2 (the dead one's and ours)", got.Attempts)
	}
}

func TestQueueBusyPastTheBacklog(t *testing.T) {
	db := openStore(t)
	q, _ := newQueue(t, db, "a", QueueOptions{MaxBacklog: 3})
	q.Handle("k", func(context.Context, *incident.Job) error { return nil })
	for i := 0; i < 3; i++ {
		if _, err := q.Enqueue(context.Background(), &incident.Job{Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if !q.Busy() {
		t.Fatal("not busy at the backlog limit")
	}
	if _, err := q.Enqueue(context.Background(), &incident.Job{Kind: "k"}); !errors.Is(err, ErrBusy) {
		t.Fatalf("Enqueue past the limit = %v, want ErrBusy", err)
	}
	if _, err := q.Enqueue(context.Background(), &incident.Job{Kind: "unknown"}); err == nil {
		t.Fatal("a job without a handler was accepted")
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: 5 * time.Minute} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestQueueDrainRunsFollowUps: at shutdown, the steps that work in flight
// queues (an incident's message after its triage) still run.
func TestQueueDrainRunsFollowUps(t *testing.T) {
	db := openStore(t)
	q, w := newQueue(t, db, "a", QueueOptions{Workers: 2, Poll: time.Hour})
	release := make(chan struct{})
	var second atomic.Bool
	next := &incident.Job{Kind: "second"}
	q.Handle("first", func(ctx context.Context, j *incident.Job) error {
		<-release
		_, err := q.Add(ctx, next)
		return err
	})
	q.Handle("second", func(context.Context, *incident.Job) error { second.Store(true); return nil })
	first := &incident.Job{Kind: "first"}
	if _, err := q.Enqueue(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	q.Start()
	waitJob(t, db, first.ID, incident.JobRunning)
	q.Drain()
	close(release)
	if !w.Shutdown(context.Background()) {
		t.Fatal("Shutdown reported unfinished work")
	}
	if !second.Load() {
		t.Fatal("the follow-up queued during the drain did not run")
	}
}

// TestQueueRunsJobsAfterTheWorkerTimeout: the workers keep claiming jobs
// long after one job's timeout has passed since the start (with it on
// their loop, a bot took no job a minute after it started).
func TestQueueRunsJobsAfterTheWorkerTimeout(t *testing.T) {
	db := openStore(t)
	w := NewWorker(zerolog.Nop(), 30*time.Millisecond)
	q := NewQueue(db, w, zerolog.Nop(), "a", QueueOptions{Workers: 2, Poll: 5 * time.Millisecond})
	q.Handle("k", func(context.Context, *incident.Job) error { return nil })
	q.Start()
	defer func() { q.Stop(); w.Shutdown(context.Background()) }()
	time.Sleep(150 * time.Millisecond) // five timeouts
	j := &incident.Job{Kind: "k"}
	if _, err := q.Enqueue(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	waitJob(t, db, j.ID, incident.JobDone)
}
