package commands

// Capture: the message shortcut "Add to incident timeline" and the
// timeline reaction (TIMELINE_REACTION, default pushpin) add a message from
// anywhere to an incident's timeline, with its own author, time and files'
// names; taking the reaction away takes the message off again. The
// incident is the one whose thread or channel the message is in, else the
// channel's one open incident; else the shortcut asks in a form, and the
// reaction says how to choose.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Capture is a message someone asked to add to a timeline: where it is,
// what the shortcut's payload said of it, and who asked.
type Capture struct {
	TeamID, UserID string // who asked
	ChannelID      string // where the message is
	TS, ThreadTS   string // the message, and its thread when it is a reply
	// Author, Text and Files come with the shortcut; a reaction carries
	// only the message's place, and the message is read from Slack.
	Author, Text string
	Files        []string
	Incident     string // chosen in the form
	Reaction     bool   // by the timeline reaction, not the shortcut
	TriggerID    string
	ResponseURL  string
	DeliveryID   string
}

func (c Capture) command() Command {
	return Command{TeamID: c.TeamID, ChannelID: c.ChannelID, UserID: c.UserID, ThreadTS: c.ThreadTS,
		ResponseURL: c.ResponseURL, TriggerID: c.TriggerID, DeliveryID: c.DeliveryID}
}

// CaptureMessage handles the message shortcut "Add to incident timeline". It
// returns once the work is a job.
func (s *Service) CaptureMessage(ctx context.Context, c Capture) {
	if c.TS == "" || c.ChannelID == "" {
		s.Log.Warn().Msg("message shortcut without a message")
		return
	}
	c.Reaction = false
	if err := s.later(ctx, jobCapture, jobArgs{Cmd: c.command(), Capture: &c}); err != nil {
		s.tell(ctx, c.command(), s.refuse(err).Text)
	}
}

// reaction handles reaction_added and reaction_removed of the timeline
// reaction on a message.
func (s *Service) reaction(ctx context.Context, e Event) error {
	if e.Reaction != s.Config.TimelineReaction || e.UserID == "" || e.ChannelID == "" || !canonicalTS.MatchString(e.TS) {
		return nil
	}
	c := Capture{TeamID: e.TeamID, UserID: e.UserID, ChannelID: e.ChannelID, TS: e.TS, Reaction: true,
		DeliveryID: e.EventID}
	kind := jobCapture
	if e.Type == "reaction_removed" {
		kind = jobUncapture
	}
	err := s.later(ctx, kind, jobArgs{Cmd: c.command(), Capture: &c})
	if errors.Is(err, engine.ErrBusy) {
		s.tell(ctx, c.command(), s.refuse(err).Text)
		return nil
	}
	return err
}

// submitCapture applies the form that chose the incident.
func (s *Service) submitCapture(ctx context.Context, sub Submission) {
	var c Capture
	if err := json.Unmarshal([]byte(sub.PrivateMetadata), &c); err != nil || c.TS == "" {
		s.Log.Warn().Msg("capture form without its message")
		return
	}
	// Who submits is who asks; the message is where the form was opened.
	c.TeamID, c.UserID, c.Incident, c.DeliveryID = sub.TeamID, sub.UserID, sub.Values["incident"], sub.DeliveryID
	c.TriggerID, c.ResponseURL = "", ""
	if err := s.later(ctx, jobCapture, jobArgs{Cmd: c.command(), Capture: &c}); err != nil {
		s.Log.Warn().Err(err).Msg("capture form: not accepted")
	}
}

// captureTarget finds the incident a message belongs to: the one chosen,
// the one whose thread it is in (or whose message it is), else the
// channel's one open incident. others lists the open incidents of the
// channel when there are several.
func (s *Service) captureTarget(ctx context.Context, c Capture) (inc *incident.Incident, others []*incident.Incident, err error) {
	if c.Incident != "" {
		id, err := uuid.Parse(c.Incident)
		if err != nil {
			return nil, nil, incident.Errorf(incident.Invalid, "Choose an incident in the form.")
		}
		inc, err := s.Store.Incident(ctx, id)
		if incident.KindOf(err) == incident.NotFound {
			return nil, nil, incident.Errorf(incident.NotFound, "That incident does not exist here.")
		}
		return inc, nil, err
	}
	for _, ts := range []string{c.ThreadTS, c.TS} {
		if ts == "" {
			continue
		}
		inc, err := s.Store.IncidentByMessage(ctx, c.ChannelID, ts)
		if err == nil {
			return inc, nil, nil
		}
		if incident.KindOf(err) != incident.NotFound {
			return nil, nil, err
		}
	}
	open, err := s.Store.Incidents(ctx, incident.Filter{TeamID: c.TeamID, ChannelID: c.ChannelID, OpenOnly: true})
	if err != nil {
		return nil, nil, err
	}
	// An incident channel names its incident, open or not.
	for _, o := range open {
		if o.ChannelID == c.ChannelID && o.DeclaredIn != "" {
			return o, nil, nil
		}
	}
	if len(open) == 1 {
		return open[0], nil, nil
	}
	return nil, open, nil
}

