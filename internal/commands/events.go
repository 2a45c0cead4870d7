package commands

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
)

// Event is a message event from Slack's Events API, flattened.
type Event struct {
	EventID   string // Slack's id of the delivery; the same across retries
	TeamID    string
	Type      string // "message" or "app_mention"
	Subtype   string // "", "message_changed", "message_deleted", "bot_message", …
	ChannelID string
	// ChannelType is the Events API's channel_type ("channel", "group",
	// "im", "mpim"); app_mention events do not carry it.
	ChannelType string
	UserID      string
	BotID       string // set on messages written by an app, the bot included
	Text        string
	TS          string // the message's ts; for edits, the edited message's ts
	ThreadTS    string // the thread the message is in
	EditedTS    string // for message_changed: when the edit was made
	DeletedTS   string // for message_deleted
	// Reaction is the reaction's name, without colons, of reaction_added
	// and reaction_removed; ChannelID and TS are then the message's.
	Reaction string
	// Tab is app_home_opened's tab: "home" or "messages".
	Tab string
}

// Event applies one event: replies in an incident thread become its
// timeline, edits and deletions amend it, mentions run commands. It returns
// an error only when the event should be delivered again (the store failed).
func (s *Service) Event(ctx context.Context, e Event) error {
	if e.Type == "message" {
		if field, ok := checkTS(e); !ok {
			s.Log.Warn().Str("event_id", e.EventID).Str("subtype", e.Subtype).Str("field", field).
				Str("channel", e.ChannelID).Msg("event with an invalid ts refused")
			return nil // Slack would only send it again
		}
	}
	switch {
	case e.Type == "app_mention":
		return s.mention(ctx, e)
	case e.Type == "reaction_added", e.Type == "reaction_removed":
		return s.reaction(ctx, e)
	case e.Type == "app_home_opened":
		return s.homeOpened(ctx, e)
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
	inc, ok, err := s.eventIncident(ctx, e)
	if !ok || err != nil {
		return err
	}
	at := slackTime(e.TS, s.Now())
	added, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.id, Kind: incident.KindMessage,
		Author: e.UserID, Text: clean(e.Text), At: at, SlackTS: e.TS, EventID: e.EventID})
	if err != nil {
		return err
	}
	if err := s.threadFollowup(ctx, inc, e); err != nil {
		return err // Slack delivers the reply again; it is stored once
	}
	if added && !inc.acknowledged && e.UserID != "" {
		if _, _, err := s.modify(ctx, inc.id, func(i *incident.Incident) (bool, error) {
			if !i.AcknowledgedAt.IsZero() {
				return false, nil
			}
			i.AcknowledgedAt = at
			return true, nil
		}); err != nil {
			s.Log.Warn().Err(err).Str("incident", incident.Ref(inc.number)).Msg("record acknowledgement")
		} else {
			s.threads().acknowledged(e.ChannelID, e.ThreadTS)
		}
	}
	return nil
}

// eventIncident returns the incident whose thread e is in, when there is
// one and authorize lets e add to its timeline.
func (s *Service) eventIncident(ctx context.Context, e Event) (threadRef, bool, error) {
	ref, ok, err := s.threadIncident(ctx, e.ChannelID, e.ThreadTS)
	if !ok || err != nil {
		return ref, false, err
	}
	who := actor{team: e.TeamID, user: e.UserID, channel: e.ChannelID}
	if ok, _ := s.authorize(ctx, who, opTimeline, ref.identity(e.ChannelID)); !ok {
		return ref, false, nil
	}
	return ref, true, nil
}

// canonicalTS is a Slack ts: seconds since the epoch, a dot, microseconds.
var canonicalTS = regexp.MustCompile(`^[1-9][0-9]{0,11}\.[0-9]{6}$`)

// checkTS checks the ts values a message event is stored by: its thread's
// (absent outside threads), and the message's own (for an edit, the edited
// message's, and the edit's time when given; for a deletion, the deleted
// message's). It names the field it judged.
func checkTS(e Event) (field string, ok bool) {
	if e.ThreadTS != "" && !canonicalTS.MatchString(e.ThreadTS) {
		return "thread_ts", false
	}
	switch e.Subtype {
	case "message_deleted":
		return "deleted_ts", canonicalTS.MatchString(e.DeletedTS)
	case "message_changed":
		if e.EditedTS != "" && !canonicalTS.MatchString(e.EditedTS) {
			return "edited.ts", false
		}
	}
	return "ts", canonicalTS.MatchString(e.TS)
}

// threadRef is what the event handlers need of a thread's incident.
type threadRef struct {
	id     uuid.UUID
	number int    // for logs
	team   string // its workspace, which events must come from
	// acknowledged: AcknowledgedAt was set when this was read. Nothing
	// clears it once set, so true stays true; false may be stale, and the
	// acknowledgement's own read-modify-write checks again.
	acknowledged bool
}

// identity is the incident as far as threadRef knows it, for authorize:
// what never changes once its message is posted (its id, number,
// workspace, and channelID, where its thread was found).
func (r threadRef) identity(channelID string) *incident.Incident {
	return &incident.Incident{ID: r.id, Number: r.number, TeamID: r.team, ChannelID: channelID}
}

