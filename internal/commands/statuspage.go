package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// The customer status page: /incident statuspage drafts the customer-facing
// update in the incident thread, its Edit button changes the draft, and its
// Publish button puts it on the company's Atlassian Statuspage. Once it is
// there, later status changes, updates and the resolve change the same
// incident there.

// StatusPage is the company's own status page, as the application layer
// uses it: internal/statuspage implements it against Atlassian Statuspage's
// REST API, and the tests with a recording fake.
type StatusPage interface {
	// Enabled reports whether a page is configured (its id and key).
	Enabled() bool
	// Publish creates an incident on the page when id is empty, or updates
	// the incident id, and returns its id and its public link.
	Publish(ctx context.Context, id string, u StatuspageUpdate) (newID, link string, err error)
}

// StatuspageUpdate is what is published: the incident's name on the page,
// its status there (investigating, identified, monitoring, resolved) and
// the update's text.
type StatuspageUpdate struct {
	Name, Status, Body string
}

// noStatusPage is the page of a bot that has none configured.
type noStatusPage struct{}

func (noStatusPage) Enabled() bool { return false }
func (noStatusPage) Publish(context.Context, string, StatuspageUpdate) (string, string, error) {
	return "", "", incident.Errorf(incident.Invalid, "No status page is configured: set STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY.")
}

// statuspage: /incident statuspage [TEXT] [INC-n]
func (s *Service) statuspage(ctx context.Context, cmd Command, rest string) messages.Message {
	n, text := takeRef(rest)
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opStatuspageDraft, inc); !ok {
		return notice(msg)
	}
	text = messages.Truncate(messages.MaxStatuspage, strings.TrimSpace(clean(text)))
	if err := s.later(ctx, jobStatuspageDraft, jobArgs{Cmd: cmd, Incident: inc.ID, Text: text}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Drafting the status page update of %s in its thread…", inc.Ref()))
}

// runStatuspageDraft writes the draft (the template's words, or the
// text given), keeps it on the incident and posts it in the thread.
func (s *Service) runStatuspageDraft(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	d, err := messages.DraftStatuspage(inc, a.Text)
	if err != nil {
		return err
	}
	inc.StatuspageDraft = d.Body
	m, err := messages.Statuspage(inc, d, s.StatusPage.Enabled(), "")
	if err != nil {
		return err
	}
	ts, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m)
	if err != nil {
		return err
	}
	_, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.StatuspageDraft, i.StatuspageTS = d.Body, ts
		return true, nil
	})
	return err
}

// statuspageAction applies the draft's buttons, authorized already.
func (s *Service) statuspageAction(ctx context.Context, a Action, inc *incident.Incident, arg string) error {
	switch arg {
	case messages.StatuspageEdit:
		if a.TriggerID == "" {
			return incident.Errorf(incident.Invalid, "Change the draft with `/incident statuspage TEXT`.")
		}
		body := inc.StatuspageDraft
		if body == "" {
			d, err := messages.DraftStatuspage(inc, "")
			if err != nil {
				return err
			}
			body = d.Body
		}
		view, err := messages.StatuspageModal(inc, body, a.ChannelID)
		if err != nil {
			return err
		}
		return s.Slack.OpenModal(ctx, a.TriggerID, view)
	case messages.StatuspagePublish:
		if !s.StatusPage.Enabled() {
			return incident.Errorf(incident.Invalid, "No status page is configured: set STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY, or copy the draft to it.")
		}
		d, err := messages.DraftStatuspage(inc, inc.StatuspageDraft)
		if err != nil {
			return err
		}
		return s.queuePublish(ctx, Command{TeamID: a.TeamID, ChannelID: a.ChannelID, UserID: a.UserID,
			ResponseURL: a.ResponseURL}, inc, d.Body)
	}
	return incident.Errorf(incident.Invalid, "That button does nothing any more.")
}

