package slackapp

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

// TestEventFromSurfaces: the events of the Slack surfaces, in the shapes
// Slack's reference pages show (ids and times theirs).
func TestEventFromSurfaces(t *testing.T) {
	for _, tt := range []struct {
		name, source, raw                     string
		typ, user, channel, ts, reaction, tab string
	}{
		{name: "reaction_added", source: "https://docs.slack.dev/reference/events/reaction_added/",
			raw: `{"type":"reaction_added","user":"U123ABC456","reaction":"thumbsup","item_user":"U222222222",
				"item":{"type":"message","channel":"C123ABC456","ts":"1360782400.498405","channel_type":"channel"},
				"event_ts":"1360782804.083113"}`,
			typ: "reaction_added", user: "U123ABC456", channel: "C123ABC456", ts: "1360782400.498405", reaction: "thumbsup"},
		{name: "reaction_removed", source: "https://docs.slack.dev/reference/events/reaction_removed/",
			raw: `{"type":"reaction_removed","user":"U123ABC456","reaction":"thumbsup","item_user":"U222222222",
				"item":{"type":"message","channel":"C123ABC456","ts":"1360782400.498405"},"event_ts":"1360782804.083113"}`,
			typ: "reaction_removed", user: "U123ABC456", channel: "C123ABC456", ts: "1360782400.498405", reaction: "thumbsup"},
		{name: "reaction on a file (no message)", source: "https://docs.slack.dev/reference/events/reaction_added/",
			raw: `{"type":"reaction_added","user":"U123ABC456","reaction":"pushpin","item":{"type":"file","file":"F123ABC456"},
				"event_ts":"1360782804.083113"}`,
			typ: "reaction_added", user: "U123ABC456", reaction: "pushpin"},
		{name: "app_home_opened", source: "https://docs.slack.dev/reference/events/app_home_opened/",
			raw: `{"type":"app_home_opened","user":"U123ABC456","channel":"D123ABC456","event_ts":"1515449522000016","tab":"home",
				"view":{"id":"V123ABC456","team_id":"T123ABC456","type":"home"}}`,
			typ: "app_home_opened", user: "U123ABC456", channel: "D123ABC456", tab: "home"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := EventFrom("Ev1", "T123ABC456", json.RawMessage(tt.raw))
			if err != nil {
				t.Fatalf("%s (%s): %v", tt.name, tt.source, err)
			}
			if e.Type != tt.typ || e.UserID != tt.user || e.ChannelID != tt.channel || e.TS != tt.ts ||
				e.Reaction != tt.reaction || e.Tab != tt.tab {
				t.Errorf("%s (%s) read as %+v", tt.name, tt.source, e)
			}
		})
	}
}

// TestCaptureFrom: the message shortcut's payload (message_action) becomes
// a capture with the message's own author, time and files; other
// shortcuts and callbacks are not captures.
func TestCaptureFrom(t *testing.T) {
	// The fields https://api.slack.com/reference/interaction-payloads/shortcuts
	// lists for a message shortcut; the message as conversations.history
	// returns one (https://docs.slack.dev/reference/methods/conversations.history/).
	raw := `{"type":"message_action","callback_id":"add_to_timeline","trigger_id":"13345224609.738474920.8088930838d88f008e0",
		"response_url":"https://hooks.slack.com/app/T123ABC456/1234/abcd","action_ts":"1581106241.371594",
		"team":{"id":"T123ABC456","domain":"example"},"user":{"id":"U0BOB","name":"bob","team_id":"T123ABC456"},
		"channel":{"id":"C0DEPLOYS","name":"deploys"},"message_ts":"1581106230.000400",
		"message":{"type":"message","user":"U0CAROL","text":"rolled out v2","ts":"1581106230.000400","thread_ts":"1581106200.000100",
			"files":[{"id":"F1","name":"graph.png"}]}}`
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(raw), &cb); err != nil {
		t.Fatal(err)
	}
	c, ok := CaptureFrom(cb)
	if !ok || c.TeamID != "T123ABC456" || c.UserID != "U0BOB" || c.ChannelID != "C0DEPLOYS" || c.TS != "1581106230.000400" ||
		c.ThreadTS != "1581106200.000100" || c.Author != "U0CAROL" || c.Text != "rolled out v2" ||
		!slices.Equal(c.Files, []string{"graph.png"}) || c.TriggerID == "" || c.ResponseURL == "" || c.DeliveryID == "" {
		t.Errorf("CaptureFrom = %+v, %v", c, ok)
	}
	cb.CallbackID = "something_else"
	if _, ok := CaptureFrom(cb); ok {
		t.Error("another message shortcut read as a capture")
	}
	cb.CallbackID, cb.Type = messages.CallbackAddToTimeline, slack.InteractionTypeShortcut
	if _, ok := CaptureFrom(cb); ok {
		t.Error("a global shortcut read as a capture")
	}
}

// TestSocketSurfaces: in Socket Mode, the timeline reaction reaches the
// command layer as an event with the message's place, and the message
// shortcut as a capture, each acknowledged.
func TestSocketSurfaces(t *testing.T) {
	r := runSocket(t, testAppToken, nil)
	r.waitConnected(t)
	fake := r.fake
	pin := map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "EvPin",
		"event": map[string]any{"type": "reaction_added", "user": "U2", "reaction": "pushpin",
			"item": map[string]any{"type": "message", "channel": "C1", "ts": "1700000001.000100"}, "event_ts": "1700000002.000100"}}
	fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeEventsAPI, pin))
	shortcut := map[string]any{"type": "message_action", "callback_id": "add_to_timeline", "trigger_id": "9.8.7",
		"team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"}, "channel": map[string]string{"id": "C1"},
		"message": map[string]any{"type": "message", "user": "U3", "text": "deploy 42", "ts": "1700000001.000100"}}
	if a := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeInteractive, shortcut)); a.Payload != nil {
		t.Errorf("shortcut ack carries %s, want none", a.Payload)
	}
	r.svc.mu.Lock()
	defer r.svc.mu.Unlock()
	if len(r.svc.events) != 1 || r.svc.events[0].Type != "reaction_added" || r.svc.events[0].ChannelID != "C1" ||
		r.svc.events[0].TS != "1700000001.000100" || r.svc.events[0].Reaction != "pushpin" {
		t.Errorf("events = %+v", r.svc.events)
	}
	if len(r.svc.captures) != 1 || r.svc.captures[0].Author != "U3" || r.svc.captures[0].TS != "1700000001.000100" {
		t.Errorf("captures = %+v", r.svc.captures)
	}
}
