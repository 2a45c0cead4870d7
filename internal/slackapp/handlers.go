package slackapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
)

// Service is the command layer as the edge sees it.
type Service interface {
	Command(ctx context.Context, cmd commands.Command) messages.Message
	Action(ctx context.Context, a commands.Action)
	// Submit applies a submitted modal; it answers the form's errors by
	// block id (the form stays open and shows them), nil to close it.
	Submit(ctx context.Context, sub commands.Submission) map[string]string
	Event(ctx context.Context, e commands.Event) error
	// Shortcut opens what a global shortcut names (the declare form).
	Shortcut(ctx context.Context, sc commands.Shortcut)
	// CaptureMessage handles the message shortcut "Add to incident timeline".
	CaptureMessage(ctx context.Context, c commands.Capture)
}

// ackBudget bounds the work done before answering Slack: its limit is 3 s.
const ackBudget = 2500 * time.Millisecond

// MaxActions is how many actions of one block_actions payload are handed
// on. Slack sends one per click; the rest of a longer list is dropped and
// logged.
const MaxActions = 5

// duplicateText answers a slash command delivered again.
const duplicateText = "Already received: this command runs once."

// HandlerOption configures the HTTP handlers.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	dedupe *Dedupe
	log    zerolog.Logger
}

// WithDedupe makes a handler run each delivery once (Dedupe says how they
// are told apart); a copy is acknowledged, not handed on. Give the same
// Dedupe to Commands and Interactions.
func WithDedupe(d *Dedupe) HandlerOption {
	return func(c *handlerConfig) { c.dedupe = d }
}

// WithLog sets where a handler logs what it drops: copies, actions past
// MaxActions. Without it, nothing is logged.
func WithLog(l zerolog.Logger) HandlerOption {
	return func(c *handlerConfig) { c.log = l }
}

func handlerOptions(opts []HandlerOption) handlerConfig {
	c := handlerConfig{log: zerolog.Nop()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Commands answers POST /slack/commands: the ephemeral reply is the
// response body; slow work continues after it. With WithDedupe, a command
// delivered again (its trigger_id, else its signature, seen within
// DedupeWindow) is answered that it runs once, and not handed on.
func Commands(svc Service, opts ...HandlerOption) http.Handler {
	cfg := handlerOptions(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := url.ParseQuery(string(Body(r)))
		if err == nil && form.Get("ssl_check") == "1" {
			// Slack checking the URL's certificate: no command to run,
			// and Slack's documentation asks for a 200.
			w.WriteHeader(http.StatusOK)
			return
		}
		if err != nil || form.Get("team_id") == "" || form.Get("channel_id") == "" || form.Get("user_id") == "" {
			http.Error(w, "malformed slash command: team_id, channel_id and user_id are required", http.StatusBadRequest)
			return
		}
		seen, finish := cfg.dedupe.Begin(deliveryKey(r, form.Get("trigger_id")))
		if seen != FirstDelivery {
			cfg.log.Info().Str("trigger_id", form.Get("trigger_id")).Bool("in_flight", seen == InFlight).
				Msg("slash command delivered again; it runs once")
			writeJSON(w, ephemeral(messages.Message{Text: duplicateText}))
			return
		}
		defer finish(true)
		ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
		defer cancel()
		reply := svc.Command(ctx, CommandFromForm(form))
		writeJSON(w, ephemeral(reply))
	})
}

// CommandFromForm reads a slash command's fields.
func CommandFromForm(form url.Values) commands.Command {
	return commands.Command{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		ChannelType: channelType(form.Get("channel_id"), form.Get("channel_name")),
		Text:        form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
	}
}

// channelType names the kind of channel a slash command came from as the
// Events API's channel_type does ("channel" public, "group" private, "im",
// "mpim"), from what the command carries: Slack sends channel_name
// "privategroup" for a private channel, "directmessage" for a direct
// message and "mpdm-…" for a group one, and ids of direct messages start
// with D (and of the oldest private channels with G). Without a name it
// cannot tell: empty, which the bot treats as private.
func channelType(id, name string) string {
	switch {
	case strings.HasPrefix(id, "D") || name == "directmessage":
		return "im"
	case strings.HasPrefix(name, "mpdm-"):
		return "mpim"
	case strings.HasPrefix(id, "G") || name == "privategroup":
		return "group"
	case name == "":
		return ""
	}
	return "channel"
}

type reply struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks,omitempty"`
}

