package commands

// Incident channels (INCIDENT_CHANNELS=channel): an incident gets a channel
// of its own, inc-<n>-<slug>, where its message and thread (its timeline)
// live; the reporter and the commander are invited; one line in the channel
// it was declared in points to it and follows its severity and status; ARCHIVE_AFTER
// after the resolve the channel is archived. Each step is a job, keyed by
// the incident, so that retries, recovery and replicas do it once. When the
// channel cannot be made the incident stays a thread where it was declared,
// with a note saying why: the incident is never lost to it.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Slack's rules for channel names (conversations.create): lowercase
// letters, digits, hyphens and underscores, at most 80 characters.
const maxChannelName = 80

// nameAttempts is how many names are tried when Slack says one is taken:
// inc-7-checkout, inc-7-checkout-2, … inc-7-checkout-5.
const nameAttempts = 5

// channelName is inc-<n>-<slug>, the slug made of the title's letters and
// digits (lowercased; runs of anything else become one hyphen), cut so
// that the name and suffix (e.g. "-2") fit Slack's 80 characters.
func channelName(n int, title, suffix string) string {
	base := "inc-" + strconv.Itoa(n)
	var slug strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if dash && slug.Len() > 0 {
				slug.WriteByte('-')
			}
			slug.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	room := maxChannelName - len(base) - len(suffix) - 1
	sl := slug.String()
	if len(sl) > room {
		sl = strings.TrimRight(sl[:max(room, 0)], "-")
	}
	if sl != "" {
		base += "-" + sl
	}
	return base + suffix
}

// ownChannel gives inc a channel of its own and moves it there: ChannelID
// becomes the new channel, DeclaredIn where it was declared. When Slack
// will not make one, inc stays where it is and the returned note says why,
// for the thread. The invitations and the pointer line are queued here,
// before the message is posted, so a retry that finds the message posted
// does not lose them.
func (s *Service) ownChannel(ctx context.Context, inc *incident.Incident) (*incident.Incident, string, error) {
	if inc.DeclaredIn == "" {
		id, err := s.createChannel(ctx, inc)
		if err != nil {
			if incident.KindOf(err) == incident.Internal && ctx.Err() != nil {
				return inc, "", err
			}
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("incident channel: fall back to a thread")
			return inc, fmt.Sprintf(":information_source: %s has no channel of its own: %s. Its timeline is this thread.",
				inc.Ref(), incident.Message(err)), nil
		}
		moved, _, err := s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
			if i.DeclaredIn != "" {
				return false, nil
			}
			i.DeclaredIn, i.ChannelID = i.ChannelID, id
			return true, nil
		})
		if err != nil {
			return inc, "", fmt.Errorf("remember the channel of %s: %w", inc.Ref(), err)
		}
		inc = moved
		s.Log.Info().Str("incident", inc.Ref()).Str("channel", id).Msg("incident channel created")
	}
	// The invitation is keyed by the commander, as a handover's is (changed).
	if err := s.then(ctx, jobInvite, inc.ID.String()+":"+inc.Commander, jobArgs{Incident: inc.ID}); err != nil {
		return inc, "", err
	}
	if err := s.then(ctx, jobPointer, inc.ID.String(), jobArgs{Incident: inc.ID}); err != nil {
		return inc, "", err
	}
	return inc, "", nil
}

// createChannel asks Slack for inc-<n>-<slug>, then with a suffix while the
// name is taken, nameAttempts names in all.
func (s *Service) createChannel(ctx context.Context, inc *incident.Incident) (string, error) {
	var err error
	for i := 1; i <= nameAttempts; i++ {
		suffix := ""
		if i > 1 {
			suffix = "-" + strconv.Itoa(i)
		}
		var id string
		id, err = s.Slack.CreateChannel(ctx, channelName(inc.Number, inc.Title, suffix), !inc.Public)
		if err == nil {
			return id, nil
		}
		if incident.KindOf(err) != incident.Conflict {
			return "", err
		}
	}
	return "", &incident.Error{Kind: incident.Conflict, Err: err, Message: fmt.Sprintf(
		"the channel names %s to %s are all taken", channelName(inc.Number, inc.Title, ""),
		channelName(inc.Number, inc.Title, "-"+strconv.Itoa(nameAttempts)))}
}

// runInvite invites the reporter and the commander to the incident channel.
func (s *Service) runInvite(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil || inc.DeclaredIn == "" {
		return err
	}
	var users []string
	for _, u := range []string{inc.CreatedBy, inc.Commander} {
		if u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil
	}
	if err := s.Slack.Invite(ctx, inc.ChannelID, users...); err != nil {
		if incident.KindOf(err) == incident.Internal {
			return err
		}
		// Nobody to tell but the channel: say it there.
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("invite to the incident channel")
		_, perr := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(fmt.Sprintf(
			":warning: Could not invite %s here: %s. Join with the channel's name, or `/invite` them.",
			mentions(users), incident.Message(err))))
		return perr
	}
	return nil
}

