package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Modules is the service's timed work, for the engine: update reminders,
// every reminderTick; the retry of unfinished work, once at start and
// then every recoverEvery; and, hourly, forgetting finished jobs. Every replica may run both: a reminder is claimed
// by moving the incident's due time with a versioned update, which only one
// replica's update can win, and unfinished work is claimed the same way.
func (s *Service) Modules() []engine.Module {
	return append([]engine.Module{
		{Name: "reminders", Interval: s.reminderTick(), Tick: s.remindDue},
		{Name: "recovery", Interval: recoverEvery, AtStart: true, Tick: s.Recover},
		{Name: "prune jobs", Interval: time.Hour, Tick: s.pruneJobs},
		s.watchModule(),
	}, s.archiveModules()...)
}

// keepDoneJobs is how long a finished job stays in the store: its key
// keeps stopping a redelivery (Slack retries within minutes) and a second
// post of the same thing long after that. Failed jobs stay for operators.
const keepDoneJobs = 24 * time.Hour

// pruneJobs deletes finished jobs older than keepDoneJobs, so the table
// does not grow with every command ever acknowledged.
func (s *Service) pruneJobs(ctx context.Context) {
	n, err := s.Store.PruneJobs(ctx, s.Now().Add(-keepDoneJobs))
	if err != nil {
		s.Log.Warn().Err(err).Msg("jobs: prune finished jobs")
		return
	}
	if n > 0 {
		s.Log.Info().Int("jobs", n).Msg("jobs: pruned finished jobs")
	}
}

// reminderTick is how often due reminders are looked for: a quarter of the
// shortest interval, between 100 ms and 15 s.
func (s *Service) reminderTick() time.Duration {
	tick := 15 * time.Second
	for _, d := range s.Config.Intervals {
		if d/4 < tick {
			tick = d / 4
		}
	}
	return max(tick, 100*time.Millisecond)
}

// remindDue posts one reminder for each incident whose update is overdue,
// and moves its due time one interval on, so the next comes an interval later.
func (s *Service) remindDue(ctx context.Context) {
	now := s.Now()
	due, err := s.Store.Incidents(ctx, incident.Filter{OpenOnly: true, DueBy: now, Limit: 100})
	if err != nil {
		s.Log.Error().Err(err).Msg("reminders: list due incidents")
		return
	}
	for _, inc := range due {
		var lastDue time.Time
		inc, claimed, err := s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
			if !i.Open() || i.NextUpdateAt.IsZero() || i.NextUpdateAt.After(now) {
				return false, nil // updated, stopped or claimed elsewhere meanwhile
			}
			lastDue = i.NextUpdateAt
			i.NextUpdateAt = s.nextUpdate(i.Severity)
			return true, nil
		})
		if err != nil {
			s.Log.Warn().Err(err).Msg("reminders: claim")
			continue
		}
		if !claimed {
			continue
		}
		// The post is a job, so that Slack failing does not lose it; the key
		// is the due time, so one reminder is posted per due time.
		since := now.Sub(lastDue.Add(-s.interval(inc.Severity))).Truncate(time.Second)
		key := fmt.Sprintf("%s:%d", inc.ID, lastDue.UnixMicro())
		if err := s.then(ctx, jobReminder, key, jobArgs{Incident: inc.ID, Text: messages.Duration(since)}); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("reminders: queue the reminder")
		}
	}
}

// runReminder posts the reminder that an update is due.
func (s *Service) runReminder(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	if !inc.Open() {
		return nil
	}
	m, err := messages.Reminder(inc, a.Text)
	if err != nil {
		return err
	}
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m); err != nil {
		return err
	}
	s.record(ctx, inc, incident.KindReminder, "", "Update due; reminded "+mention(inc.Commander))
	s.refresh(ctx, inc)
	return nil
}

func (s *Service) interval(sev incident.Severity) time.Duration {
	if d := s.Config.Intervals[sev]; d > 0 {
		return d
	}
	return DefaultIntervals[sev]
}

