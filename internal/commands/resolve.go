package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// resolveCommand: /incident resolve [INC-n] [summary]
func (s *Service) resolveCommand(ctx context.Context, cmd Command, rest string) messages.Message {
	n, summary := takeRef(rest)
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opResolve, inc); !ok {
		return notice(msg)
	}
	if !inc.Open() && inc.Postmortem != "" {
		return notice(alreadyResolved(inc))
	}
	summary = messages.Truncate(2000, summary)
	if err := s.later(ctx, jobResolve, jobArgs{Cmd: cmd, Incident: inc.ID, Text: summary}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Resolving %s and writing its postmortem…", inc.Ref()))
}

func alreadyResolved(inc *incident.Incident) string {
	t := inc.Ref() + " is already resolved."
	if inc.PostmortemFileID != "" && inc.PostmortemLink != "" {
		t += " Its postmortem, `" + inc.Ref() + "-postmortem.md`, is in <" + inc.PostmortemLink + "|the incident thread>."
	}
	return t
}

// resolve marks the incident resolved, exactly once even when several
// people (or replicas) resolve at the same time: the store's versioned
// update lets one win. The winner updates the message, says so in the
// thread and writes the postmortem. A later resolve of an incident whose
// postmortem is missing (the bot stopped half-way, at least recoverAfter
// ago) writes it then.
func (s *Service) resolve(ctx context.Context, cmd Command, id uuid.UUID, summary string) error {
	inc, changed, err := s.modify(ctx, id, func(inc *incident.Incident) (bool, error) {
		if !inc.Open() {
			return false, nil
		}
		inc.Status = incident.Resolved
		inc.ResolvedAt = s.Now()
		if summary != "" {
			inc.Summary = summary
		}
		s.acknowledge(inc)
		return true, nil
	})
	if err != nil {
		return err
	}
	if !changed {
		if (inc.Postmortem == "" || inc.PostmortemFileID == "") && s.Now().Sub(inc.UpdatedAt) >= recoverAfter {
			// Resolved a while ago, but the document is not shared: the
			// resolve that won stopped half-way. Younger work is left to the
			// resolve that is still at it (its document has the resolve in
			// its timeline; one asked for here might not), or to recovery.
			// The job's key makes every such request the same job.
			return s.queuePostmortem(ctx, inc)
		}
		s.tell(ctx, cmd, alreadyResolved(inc))
		return nil
	}
	s.record(ctx, inc, incident.KindResolved, cmd.UserID, inc.Summary)
	s.refresh(ctx, inc)
	closing := fmt.Sprintf(":white_check_mark: %s resolved by %s after %s. The postmortem follows in this thread.",
		inc.Ref(), mention(cmd.UserID), messages.Duration(inc.ResolvedAt.Sub(inc.DeclaredAt)))
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(closing)); err != nil {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post closing reply")
	}
	s.followStatuspage(ctx, inc, "")
	return s.queuePostmortem(ctx, inc)
}

// queuePostmortem asks for the postmortem of this resolve: one job per
// incident and resolve time, whoever asks (the resolve, a second resolve,
// recovery), so the document is written and shared once.
func (s *Service) queuePostmortem(ctx context.Context, inc *incident.Incident) error {
	key := fmt.Sprintf("%s:%d", inc.ID, inc.ResolvedAt.UnixMicro())
	return s.then(ctx, jobPostmortem, key, jobArgs{Incident: inc.ID})
}

// runPostmortem writes the postmortem of a resolved incident, and shares it.
func (s *Service) runPostmortem(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	switch {
	case inc.Open():
		return nil // reopened meanwhile: the next resolve asks again
	case inc.Postmortem == "":
		return s.writePostmortem(ctx, inc)
	case inc.PostmortemFileID == "":
		return s.sharePostmortem(ctx, inc)
	}
	return nil
}

// writePostmortem catches up with the thread, renders the document and
// stores it with the incident, then shares it in the thread. Storing the
// document is the claim: it succeeds only while no document is stored (a
// versioned update), so of several resolves racing, one shares the file.
func (s *Service) writePostmortem(ctx context.Context, inc *incident.Incident) error {
	note := s.catchUp(ctx, inc)
	timeline, err := s.Store.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	followups, err := s.Store.Followups(ctx, inc.ID)
	if err != nil {
		return err
	}
	doc, err := messages.Postmortem(messages.PostmortemData{
		Incident: inc, Timeline: timeline, Names: s.names(ctx, inc, timeline), Note: note, Followups: followups,
	})
	if err != nil {
		return err
	}
	inc, claimed, err := s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		if i.Postmortem != "" {
			return false, nil
		}
		i.Postmortem = doc
		return true, nil
	})
	if err != nil {
		return err
	}
	if !claimed && inc.PostmortemFileID != "" {
		return nil
	}
	return s.sharePostmortem(ctx, inc)
}

