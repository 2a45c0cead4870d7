package commands

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// Event is a message event from Slack's Events API, flattened.
type Event struct {
	EventID   string // Slack's id of the delivery; the same across retries
	TeamID    string
	Type      string // "message" or "app_mention"
	Subtype   string // "", "message_changed", "message_deleted", "bot_message", …
	ChannelID string
	UserID    string
	BotID     string // set on messages written by an app, the bot included
	Text      string
	TS        string // the message's ts; for edits, the edited message's ts
	ThreadTS  string // the thread the message is in
	EditedTS  string // for message_changed: when the edit was made
	DeletedTS string // for message_deleted
}

// Event applies one event: replies in an incident thread become its
// timeline, edits and deletions amend it, mentions run commands. It returns
// an error only when the event should be delivered again (the store failed).
func (s *Service) Event(ctx context.Context, e Event) error {
	switch {
	case e.Type == "app_mention":
		return s.mention(ctx, e)
	case e.Type != "message":
		return nil
	case e.Subtype == "message_changed":
		return s.threadEdit(ctx, e)
	case e.Subtype == "message_deleted":
		return s.threadDelete(ctx, e)
	case e.BotID != "" || e.Subtype == "bot_message":
		return nil // the bot's own posts are recorded as their typed events
	case e.Subtype != "" && e.Subtype != "thread_broadcast" && e.Subtype != "file_share":
		return nil // joins, topic changes and the like are not said in the incident
	}
	inc, err := s.threadIncident(ctx, e.ChannelID, e.ThreadTS)
	if inc == nil || err != nil {
		return err
	}
	at := slackTime(e.TS, s.Now())
	added, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage,
		Author: e.UserID, Text: clean(e.Text), At: at, SlackTS: e.TS, EventID: e.EventID})
	if err != nil {
		return err
	}
	if added && inc.AcknowledgedAt.IsZero() && e.UserID != "" {
		if _, _, err := s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
			if !i.AcknowledgedAt.IsZero() {
				return false, nil
			}
			i.AcknowledgedAt = at
			return true, nil
		}); err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("record acknowledgement")
		}
	}
	return nil
}

// threadIncident returns the incident whose thread threadTS is, or nil for
// messages outside every incident thread.
func (s *Service) threadIncident(ctx context.Context, channelID, threadTS string) (*incident.Incident, error) {
	if threadTS == "" {
		return nil, nil
	}
	inc, err := s.Store.IncidentByMessage(ctx, channelID, threadTS)
	if errors.Is(err, incident.ErrNotFound) {
		return nil, nil
	}
	return inc, err
}

func (s *Service) threadEdit(ctx context.Context, e Event) error {
	inc, err := s.threadIncident(ctx, e.ChannelID, e.ThreadTS)
	if inc == nil || err != nil {
		return err
	}
	at := slackTime(e.EditedTS, s.Now())
	_, err = s.Store.EditMessage(ctx, inc.ID, e.TS, clean(e.Text), e.EventID, at)
	return err
}

func (s *Service) threadDelete(ctx context.Context, e Event) error {
	inc, err := s.threadIncident(ctx, e.ChannelID, e.ThreadTS)
	if inc == nil || err != nil {
		return err
	}
	_, err = s.Store.DeleteMessage(ctx, inc.ID, e.DeletedTS, e.EventID, s.Now())
	return err
}

var mentionIDs = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

var leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(\|[^>]*)?>[\s:,]*`)

// mention runs "@bot resolve" and friends as if typed after /incident; the
// answer is shown only to the one who asked, in the thread.
func (s *Service) mention(ctx context.Context, e Event) error {
	if e.BotID != "" || e.UserID == "" {
		return nil
	}
	if e.EventID != "" {
		first, err := s.Store.SeenEvent(ctx, e.EventID, s.Now())
		if err != nil {
			return err
		}
		if !first {
			return nil
		}
	}
	cmd := Command{TeamID: e.TeamID, ChannelID: e.ChannelID, UserID: e.UserID,
		Text: leadingMention.ReplaceAllString(e.Text, ""), ThreadTS: e.ThreadTS}
	s.goBackground("mention", func(ctx context.Context) {
		reply := s.Command(ctx, cmd)
		if err := s.Slack.Ephemeral(ctx, cmd.ChannelID, cmd.UserID, cmd.ThreadTS, "", reply); err != nil {
			s.Log.Warn().Err(err).Msg("answer mention")
		}
	})
	return nil
}

// slackTime turns a Slack ts ("1700000000.000100") into the time it names.
func slackTime(ts string, fallback time.Time) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return fallback
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000).UTC()
}