func mentions(users []string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = mention(u)
	}
	return strings.Join(out, " and ")
}

// pointerMessage is the one line where the incident was declared.
func pointerMessage(inc *incident.Incident) messages.Message {
	title := messages.Escape(messages.Truncate(150, inc.Title))
	icon := ":rotating_light:"
	if !inc.Open() {
		icon = ":white_check_mark:"
	}
	return notice(fmt.Sprintf("%s *%s* [%s] %s: %s, in <#%s>", icon, inc.Ref(), inc.Severity, inc.Status.Label(),
		title, inc.ChannelID))
}

// runPointer posts the pointer line where the incident was declared, or
// updates it to the incident as it is now.
func (s *Service) runPointer(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil || inc.DeclaredIn == "" {
		return err
	}
	if inc.PointerTS != "" {
		return s.Slack.Update(ctx, inc.DeclaredIn, inc.PointerTS, pointerMessage(inc))
	}
	ts, err := s.Slack.Post(ctx, inc.DeclaredIn, "", pointerMessage(inc))
	if err != nil {
		return err
	}
	_, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.PointerTS = ts
		return true, nil
	})
	return err
}

// changed follows a change of inc (its message was just re-rendered): the
// pointer line mirrors it, and the App Homes of those who look are
// published again.
func (s *Service) changed(ctx context.Context, inc *incident.Incident) {
	if inc.PointerTS != "" {
		if err := s.Slack.Update(ctx, inc.DeclaredIn, inc.PointerTS, pointerMessage(inc)); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("update the pointer to the incident channel")
		}
	}
	if inc.DeclaredIn != "" && inc.Commander != "" && inc.Open() {
		// A new commander is invited too: once per commander.
		if err := s.then(ctx, jobInvite, inc.ID.String()+":"+inc.Commander, jobArgs{Incident: inc.ID}); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("queue the invitation of the commander")
		}
	}
	s.homeChanged(ctx, inc.TeamID)
}

// archiveTick is how often resolved incidents' channels are looked at: a
// quarter of ARCHIVE_AFTER, between 100 ms and a minute.
func (s *Service) archiveTick() time.Duration {
	return min(max(s.Config.ArchiveAfter/4, 100*time.Millisecond), time.Minute)
}

// archiveModule is the engine module that archives incident channels
// ARCHIVE_AFTER after the resolve; none without channels or with 0.
func (s *Service) archiveModules() []engine.Module {
	if !s.Config.Channels || s.Config.ArchiveAfter <= 0 {
		return nil
	}
	return []engine.Module{{Name: "archive channels", Interval: s.archiveTick(), Tick: s.archiveDue}}
}

// archiveDue queues the archiving of each incident channel whose time has
// come. The job is keyed by the incident and its resolve, so every
// replica asks for the same one and it is added once; a reopen and a
// second resolve ask for a new one.
func (s *Service) archiveDue(ctx context.Context) {
	due, err := s.Store.Incidents(ctx, incident.Filter{ArchiveBy: s.Now().Add(-s.Config.ArchiveAfter), Limit: 100})
	if err != nil {
		s.Log.Error().Err(err).Msg("archive channels: list the due ones")
		return
	}
	for _, inc := range due {
		key := fmt.Sprintf("%s:%d", inc.ID, inc.ResolvedAt.UnixMicro())
		if err := s.then(ctx, jobArchive, key, jobArgs{Incident: inc.ID}); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("archive channels: queue")
		}
	}
}

// runArchive archives a resolved incident's channel and notes it, unless
// it was reopened meanwhile.
func (s *Service) runArchive(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	if inc.Open() || inc.DeclaredIn == "" || inc.ChannelArchived ||
		s.Now().Before(inc.ResolvedAt.Add(s.Config.ArchiveAfter)) {
		return nil
	}
	if err := s.Slack.Archive(ctx, inc.ChannelID); err != nil {
		if incident.KindOf(err) == incident.Internal {
			return err
		}
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("archive the incident channel: not possible; not tried again")
	}
	_, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		if i.ChannelArchived {
			return false, nil
		}
		i.ChannelArchived = true
		return true, nil
	})
	if err == nil {
		s.Log.Info().Str("incident", inc.Ref()).Str("channel", inc.ChannelID).Msg("incident channel archived")
	}
	return err
}

// channelNote says in the incident's thread why it has no channel of its own.
func (s *Service) channelNote(ctx context.Context, inc *incident.Incident, note string) {
	cur, err := s.Store.Incident(ctx, inc.ID)
	if err != nil || cur.MessageTS == "" {
		return
	}
	if _, err := s.Slack.Post(ctx, cur.ChannelID, cur.MessageTS, notice(note)); err != nil {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post the note about the incident channel")
	}
}
