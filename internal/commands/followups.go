package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Tracker files follow-ups as issues: trackers.GitHub, Jira and Linear
// implement it; the service's default, when FOLLOWUP_TRACKER is not set,
// is none (Name is empty), and follow-ups are only recorded.
type Tracker interface {
	// Name is the tracker's kind (github, jira, linear); empty for none.
	Name() string
	// CreateIssue creates an issue. An error of a domain kind (not
	// Internal) is a refusal retrying cannot fix; others are tried again.
	CreateIssue(ctx context.Context, d incident.IssueDraft) (incident.Issue, error)
	// FindIssue finds the issue carrying marker, made at or after since.
	FindIssue(ctx context.Context, marker string, since time.Time) (incident.Issue, bool, error)
}

// noTracker is the tracker when none is configured.
type noTracker struct{}

func (noTracker) Name() string { return "" }

func (noTracker) CreateIssue(context.Context, incident.IssueDraft) (incident.Issue, error) {
	return incident.Issue{}, incident.Errorf(incident.Invalid, "no tracker is configured (FOLLOWUP_TRACKER)")
}

func (noTracker) FindIssue(context.Context, string, time.Time) (incident.Issue, bool, error) {
	return incident.Issue{}, false, nil
}

// maxFollowup bounds what is kept of a follow-up's text.
const maxFollowup = 2000

// followupMarker is the text written into the follow-up's issue so that a
// retry finds the issue an earlier attempt created.
func followupMarker(f incident.Followup) string { return "incident-bot:followup:" + f.ID.String() }

// actionReply is a thread reply that is a follow-up for the tracker:
// `action:` (todo:, follow-up: and the like stay postmortem items only).
var actionReply = regexp.MustCompile(`(?i)^\s*action\s*:\s*`)

// followup: /incident followup TEXT [INC-n]
func (s *Service) followup(ctx context.Context, cmd Command, rest string) messages.Message {
	n, text := takeRef(rest)
	text = strings.TrimSpace(text)
	if text == "" {
		return notice("Say what should be done: `/incident followup Alert on HubSpot 401s` (add `INC-n` to name the incident).")
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opFollowup, inc); !ok {
		return notice(msg)
	}
	if s.Jobs.Busy() {
		return s.refuse(engine.ErrBusy)
	}
	source := cmd.deliveryKey()
	if source == "" {
		source = s.NewID().String() // no delivery id to know a redelivery by
	}
	if err := s.addFollowup(ctx, inc.ID, "cmd:"+source, text, cmd.UserID, cmd); err != nil {
		return s.refuse(err)
	}
	late := ""
	if inc.Postmortem != "" {
		late = fmt.Sprintf(" (%s's postmortem was written already: it is not in it)", inc.Ref())
	}
	if tr := s.tracker().Name(); tr != "" {
		return notice(fmt.Sprintf("Filing the follow-up of %s in %s… its link will be posted in the incident thread%s.",
			inc.Ref(), messages.TrackerName(tr), late))
	}
	if late != "" {
		return notice(fmt.Sprintf("Recorded the follow-up of %s%s.", inc.Ref(), late))
	}
	return notice(fmt.Sprintf("Recorded the follow-up of %s; it will be listed in the postmortem's action items.", inc.Ref()))
}

// addFollowup stores a follow-up, once per source, and asks for its job:
// filing it in the tracker, or (for the command without a tracker) saying
// in the thread that it was recorded. A redelivery finds both done.
func (s *Service) addFollowup(ctx context.Context, incID incidentID, source, text, author string, cmd Command) error {
	tracker := s.tracker().Name()
	f := &incident.Followup{IncidentID: incID, Source: source, Text: messages.Truncate(maxFollowup, clean(text)),
		Author: author, Tracker: tracker, State: incident.FollowupPending, CreatedAt: s.Now()}
	if tracker == "" {
		f.State = incident.FollowupRecorded
	}
	added, err := s.Store.AddFollowup(ctx, f)
	if err != nil {
		return err
	}
	fromCommand := strings.HasPrefix(source, "cmd:")
	if added && fromCommand {
		if _, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: incID, Kind: incident.KindFollowup, Author: author,
			Text: f.Text, At: f.CreatedAt}); err != nil {
			s.Log.Warn().Err(err).Msg("record the follow-up in the timeline")
		}
	}
	if tracker == "" && !fromCommand {
		return nil // an action: reply without a tracker: the reply says it all
	}
	return s.then(ctx, jobFollowup, incID.String()+":"+source, jobArgs{Cmd: cmd, Incident: incID, Text: source})
}

// threadFollowup makes an `action:` reply in an incident thread a
// follow-up; it is called for every delivery of the reply, and stores it once.
func (s *Service) threadFollowup(ctx context.Context, ref threadRef, e Event) error {
	if !actionReply.MatchString(e.Text) || e.UserID == "" {
		return nil
	}
	who := actor{team: e.TeamID, user: e.UserID, channel: e.ChannelID}
	if ok, _ := s.authorize(ctx, who, opFollowup, ref.identity(e.ChannelID)); !ok {
		return nil
	}
	cmd := Command{TeamID: e.TeamID, ChannelID: e.ChannelID, UserID: e.UserID, ThreadTS: e.ThreadTS, DeliveryID: e.EventID}
	return s.replyFollowup(ctx, ref.id, e.TS, e.Text, cmd)
}

// replyFollowup stores the follow-up an `action:` reply (ts, text) says,
// once: from its event, or from the thread read before the postmortem
// when the event was missed.
func (s *Service) replyFollowup(ctx context.Context, incID incidentID, ts, text string, cmd Command) error {
	loc := actionReply.FindStringIndex(text)
	if loc == nil {
		return nil
	}
	if text = strings.TrimSpace(text[loc[1]:]); text == "" {
		return nil
	}
	return s.addFollowup(ctx, incID, "msg:"+ts, text, cmd.UserID, cmd)
}

