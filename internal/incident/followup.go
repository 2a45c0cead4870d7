package incident

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Followup is one of an incident's follow-ups (action items): said with
// `/incident followup TEXT`, or a thread reply starting with `action:`.
// It is stored once per (incident, Source), so a redelivered command or
// event adds nothing; with a tracker configured it becomes one issue there.
type Followup struct {
	ID         uuid.UUID
	IncidentID uuid.UUID
	// Source names where it was said, unique within the incident:
	// "cmd:<delivery id>" for the command, "msg:<ts>" for a thread reply.
	Source  string
	Text    string
	Author  string // Slack user id
	Tracker string // "github", "jira", "linear"; empty when none is configured
	State   FollowupState
	// IssueKey and IssueURL name the tracker's issue once it is created
	// (owner/name#12, ENG-42).
	IssueKey, IssueURL string
	// ReplyTS is the bot's reply in the incident thread with the issue's
	// link, once posted.
	ReplyTS   string
	Error     string // why the tracker refused it, for the postmortem and operators
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Defaults gives a follow-up about to be added what it lacks: an id and
// its times.
func (f *Followup) Defaults(now time.Time) {
	if f.ID == uuid.Nil {
		f.ID = uuid.Must(uuid.NewV7())
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now
	}
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
}

// FollowupState is where a follow-up is on its way to a tracker.
type FollowupState string

// The follow-up states.
const (
	FollowupRecorded FollowupState = "recorded" // no tracker configured: kept for the postmortem
	FollowupPending  FollowupState = "pending"  // the tracker's issue is being created
	FollowupCreated  FollowupState = "created"  // the issue exists: IssueKey, IssueURL
	FollowupFailed   FollowupState = "failed"   // the tracker refused it, or every attempt failed: Error
)

// KindFollowup is the timeline entry of a follow-up said with the command
// (a thread reply's own message entry records the `action:` ones).
const KindFollowup EntryKind = "followup"

// IssueDraft is what a tracker is asked to create for a follow-up.
type IssueDraft struct {
	Title string
	// Body is the issue's description, paragraph by paragraph, plain text;
	// each tracker writes it in its own format.
	Body   []string
	Labels []string // where the tracker takes free-form labels (Jira)
	Link   string   // back to the incident's thread in Slack
	// Marker is unique to the follow-up and written into the issue, so
	// that FindIssue finds an issue an earlier attempt created.
	Marker string
	Since  time.Time // when the follow-up was recorded: no issue of it is older
}

// Issue is a tracker's issue.
type Issue struct {
	Key string // owner/name#12, ENG-42
	URL string
}

// FollowupStore keeps follow-ups. Implementations run the storetest
// follow-up suite.
type FollowupStore interface {
	// AddFollowup stores f (filling ID and the times when zero) unless the
	// incident has a follow-up with the same Source: then added is false
	// and f is left as it was.
	AddFollowup(ctx context.Context, f *Followup) (added bool, err error)
	// Followups returns an incident's follow-ups in the order they were added.
	Followups(ctx context.Context, incidentID uuid.UUID) ([]Followup, error)
	// UpdateFollowup writes f's Tracker, State, IssueKey, IssueURL, ReplyTS,
	// Error and UpdatedAt; ErrNotFound when there is no such follow-up.
	UpdateFollowup(ctx context.Context, f *Followup) error
}