// submitStatuspage accepts the draft's edit form.
func (s *Service) submitStatuspage(ctx context.Context, sub Submission) map[string]string {
	md := messages.ParseFormMetadata(sub.PrivateMetadata)
	id, err := uuid.Parse(md.Incident)
	if err != nil || md.Channel == "" {
		s.Log.Warn().Str("user", sub.UserID).Msg("status page form without its incident or channel")
		return nil
	}
	text := strings.TrimSpace(clean(sub.Values["text"]))
	if text == "" {
		return map[string]string{"text": "Write what customers should read, or cancel."}
	}
	cmd := Command{TeamID: sub.TeamID, ChannelID: md.Channel, UserID: sub.UserID, DeliveryID: sub.DeliveryID}
	if err := s.later(ctx, jobStatuspageEdit, jobArgs{Cmd: cmd, Incident: id,
		Text: messages.Truncate(messages.MaxStatuspage, text)}); err != nil {
		return map[string]string{"text": strings.TrimPrefix(s.refuse(err).Text, ":hourglass_flowing_sand: ")}
	}
	return nil
}

// runStatuspageEdit saves the edited draft and shows it in place.
func (s *Service) runStatuspageEdit(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if incident.KindOf(err) == incident.NotFound {
		return incident.Errorf(incident.NotFound, "That incident does not exist here.")
	}
	if err != nil {
		return err
	}
	if ok, msg := s.authorize(ctx, a.Cmd.actor(0), opStatuspageDraft, inc); !ok {
		s.tell(ctx, a.Cmd, msg)
		return nil
	}
	inc, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.StatuspageDraft = a.Text
		return true, nil
	})
	if err != nil {
		return err
	}
	return s.showDraft(ctx, inc, "")
}

// showDraft re-renders the draft's message, or posts it when there is none.
func (s *Service) showDraft(ctx context.Context, inc *incident.Incident, link string) error {
	d, err := messages.DraftStatuspage(inc, inc.StatuspageDraft)
	if err != nil {
		return err
	}
	m, err := messages.Statuspage(inc, d, s.StatusPage.Enabled(), link)
	if err != nil {
		return err
	}
	if inc.StatuspageTS != "" {
		return s.Slack.Update(ctx, inc.ChannelID, inc.StatuspageTS, m)
	}
	ts, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m)
	if err != nil {
		return err
	}
	_, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.StatuspageTS = ts
		return true, nil
	})
	return err
}

// queuePublish asks for body to be published for inc at its status now,
// as a job keyed so that it runs once whoever asks: by the publishes so
// far (each one, and each refusal, is in the timeline) and, for an update,
// the status and text; a first publish is one job whatever its text, so
// two clicks, a redelivery or two replicas create one incident on the page.
func (s *Service) queuePublish(ctx context.Context, cmd Command, inc *incident.Incident, body string) error {
	tl, err := s.Store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range tl {
		if e.Kind == incident.KindStatuspage {
			n++
		}
	}
	what := "create"
	if inc.StatuspageID != "" {
		sum := sha256.Sum256([]byte(string(inc.Status) + "\x00" + body))
		what = hex.EncodeToString(sum[:8])
	}
	return s.then(ctx, jobStatuspagePublish, fmt.Sprintf("%s:%d:%s", inc.ID, n, what),
		jobArgs{Cmd: cmd, Incident: inc.ID, Status: inc.Status, Text: body})
}

// published reports whether the last publish of inc was of this status
// and text: a second click on the same draft publishes nothing new.
func (s *Service) published(ctx context.Context, inc *incident.Incident, entry string) (bool, error) {
	tl, err := s.Store.Timeline(ctx, inc.ID)
	if err != nil {
		return false, err
	}
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Kind == incident.KindStatuspage {
			_, text, _ := strings.Cut(tl[i].Text, " ")
			return text == entry, nil
		}
	}
	return false, nil
}

