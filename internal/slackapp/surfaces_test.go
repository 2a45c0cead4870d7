package slackapp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/slackfake"
)

func postInteraction(t *testing.T, h http.Handler, payload any) *httptest.ResponseRecorder {
	t.Helper()
	raw, _ := json.Marshal(payload)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, fzVerified([]byte(url.Values{"payload": {string(raw)}}.Encode())))
	return w
}

// declareSubmission is a submitted declare form as Slack sends it
// (docs.slack.dev, reference/interaction-payloads/view-interactions-payload:
// view.state.values[block_id][action_id] with the element's type and its
// selected_option, selected_user or selected_conversation).
func declareSubmission() map[string]any {
	return map[string]any{"type": "view_submission", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"},
		"trigger_id": "13345224609.738474920.8088930838d88f008e0",
		"view": map[string]any{"callback_id": "declare", "private_metadata": `{"incident":"","channel":""}`,
			"state": map[string]any{"values": map[string]any{
				"title":     map[string]any{"value": map[string]any{"type": "plain_text_input", "value": ""}},
				"severity":  map[string]any{"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "P2"}}},
				"commander": map[string]any{"value": map[string]any{"type": "users_select", "selected_user": "U0BOB"}},
				"channel":   map[string]any{"value": map[string]any{"type": "conversations_select", "selected_conversation": "C0OPS"}},
			}}}}
}

// TestInteractionsForms: a submission the command layer finds incomplete
// is answered with response_action errors (the modal stays open); one it
// accepts with an empty 200; the selects' values reach it.
func TestInteractionsForms(t *testing.T) {
	svc := &socketSvc{formErrs: map[string]string{"title": "Give the incident a title."}}
	h := Interactions(svc)
	w := postInteraction(t, h, declareSubmission())
	var got struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.ResponseAction != "errors" ||
		got.Errors["title"] != "Give the incident a title." {
		t.Errorf("answer %d %s", w.Code, w.Body)
	}
	sub := svc.subs[0]
	if sub.CallbackID != "declare" || sub.Values["severity"] != "P2" || sub.Values["commander"] != "U0BOB" ||
		sub.Values["channel"] != "C0OPS" || sub.TeamID != "T1" || sub.UserID != "U2" {
		t.Errorf("submission = %+v", sub)
	}
	svc.formErrs = nil
	if w := postInteraction(t, h, declareSubmission()); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("accepted form: %d %q, want an empty 200", w.Code, w.Body)
	}
}

// TestInteractionsShortcut: a global shortcut (type "shortcut") reaches
// the command layer with its callback id and trigger.
func TestInteractionsShortcut(t *testing.T) {
	svc := &socketSvc{}
	// docs.slack.dev, reference/interaction-payloads/shortcuts-interaction-payload
	w := postInteraction(t, Interactions(svc), map[string]any{"type": "shortcut", "token": "XXXX", "action_ts": "1581106241.371594",
		"team":        map[string]string{"id": "TXXXXXXXX", "domain": "shortcuts-test"},
		"user":        map[string]string{"id": "UXXXXXXXXX", "username": "aman", "team_id": "TXXXXXXXX"},
		"callback_id": "declare", "trigger_id": "944799105734.773906753841.38b5894552bdd4a780554ee59d1f3638"})
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("answer %d %q", w.Code, w.Body)
	}
	want := commands.Shortcut{TeamID: "TXXXXXXXX", UserID: "UXXXXXXXXX", CallbackID: "declare",
		TriggerID: "944799105734.773906753841.38b5894552bdd4a780554ee59d1f3638"}
	if len(svc.shortcuts) != 1 || svc.shortcuts[0] != want {
		t.Errorf("shortcuts = %+v", svc.shortcuts)
	}
}

// TestSocketFormErrors: in Socket Mode the form's errors are the ack's
// payload.
func TestSocketFormErrors(t *testing.T) {
	r := runSocket(t, testAppToken, func(r *socketRig) {
		r.svc.formErrs = map[string]string{"channel": "Choose the channel the incident is posted in."}
	})
	r.waitConnected(t)
	ack := r.fake.MustWaitAck(t, r.fake.MustPush(t, slackfake.EnvelopeInteractive, declareSubmission()))
	if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), "Choose the channel") {
		t.Errorf("ack = %s", ack.Payload)
	}
	shortcut := map[string]any{"type": "shortcut", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U1"},
		"callback_id": "declare", "trigger_id": "1.2.3"}
	if a := r.fake.MustWaitAck(t, r.fake.MustPush(t, slackfake.EnvelopeInteractive, shortcut)); a.Payload != nil {
		t.Errorf("shortcut ack = %s, want none", a.Payload)
	}
	r.svc.mu.Lock()
	defer r.svc.mu.Unlock()
	if len(r.svc.shortcuts) != 1 || r.svc.shortcuts[0].CallbackID != "declare" {
		t.Errorf("shortcuts = %+v", r.svc.shortcuts)
	}
}
