package incident

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Job is work the bot promised to do after acknowledging a request: a
// triage to run and post, an incident to resolve, an update to post. It is
// a row in the store before the acknowledgement is sent, so that a restart
// or another replica finishes it, and it is claimed with a lease before it
// is run, so that each job runs once at a time across replicas.
type Job struct {
	ID   uuid.UUID
	Kind string // what to do; the application layer maps it to a handler
	// Key makes a job unique: a second job with the same key is not added.
	// A redelivered Slack request (the same trigger id) enqueues nothing.
	Key     string
	Payload json.RawMessage
	State   JobState
	// Attempts counts the runs that began (claims), including the one in
	// progress.
	Attempts int
	RunAt    time.Time // not to be run before
	// Owner holds the lease until LeaseUntil; another claim may take the
	// job once the lease has passed (its owner died or hung).
	Owner      string
	LeaseUntil time.Time
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Defaults gives a job about to be enqueued what it lacks: an id, a key
// (its id: unique), an empty payload, its times.
func (j *Job) Defaults(now time.Time) {
	if j.ID == uuid.Nil {
		j.ID = uuid.Must(uuid.NewV7())
	}
	if j.Key == "" {
		j.Key = j.ID.String()
	}
	if len(j.Payload) == 0 {
		j.Payload = json.RawMessage("{}")
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = now
	}
	if j.RunAt.IsZero() {
		j.RunAt = j.CreatedAt
	}
	j.UpdatedAt = j.CreatedAt
}

// Finished is the state and run time a job takes when its owner finishes
// it (JobStore.FinishJob): queued again for retryAt when that is set,
// failed when there is an error and no retry, done otherwise.
func Finished(errText string, retryAt, now time.Time) (JobState, time.Time) {
	switch {
	case !retryAt.IsZero():
		return JobQueued, retryAt
	case errText != "":
		return JobFailed, now
	}
	return JobDone, now
}

// JobState is where a job is in its life.
type JobState string

// The job states.
const (
	JobQueued  JobState = "queued"  // waiting for RunAt and a worker
	JobRunning JobState = "running" // claimed; Owner holds the lease
	JobDone    JobState = "done"    // finished; kept a while for its key
	JobFailed  JobState = "failed"  // gave up after its attempts; kept for operators
)

// JobStats is the queue as a whole, for metrics and back-pressure.
type JobStats struct {
	Queued  int       // queued or running
	Oldest  time.Time // CreatedAt of the oldest queued or running job; zero when none
	Failed  int       // given up
	Running int
}

// JobStore keeps jobs. Implementations run the storetest jobs suite.
type JobStore interface {
	// EnqueueJob stores j as queued (filling ID and the times when zero)
	// unless a job with the same Key exists: then added is false and j is
	// left as it was.
	EnqueueJob(ctx context.Context, j *Job) (added bool, err error)
	// ClaimJobs leases up to n runnable jobs to owner until now+lease, oldest
	// RunAt first, counting an attempt on each: queued jobs whose RunAt has
	// come, and running jobs whose lease has passed. A job is claimed by
	// one caller only, whatever the number of callers and replicas.
	ClaimJobs(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*Job, error)
	// ExtendJob moves the lease of a job owner still holds to until; it
	// returns ErrConflict when owner no longer holds it.
	ExtendJob(ctx context.Context, id uuid.UUID, owner string, until time.Time) error
	// FinishJob ends a job owner holds: done when errText is empty and
	// retryAt is zero; queued again for retryAt when retryAt is set (the
	// attempt is kept); failed otherwise. It returns ErrConflict when owner
	// no longer holds the lease, and changes nothing then.
	FinishJob(ctx context.Context, id uuid.UUID, owner, errText string, retryAt, now time.Time) error
	// ReleaseJob gives a job back unrun (the process is stopping): queued
	// for now again, without counting the attempt.
	ReleaseJob(ctx context.Context, id uuid.UUID, owner string, now time.Time) error
	// Job returns one job.
	Job(ctx context.Context, id uuid.UUID) (*Job, error)
	// JobStats counts the queue.
	JobStats(ctx context.Context) (JobStats, error)
	// PruneJobs deletes done jobs finished before before; failed ones stay.
	PruneJobs(ctx context.Context, before time.Time) (int, error)
}