// sharePostmortem uploads the stored document to the incident thread and
// remembers the file.
func (s *Service) sharePostmortem(ctx context.Context, inc *incident.Incident) error {
	f := File{
		ChannelID: inc.ChannelID, ThreadTS: inc.MessageTS, Name: inc.Ref() + "-postmortem.md",
		Title:   "Postmortem " + inc.Ref() + ": " + messages.Truncate(100, inc.Title),
		Content: inc.Postmortem,
		Comment: fmt.Sprintf("The postmortem of %s: timeline, root cause, impact and action items, from the incident and this thread. "+
			"Its root cause and action items are a first draft: confirm them before you publish it beyond this channel.", inc.Ref()),
	}
	// The file is shared in the incident thread; its link is the thread's.
	link := permalink(inc)
	fileID, err := s.Slack.Upload(ctx, f)
	if incident.KindOf(err) == incident.NotFound && f.ThreadTS != "" {
		// The incident message was deleted: share in the channel instead.
		f.ThreadTS, link = "", ""
		fileID, err = s.Slack.Upload(ctx, f)
	}
	if err != nil {
		return fmt.Errorf("upload the postmortem: %w", err)
	}
	inc, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.PostmortemFileID, i.PostmortemLink = fileID, link
		return true, nil
	})
	if err != nil {
		return err
	}
	s.refresh(ctx, inc)
	s.Log.Info().Str("incident", inc.Ref()).Str("file", fileID).Msg("postmortem shared")
	return nil
}

// catchUp merges into the timeline the thread replies that events missed
// (the bot was down, an event was lost). It returns a note for the document
// when the thread could not be read.
func (s *Service) catchUp(ctx context.Context, inc *incident.Incident) string {
	if inc.MessageTS == "" {
		return ""
	}
	replies, err := s.Slack.Replies(ctx, inc.ChannelID, inc.MessageTS)
	if err != nil {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("read thread for the postmortem")
		return "Slack did not return the thread when this was written (" + incident.Message(err) +
			"); the timeline is what the bot recorded as it happened."
	}
	stored, err := s.Store.Timeline(ctx, inc.ID)
	if err != nil {
		return ""
	}
	have := map[string]string{}
	for _, e := range stored {
		if e.Kind == incident.KindMessage {
			have[e.SlackTS] = e.Text
		}
	}
	for _, r := range replies {
		if r.TS == inc.MessageTS || r.BotID != "" || r.UserID == "" {
			continue
		}
		text := clean(r.Text)
		old, ok := have[r.TS]
		switch {
		case !ok:
			if _, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage,
				Author: r.UserID, Text: text, At: slackTime(r.TS, s.Now()), SlackTS: r.TS}); err != nil {
				s.Log.Warn().Err(err).Msg("catch up reply")
			}
			cmd := Command{TeamID: inc.TeamID, ChannelID: inc.ChannelID, UserID: r.UserID, ThreadTS: inc.MessageTS}
			if err := s.replyFollowup(ctx, inc.ID, r.TS, text, cmd); err != nil {
				s.Log.Warn().Err(err).Msg("catch up a follow-up")
			}
		case old != text:
			if _, err := s.Store.EditMessage(ctx, inc.ID, r.TS, text, "", s.Now()); err != nil {
				s.Log.Warn().Err(err).Msg("catch up edit")
			}
		}
	}
	return ""
}

// names looks up, once each, the people the document mentions.
func (s *Service) names(ctx context.Context, inc *incident.Incident, tl []incident.Entry) map[string]string {
	ids := map[string]bool{inc.Commander: true, inc.CreatedBy: true, inc.Comms: true, inc.Scribe: true}
	for _, e := range tl {
		ids[e.Author] = true
		for _, m := range mentionIDs.FindAllStringSubmatch(e.Text, -1) {
			ids[m[1]] = true
		}
	}
	names := map[string]string{}
	for id := range ids {
		if id == "" {
			continue
		}
		names[id] = id
		if n, err := s.Slack.UserName(ctx, id); err == nil && strings.TrimSpace(n) != "" {
			names[id] = n
		}
	}
	return names
}