// runFollowup files one follow-up: it looks for the issue an earlier
// attempt may have created (by the marker in its body) before creating
// one, records it, and posts its link in the thread. A refusal is told in
// the thread and ends the job; a tracker that fails or rate limits is
// tried again, as long as the queue allows, and then told (JobFailed).
func (s *Service) runFollowup(ctx context.Context, a jobArgs) error {
	f, inc, err := s.loadFollowup(ctx, a)
	if err != nil || f == nil {
		return err
	}
	switch f.State {
	case incident.FollowupRecorded:
		if f.ReplyTS == "" && strings.HasPrefix(f.Source, "cmd:") {
			return s.followupReply(ctx, inc, f, messages.FollowupRecorded(inc.Ref(), *f))
		}
		return nil
	case incident.FollowupCreated:
		if f.ReplyTS == "" {
			return s.followupReply(ctx, inc, f, messages.FollowupFiled(inc.Ref(), *f))
		}
		return nil
	case incident.FollowupFailed:
		return nil
	}
	if s.tracker().Name() == "" {
		// FOLLOWUP_TRACKER was unset since: it stays in the postmortem.
		f.State, f.UpdatedAt = incident.FollowupRecorded, s.Now()
		return s.Store.UpdateFollowup(ctx, f)
	}
	marker := followupMarker(*f)
	issue, found, err := s.tracker().FindIssue(ctx, marker, f.CreatedAt)
	if err != nil {
		return s.followupRefused(ctx, inc, f, err)
	}
	if !found {
		d := messages.IssueDraft(inc, *f, s.names(ctx, inc, []incident.Entry{{Author: f.Author, Text: f.Text}}), permalink(inc), marker)
		if issue, err = s.tracker().CreateIssue(ctx, d); err != nil {
			return s.followupRefused(ctx, inc, f, err)
		}
	}
	f.Tracker, f.State, f.IssueKey, f.IssueURL, f.Error, f.UpdatedAt =
		s.tracker().Name(), incident.FollowupCreated, issue.Key, issue.URL, "", s.Now()
	if err := s.Store.UpdateFollowup(ctx, f); err != nil {
		return err // the retry finds the issue by its marker
	}
	s.Log.Info().Str("incident", inc.Ref()).Str("tracker", f.Tracker).Str("issue", issue.Key).Msg("follow-up filed")
	return s.followupReply(ctx, inc, f, messages.FollowupFiled(inc.Ref(), *f))
}

// loadFollowup reads the job's follow-up and its incident; nil when gone.
func (s *Service) loadFollowup(ctx context.Context, a jobArgs) (*incident.Followup, *incident.Incident, error) {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	all, err := s.Store.Followups(ctx, a.Incident)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if all[i].Source == a.Text {
			return &all[i], inc, nil
		}
	}
	s.Log.Warn().Str("incident", inc.Ref()).Str("source", a.Text).Msg("a follow-up job without its follow-up")
	return nil, nil, nil
}

// followupRefused ends the job when the tracker refused the follow-up
// (a setting to fix): the thread is told, the follow-up marked failed.
// Other errors are returned, to be tried again.
func (s *Service) followupRefused(ctx context.Context, inc *incident.Incident, f *incident.Followup, err error) error {
	if incident.KindOf(err) == incident.Internal {
		return err
	}
	return s.followupFailed(ctx, inc, f, incident.Message(err))
}

// followupFailed marks the follow-up failed and says so in the thread.
func (s *Service) followupFailed(ctx context.Context, inc *incident.Incident, f *incident.Followup, reason string) error {
	s.Log.Warn().Str("incident", inc.Ref()).Str("tracker", f.Tracker).Str("reason", reason).Msg("follow-up not filed")
	f.State, f.Error, f.UpdatedAt = incident.FollowupFailed, messages.Truncate(500, reason), s.Now()
	if err := s.Store.UpdateFollowup(ctx, f); err != nil {
		return err
	}
	return s.followupReply(ctx, inc, f, messages.FollowupFailed(inc.Ref(), *f, reason))
}

// followupReply posts m in the incident's thread, once: its ts is kept.
func (s *Service) followupReply(ctx context.Context, inc *incident.Incident, f *incident.Followup, m messages.Message) error {
	ts, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m)
	if err != nil {
		if incident.KindOf(err) != incident.Internal {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post the follow-up's reply")
			return nil // Slack refuses for good (not in the channel): the postmortem still lists it
		}
		return err
	}
	f.ReplyTS, f.UpdatedAt = ts, s.Now()
	return s.Store.UpdateFollowup(ctx, f)
}

// followupGaveUp is the follow-up job's end after its last attempt: the
// tracker kept failing, and the thread is told why.
func (s *Service) followupGaveUp(ctx context.Context, a jobArgs, err error) {
	f, inc, lerr := s.loadFollowup(ctx, a)
	if lerr != nil || f == nil {
		s.Log.Error().Err(err).Msg("follow-up not filed, and its incident could not be read")
		return
	}
	if f.State == incident.FollowupCreated {
		return
	}
	reason := fmt.Sprintf("%s kept failing after every attempt (%s)", messages.TrackerName(f.Tracker), err)
	if ferr := s.followupFailed(ctx, inc, f, reason); ferr != nil {
		s.Log.Error().Err(ferr).Str("incident", inc.Ref()).Msg("tell the thread a follow-up was not filed")
	}
}

// tracker is the configured tracker, or none.
func (s *Service) tracker() Tracker {
	if s.Tracker == nil {
		return noTracker{}
	}
	return s.Tracker
}
