package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/rs/zerolog"
)

// Handler runs one job. It returns nil when the job is done (including
// when it decided there was nothing left to do, or told the user why it
// could not), and an error when it should be tried again later.
type Handler func(ctx context.Context, j *incident.Job) error

// Permanent marks an error that retrying cannot fix: the job fails at once.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// Queue runs the jobs in the store with a bounded number of workers. Jobs
// are rows (incident.JobStore): a job is claimed with a lease before it
// runs, its lease is renewed while it runs, and it is marked done, retried
// or failed after. A process that dies leaves its jobs leased; when the
// lease passes, any replica claims them again. With several replicas each
// job runs once at a time, wherever it was enqueued.
type Queue struct {
	store    incident.JobStore
	work     *Worker
	log      zerolog.Logger
	owner    string
	handlers map[string]Handler
	opts     QueueOptions

	wake     chan struct{}
	stop     chan struct{}
	stopped  atomic.Bool
	draining atomic.Bool
	drained  chan struct{} // closed by Drain
	drainOne sync.Once
	once     sync.Once
	started  bool

	backlog atomic.Int64 // queued and running jobs, as last counted, plus those added since
}

// QueueOptions are the queue's limits; zero values take the defaults.
type QueueOptions struct {
	Workers     int           // jobs run at once by this process; 8
	Lease       time.Duration // how long a claim holds before another replica may take the job; 10 s, renewed while it runs
	Poll        time.Duration // how often the store is asked for jobs when nothing woke the queue; 1 s
	MaxAttempts int           // runs before a job fails; 12 (about 25 minutes of backoff)
	// MaxBacklog is the most queued and running jobs the bot accepts new
	// work on; past it Busy is true and requests are turned away. 2,000.
	MaxBacklog int
	// Observe, when set, is told of each finished run: its kind, "done",
	// "retry" or "failed", how long it ran and how long it had waited.
	Observe func(kind, outcome string, ran, waited time.Duration)
	// Failed, when set, is called once for a job that gave up.
	Failed func(ctx context.Context, j *incident.Job, err error)
	Now    func() time.Time
}