// followStatuspage keeps the company's status page in step: once inc is
// published there, a change of status, an update or the resolve updates
// the same incident there. text is the update's own words; empty, the
// template's for the status.
func (s *Service) followStatuspage(ctx context.Context, inc *incident.Incident, text string) {
	if inc.StatuspageID == "" || !s.StatusPage.Enabled() {
		return
	}
	d, err := messages.DraftStatuspage(inc, text)
	if err == nil {
		err = s.queuePublish(ctx, Command{TeamID: inc.TeamID, ChannelID: inc.ChannelID}, inc, d.Body)
	}
	if err != nil {
		s.Log.Error().Err(err).Str("incident", inc.Ref()).Msg("queue the status page update")
	}
}

// runStatuspagePublish publishes to the company's status page: it creates
// the incident there the first time and updates that one afterwards. A
// refusal (a wrong key or page) is said in the thread and ends the job; a
// failure to reach the page is tried again.
func (s *Service) runStatuspagePublish(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	if a.Cmd.UserID != "" {
		if ok, msg := s.authorize(ctx, a.Cmd.actor(0), opStatuspagePublish, inc); !ok {
			s.tell(ctx, a.Cmd, msg)
			return nil
		}
	}
	d, err := messages.DraftStatuspage(inc, a.Text)
	if err != nil {
		return err
	}
	if a.Status != "" && a.Status != inc.Status {
		// The incident moved on since this was asked for: the change that
		// moved it asked for its own publish, which says the newer status.
		s.Log.Info().Str("incident", inc.Ref()).Str("asked", string(a.Status)).Str("now", string(inc.Status)).
			Msg("status page update overtaken by a newer status; not published")
		s.tell(ctx, a.Cmd, fmt.Sprintf("%s changed to %s meanwhile, so that draft was not published. Draft it again with `/incident statuspage %s`.",
			inc.Ref(), inc.Status.Label(), inc.Ref()))
		return nil
	}
	status := string(inc.Status)
	entry := fmt.Sprintf("(%s): %s", status, d.Body)
	if inc.StatuspageID != "" {
		if same, err := s.published(ctx, inc, entry); err != nil || same {
			return err
		}
	}
	id, link, err := s.StatusPage.Publish(ctx, inc.StatuspageID, StatuspageUpdate{Name: d.Name, Status: status, Body: d.Body})
	if err != nil {
		if incident.KindOf(err) == incident.Internal {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("publish to the status page; will try again")
			return err
		}
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("publish to the status page")
		s.publishFailed(ctx, a, err)
		return nil
	}
	first := inc.StatuspageID == ""
	inc, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.StatuspageID = id
		return true, nil
	})
	if err != nil {
		return err
	}
	what := "updated"
	if first {
		what = "published"
	}
	s.record(ctx, inc, incident.KindStatuspage, a.Cmd.UserID, what+" "+entry)
	where := "the company status page"
	if link != "" {
		where = "<" + link + "|the company status page>"
	}
	by := ""
	if a.Cmd.UserID != "" {
		by = " by " + mention(a.Cmd.UserID)
	}
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(fmt.Sprintf(
		":globe_with_meridians: %s %s on %s%s (%s).", inc.Ref(), what, where, by, incident.Status(status).Label()))); err != nil {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post the publish notice")
	}
	if inc.StatuspageTS != "" {
		if err := s.showDraft(ctx, inc, link); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("update the status page draft")
		}
	}
	return nil
}

// publishFailed records a publish that did not happen and says so in the
// thread: a refusal at once, a page that could not be reached after the
// last attempt. The timeline entry also frees the next publish's key.
func (s *Service) publishFailed(ctx context.Context, a jobArgs, err error) {
	inc, lerr := s.Store.Incident(ctx, a.Incident)
	if lerr != nil {
		s.Log.Error().Err(lerr).Msg("read the incident of a failed status page publish")
		return
	}
	s.record(ctx, inc, incident.KindStatuspage, a.Cmd.UserID, "failed: "+incident.Message(err))
	if _, perr := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(fmt.Sprintf(
		":warning: %s could not be published to the company status page: %s", inc.Ref(), messages.Escape(incident.Message(err))))); perr != nil {
		s.Log.Warn().Err(perr).Str("incident", inc.Ref()).Msg("say in the thread that the status page publish failed")
	}
}
