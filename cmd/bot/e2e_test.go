package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/slackfake"
)

// Recognisable fake secrets: no output of the bot may contain them.
const (
	testBotToken   = "xoxb-1111-2222-SECRETBOTTOKEN"
	testSecret     = "signing-SECRET-abcdef0123456789"
	testHubSpotKey = "pat-na1-SECRETHUBSPOTTOKEN"
	channel        = "C0INCIDENTS"
	team           = "T0TEAM"
)

// syncBuffer is a bytes.Buffer safe for the bot's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type bot struct {
	t              *testing.T
	slack          *slackfake.Server
	url            string
	env            map[string]string
	stdout, stderr *syncBuffer
	stop           context.CancelFunc
	done           chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hubspotStandIn answers like HubSpot with a revoked token.
func hubspotStandIn(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/api/v2/summary.json"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"page":{"name":"HubSpot"},"status":{"indicator":"none","description":"All Systems Operational"},"components":[],"incidents":[]}`)
		default:
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			w.Header().Set("X-HubSpot-Correlation-Id", "b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"status":"error","message":"Authentication credentials not found.","correlationId":"b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11","category":"INVALID_AUTHENTICATION"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startBot runs `bot serve` in-process, as main would, against the Slack
// fake and a HubSpot stand-in, over loopback.
func startBot(t *testing.T, extra map[string]string) *bot {
	t.Helper()
	return startBotWith(t, newSlack(t), extra)
}

// newSlack is the Slack stand-in the bots of a test talk to.
func newSlack(t *testing.T) *slackfake.Server {
	t.Helper()
	fake := slackfake.New(slackfake.WithToken(testBotToken), slackfake.WithChannel(channel, "incidents"),
		slackfake.WithUser("U0ALICE", "alice", "Alice Admin"), slackfake.WithUser("U0BOB", "bob", "Bob Builder"),
		slackfake.WithUser("U0CAROL", "carol", "Carol Ops"))
	t.Cleanup(fake.Close)
	return fake
}

// startBotWith starts a bot against an existing Slack stand-in: replicas
// of one deployment share it.
func startBotWith(t *testing.T, fake *slackfake.Server, extra map[string]string) *bot {
	t.Helper()
	env := botEnv(t, fake, extra)
	b := &bot{t: t, slack: fake, url: "http://" + env["BOT_ADDR"], env: env, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	ctx, stop := context.WithCancel(context.Background())
	b.stop = stop
	go func() {
		b.done <- run(ctx, []string{"bot", "serve"}, func(k string) string { return env[k] }, b.stdout, b.stderr)
	}()
	t.Cleanup(func() { b.shutdown() })
	b.waitListening()
	return b
}

// startBuiltBot is startBotWith with the built binary (make build's
// flags) as a process of its own: what an operator runs. Its stop is
// SIGTERM, and shutdown waits for the process to exit.
func startBuiltBot(t *testing.T, fake *slackfake.Server, extra map[string]string) *bot {
	t.Helper()
	bin := builtBot(t)
	env := botEnv(t, fake, extra)
	env["PATH"] = os.Getenv("PATH")
	b := &bot{t: t, slack: fake, url: "http://" + env["BOT_ADDR"], env: env, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = t.TempDir()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = b.stdout, b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.stop = func() { cmd.Process.Signal(syscall.SIGTERM) }
	go func() { b.done <- cmd.Wait() }()
	t.Cleanup(func() { b.shutdown() })
	b.waitListening()
	return b
}

// botEnv is the environment of a bot against fake and a HubSpot stand-in,
// with its own database and a free loopback address; extra is added last.
func botEnv(t *testing.T, fake *slackfake.Server, extra map[string]string) map[string]string {
	t.Helper()
	hub := hubspotStandIn(t)
	dir := t.TempDir()
	vendorsFile := filepath.Join(dir, "vendors.yaml")
	os.WriteFile(vendorsFile, []byte(fmt.Sprintf("hubspot:\n  api_url: %s\n  status_url: %s\n", hub.URL, hub.URL)), 0o644)
	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret, "SLACK_API_URL": fake.URL() + "/api/",
		"BOT_ADDR": addr, "DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "VENDORS_FILE": vendorsFile,
		"HUBSPOT_ACCESS_TOKEN": testHubSpotKey, "TRIAGE_DEADLINE": "5s", "LOG_LEVEL": "debug",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// waitListening waits for the bot to answer /healthz, failing the test
// with its log if it exits first.
func (b *bot) waitListening() {
	t := b.t
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(b.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-b.done:
			b.stop = nil
			t.Fatalf("bot exited at start: %v\n%s", err, b.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bot not listening after 10s\n%s", b.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shutdown stops the bot as SIGTERM would and returns run's error.
func (b *bot) shutdown() error {
	if b.stop == nil {
		return nil
	}
	// A connection the client dialled for a request that then went out on
	// another one sits in its pool unused; the server's drain gives such a
	// connection 5 s to send its first request (net/http, issue 22682).
	// The test sends nothing more: let the client hang up, as it would.
	http.DefaultClient.CloseIdleConnections()
	b.stop()
	b.stop = nil
	select {
	case err := <-b.done:
		return err
	case <-time.After(20 * time.Second):
		b.t.Fatal("bot did not stop within 20s of SIGTERM")
	}
	return nil
}

func (b *bot) post(path, contentType, body string, header ...string) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackapp.Sign(testSecret, ts, []byte(body)))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

// triggers numbers the trigger ids the tests send: Slack gives each command
// and click its own, and the bot runs a request whose trigger id it has
// seen once.
var triggers atomic.Int64

func nextTrigger() string { return fmt.Sprintf("1.2.%d", triggers.Add(1)) }

// command sends /incident TEXT as user and returns the ephemeral reply.
func (b *bot) command(user, text string) string {
	b.t.Helper()
	form := url.Values{"team_id": {team}, "channel_id": {channel}, "user_id": {user}, "command": {"/incident"},
		"text": {text}, "response_url": {b.slack.ResponseURL(channel, user)}, "trigger_id": {nextTrigger()}}
	start := time.Now()
	resp := b.post("/slack/commands", "application/x-www-form-urlencoded", form.Encode())
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("/incident %s: status %d", text, resp.StatusCode)
	}
	if d := time.Since(start); d > 3*time.Second {
		b.t.Errorf("/incident %s answered in %v, over Slack's 3 s", text, d)
	}
	var r struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	if r.ResponseType != "ephemeral" {
		b.t.Errorf("reply to %q is %q, want ephemeral", text, r.ResponseType)
	}
	return r.Text
}

func (b *bot) click(user, actionID, value, messageTS string) {
	b.t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]string{"id": team}, "user": map[string]string{"id": user},
		"channel": map[string]string{"id": channel}, "container": map[string]string{"message_ts": messageTS, "channel_id": channel},
		"trigger_id": nextTrigger(), "response_url": b.slack.ResponseURL(channel, user),
		"actions": []map[string]string{{"action_id": actionID, "value": value, "block_id": "severity", "type": "button"}},
	})
	resp := b.post("/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {string(payload)}}.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("click %s: status %d", actionID, resp.StatusCode)
	}
}

func (b *bot) event(eventID string, event map[string]any, header ...string) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": team, "event_id": eventID,
		"event_time": time.Now().Unix(), "event": event})
	resp := b.post("/slack/events", "application/json", string(body), header...)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("event %s: status %d", eventID, resp.StatusCode)
	}
}

