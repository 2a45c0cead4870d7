package slackapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

// Service is the command layer as the edge sees it.
type Service interface {
	Command(ctx context.Context, cmd commands.Command) messages.Message
	Action(ctx context.Context, a commands.Action)
	Submit(ctx context.Context, sub commands.Submission)
	Event(ctx context.Context, e commands.Event) error
}

// ackBudget bounds the work done before answering Slack: its limit is 3 s.
const ackBudget = 2500 * time.Millisecond

// Commands answers POST /slack/commands: the ephemeral reply is the
// response body; slow work continues after it.
func Commands(svc Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := url.ParseQuery(string(Body(r)))
		if err != nil || form.Get("team_id") == "" || form.Get("channel_id") == "" || form.Get("user_id") == "" {
			http.Error(w, "malformed slash command: team_id, channel_id and user_id are required", http.StatusBadRequest)
			return
		}
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
		Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
	}
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
// acknowledged with an empty 200 and applied afterwards.
func Interactions(svc Service) http.Handler {
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
		for _, a := range Actions(cb) {
			svc.Action(r.Context(), a)
		}
		if sub, ok := SubmissionFrom(cb); ok {
			svc.Submit(r.Context(), sub) // an empty 200 closes the modal
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Actions turns a block_actions payload into the command layer's actions.
func Actions(cb slack.InteractionCallback) []commands.Action {
	if cb.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	var out []commands.Action
	for _, ba := range cb.ActionCallback.BlockActions {
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
			TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL,
		})
	}
	return out
}

// SubmissionFrom reads a view_submission: each input block's value.
func SubmissionFrom(cb slack.InteractionCallback) (commands.Submission, bool) {
	if cb.Type != slack.InteractionTypeViewSubmission {
		return commands.Submission{}, false
	}
	sub := commands.Submission{TeamID: cb.Team.ID, UserID: cb.User.ID, CallbackID: cb.View.CallbackID,
		PrivateMetadata: cb.View.PrivateMetadata, Values: map[string]string{}}
	if cb.View.State != nil {
		for block, actions := range cb.View.State.Values {
			for _, a := range actions {
				v := a.Value
				if a.SelectedOption.Value != "" {
					v = a.SelectedOption.Value
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
	Type     string `json:"type"`
	Subtype  string `json:"subtype"`
	Channel  string `json:"channel"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Team     string `json:"team"`
	Edited   *struct {
		TS string `json:"ts"`
	} `json:"edited"`
	Message         *eventMessage `json:"message"`
	PreviousMessage *eventMessage `json:"previous_message"`
	DeletedTS       string        `json:"deleted_ts"`
}

// Events answers POST /slack/events: url_verification, and message and
// app_mention events, stored before the 200 so that a failure makes Slack
// deliver the event again.
func Events(svc Service) http.Handler {
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
		UserID: m.User, BotID: m.BotID, Text: m.Text, TS: m.TS, ThreadTS: m.ThreadTS,
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
	e.Text = strings.ToValidUTF8(e.Text, "\uFFFD")
	return e, nil
}