func ephemeral(m messages.Message) reply {
	return reply{ResponseType: "ephemeral", Text: m.Text, Blocks: m.Blocks}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Interactions answers POST /slack/interactions: button clicks are
// acknowledged with an empty 200 and applied afterwards. With WithDedupe,
// an interaction delivered again (its trigger_id, else its signature) is
// acknowledged the same way and not applied again.
func Interactions(svc Service, opts ...HandlerOption) http.Handler {
	cfg := handlerOptions(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := url.ParseQuery(string(Body(r)))
		if err != nil || form.Get("payload") == "" {
			http.Error(w, "malformed interaction: no payload", http.StatusBadRequest)
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "malformed interaction payload", http.StatusBadRequest)
			return
		}
		seen, finish := cfg.dedupe.Begin(deliveryKey(r, cb.TriggerID))
		if seen != FirstDelivery {
			cfg.log.Info().Str("trigger_id", cb.TriggerID).Str("type", string(cb.Type)).Bool("in_flight", seen == InFlight).
				Msg("interaction delivered again; it runs once")
			w.WriteHeader(http.StatusOK)
			return
		}
		defer finish(true)
		if answer := interact(r.Context(), svc, cb, cfg.log); answer != nil {
			writeJSON(w, answer) // the form's errors: it stays open
			return
		}
		w.WriteHeader(http.StatusOK) // an empty 200 closes a submitted modal
	})
}

// formErrors is the answer to a view_submission that keeps the modal open
// and shows each message under its input block
// (docs.slack.dev, surfaces/modals: response_action "errors").
type formErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

// interact hands an interaction to the command layer: button clicks as
// actions, at most MaxActions of them, a submitted modal as a submission,
// a global shortcut as a shortcut. Its answer is nil for an empty ack, or
// the submitted form's errors. The HTTP handler and Socket Mode share it.
func interact(ctx context.Context, svc Service, cb slack.InteractionCallback, log zerolog.Logger) *formErrors {
	actions := Actions(cb)
	if n := len(cb.ActionCallback.BlockActions) - len(actions); n > 0 && cb.Type == slack.InteractionTypeBlockActions {
		log.Warn().Str("trigger_id", cb.TriggerID).Int("actions", len(cb.ActionCallback.BlockActions)).Int("dropped", n).
			Msg("interaction carries more actions than a click makes; the rest are dropped")
	}
	for _, a := range actions {
		svc.Action(ctx, a)
	}
	if sub, ok := SubmissionFrom(cb); ok {
		if errs := svc.Submit(ctx, sub); len(errs) > 0 {
			return &formErrors{ResponseAction: "errors", Errors: errs}
		}
	}
	if sc, ok := ShortcutFrom(cb); ok {
		ctx, cancel := context.WithTimeout(ctx, ackBudget)
		defer cancel()
		svc.Shortcut(ctx, sc)
	}
	if c, ok := CaptureFrom(cb); ok {
		svc.CaptureMessage(ctx, c)
	}
	return nil
}

// ShortcutFrom reads a global shortcut (type "shortcut").
func ShortcutFrom(cb slack.InteractionCallback) (commands.Shortcut, bool) {
	if cb.Type != slack.InteractionTypeShortcut {
		return commands.Shortcut{}, false
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.User.TeamID
	}
	return commands.Shortcut{TeamID: team, UserID: cb.User.ID, CallbackID: cb.CallbackID, TriggerID: cb.TriggerID}, true
}

// CaptureFrom reads the message shortcut "Add to incident timeline"
// (a message_action with callback_id add_to_timeline): the message, its
// author, time and files, and who asked where.
func CaptureFrom(cb slack.InteractionCallback) (commands.Capture, bool) {
	if cb.Type != slack.InteractionTypeMessageAction || cb.CallbackID != messages.CallbackAddToTimeline {
		return commands.Capture{}, false
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.User.TeamID
	}
	m := cb.Message
	c := commands.Capture{TeamID: team, UserID: cb.User.ID, ChannelID: cb.Channel.ID, TS: m.Timestamp,
		ThreadTS: m.ThreadTimestamp, Author: m.User, Text: strings.ToValidUTF8(m.Text, "\uFFFD"),
		TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL, DeliveryID: deliveryID(cb.TriggerID, 0)}
	if c.Author == "" {
		c.Author = m.BotID
	}
	if c.ThreadTS == c.TS {
		c.ThreadTS = "" // a thread's parent is its own message
	}
	for _, f := range m.Files {
		c.Files = append(c.Files, f.Name)
	}
	return c, true
}

// Actions turns a block_actions payload into the command layer's actions:
// the first MaxActions of it.
func Actions(cb slack.InteractionCallback) []commands.Action {
	if cb.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	var out []commands.Action
	for i, ba := range cb.ActionCallback.BlockActions[:min(len(cb.ActionCallback.BlockActions), MaxActions)] {
		team := cb.Team.ID
		if team == "" {
			team = cb.User.TeamID
		}
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		out = append(out, commands.Action{
			TeamID: team, ChannelID: channel, UserID: cb.User.ID,
			MessageTS: cb.Container.MessageTs, ActionID: ba.ActionID, Value: ba.Value,
			TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL, DeliveryID: deliveryID(cb.TriggerID, i),
		})
	}
	return out
}