// runCapture adds the message to the incident's timeline, once.
func (s *Service) runCapture(ctx context.Context, a jobArgs) error {
	c := a.Capture
	if c == nil {
		return incident.Errorf(incident.Invalid, "Nothing to add to the timeline.")
	}
	if c.Author == "" && c.Text == "" {
		// A reaction carries only the message's place: read the message,
		// which says its thread too.
		m, err := s.Slack.Message(ctx, c.ChannelID, c.TS)
		if err != nil {
			if incident.KindOf(err) == incident.Internal {
				return err
			}
			s.tell(ctx, a.Cmd, fmt.Sprintf(":warning: Could not read that message: %s", incident.Message(err)))
			return nil
		}
		c.Author, c.Text, c.Files, c.ThreadTS = m.UserID, m.Text, m.Files, m.ThreadTS
		if c.Author == "" {
			c.Author = m.BotID
		}
	}
	inc, open, err := s.captureTarget(ctx, *c)
	if err != nil {
		return err
	}
	if inc == nil {
		return s.chooseIncident(ctx, *c, open)
	}
	who := actor{team: c.TeamID, user: c.UserID, channel: c.ChannelID}
	if ok, msg := s.authorize(ctx, who, opCapture, inc); !ok {
		s.tell(ctx, a.Cmd, msg)
		return nil
	}
	text := clean(c.Text)
	if len(c.Files) > 0 {
		names := make([]string, len(c.Files))
		for i, f := range c.Files {
			names[i] = clean(f)
		}
		text = strings.TrimSpace(text + "\n[files: " + strings.Join(names, ", ") + "]")
	}
	if c.ChannelID != inc.ChannelID {
		text += fmt.Sprintf(" (in <#%s>)", c.ChannelID)
	}
	added, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindCaptured,
		Author: c.Author, Text: messages.Truncate(4000, text), At: slackTime(c.TS, s.Now()), SlackTS: c.TS,
		EventID: c.DeliveryID})
	if err != nil {
		return err
	}
	if !c.Reaction || added {
		what := "Added the message to the timeline of " + inc.Ref() + "."
		if !added {
			what = "That message is in the timeline of " + inc.Ref() + " already."
		}
		s.tell(ctx, a.Cmd, ":pushpin: "+what)
	}
	return nil
}

// chooseIncident: the message's place names no single incident. The
// shortcut opens a form to choose among the open incidents visible there;
// the reaction says how to choose.
func (s *Service) chooseIncident(ctx context.Context, c Capture, here []*incident.Incident) error {
	if c.Reaction {
		text := fmt.Sprintf(":information_source: No open incident here to add this message to. "+
			"Use the message's shortcut *Add to incident timeline* (the ⋮ menu) to choose one, or react with :%s: in an incident's channel or thread.",
			s.Config.TimelineReaction)
		if len(here) > 1 {
			refs := make([]string, len(here))
			for i, inc := range here {
				refs[i] = inc.Ref()
			}
			slices.Sort(refs)
			text = fmt.Sprintf(":information_source: This channel has %d open incidents (%s), so :%s: cannot tell which one. "+
				"Use the message's shortcut *Add to incident timeline* (the ⋮ menu) to choose.",
				len(here), strings.Join(refs, ", "), s.Config.TimelineReaction)
		}
		s.tell(ctx, c.command(), text)
		return nil
	}
	open, err := s.Store.Incidents(ctx, incident.Filter{TeamID: c.TeamID, OpenOnly: true, VisibleIn: c.ChannelID, Limit: 100})
	if err != nil {
		return err
	}
	if len(open) == 0 {
		s.tell(ctx, c.command(), ":information_source: There is no open incident to add this message to.")
		return nil
	}
	if c.TriggerID == "" {
		return incident.Errorf(incident.Invalid, "Choose the incident: use the shortcut again.")
	}
	choices := make([]messages.CaptureChoice, len(open))
	for i, inc := range open {
		choices[i] = messages.CaptureChoice{ID: inc.ID.String(), Label: inc.Ref() + ": " + inc.Title}
	}
	// The form carries the message (not the text: the metadata is small).
	md, err := captureMetadata(c)
	if err != nil {
		return err
	}
	view, err := messages.CaptureModal(choices, md)
	if err != nil {
		return err
	}
	return s.Slack.OpenModal(ctx, c.TriggerID, view)
}

// runUncapture takes a message off the timeline it was added to, when the
// reaction is taken away.
func (s *Service) runUncapture(ctx context.Context, a jobArgs) error {
	c := a.Capture
	if c == nil {
		return nil
	}
	if c.ThreadTS == "" {
		// The thread the message is in; a message gone from Slack is
		// looked for in the channel's incidents.
		m, err := s.Slack.Message(ctx, c.ChannelID, c.TS)
		if err != nil && incident.KindOf(err) == incident.Internal {
			return err
		}
		c.ThreadTS = m.ThreadTS
	}
	inc, open, err := s.captureTarget(ctx, *c)
	if err != nil {
		return err
	}
	if inc != nil {
		open = []*incident.Incident{inc}
	}
	who := actor{team: c.TeamID, user: c.UserID, channel: c.ChannelID}
	for _, inc := range open {
		if ok, msg := s.authorize(ctx, who, opCapture, inc); !ok {
			s.tell(ctx, a.Cmd, msg)
			continue
		}
		if _, err := s.Store.Uncapture(ctx, inc.ID, c.TS); err != nil {
			return err
		}
	}
	return nil
}

// maxMetadata is Slack's limit of a view's private_metadata.
const maxMetadata = 3000

// captureMetadata is the form's private_metadata: the message's place,
// and what the shortcut said of it while that fits; else the job reads
// the message from Slack.
func captureMetadata(c Capture) (string, error) {
	keep := Capture{ChannelID: c.ChannelID, TS: c.TS, ThreadTS: c.ThreadTS, Author: c.Author,
		Text: messages.Truncate(1000, c.Text)}
	for i, f := range c.Files {
		if i == 10 {
			break
		}
		keep.Files = append(keep.Files, messages.Truncate(60, f))
	}
	md, err := json.Marshal(keep)
	if err == nil && utf8.RuneCount(md) > maxMetadata {
		keep.Author, keep.Text, keep.Files = "", "", nil
		md, err = json.Marshal(keep)
	}
	return string(md), err
}
