package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/statuspage/statuspagetest"
)

const testStatuspageKey = "sp-e2e-key-9f8e7d6c5b4a"

// interact posts an interaction payload, signed, and returns the answer's
// status and body.
func (b *bot) interact(payload map[string]any) (int, string) {
	b.t.Helper()
	raw, _ := json.Marshal(payload)
	resp := b.post("/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {string(raw)}}.Encode())
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

// submitView submits the view v as user with the given values (block id →
// the element's state as Slack sends it).
func (b *bot) submitView(user string, v slackfake.View, values map[string]map[string]any) (int, string) {
	b.t.Helper()
	state := map[string]any{}
	for block, el := range values {
		state[block] = map[string]any{"value": el}
	}
	return b.interact(map[string]any{"type": "view_submission", "team": map[string]string{"id": team},
		"user": map[string]string{"id": user, "team_id": team}, "trigger_id": nextTrigger(),
		"view": map[string]any{"id": v.ID, "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": state}}})
}

func text(s string) map[string]any { return map[string]any{"type": "plain_text_input", "value": s} }
func option(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
}

// TestSurfacesEndToEnd: the declare form from the slash command and from
// the global shortcut, its errors in the form, the incident it opens with
// the vendor's triage; roles; the status page draft published to a
// Statuspage stand-in and kept in step by the status change and the
// resolve. All through signed requests to the bot, against the Slack
// stand-in (which holds every view to Block Kit's limits).
func TestSurfacesEndToEnd(t *testing.T) {
	sp := statuspagetest.New("kctbh9vrtdwd", testStatuspageKey)
	t.Cleanup(sp.Close)
	b := startBuiltBot(t, newSlack(t), map[string]string{"STATUSPAGE_PAGE_ID": "kctbh9vrtdwd", "STATUSPAGE_API_KEY": testStatuspageKey,
		"STATUSPAGE_API_URL": sp.URL})
	fake := b.slack

	// /incident declare without a title: the form, in the request.
	if got := b.command("U0ALICE", "declare"); !strings.Contains(got, "declare form") {
		t.Fatalf("declare = %q", got)
	}
	views := fake.Views()
	if len(views) != 1 || views[0].CallbackID != "declare" || !strings.Contains(string(views[0].JSON), `"value":"hubspot"`) {
		t.Fatalf("views = %+v", views)
	}
	form := views[0]
	// An empty title: the errors come back in the form, nothing is opened.
	status, body := b.submitView("U0ALICE", form, map[string]map[string]any{"title": text(" "), "severity": option("P2")})
	if status != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"title"`) {
		t.Fatalf("empty title: %d %s", status, body)
	}
	posted := len(fake.Calls("chat.postMessage"))
	status, body = b.submitView("U0ALICE", form, map[string]map[string]any{
		"title": text("CRM sync stopped"), "severity": option("P2"), "vendor": option("hubspot"),
		"impact":    text("EU deals are not synced"),
		"commander": map[string]any{"type": "users_select", "selected_user": "U0BOB"}})
	if status != http.StatusOK || body != "" {
		t.Fatalf("submission: %d %q, want an empty 200", status, body)
	}
	fake.MustWait(t, "chat.postMessage", posted+1)
	msgs := fake.Messages(channel)
	inc := msgs[len(msgs)-1]
	if h := header(inc.Blocks); !strings.Contains(h, "[P2] INCIDENT INC-1: CRM sync stopped") {
		t.Errorf("header = %q", h)
	}
	for _, want := range []string{"EU deals are not synced", "@U0BOB", "401"} {
		if !strings.Contains(string(inc.Blocks), want) {
			t.Errorf("incident message lacks %q", want)
		}
	}
	id := incidentID(t, inc.Blocks)
	eventually(t, "the incident's ts stored", func() bool {
		return strings.Contains(b.command("U0ALICE", "list"), strings.ReplaceAll(inc.TS, ".", ""))
	})

	// The global shortcut: the form asks for the channel.
	status, _ = b.interact(map[string]any{"type": "shortcut", "team": map[string]string{"id": team},
		"user": map[string]string{"id": "U0CAROL", "team_id": team}, "callback_id": "declare", "trigger_id": nextTrigger()})
	views = fake.Views()
	if status != http.StatusOK || len(views) != 2 || !strings.Contains(string(views[1].Blocks), "conversations_select") {
		t.Fatalf("shortcut: %d, views %d", status, len(views))
	}
	posted = len(fake.Calls("chat.postMessage"))
	if status, body := b.submitView("U0CAROL", views[1], map[string]map[string]any{"title": text("Printer on fire"),
		"severity": option("P4"), "channel": map[string]any{"type": "conversations_select", "selected_conversation": channel}}); status != 200 || body != "" {
		t.Fatalf("shortcut form: %d %s", status, body)
	}
	fake.MustWait(t, "chat.postMessage", posted+1)
	msgs = fake.Messages(channel)
	if h := header(msgs[len(msgs)-1].Blocks); !strings.Contains(h, "INC-2: Printer on fire") {
		t.Errorf("shortcut incident header = %q", h)
	}

	// Roles: bob, the commander, makes carol comms.
	if got := b.command("U0BOB", "role comms <@U0CAROL> INC-1"); !strings.Contains(got, "Making <@U0CAROL> the comms of INC-1") {
		t.Errorf("role = %q", got)
	}
	fake.MustWaitFor(t, "the incident message to show the comms role", func() bool {
		for _, m := range fake.Messages(channel) {
			if m.TS == inc.TS {
				return strings.Contains(string(m.Blocks), "*Comms:*")
			}
		}
		return false
	})

	// The status page: draft, publish, follow.
	replies := len(fake.Thread(channel, inc.TS))
	b.command("U0CAROL", "statuspage INC-1")
	fake.MustWaitFor(t, "the draft in the thread", func() bool { return len(fake.Thread(channel, inc.TS)) > replies })
	thread := fake.Thread(channel, inc.TS)
	draft := thread[len(thread)-1]
	if !strings.Contains(string(draft.Blocks), "statuspage_publish") || !strings.Contains(string(draft.Blocks), "HubSpot integration") {
		t.Fatalf("draft = %s", draft.Blocks)
	}
	b.click("U0CAROL", "statuspage_publish", id, draft.TS)
	fake.MustWaitFor(t, "the publish notice", func() bool {
		th := fake.Thread(channel, inc.TS)
		return strings.Contains(th[len(th)-1].Text, "published on")
	})
	b.command("U0BOB", "status monitoring INC-1")
	fake.MustWaitFor(t, "monitoring on the status page", func() bool {
		incs := sp.Incidents()
		return len(incs) == 1 && incs[0].Status == "monitoring"
	})
	b.command("U0BOB", "resolve INC-1")
	fake.MustWaitFor(t, "the postmortem", func() bool { return len(fake.Files()) == 1 })
	fake.MustWaitFor(t, "the resolve on the status page", func() bool {
		incs := sp.Incidents()
		return len(incs) == 1 && incs[0].Status == "resolved"
	})
	reqs := sp.Requests()
	var methods []string
	for _, r := range reqs {
		methods = append(methods, r.Method+" "+r.Status)
		if r.Authorization != "OAuth "+testStatuspageKey {
			t.Errorf("request %s %s without the key", r.Method, r.Path)
		}
	}
	if strings.Join(methods, ",") != "POST investigating,PATCH monitoring,PATCH resolved" {
		t.Errorf("Statuspage received %v", methods)
	}
	if doc, _ := fake.FileContent(fake.Files()[0].ID); !strings.Contains(string(doc.Content), "| Comms | ") ||
		!strings.Contains(string(doc.Content), "Statuspage") {
		t.Errorf("postmortem lacks the comms role or the publishes:\n%s", doc.Content)
	}
	out := b.stderr.String() + b.stdout.String()
	assertNoSecrets(t, out, fake)
	if strings.Contains(out, testStatuspageKey) {
		t.Error("the Statuspage key is in the logs")
	}
	for _, c := range fake.Calls("") {
		if strings.Contains(string(c.Blocks), testStatuspageKey) {
			t.Error("the Statuspage key reached Slack")
		}
	}
}

// TestSurfacesOverSocketMode: in Socket Mode the global shortcut opens the
// declare form, a blank title is refused in the envelope's ack, and a full
// form opens the incident.
func TestSurfacesOverSocketMode(t *testing.T) {
	b := startSocketBot(t, nil)
	fake := b.slack
	shortcut := map[string]any{"type": "shortcut", "team": map[string]string{"id": team},
		"user": map[string]string{"id": "U0ALICE", "team_id": team}, "callback_id": "declare", "trigger_id": nextTrigger()}
	if ack := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeInteractive, shortcut)); ack.Payload != nil {
		t.Errorf("shortcut ack = %s, want empty", ack.Payload)
	}
	views := fake.Views()
	if len(views) != 1 || views[0].CallbackID != "declare" {
		t.Fatalf("views = %+v", views)
	}
	submit := func(values map[string]map[string]any) slackfake.Ack {
		state := map[string]any{}
		for block, el := range values {
			state[block] = map[string]any{"value": el}
		}
		return fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeInteractive, map[string]any{"type": "view_submission",
			"team": map[string]string{"id": team}, "user": map[string]string{"id": "U0ALICE", "team_id": team}, "trigger_id": nextTrigger(),
			"view": map[string]any{"id": views[0].ID, "callback_id": "declare", "private_metadata": views[0].PrivateMetadata,
				"state": map[string]any{"values": state}}}))
	}
	channelPick := map[string]any{"type": "conversations_select", "selected_conversation": channel}
	if ack := submit(map[string]map[string]any{"title": text(""), "severity": option("P3"), "channel": channelPick}); !strings.Contains(string(ack.Payload), `"response_action":"errors"`) {
		t.Fatalf("blank title ack = %s", ack.Payload)
	}
	if ack := submit(map[string]map[string]any{"title": text("Search is slow"), "severity": option("P3"), "channel": channelPick}); ack.Payload != nil {
		t.Fatalf("full form ack = %s, want empty", ack.Payload)
	}
	fake.MustWait(t, "chat.postMessage", 1)
	if h := header(fake.Messages(channel)[0].Blocks); !strings.Contains(h, "INC-1: Search is slow") {
		t.Errorf("header = %q", h)
	}
}