// reminderAction handles the reminder's buttons.
func (s *Service) reminderAction(ctx context.Context, a Action, id uuid.UUID, what string) error {
	if what == messages.ReminderUpdate {
		return s.openUpdateModal(ctx, a, id)
	}
	var snooze time.Duration
	switch what {
	case messages.ReminderSnooze15m:
		snooze = 15 * time.Minute
	case messages.ReminderSnooze1h:
		snooze = time.Hour
	case messages.ReminderStop:
	default:
		return incident.Errorf(incident.Invalid, "unknown reminder button %q", what)
	}
	inc, changed, err := s.modify(ctx, id, func(i *incident.Incident) (bool, error) {
		if !i.Open() {
			return false, nil
		}
		i.NextUpdateAt = time.Time{}
		if snooze > 0 {
			i.NextUpdateAt = s.Now().Add(snooze)
		}
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	text := "Reminders stopped until the next update"
	if snooze > 0 {
		text = "Reminders snoozed for " + messages.Duration(snooze)
	}
	s.record(ctx, inc, incident.KindReminder, a.UserID, text)
	s.refresh(ctx, inc)
	s.tell(ctx, Command{ChannelID: a.ChannelID, UserID: a.UserID, ResponseURL: a.ResponseURL},
		fmt.Sprintf("%s: %s.", inc.Ref(), strings.ToLower(text[:1])+text[1:]))
	return nil
}

func (s *Service) openUpdateModal(ctx context.Context, a Action, id uuid.UUID) error {
	if a.TriggerID == "" {
		return incident.Errorf(incident.Invalid, "Post the update with `/incident status TEXT`.")
	}
	inc, err := s.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	view, err := messages.UpdateModal(inc, messages.Duration(s.interval(inc.Severity)), a.ChannelID)
	if err != nil {
		return err
	}
	return s.Slack.OpenModal(ctx, a.TriggerID, view)
}

// Submission is a submitted modal. PrivateMetadata is what the bot wrote
// when it opened it (messages.FormMetadata).
type Submission struct {
	TeamID, UserID  string
	CallbackID      string
	PrivateMetadata string
	Values          map[string]string // block_id → the value entered or chosen
	DeliveryID      string            // the same across Slack's redeliveries
}

// Submit applies a submitted modal: the "Post update" form moves the status
// and posts the update in the thread; the declare form opens an incident;
// the status-page form saves the draft; the capture form adds a message to
// the chosen incident's timeline. It returns at once, with the form's
// errors by block id when it is not complete (Slack shows them in the
// form, which stays open), nil otherwise.
func (s *Service) Submit(ctx context.Context, sub Submission) map[string]string {
	switch sub.CallbackID {
	case messages.CallbackDeclare:
		return s.submitDeclare(ctx, sub)
	case messages.CallbackStatuspage:
		return s.submitStatuspage(ctx, sub)
	case messages.CallbackAddToTimeline:
		s.submitCapture(ctx, sub)
	case messages.CallbackPostUpdate:
		s.submitUpdate(ctx, sub)
	}
	return nil
}

// submitUpdate accepts the "Post update" form.
func (s *Service) submitUpdate(ctx context.Context, sub Submission) {
	md := messages.ParseFormMetadata(sub.PrivateMetadata)
	id, err := uuid.Parse(md.Incident)
	if err != nil {
		s.Log.Warn().Msg("update modal without an incident id")
		return
	}
	if md.Channel == "" {
		// Opened by a version that did not note where: authorize cannot
		// tell whether it came from the incident's channel.
		s.Log.Warn().Str("user", sub.UserID).Msg("update modal opened before channels were noted; not applied")
		return
	}
	var parts []string
	for _, f := range []struct{ key, label string }{{"impact", "Impact"}, {"cause", "Cause"}, {"action", "Action"}} {
		if v := strings.TrimSpace(clean(sub.Values[f.key])); v != "" {
			parts = append(parts, f.label+": "+v)
		}
	}
	text := messages.Truncate(2000, strings.Join(parts, "\n"))
	cmd := Command{TeamID: sub.TeamID, ChannelID: md.Channel, UserID: sub.UserID, DeliveryID: sub.DeliveryID}
	if err := s.later(ctx, jobSubmit, jobArgs{Cmd: cmd, Incident: id, Text: text, Sub: &sub}); err != nil {
		s.Log.Warn().Err(err).Msg("update modal: not accepted")
	}
}

// runSubmit applies the "Post update" form: the status, then the update.
// The form is one request, authorized as posting an update.
func (s *Service) runSubmit(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if incident.KindOf(err) == incident.NotFound {
		return incident.Errorf(incident.NotFound, "That incident does not exist here.")
	}
	if err != nil {
		return err
	}
	if ok, msg := s.authorize(ctx, a.Cmd.actor(0), opUpdate, inc); !ok {
		s.tell(ctx, a.Cmd, msg)
		return nil
	}
	if a.Sub != nil {
		if st, err := incident.ParseStatus(a.Sub.Values["status"]); err == nil && st != incident.Resolved {
			if err := s.setStatus(ctx, a.Incident, a.Cmd.UserID, st); err != nil {
				return err
			}
		}
	}
	if a.Text == "" {
		return nil
	}
	return s.postUpdate(ctx, a.Incident, a.Cmd.UserID, a.Text)
}