// threadIncident returns the incident whose thread threadTS is, and false
// for messages outside every incident thread.
//
// Threads found are remembered (threadCache): an incident's channel and
// message ts never change once its message is posted, so the answer stays
// right, and each reply saves a read of the whole incident. Threads not
// found are always asked again: a reply can arrive in the milliseconds
// between the incident's message being posted and its ts being stored, and
// the replies after it must still find the incident.
func (s *Service) threadIncident(ctx context.Context, channelID, threadTS string) (threadRef, bool, error) {
	if threadTS == "" {
		return threadRef{}, false, nil
	}
	cache := s.threads()
	if ref, ok := cache.get(channelID, threadTS); ok {
		return ref, true, nil
	}
	inc, err := s.Store.IncidentByMessage(ctx, channelID, threadTS)
	if errors.Is(err, incident.ErrNotFound) {
		return threadRef{}, false, nil
	}
	if err != nil {
		return threadRef{}, false, err
	}
	ref := threadRef{id: inc.ID, number: inc.Number, team: inc.TeamID, acknowledged: !inc.AcknowledgedAt.IsZero()}
	cache.put(channelID, threadTS, ref)
	return ref, true, nil
}

func (s *Service) threadEdit(ctx context.Context, e Event) error {
	inc, ok, err := s.eventIncident(ctx, e)
	if !ok || err != nil {
		return err
	}
	at := slackTime(e.EditedTS, s.Now())
	text := clean(e.Text)
	applied, err := s.Store.EditMessage(ctx, inc.id, e.TS, text, e.EventID, at)
	if err != nil || applied || e.BotID != "" || e.UserID == "" || e.TS == e.ThreadTS {
		return err // the bot's own messages, and the thread's parent, are no replies
	}
	// Not applied: a retry of an edit already recorded, or an edit that
	// came before its message (Slack does not promise the order). The
	// edited text is stored as the message, which the original, when it
	// comes, finds there (AddEntry keeps one message per ts); then the
	// edit goes into the history as any edit does.
	added, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.id, Kind: incident.KindMessage,
		Author: e.UserID, Text: text, At: slackTime(e.TS, s.Now()), SlackTS: e.TS, Edited: true})
	if err != nil || !added {
		return err
	}
	_, err = s.Store.EditMessage(ctx, inc.id, e.TS, text, e.EventID, at)
	return err
}

func (s *Service) threadDelete(ctx context.Context, e Event) error {
	inc, ok, err := s.eventIncident(ctx, e)
	if !ok || err != nil {
		return err
	}
	applied, err := s.Store.DeleteMessage(ctx, inc.id, e.DeletedTS, e.EventID, s.Now())
	if err != nil || applied || e.DeletedTS == e.ThreadTS {
		return err
	}
	// A deletion that came before its message: the message is kept as
	// deleted, without its text, so that the original, when it comes, is
	// not shown (what someone deleted stays out of the postmortem).
	added, err := s.Store.AddEntry(ctx, &incident.Entry{IncidentID: inc.id, Kind: incident.KindMessage,
		Author: e.UserID, At: slackTime(e.DeletedTS, s.Now()), SlackTS: e.DeletedTS, Deleted: true})
	if err != nil || !added {
		return err
	}
	_, err = s.Store.DeleteMessage(ctx, inc.id, e.DeletedTS, e.EventID, s.Now())
	return err
}

// threadCacheSize bounds the threads remembered: far more than the
// incidents anyone has open at once, and about 150 bytes each.
const threadCacheSize = 4096

// threadCache maps incident threads (channel, message ts) to their
// incident. Only threads that were found are in it.
type threadCache struct {
	mu sync.Mutex
	m  map[threadKey]threadRef
}

type threadKey struct{ channel, ts string }

func (c *threadCache) get(channel, ts string) (threadRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ref, ok := c.m[threadKey{channel, ts}]
	return ref, ok
}

// put remembers a thread; when full, it forgets an arbitrary one (Go
// starts each map iteration at a random place), which a later reply in
// that thread reads again.
func (c *threadCache) put(channel, ts string, ref threadRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[threadKey]threadRef)
	}
	k := threadKey{channel, ts}
	if _, ok := c.m[k]; !ok && len(c.m) >= threadCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = ref
}

// acknowledged notes that the thread's incident is now acknowledged.
func (c *threadCache) acknowledged(channel, ts string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := threadKey{channel, ts}
	if ref, ok := c.m[k]; ok {
		ref.acknowledged = true
		c.m[k] = ref
	}
}

// threads returns s's thread cache.
func (s *Service) threads() *threadCache { return &s.threadCache }

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
	cmd := Command{TeamID: e.TeamID, ChannelID: e.ChannelID, ChannelType: e.ChannelType, UserID: e.UserID,
		Text: leadingMention.ReplaceAllString(e.Text, ""), ThreadTS: e.ThreadTS, DeliveryID: e.EventID}
	err := s.later(ctx, jobMention, jobArgs{Cmd: cmd})
	if errors.Is(err, engine.ErrBusy) {
		s.tell(ctx, cmd, s.refuse(err).Text)
		return nil
	}
	return err // a store failure: Slack delivers the event again
}

// runMention runs the words said to the bot and answers in the thread,
// only to the one who said them.
func (s *Service) runMention(ctx context.Context, a jobArgs) error {
	reply := s.Command(ctx, a.Cmd)
	if err := s.Slack.Ephemeral(ctx, a.Cmd.ChannelID, a.Cmd.UserID, a.Cmd.ThreadTS, "", reply); err != nil {
		s.Log.Warn().Err(err).Msg("answer mention")
	}
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