// deliveryID names the i-th action of a delivery: the actions of one
// payload share its trigger id.
func deliveryID(triggerID string, i int) string {
	if triggerID == "" {
		return ""
	}
	return fmt.Sprintf("%s/%d", triggerID, i)
}

// SubmissionFrom reads a view_submission: each input block's value.
func SubmissionFrom(cb slack.InteractionCallback) (commands.Submission, bool) {
	if cb.Type != slack.InteractionTypeViewSubmission {
		return commands.Submission{}, false
	}
	sub := commands.Submission{TeamID: cb.Team.ID, UserID: cb.User.ID, CallbackID: cb.View.CallbackID,
		PrivateMetadata: cb.View.PrivateMetadata, Values: map[string]string{}, DeliveryID: deliveryID(cb.TriggerID, 0)}
	if cb.View.State != nil {
		for block, actions := range cb.View.State.Values {
			for _, a := range actions {
				v := a.Value
				switch {
				case a.SelectedOption.Value != "":
					v = a.SelectedOption.Value
				case a.SelectedUser != "":
					v = a.SelectedUser
				case a.SelectedConversation != "":
					v = a.SelectedConversation
				}
				sub.Values[block] = v
			}
		}
	}
	return sub, true
}

// envelope is an Events API request.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

type eventMessage struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	Team        string `json:"team"`
	Edited      *struct {
		TS string `json:"ts"`
	} `json:"edited"`
	Message         *eventMessage `json:"message"`
	PreviousMessage *eventMessage `json:"previous_message"`
	DeletedTS       string        `json:"deleted_ts"`
	// reaction_added, reaction_removed: the reaction and the message it is on.
	Reaction string `json:"reaction"`
	Item     *struct {
		Type    string `json:"type"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	} `json:"item"`
	Tab string `json:"tab"` // app_home_opened
}

// Events answers POST /slack/events: url_verification, and message and
// app_mention events, stored before the 200 so that a failure makes Slack
// deliver the event again. With WithLog, such a failure is logged with its
// cause (the store full or read-only, say).
func Events(svc Service, opts ...HandlerOption) http.Handler {
	cfg := handlerOptions(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env envelope
		if err := json.Unmarshal(Body(r), &env); err != nil || env.Type == "" {
			http.Error(w, "malformed event: expected a JSON envelope with a type", http.StatusBadRequest)
			return
		}
		switch env.Type {
		case "url_verification":
			writeJSON(w, map[string]string{"challenge": env.Challenge})
			return
		case "event_callback":
		default:
			w.WriteHeader(http.StatusOK)
			return
		}
		e, err := EventFrom(env.EventID, env.TeamID, env.Event)
		if err != nil {
			http.Error(w, "malformed event", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
		defer cancel()
		if err := svc.Event(ctx, e); err != nil {
			cfg.log.Error().Err(err).Str("event_id", e.EventID).Str("type", e.Type).
				Msg("could not record the event; answered 500 so that Slack delivers it again")
			http.Error(w, "could not record the event; Slack will deliver it again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// EventFrom flattens an Events API event (the "event" object).
func EventFrom(eventID, teamID string, raw json.RawMessage) (commands.Event, error) {
	var m eventMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return commands.Event{}, err
	}
	e := commands.Event{
		EventID: eventID, TeamID: teamID, Type: m.Type, Subtype: m.Subtype, ChannelID: m.Channel,
		ChannelType: m.ChannelType, UserID: m.User, BotID: m.BotID, Text: m.Text, TS: m.TS, ThreadTS: m.ThreadTS,
	}
	if e.TeamID == "" {
		e.TeamID = m.Team
	}
	switch m.Subtype {
	case "message_changed":
		if n := m.Message; n != nil {
			e.UserID, e.BotID, e.Text, e.TS, e.ThreadTS = n.User, n.BotID, n.Text, n.TS, n.ThreadTS
			if n.Edited != nil {
				e.EditedTS = n.Edited.TS
			}
		}
	case "message_deleted":
		e.DeletedTS = m.DeletedTS
		if p := m.PreviousMessage; p != nil {
			e.ThreadTS, e.UserID = p.ThreadTS, p.User
		}
	}
	switch m.Type {
	case "reaction_added", "reaction_removed":
		e.Reaction = m.Reaction
		if m.Item != nil && m.Item.Type == "message" {
			e.ChannelID, e.TS = m.Item.Channel, m.Item.TS
		}
	case "app_home_opened":
		e.Tab = m.Tab
	}
	e.Text = strings.ToValidUTF8(e.Text, "\uFFFD")
	return e, nil
}
