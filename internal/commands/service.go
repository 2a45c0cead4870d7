// Package commands is the bot's application layer: it turns what people do
// in Slack (slash commands, mentions, button clicks, thread replies) into
// changes to incidents, and decides what the bot says back. It knows no
// transport: the HTTP edge, Socket Mode and the playground all feed it the
// same Command, Action and Event values, and it speaks to Slack, the store
// and the vendor triage only through the small interfaces declared here.
package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
)

// Triager runs a vendor triage.
type Triager interface {
	Triage(ctx context.Context, vendor string) (runbook.Report, error)
	// VendorName returns the display name of a catalog vendor.
	VendorName(key string) (name string, ok bool)
	// Vendors lists the catalog's keys.
	Vendors() []string
}

// Config is the service's behaviour that operators choose.
type Config struct {
	// Intervals is how long after the last update the next one is due.
	Intervals map[incident.Severity]time.Duration
	// ResolveAllowed restricts resolve and severity changes: empty means
	// anyone in the channel; "commander" the incident commander; otherwise
	// Slack user ids (and user-group ids, when Groups is set).
	ResolveAllowed []string
	// WatchInterval is how often each watched vendor is checked
	// (WATCH_INTERVAL); zero: DefaultWatchInterval.
	WatchInterval time.Duration
	// VendorLag, when set, is told each vendor lag the watch measures
	// (for bot_vendor_lag_seconds); lag is never negative.
	VendorLag func(vendor string, lag time.Duration)
	// AlertChannel is where alerts open incidents (ALERT_CHANNEL).
	AlertChannel string
	// AlertSeverity maps the alert sources' own severities, lower-cased,
	// onto incident severities (ALERT_SEVERITY); nil: DefaultAlertSeverity.
	AlertSeverity map[string]incident.Severity
	// Channels gives each incident a channel of its own
	// (INCIDENT_CHANNELS=channel); false keeps it a thread where declared.
	Channels bool
	// ArchiveAfter is how long after the resolve an incident channel is
	// archived (ARCHIVE_AFTER); 0 never.
	ArchiveAfter time.Duration
	// TimelineReaction is the reaction, without colons, that adds a message
	// to an incident's timeline (TIMELINE_REACTION); empty: pushpin.
	TimelineReaction string
}

// DefaultIntervals are the runbooks' update cadences.
var DefaultIntervals = map[incident.Severity]time.Duration{
	incident.P1: 15 * time.Minute, incident.P2: time.Hour, incident.P3: 4 * time.Hour, incident.P4: 24 * time.Hour,
}

// Service handles commands, actions and events: the request side of the
// application layer. What it promises after the ack is a job on Jobs, kept
// in the store until done; its timed work (reminders, recovery) is offered
// to the engine as Modules.
type Service struct {
	Store  incident.Store
	Slack  Slack
	Triage Triager
	Jobs   *engine.Queue // the work promised after the ack
	Log    zerolog.Logger
	Now    func() time.Time
	NewID  func() uuid.UUID
	Config Config
	// StatusPage is the company's customer status page; none when nil.
	StatusPage StatusPage

	// Tracker files follow-ups as issues (FOLLOWUP_TRACKER); nil: none,
	// follow-ups are only recorded for the postmortem.
	Tracker Tracker

	threadCache threadCache // incident threads found, for the event path
	refreshing  turns       // one re-render of an incident's message at a time
	watch       watcher     // the vendor watch's owner id, for its leases

	teamMu sync.Mutex // guards teamID
	teamID string     // the workspace alerts open incidents in, from auth.test
}

// Start fills in the defaults and registers the service's jobs with the
// queue; call it once, before the first request and before Jobs.Start.
func (s *Service) Start() {
	s.registerJobs()
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.NewID == nil {
		s.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	}
	if s.Config.Intervals == nil {
		s.Config.Intervals = DefaultIntervals
	}
	if s.StatusPage == nil {
		s.StatusPage = noStatusPage{}
	}
	if s.Config.TimelineReaction == "" {
		s.Config.TimelineReaction = DefaultTimelineReaction
	}
}

// JobFailed is the queue's Failed hook: the user is told that work the bot
// acknowledged could not be done.
func (s *Service) JobFailed(ctx context.Context, j *incident.Job, err error) {
	s.jobFailed(ctx, j, err)
}

