package incident

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store keeps incidents and their timelines. Implementations map their
// driver errors onto ErrNotFound and ErrConflict and pass the
// storetest conformance suite.
type Store interface {
	// CreateIncident stores a new incident, assigning inc.Number (the next
	// one in inc.TeamID) and inc.Version.
	CreateIncident(ctx context.Context, inc *Incident) error
	// Incident returns the incident with the id.
	Incident(ctx context.Context, id uuid.UUID) (*Incident, error)
	// IncidentByNumber returns INC-n of a workspace.
	IncidentByNumber(ctx context.Context, teamID string, n int) (*Incident, error)
	// IncidentByMessage returns the incident whose message is channel/ts.
	IncidentByMessage(ctx context.Context, channelID, ts string) (*Incident, error)
	// Incidents lists incidents, newest first, narrowed by the filter.
	Incidents(ctx context.Context, f Filter) ([]*Incident, error)
	// CountIncidents counts the incidents the filter selects, its Limit aside.
	CountIncidents(ctx context.Context, f Filter) (int, error)
	// UpdateIncident writes inc if its Version is still the stored one and
	// bumps it; otherwise it returns ErrConflict and writes nothing.
	UpdateIncident(ctx context.Context, inc *Incident) error

	// AddEntry appends a timeline entry. An entry whose (incident, kind,
	// SlackTS) or EventID is already stored is not added again: added is false.
	AddEntry(ctx context.Context, e *Entry) (added bool, err error)
	// EditMessage records a new text for the reply ts: it appends a KindEdit
	// entry and updates the reply. Unknown replies are ignored (false).
	EditMessage(ctx context.Context, incidentID uuid.UUID, ts, text, eventID string, at time.Time) (bool, error)
	// DeleteMessage marks the reply ts deleted and appends a KindDeletion entry.
	DeleteMessage(ctx context.Context, incidentID uuid.UUID, ts, eventID string, at time.Time) (bool, error)
	// Timeline returns an incident's entries in the order they happened.
	Timeline(ctx context.Context, incidentID uuid.UUID) ([]Entry, error)

	// SeenEvent records a Slack event id and reports whether it was new.
	SeenEvent(ctx context.Context, eventID string, at time.Time) (first bool, err error)

	// JobStore keeps the work promised after an acknowledgement.
	JobStore

	// Uncapture marks the captured message ts deleted from the incident's
	// timeline (the timeline reaction was taken away); false when it holds
	// no such message.
	Uncapture(ctx context.Context, incidentID uuid.UUID, ts string) (bool, error)
	// SawHome records that a user opened the app's Home at at.
	SawHome(ctx context.Context, v HomeViewer) error
	// HomeViewers lists the users of a workspace who opened Home at or
	// after since, most recent first.
	HomeViewers(ctx context.Context, teamID string, since time.Time) ([]HomeViewer, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error

	// WatchStore keeps the vendor watch's subscriptions and vendor states.
	WatchStore
	// OpenAlertIncident returns the open incident of the alert group
	// (inc.TeamID, source, key); when the group has none open, it stores
	// inc as CreateIncident does and makes it the group's, and created is
	// true. Calls for one group at the same time, from any number of
	// replicas, store one incident.
	OpenAlertIncident(ctx context.Context, inc *Incident, source, key string) (open *Incident, created bool, err error)
	// AlertIncident returns the latest incident of the alert group, open or
	// resolved; ErrNotFound when the group never opened one.
	AlertIncident(ctx context.Context, teamID, source, key string) (*Incident, error)
	// FollowupStore keeps the incidents' follow-ups (action items).
	FollowupStore
}

// Filter selects incidents for Store.Incidents.
type Filter struct {
	TeamID string // empty: every workspace
	// ChannelID, when set, selects the incidents of a channel: those whose
	// message is there, and those declared there that have a channel of
	// their own.
	ChannelID string
	// VisibleIn, when set, leaves out the incidents of private channels
	// other than this one.
	VisibleIn string
	Number    int // 0: every number
	OpenOnly  bool
	// Unfinished selects incidents a stopped process left half-done: no
	// incident message yet, or resolved without a shared postmortem.
	Unfinished bool
	// DueBy selects incidents whose next update was due at or before it.
	DueBy time.Time
	Limit int // 0: no limit
	// ArchiveBy selects incidents with a channel of their own, resolved at
	// or before it, whose channel is not archived yet.
	ArchiveBy time.Time
}

// HomeViewer is someone who opened the app's Home: whose Home to publish
// again when an incident changes.
type HomeViewer struct {
	TeamID, UserID string
	ChannelID      string // the app's direct-message channel with the user
	SeenAt         time.Time
}