// open runs /incident TEXT (declare or triage) and returns the incident
// message once the bot has stored its ts, so that thread events find it.
func (b *bot) open(user, text string) slackfake.Message {
	b.t.Helper()
	posted := len(b.slack.Calls("chat.postMessage"))
	b.command(user, text)
	b.slack.MustWait(b.t, "chat.postMessage", posted+1)
	msgs := b.slack.Messages(channel)
	m := msgs[len(msgs)-1]
	eventually(b.t, "the incident's ts stored", func() bool {
		return strings.Contains(b.command(user, "list"), strings.ReplaceAll(m.TS, ".", ""))
	})
	return m
}

// incidentID reads the incident id from the buttons of the incident message.
func incidentID(t *testing.T, blocks json.RawMessage) string {
	t.Helper()
	var bs []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal(blocks, &bs)
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.ActionID == "severity_P1" {
				return e.Value
			}
		}
	}
	t.Fatalf("no severity buttons in %s", blocks)
	return ""
}

func header(blocks json.RawMessage) string {
	var bs []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	json.Unmarshal(blocks, &bs)
	for _, b := range bs {
		if b.Type == "header" {
			return b.Text.Text
		}
	}
	return ""
}

func TestFullIncidentLoop(t *testing.T) {
	b := startBot(t, nil)
	fake := b.slack

	if got := b.command("U0ALICE", ""); !strings.Contains(got, "/incident triage VENDOR") {
		t.Errorf("help = %q", got)
	}
	if got := b.command("U0ALICE", "frobnicate"); !strings.Contains(got, "/incident help") {
		t.Errorf("unknown subcommand answer = %q", got)
	}
	if got := b.command("U0ALICE", "triage nosuchvendor"); !strings.Contains(got, "hubspot") {
		t.Errorf("unknown vendor answer %q does not list the known vendors", got)
	}

	// Triage opens the incident.
	if got := b.command("U0ALICE", "triage hubspot"); !strings.Contains(got, "Triaging HubSpot") {
		t.Errorf("triage ack = %q", got)
	}
	fake.MustWait(t, "chat.postMessage", 1)
	msgs := fake.Messages(channel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the channel, want the incident message", len(msgs))
	}
	inc := msgs[0]
	if h := header(inc.Blocks); h != "[P1] INCIDENT INC-1: HubSpot: token refused (401)" {
		t.Errorf("header = %q", h)
	}
	for _, want := range []string{"b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11", "401", "Private Apps", "Resolve", "severity_P4"} {
		if !strings.Contains(string(inc.Blocks), want) {
			t.Errorf("incident message lacks %q", want)
		}
	}
	id := incidentID(t, inc.Blocks)
	// The ts is stored right after the post; wait until the list links it.
	eventually(t, "incident ts stored", func() bool {
		return strings.Contains(b.command("U0ALICE", "list"), strings.ReplaceAll(inc.TS, ".", ""))
	})

	// Severity button: the message is updated in place.
	b.click("U0BOB", "severity_P2", id, inc.TS)
	fake.MustWait(t, "chat.update", 1)
	b.click("U0BOB", "severity_P2", id, inc.TS) // the value it already has: nothing changes
	b.click("U0BOB", "status_identified", id, inc.TS)
	fake.MustWait(t, "chat.update", 2)
	cur := fake.Messages(channel)[0]
	if h := header(cur.Blocks); !strings.HasPrefix(h, "[P2]") || !cur.Updated {
		t.Errorf("after the P2 click the header is %q (updated %v)", h, cur.Updated)
	}
	if !strings.Contains(string(cur.Blocks), "Identified") {
		t.Error("status not shown after the click")
	}

	// The thread becomes the timeline.
	reply := func(id, user, ts, text string) map[string]any {
		return map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "thread_ts": inc.TS}
	}
	ts1, ts2, ts3 := "1800000001.000100", "1800000002.000100", "1800000003.000100"
	b.event("Ev1", reply("Ev1", "U0BOB", ts1, "lookng at it"))
	b.event("Ev1", reply("Ev1", "U0BOB", ts1, "lookng at it"), "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	b.event("Ev2", reply("Ev2", "U0CAROL", ts2, "action: alert on HubSpot 401s"))
	b.event("Ev3", reply("Ev3", "U0CAROL", ts3, "wrong thread, sorry"))
	b.event("Ev4", map[string]any{"type": "message", "subtype": "message_changed", "channel": channel,
		"message": map[string]any{"user": "U0BOB", "text": "looking at it", "ts": ts1, "thread_ts": inc.TS,
			"edited": map[string]string{"user": "U0BOB", "ts": "1800000010.000000"}}})
	b.event("Ev5", map[string]any{"type": "message", "subtype": "message_deleted", "channel": channel,
		"deleted_ts": ts3, "previous_message": map[string]any{"user": "U0CAROL", "ts": ts3, "thread_ts": inc.TS}})
	b.event("Ev6", map[string]any{"type": "message", "channel": channel, "user": "U0BOB", "text": "lunch?", "ts": "1800000004.000100"})
	b.event("Ev7", map[string]any{"type": "message", "channel": channel, "bot_id": "B1", "text": "bot chatter", "ts": "1800000005.000100", "thread_ts": inc.TS})

	// Resolve, twice: one postmortem.
	if got := b.command("U0ALICE", "resolve Token rotated; calls recovered"); !strings.Contains(got, "Resolving INC-1") {
		t.Errorf("resolve ack = %q", got)
	}
	fake.MustWaitFor(t, "the postmortem upload", func() bool { return len(fake.Files()) == 1 })
	if got := b.command("U0BOB", "resolve INC-1"); !strings.Contains(got, "already resolved") {
		t.Errorf("second resolve = %q", got)
	}
	f := fake.Files()[0]
	doc := string(f.Content)
	if f.Name != "INC-1-postmortem.md" || f.Channel != channel || f.ThreadTS != inc.TS {
		t.Errorf("file %s shared in %s/%s, want INC-1-postmortem.md in the incident thread", f.Name, f.Channel, f.ThreadTS)
	}
	for _, want := range []string{
		"# Incident INC-1: HubSpot: token refused (401)", "Token rotated; calls recovered", "looking at it _(edited)_",
		"~~wrong thread, sorry~~ _(deleted)_", "- [ ] alert on HubSpot 401s — @carol", "**Severity**: P1 → P2",
		"`b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11`", "## Root Cause", "## Impact", "| Commander | @alice |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
	for _, unwanted := range []string{"lunch?", "bot chatter", "lookng"} {
		if strings.Contains(doc, unwanted) {
			t.Errorf("postmortem has %q", unwanted)
		}
	}
	if n := strings.Count(doc, "looking at it"); n != 1 {
		t.Errorf("the retried reply appears %d times", n)
	}
	fake.MustWaitFor(t, "resolved message", func() bool {
		return strings.HasPrefix(header(fake.Messages(channel)[0].Blocks), "[RESOLVED]")
	})
	if strings.Contains(string(fake.Messages(channel)[0].Blocks), "severity_P1") {
		t.Error("resolved message still has severity buttons")
	}
	if len(fake.Files()) != 1 || len(fake.Calls("files.completeUploadExternal")) != 1 {
		t.Errorf("%d files shared, want exactly one", len(fake.Files()))
	}

	if err := b.shutdown(); err != nil {
		t.Fatalf("run returned %v after SIGTERM, want nil (exit 0)", err)
	}
	// The same postmortem from the terminal, without Slack.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bot", "postmortem", "INC-1"}, func(k string) string { return b.env[k] }, &out, io.Discard); err != nil {
		t.Fatalf("bot postmortem: %v", err)
	}
	if out.String() != doc {
		t.Errorf("bot postmortem differs from the shared file:\n%s", out.String())
	}
	assertNoSecrets(t, b.stderr.String()+b.stdout.String()+doc, fake)
}

// eventually polls cond, for state the Slack fake cannot signal (the bot's own).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// assertNoSecrets checks every output and every call Slack received.
func assertNoSecrets(t *testing.T, out string, fake *slackfake.Server) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(out)
	for _, c := range fake.Calls("") {
		fmt.Fprint(&sb, c.Params, string(c.Blocks))
	}
	for _, s := range []string{testBotToken, testSecret, testHubSpotKey} {
		if strings.Contains(sb.String(), s) {
			t.Errorf("a secret (%s…) leaked into logs, output or Slack", s[:6])
		}
	}
}