// modify loads an incident, applies fn and writes it back, retrying when
// another request changed it in between. fn returns false to change nothing.
func (s *Service) modify(ctx context.Context, id uuid.UUID, fn func(inc *incident.Incident) (bool, error)) (*incident.Incident, bool, error) {
	for attempt := 0; ; attempt++ {
		inc, err := s.Store.Incident(ctx, id)
		if err != nil {
			return nil, false, err
		}
		changed, err := fn(inc)
		if err != nil || !changed {
			return inc, false, err
		}
		inc.UpdatedAt = s.Now()
		err = s.Store.UpdateIncident(ctx, inc)
		if err == nil {
			return inc, true, nil
		}
		if !errors.Is(err, incident.ErrConflict) || attempt >= 10 {
			return nil, false, err
		}
	}
}

// record appends a typed timeline entry; a failure is logged, not fatal:
// the incident itself already changed.
func (s *Service) record(ctx context.Context, inc *incident.Incident, kind incident.EntryKind, author, text string) {
	e := &incident.Entry{IncidentID: inc.ID, Kind: kind, Author: author, Text: text, At: s.Now()}
	if _, err := s.Store.AddEntry(ctx, e); err != nil {
		s.Log.Error().Err(err).Str("incident", inc.Ref()).Str("kind", string(kind)).Msg("record timeline entry")
	}
}

// refresh re-renders the incident message in place, from the incident as
// stored now. inc is the caller's copy, which a concurrent change (a
// reminder, a button, the update form) may already have overtaken; had it
// been rendered, an older state could reach Slack last and stay on screen
// (reminders stopped, then shown due again). The re-renders of one incident
// take turns, each reading the store inside its turn, so the last one sent
// shows the latest state.
func (s *Service) refresh(ctx context.Context, inc *incident.Incident) {
	if inc.MessageTS == "" {
		return
	}
	done, ok := s.refreshing.take(ctx, inc.ID)
	if !ok {
		s.Log.Error().Err(ctx.Err()).Str("incident", inc.Ref()).Msg("update incident message")
		return
	}
	defer done()
	if cur, err := s.Store.Incident(ctx, inc.ID); err == nil {
		inc = cur
	} else {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("reload the incident to update its message")
	}
	m, err := messages.Incident(inc)
	if err == nil {
		err = s.Slack.Update(ctx, inc.ChannelID, inc.MessageTS, m)
	}
	if err != nil {
		s.Log.Error().Err(err).Str("incident", inc.Ref()).Msg("update incident message")
	}
	s.changed(ctx, inc)
}

// acknowledge sets the acknowledged time on the first human action.
func (s *Service) acknowledge(inc *incident.Incident) {
	if inc.AcknowledgedAt.IsZero() {
		inc.AcknowledgedAt = s.Now()
	}
}

func (s *Service) nextUpdate(sev incident.Severity) time.Time {
	d := s.Config.Intervals[sev]
	if d <= 0 {
		d = DefaultIntervals[sev]
	}
	return nextBusinessDay(s.Now().Add(d), d)
}

// nextBusinessDay moves a due time of a day or more off the weekend: the
// runbooks' P4 update is due the next business day, not on a Sunday.
func nextBusinessDay(t time.Time, d time.Duration) time.Time {
	if d < 24*time.Hour {
		return t
	}
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.Add(24 * time.Hour)
	}
	return t
}

// userError is the text a user sees for err: the domain message, or a
// generic one (with the cause logged) for internal errors.
func (s *Service) userError(err error, what string) string {
	if incident.KindOf(err) == incident.Internal {
		s.Log.Error().Err(err).Msg(what)
		return fmt.Sprintf(":warning: Could not %s: something failed on our side. Please try again; if it keeps failing, check the bot's logs.", what)
	}
	return ":warning: " + incident.Message(err)
}

type incidentID = uuid.UUID

var timeZero time.Time

// turns lets one holder at a time per incident; the zero value is ready.
type turns struct {
	mu sync.Mutex
	m  map[uuid.UUID]*turn
}

type turn struct {
	ch      chan struct{} // holds a token while the turn is taken
	waiters int           // holders and those waiting, under turns.mu
}

// take waits for id's turn; done ends it. ok is false when ctx ended first.
func (t *turns) take(ctx context.Context, id uuid.UUID) (done func(), ok bool) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[uuid.UUID]*turn{}
	}
	tr := t.m[id]
	if tr == nil {
		tr = &turn{ch: make(chan struct{}, 1)}
		t.m[id] = tr
	}
	tr.waiters++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		if tr.waiters--; tr.waiters == 0 {
			delete(t.m, id)
		}
		t.mu.Unlock()
	}
	select {
	case tr.ch <- struct{}{}:
		return func() { <-tr.ch; leave() }, true
	case <-ctx.Done():
		leave()
		return nil, false
	}
}
