package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
)

// A recognisable app-level token: no output of the bot may contain it.
const socketAppToken = "xapp-1-A0FAKEAPP1-7-SECRETAPPTOKEN"

// startSocketBot runs `bot serve` in Socket Mode: an app-level token and
// no signing secret. It returns once the bot is connected.
func startSocketBot(t *testing.T, extra map[string]string) *bot {
	t.Helper()
	env := map[string]string{"SLACK_APP_TOKEN": socketAppToken, "SLACK_SIGNING_SECRET": ""}
	for k, v := range extra {
		env[k] = v
	}
	b := startBot(t, env)
	b.slack.MustWaitFor(t, "the bot's Socket Mode connection", func() bool { return b.slack.OpenConnections() == 1 })
	eventually(t, "/readyz to answer 200", func() bool { return b.status("/readyz") == http.StatusOK })
	return b
}

// status is the HTTP status of GET path.
func (b *bot) status(path string) int {
	b.t.Helper()
	resp, err := http.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// socketCommand sends /incident TEXT as user over the socket and returns
// the ephemeral reply its ack carries.
func (b *bot) socketCommand(user, text string) string {
	b.t.Helper()
	form := url.Values{"team_id": {team}, "channel_id": {channel}, "user_id": {user}, "command": {"/incident"},
		"text": {text}, "response_url": {b.slack.ResponseURL(channel, user)}, "trigger_id": {nextTrigger()}}
	start := time.Now()
	ack := b.slack.MustWaitAck(b.t, b.slack.MustPush(b.t, slackfake.EnvelopeSlashCommands, form))
	if d := time.Since(start); d > 3*time.Second {
		b.t.Errorf("/incident %s acknowledged in %v, over Slack's 3 s", text, d)
	}
	var r struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(ack.Payload, &r); err != nil || r.ResponseType != "ephemeral" {
		b.t.Errorf("ack of /incident %s carries %s, want an ephemeral reply", text, ack.Payload)
	}
	return r.Text
}

// socketClick clicks a button of the incident message over the socket.
func (b *bot) socketClick(user, actionID, value, messageTS string) {
	b.t.Helper()
	payload := map[string]any{
		"type": "block_actions", "team": map[string]string{"id": team}, "user": map[string]string{"id": user},
		"channel": map[string]string{"id": channel}, "container": map[string]string{"message_ts": messageTS, "channel_id": channel},
		"trigger_id": nextTrigger(), "response_url": b.slack.ResponseURL(channel, user),
		"actions": []map[string]string{{"action_id": actionID, "value": value, "block_id": "severity", "type": "button"}},
	}
	if ack := b.slack.MustWaitAck(b.t, b.slack.MustPush(b.t, slackfake.EnvelopeInteractive, payload)); ack.Payload != nil {
		b.t.Errorf("click %s acknowledged with %s, want an empty ack", actionID, ack.Payload)
	}
}

// socketEvent pushes an Events API envelope and returns its envelope id;
// the caller waits for its ack.
func (b *bot) socketEvent(eventID string, event map[string]any) string {
	b.t.Helper()
	return b.slack.MustPush(b.t, slackfake.EnvelopeEventsAPI, map[string]any{"type": "event_callback", "team_id": team,
		"api_app_id": slackfake.AppID, "event_id": eventID, "event_time": time.Now().Unix(), "event": event})
}

// TestSocketModeIncidentLoop is issue 9's Done-when: over Socket Mode alone
// (no signing secret, no /slack routes), triage → severity click → thread
// replies → resolve → postmortem; Slack recycles the connection in the
// middle and nothing is lost.
func TestSocketModeIncidentLoop(t *testing.T) {
	b := startSocketBot(t, nil)
	fake := b.slack

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/slack/commands": 404} {
		if got := b.status(path); got != want {
			t.Errorf("GET %s: %d, want %d", path, got, want)
		}
	}
	// Without a signing secret nothing could verify a request: the HTTP
	// routes for Slack are not served at all.
	resp := b.post("/slack/commands", "application/x-www-form-urlencoded", "team_id=T&channel_id=C&user_id=U&text=help")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /slack/commands in Socket Mode: %d, want 404", resp.StatusCode)
	}

	if got := b.socketCommand("U0ALICE", "help"); !strings.Contains(got, "/incident triage VENDOR") {
		t.Errorf("help = %q", got)
	}
	if got := b.socketCommand("U0ALICE", "triage hubspot"); !strings.Contains(got, "Triaging HubSpot") {
		t.Errorf("triage ack = %q", got)
	}
	fake.MustWait(t, "chat.postMessage", 1)
	inc := fake.Messages(channel)[0]
	if h := header(inc.Blocks); h != "[P1] INCIDENT INC-1: HubSpot: token refused (401)" {
		t.Errorf("header = %q", h)
	}
	id := incidentID(t, inc.Blocks)
	eventually(t, "incident ts stored", func() bool {
		return strings.Contains(b.socketCommand("U0ALICE", "list"), strings.ReplaceAll(inc.TS, ".", ""))
	})

	// The severity button: the message is updated in place.
	b.socketClick("U0BOB", "severity_P2", id, inc.TS)
	fake.MustWaitFor(t, "the incident message at P2", func() bool {
		m := fake.Messages(channel)[0]
		return m.Updated && strings.HasPrefix(header(m.Blocks), "[P2]")
	})

	// Slack recycles the connection; a reply sent meanwhile waits for the
	// new one and is stored from there.
	reply := func(user, ts, text string) map[string]any {
		return map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "thread_ts": inc.TS}
	}
	if fake.Disconnect("refresh_requested") != 1 {
		t.Fatal("no connection to recycle")
	}
	ev1 := b.socketEvent("Ev1", reply("U0BOB", "1800000001.000100", "looking at it"))
	if ack := fake.MustWaitAck(t, ev1); ack.Conn != 2 {
		t.Errorf("the reply was acknowledged on connection %d, want 2 (the new one)", ack.Conn)
	}
	fake.MustWaitFor(t, "the old connection closed", func() bool { return fake.OpenConnections() == 1 })
	eventually(t, "/readyz back to 200", func() bool { return b.status("/readyz") == http.StatusOK })

	fake.MustWaitAck(t, b.socketEvent("Ev2", reply("U0CAROL", "1800000002.000100", "action: alert on HubSpot 401s")))
	// Slack's retry of Ev1 (as after a lost ack) changes nothing.
	if err := fake.Redeliver(ev1); err != nil {
		t.Fatal(err)
	}
	fake.MustWaitFor(t, "the retry acknowledged", func() bool { return countAcks(fake, ev1) == 2 })

	// Resolve: the postmortem holds the thread.
	if got := b.socketCommand("U0ALICE", "resolve Token rotated; calls recovered"); !strings.Contains(got, "Resolving INC-1") {
		t.Errorf("resolve ack = %q", got)
	}
	fake.MustWaitFor(t, "the postmortem upload", func() bool { return len(fake.Files()) == 1 })
	f := fake.Files()[0]
	doc := string(f.Content)
	if f.Name != "INC-1-postmortem.md" || f.ThreadTS != inc.TS {
		t.Errorf("file %s in thread %s, want INC-1-postmortem.md in the incident thread", f.Name, f.ThreadTS)
	}
	for _, want := range []string{"# Incident INC-1: HubSpot: token refused (401)", "Token rotated; calls recovered",
		"**Severity**: P1 → P2", "- [ ] alert on HubSpot 401s — @carol"} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
	if n := strings.Count(doc, "looking at it"); n != 1 {
		t.Errorf("the reply sent during the reconnection appears %d times, want once", n)
	}
	fake.MustWaitFor(t, "resolved message", func() bool {
		return strings.HasPrefix(header(fake.Messages(channel)[0].Blocks), "[RESOLVED]")
	})
	if u := fake.Unacked(); len(u) != 0 {
		t.Errorf("envelopes never acknowledged: %v", u)
	}
	for _, a := range fake.Acks() {
		if a.Dropped {
			t.Errorf("ack of %s was %d bytes: Slack would drop it", a.EnvelopeID, a.Size)
		}
	}

	if err := b.shutdown(); err != nil {
		t.Fatalf("run returned %v after SIGTERM, want nil (exit 0)", err)
	}
	if fake.OpenConnections() != 0 {
		// The fake notices the close on its own goroutine.
		fake.MustWaitFor(t, "the socket closed at shutdown", func() bool { return fake.OpenConnections() == 0 })
	}
	logs := b.stderr.String() + b.stdout.String()
	assertNoSecrets(t, logs+doc, fake)
	if strings.Contains(logs, socketAppToken) || strings.Contains(logs, "SECRETAPPTOKEN") {
		t.Error("the app token leaked into the logs")
	}
	if !strings.Contains(logs, "Socket Mode: connected to Slack") || !strings.Contains(logs, "Socket Mode: reconnecting") {
		t.Error("the log does not tell the connection's story")
	}
}

