// Package incident is the domain at the centre of the bot: incidents, their
// severity and status, the timeline that records what happened, the Store
// that keeps them, and the few error kinds every other package maps onto.
//
// It imports only the standard library and uuid. Slack, SQLite, the vendor
// probes and the command layer all speak to each other in these terms.
package incident

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Severity is the incident's priority, P1 (worst) to P4.
type Severity string

// The severities, from most to least urgent.
const (
	P1 Severity = "P1"
	P2 Severity = "P2"
	P3 Severity = "P3"
	P4 Severity = "P4"
)

// Severities lists every severity in order of urgency.
var Severities = []Severity{P1, P2, P3, P4}

// ParseSeverity accepts "P1".."P4" in any case, or "1".."4".
func ParseSeverity(s string) (Severity, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) == 1 {
		s = "P" + s
	}
	for _, v := range Severities {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(Invalid, "severity must be one of P1, P2, P3, P4")
}

// Status is where the response stands.
type Status string

// The statuses, in the order an incident usually moves through them.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
)

// Statuses lists every status in order.
var Statuses = []Status{Investigating, Identified, Monitoring, Resolved}

// ParseStatus accepts a status name in any case.
func ParseStatus(s string) (Status, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, v := range Statuses {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(Invalid, "status must be one of investigating, identified, monitoring, resolved")
}

// Check is one triage check as the incident keeps it.
type Check struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// Diagnosis is what triage concluded, as the incident keeps it.
type Diagnosis struct {
	Cause      string   `json:"cause"`
	Summary    string   `json:"summary"`
	HTTPStatus int      `json:"http_status,omitempty"`
	RequestIDs []string `json:"request_ids,omitempty"`
	Checks     []Check  `json:"checks,omitempty"`
	Mitigation []string `json:"mitigation,omitempty"`
	Prevention []string `json:"prevention,omitempty"`
	Links      []string `json:"links,omitempty"`
	// Evidence is why triage chose the cause, strongest reason first.
	Evidence []string `json:"evidence,omitempty"`
}

// Incident is one incident, from declaration to resolution.
type Incident struct {
	ID         uuid.UUID
	TeamID     string // Slack workspace; numbers are per workspace
	Number     int    // the n of INC-n, assigned by the store
	Title      string
	Vendor     string // catalog key, empty when not about a vendor
	VendorName string // display name of the vendor
	Severity   Severity
	Status     Status
	Commander  string // Slack user id
	CreatedBy  string // Slack user id
	ChannelID  string
	// Public: ChannelID is a public channel, so `list all` shows the
	// incident in every channel. False for private channels, direct
	// messages, and wherever the bot could not tell.
	Public    bool
	MessageTS string // the incident message; its thread is the timeline
	Diagnosis *Diagnosis
	Summary   string // given when resolved

	DeclaredAt     time.Time
	AcknowledgedAt time.Time // zero until set
	MitigatedAt    time.Time // zero until set
	ResolvedAt     time.Time // zero until set
	NextUpdateAt   time.Time
	UpdatedAt      time.Time

	Postmortem       string // markdown, once written
	PostmortemFileID string
	PostmortemLink   string

	// DeclaredIn is the channel the incident was declared in when it has a
	// channel of its own (INCIDENT_CHANNELS=channel): ChannelID is then that
	// incident channel, which holds its message and thread, and PointerTS
	// the one line in DeclaredIn that points to it. Empty in thread mode.
	DeclaredIn      string
	PointerTS       string
	ChannelArchived bool // the incident channel was archived after the resolve

	Version int // optimistic concurrency: bumped by every update

	// Comms and Scribe are the other roles (Slack user ids), next to the
	// Commander: who talks to customers and who keeps the notes.
	Comms, Scribe string
	// Impact is who or what is affected, as the declarer described it.
	Impact string
	// StatuspageDraft is the customer-facing text last drafted for the
	// company's status page; StatuspageTS the draft's message in the
	// thread; StatuspageID the incident on the company's Atlassian
	// Statuspage once published, which later updates change.
	StatuspageDraft, StatuspageTS, StatuspageID string
}

// Roles are the roles an incident has, by name.
var Roles = []string{RoleCommander, RoleComms, RoleScribe}

// The roles.
const (
	RoleCommander = "commander"
	RoleComms     = "comms"
	RoleScribe    = "scribe"
)

// Role returns who holds role ("" when nobody, or no such role).
func (i *Incident) Role(role string) string {
	switch role {
	case RoleCommander:
		return i.Commander
	case RoleComms:
		return i.Comms
	case RoleScribe:
		return i.Scribe
	}
	return ""
}

// SetRole gives role to user; false for a role that does not exist.
func (i *Incident) SetRole(role, user string) bool {
	switch role {
	case RoleCommander:
		i.Commander = user
	case RoleComms:
		i.Comms = user
	case RoleScribe:
		i.Scribe = user
	default:
		return false
	}
	return true
}

// Ref is the name every message uses for the incident, e.g. INC-42.
func (i *Incident) Ref() string { return Ref(i.Number) }

// Open reports whether the incident is not resolved.
func (i *Incident) Open() bool { return i.Status != Resolved }

// Ref formats an incident number as INC-n.
func Ref(n int) string { return "INC-" + strconv.Itoa(n) }

// ParseRef accepts INC-n, inc-n, #n or n and returns n.
func ParseRef(s string) (int, bool) {
	s = strings.TrimSpace(s)
	switch {
	case len(s) > 4 && strings.EqualFold(s[:4], "INC-"):
		s = s[4:]
	case strings.HasPrefix(s, "#"):
		s = s[1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// EntryKind says what a timeline entry records.
type EntryKind string

// The timeline entry kinds.
const (
	KindDeclared  EntryKind = "declared"
	KindTriage    EntryKind = "triage"
	KindMessage   EntryKind = "message"  // a reply in the incident thread
	KindEdit      EntryKind = "edit"     // a reply was edited; Text is the new text
	KindDeletion  EntryKind = "deletion" // a reply was deleted
	KindSeverity  EntryKind = "severity"
	KindStatus    EntryKind = "status"
	KindCommander EntryKind = "commander"
	KindUpdate    EntryKind = "update" // a status update posted from the comms template
	KindResolved  EntryKind = "resolved"
	KindReopened  EntryKind = "reopened"
	KindRefused   EntryKind = "refused" // someone tried something they may not do
	KindReminder  EntryKind = "reminder"
	// The vendor watch's entries: what the vendor's status page said, at
	// the vendor's own time; the vendor's incident opened and resolved
	// bound its own window in the postmortem.
	KindVendor         EntryKind = "vendor"
	KindVendorOpened   EntryKind = "vendor_opened"
	KindVendorResolved EntryKind = "vendor_resolved"
	KindVendorLag      EntryKind = "vendor_lag" // our first failing probe to the vendor's first post
	KindAlert          EntryKind = "alert"      // an alert from an alerting system fired, joined or resolved
)

// The timeline entry kinds of the roles and the customer status page.
const (
	KindRole       EntryKind = "role"       // the comms or scribe role handed on
	KindStatuspage EntryKind = "statuspage" // an update published on the company's status page
	// KindCaptured is a message from anywhere added to the timeline (the
	// message shortcut, the timeline reaction), with its own author and
	// time; Deleted once the reaction is taken away.
	KindCaptured EntryKind = "captured"
)

// Entry is one line of an incident's timeline.
//
// Replies in the thread are KindMessage entries keyed by their Slack ts; an
// edit or deletion appends a KindEdit or KindDeletion entry (the history is
// kept) and updates the message entry's Text, Edited and Deleted.
type Entry struct {
	ID         int64
	IncidentID uuid.UUID
	Kind       EntryKind
	Author     string    // Slack user id, or empty for the bot
	Text       string    // current text
	At         time.Time // when it happened (Slack's own time for replies)
	SlackTS    string    // the reply's ts, for messages, edits and deletions
	EventID    string    // Slack event id, when it came from an event
	Edited     bool
	Deleted    bool
}

// Error kinds that stores and services return and transports map onto replies.
type Kind int

// The error kinds.
const (
	Internal  Kind = iota // something broke; the user is told to retry
	NotFound              // no such incident
	Conflict              // someone else changed it first, or it is already in that state
	Invalid               // bad input; the message says what to fix
	Forbidden             // the user may not do this
)

// Error is a domain error whose Message is safe to show to a user.
type Error struct {
	Kind    Kind
	Message string
	Err     error // the cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error of kind k with a user-facing message.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by stores when nothing matches.
var ErrNotFound = &Error{Kind: NotFound, Message: "no such incident"}

// ErrConflict is returned by UpdateIncident when the version moved on.
var ErrConflict = &Error{Kind: Conflict, Message: "the incident was changed by someone else at the same time"}

// KindOf returns the kind of err, Internal for errors that are not domain errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the user-facing text of err.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "something went wrong on our side; please try again"
}

// DedupKey is what makes an entry unique within its incident, so that a
// delivery Slack retries is stored once: a reply and its deletion by the
// reply's ts, an edit by the reply's ts and the edit's time. Other entries
// are unique by their event id only, or not at all.
func (e *Entry) DedupKey() string {
	switch {
	case e.SlackTS == "":
		return ""
	case e.Kind == KindMessage || e.Kind == KindDeletion:
		return string(e.Kind) + ":" + e.SlackTS
	case e.Kind == KindCaptured:
		return "captured:" + e.SlackTS
	case e.Kind == KindEdit:
		return "edit:" + e.SlackTS + ":" + strconv.FormatInt(e.At.UnixMicro(), 10)
	}
	return ""
}

// Impact is the runbooks' meaning of a severity, shown as the incident's impact.
func (s Severity) Impact() string {
	switch s {
	case P1:
		return "All calls failing: respond within 15 minutes"
	case P2:
		return "Degraded service: respond within 1 hour"
	case P3:
		return "Partial impact: respond within 4 hours"
	case P4:
		return "No user impact: next business day"
	}
	return "Unknown"
}

// Label is the status as a person reads it: "Investigating".
func (s Status) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