func (o *QueueOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.MaxBacklog <= 0 {
		o.MaxBacklog = 2000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// NewQueue returns a queue whose workers run on w; owner names this
// process in the leases it takes, and must be unique among replicas.
func NewQueue(store incident.JobStore, w *Worker, log zerolog.Logger, owner string, opts QueueOptions) *Queue {
	opts.defaults()
	return &Queue{store: store, work: w, log: log, owner: owner, handlers: map[string]Handler{}, opts: opts,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), drained: make(chan struct{})}
}

// Handle registers the handler of a kind of job; call it before Start.
func (q *Queue) Handle(kind string, h Handler) { q.handlers[kind] = h }

// ErrBusy is returned by Enqueue when the backlog is full.
var ErrBusy = errors.New("engine: the job queue is full")

// Enqueue stores j, unless a job with its key exists (added is false), and
// wakes a worker. Past MaxBacklog it stores nothing and returns ErrBusy:
// new work is turned away rather than accepted and left waiting.
func (q *Queue) Enqueue(ctx context.Context, j *incident.Job) (added bool, err error) {
	if q.Busy() {
		return false, ErrBusy
	}
	return q.Add(ctx, j)
}

// Add is Enqueue without the backlog check, for the next step of work
// already accepted.
func (q *Queue) Add(ctx context.Context, j *incident.Job) (added bool, err error) {
	if _, ok := q.handlers[j.Kind]; !ok {
		return false, fmt.Errorf("engine: no handler for %q jobs", j.Kind)
	}
	j.Defaults(q.opts.Now())
	added, err = q.store.EnqueueJob(ctx, j)
	if err != nil {
		return false, err
	}
	if added {
		q.backlog.Add(1)
		q.poke()
	}
	return added, nil
}

// Busy reports whether the backlog is full.
func (q *Queue) Busy() bool { return q.backlog.Load() >= int64(q.opts.MaxBacklog) }

// Backlog is the number of queued and running jobs as last counted.
func (q *Queue) Backlog() int { return int(q.backlog.Load()) }

func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Start begins the workers and the counting of the backlog.
func (q *Queue) Start() {
	if q.started {
		return
	}
	q.started = true
	q.count(context.Background())
	// Jobs are background work: a store with one writer lets requests
	// go before them (incident.Background).
	loop := func(ctx context.Context) { q.loop(incident.Background(ctx)) }
	for i := 0; i < q.opts.Workers; i++ {
		q.work.Loop(fmt.Sprintf("jobs-%d", i), loop)
	}
	q.work.Loop("jobs-count", func(ctx context.Context) {
		ctx = incident.Background(ctx)
		t := time.NewTicker(q.opts.Poll)
		defer t.Stop()
		for {
			select {
			case <-q.stop:
				return
			case <-q.drained:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				q.count(ctx)
			}
		}
	})
}

// count refreshes the backlog from the store: other replicas' jobs count too.
func (q *Queue) count(ctx context.Context) {
	st, err := q.store.JobStats(ctx)
	if err != nil {
		q.log.Warn().Err(err).Msg("jobs: count the backlog")
		return
	}
	q.backlog.Store(int64(st.Queued))
}

// Stats counts the queue in the store.
func (q *Queue) Stats(ctx context.Context) (incident.JobStats, error) { return q.store.JobStats(ctx) }

// Stop stops claiming jobs; the jobs running finish (or are given back
// when the Worker's Shutdown cuts them short).
func (q *Queue) Stop() {
	q.once.Do(func() {
		q.stopped.Store(true)
		close(q.stop)
	})
}

// Drain lets the workers run what is runnable now, each stopping when it
// finds nothing more; the Worker's Shutdown waits for them, and gives back
// what its deadline cuts short. Work queued for later stays for the next
// start.
func (q *Queue) Drain() {
	q.drainOne.Do(func() {
		q.draining.Store(true)
		close(q.drained)
	})
	q.poke()
}

// loop claims and runs jobs one at a time until Stop, or until Drain and
// nothing left to run.
func (q *Queue) loop(ctx context.Context) {
	t := time.NewTicker(q.opts.Poll)
	defer t.Stop()
	for {
		if q.stopped.Load() {
			return
		}
		jobs, err := q.store.ClaimJobs(ctx, q.owner, 1, q.opts.Now(), q.opts.Lease)
		if err != nil && ctx.Err() == nil {
			q.log.Error().Err(err).Msg("jobs: claim")
		}
		if len(jobs) == 1 {
			q.run(ctx, jobs[0])
			q.poke() // more may be waiting: let another worker look too
			continue
		}
		if q.draining.Load() || ctx.Err() != nil {
			q.poke() // pass the word on to the next idle worker
			return
		}
		select {
		case <-q.stop:
			return
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// run runs one claimed job under its lease and records the outcome.
func (q *Queue) run(base context.Context, j *incident.Job) {
	h := q.handlers[j.Kind]
	start := q.opts.Now()
	waited := start.Sub(j.CreatedAt)
	var err error
	if h == nil {
		err = Permanent(fmt.Errorf("no handler for %q jobs", j.Kind))
	} else {
		err = q.withLease(base, j, h)
	}
	ran := q.opts.Now().Sub(start)
	now := q.opts.Now()
	// Record the outcome even when the run was cut short.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(base), 5*time.Second)
	defer cancel()
	outcome := "done"
	var ferr error
	var perm permanentError
	switch {
	case err == nil:
		ferr = q.store.FinishJob(ctx, j.ID, q.owner, "", time.Time{}, now)
	case base.Err() != nil:
		// Shutdown cut the run short: give the job back for the next start.
		outcome = "released"
		ferr = q.store.ReleaseJob(ctx, j.ID, q.owner, now)
	case !errors.As(err, &perm) && j.Attempts < q.opts.MaxAttempts:
		outcome = "retry"
		ferr = q.store.FinishJob(ctx, j.ID, q.owner, err.Error(), now.Add(retryDelay(err, j.Attempts)), now)
		q.log.Warn().Err(err).Str("job", j.Kind).Int("attempt", j.Attempts).Msg("jobs: will try again")
	default:
		outcome = "failed"
		ferr = q.store.FinishJob(ctx, j.ID, q.owner, err.Error(), time.Time{}, now)
		q.log.Error().Err(err).Str("job", j.Kind).Int("attempts", j.Attempts).Msg("jobs: gave up")
		if q.opts.Failed != nil {
			q.opts.Failed(ctx, j, err)
		}
	}
	if ferr != nil {
		// The lease was lost (the run outlived it and another replica
		// took the job over) or the store failed: that replica, or the
		// lease's end, decides what happens next.
		q.log.Warn().Err(ferr).Str("job", j.Kind).Msg("jobs: record the outcome")
	}
	if outcome == "done" || outcome == "failed" {
		q.backlog.Add(-1)
	}
	if q.opts.Observe != nil {
		q.opts.Observe(j.Kind, outcome, ran, waited)
	}
}

// withLease runs h while renewing the job's lease every third of it.
func (q *Queue) withLease(ctx context.Context, j *incident.Job, h Handler) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(q.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := q.store.ExtendJob(ctx, j.ID, q.owner, q.opts.Now().Add(q.opts.Lease)); err != nil && ctx.Err() == nil {
					q.log.Warn().Err(err).Str("job", j.Kind).Msg("jobs: renew the lease")
				}
			}
		}
	}()
	err := Permanent(errors.New("the job panicked (see the log)")) // unless h returns
	q.work.Run(ctx, j.Kind, func(ctx context.Context) { err = h(ctx, j) })
	return err
}

// backoff is the wait before attempt n+1: 1 s, 2 s, 4 s… at most 5 minutes.
func backoff(n int) time.Duration {
	d := time.Second << min(max(n-1, 0), 9)
	return min(d, 5*time.Minute)
}

// retryDelay is the wait before the next attempt: what the error asks for
// (an API's Retry-After or rate-limit reset, through a RetryAfter method),
// at most an hour, else the backoff.
func retryDelay(err error, attempts int) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		return min(ra.RetryAfter(), time.Hour)
	}
	return backoff(attempts)
}