func countAcks(fake *slackfake.Server, envelopeID string) int {
	n := 0
	for _, a := range fake.Acks() {
		if a.EnvelopeID == envelopeID && !a.Dropped {
			n++
		}
	}
	return n
}

// TestSocketModeReadiness: /readyz answers 503 while the socket is down and
// 200 again once Slack lets it back in; /healthz stays 200.
func TestSocketModeReadiness(t *testing.T) {
	b := startSocketBot(t, nil)
	b.slack.HoldSockets()
	b.slack.Disconnect("warning")
	eventually(t, "/readyz to answer 503", func() bool { return b.status("/readyz") == http.StatusServiceUnavailable })
	if got := b.status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz = %d while the socket is down, want 200", got)
	}
	b.slack.ReleaseSockets()
	eventually(t, "/readyz back to 200", func() bool { return b.status("/readyz") == http.StatusOK })
	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
}

// TestSocketModeAndHTTP: with a signing secret as well, the HTTP routes
// keep working next to the socket, on the same command layer.
func TestSocketModeAndHTTP(t *testing.T) {
	b := startSocketBot(t, map[string]string{"SLACK_SIGNING_SECRET": testSecret})
	b.command("U0ALICE", "declare Search is slow") // over HTTP
	b.slack.MustWait(t, "chat.postMessage", 1)
	if got := b.socketCommand("U0BOB", "list"); !strings.Contains(got, "INC-1") {
		t.Errorf("list over the socket = %q, want the incident declared over HTTP", got)
	}
	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
}
