package slackapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
)

const testAppToken = "xapp-1-A0FAKEAPP1-42-SECRETAPPTOKEN"

// socketSvc is the command layer as Socket sees it, recording what reached
// it. Command blocks while gate is set and not closed.
type socketSvc struct {
	mu        sync.Mutex
	cmds      []commands.Command
	actions   []commands.Action
	subs      []commands.Submission
	events    []commands.Event
	reply     messages.Message
	failNext  int // events refused before one is stored
	gate      chan struct{}
	shortcuts []commands.Shortcut
	formErrs  map[string]string // what Submit answers
	captures  []commands.Capture
}

var _ Service = (*socketSvc)(nil)

func (f *socketSvc) Command(_ context.Context, c commands.Command) messages.Message {
	f.mu.Lock()
	f.cmds = append(f.cmds, c)
	gate, r := f.gate, f.reply
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if r.Text == "" {
		r = messages.Message{Text: "you said " + c.Text}
	}
	return r
}

func (f *socketSvc) CaptureMessage(_ context.Context, c commands.Capture) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.captures = append(f.captures, c)
}

func (f *socketSvc) Action(_ context.Context, a commands.Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
}

func (f *socketSvc) Submit(_ context.Context, s commands.Submission) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, s)
	return f.formErrs
}

func (f *socketSvc) Shortcut(_ context.Context, sc commands.Shortcut) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shortcuts = append(f.shortcuts, sc)
}

func (f *socketSvc) Event(_ context.Context, e commands.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return errors.New("store: database is locked")
	}
	f.events = append(f.events, e)
	return nil
}

func (f *socketSvc) counts() (cmds, actions, subs, events int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cmds), len(f.actions), len(f.subs), len(f.events)
}

// logBuffer collects log lines from the socket's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type socketRig struct {
	fake *slackfake.Server
	sock *Socket
	svc  *socketSvc
	logs *logBuffer
	stop context.CancelFunc
	done chan error
}

// runSocket starts a Socket against a fresh fake; prepare runs before Run.
func runSocket(t *testing.T, appToken string, prepare func(*socketRig), opts ...slackfake.Option) *socketRig {
	t.Helper()
	r := &socketRig{fake: slackfake.New(opts...), svc: &socketSvc{}, logs: &logBuffer{}, done: make(chan error, 1)}
	t.Cleanup(r.fake.Close)
	r.sock = NewSocket(appToken, r.fake.URL()+"/api/", r.svc, zerolog.New(r.logs))
	if prepare != nil {
		prepare(r)
	}
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() { r.done <- r.sock.Run(ctx) }()
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown stops Run and returns its error.
func (r *socketRig) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for a second call
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of the shutdown")
	}
	return nil
}

// waitUntil polls cond, for state the fake cannot signal (the socket's own).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *socketRig) waitConnected(t *testing.T) {
	t.Helper()
	waitUntil(t, "the socket to connect", r.sock.Connected)
}

func TestSocketFeedsTheCommandLayer(t *testing.T) {
	r := runSocket(t, testAppToken, nil)
	r.waitConnected(t)
	fake := r.fake

	// A slash command: its ack carries the ephemeral reply, as the HTTP
	// answer does.
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/incident"},
		"text": {"list"}, "response_url": {"https://hooks.example/r"}, "trigger_id": {"1.2.3"}, "token": {"verification"}}
	ack := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeSlashCommands, form))
	want, _ := json.Marshal(ephemeral(messages.Message{Text: "you said list"}))
	if string(ack.Payload) != string(want) {
		t.Errorf("slash command ack = %s, want %s", ack.Payload, want)
	}
	r.svc.mu.Lock()
	if got := r.svc.cmds[0]; got != (commands.Command{TeamID: "T1", ChannelID: "C1", UserID: "U1", Text: "list",
		ResponseURL: "https://hooks.example/r", TriggerID: "1.2.3"}) {
		t.Errorf("command = %+v", got)
	}
	r.svc.mu.Unlock()

	// A command without its user is answered, not handed on.
	bad := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeSlashCommands, url.Values{"team_id": {"T1"}, "channel_id": {"C1"}}))
	if !strings.Contains(string(bad.Payload), "incomplete") {
		t.Errorf("malformed command ack = %s", bad.Payload)
	}

	// A click: an empty ack, the action handed on.
	click := map[string]any{"type": "block_actions", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"},
		"channel": map[string]string{"id": "C1"}, "container": map[string]string{"message_ts": "1700000000.000100"},
		"actions": []map[string]string{{"action_id": "severity_P2", "block_id": "severity", "value": "0190-id", "type": "button"}}}
	if a := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeInteractive, click)); a.Payload != nil {
		t.Errorf("click ack carries %s, want none", a.Payload)
	}
	// A submitted modal: an empty ack closes it.
	submit := map[string]any{"type": "view_submission", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"},
		"view": map[string]any{"callback_id": "post_update", "private_metadata": "0190-id",
			"state": map[string]any{"values": map[string]any{"impact": map[string]any{"v": map[string]any{"type": "plain_text_input", "value": "checkout"}}}}}}
	if a := fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeInteractive, submit)); a.Payload != nil {
		t.Errorf("submission ack carries %s, want none", a.Payload)
	}

	// Events: a thread reply; an event slack-go cannot parse, read by us;
	// an outer type that is not an event callback.
	reply := map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
		"event": map[string]any{"type": "message", "channel": "C1", "user": "U2", "text": "looking", "ts": "1700000001.000100", "thread_ts": "1700000000.000100"}}
	fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeEventsAPI, reply))
	odd := map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev2", "event": map[string]any{"type": "no_such_event_type", "channel": "C1"}}
	fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeEventsAPI, odd))
	fake.MustWaitAck(t, fake.MustPush(t, slackfake.EnvelopeEventsAPI, map[string]any{"type": "app_rate_limited", "minute_rate_limited": 1}))

	r.svc.mu.Lock()
	defer r.svc.mu.Unlock()
	if len(r.svc.actions) != 1 || r.svc.actions[0] != (commands.Action{TeamID: "T1", ChannelID: "C1", UserID: "U2",
		MessageTS: "1700000000.000100", ActionID: "severity_P2", Value: "0190-id"}) {
		t.Errorf("actions = %+v", r.svc.actions)
	}
	if len(r.svc.subs) != 1 || r.svc.subs[0].CallbackID != "post_update" || r.svc.subs[0].Values["impact"] != "checkout" {
		t.Errorf("submissions = %+v", r.svc.subs)
	}
	if len(r.svc.events) != 2 || r.svc.events[0].EventID != "Ev1" || r.svc.events[0].ThreadTS != "1700000000.000100" ||
		r.svc.events[1].Type != "no_such_event_type" {
		t.Errorf("events = %+v", r.svc.events)
	}
	if len(r.svc.cmds) != 1 {
		t.Errorf("%d commands reached the service, want 1", len(r.svc.cmds))
	}
	if u := fake.Unacked(); len(u) != 0 {
		t.Errorf("unacked envelopes: %v", u)
	}
	if strings.Contains(r.logs.String(), testAppToken) || strings.Contains(r.logs.String(), "verification") {
		t.Error("a token reached the log")
	}
}

func TestSocketAcksEventsOnlyOnceStored(t *testing.T) {
	r := runSocket(t, testAppToken, func(r *socketRig) { r.svc.failNext = 1 })
	r.waitConnected(t)
	ev := map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev9",
		"event": map[string]any{"type": "message", "channel": "C1", "user": "U2", "text": "hi", "ts": "1700000001.000100", "thread_ts": "1700000000.000100"}}
	id := r.fake.MustPush(t, slackfake.EnvelopeEventsAPI, ev)
	waitUntil(t, "the refusal to be logged", func() bool { return strings.Contains(r.logs.String(), "left unacknowledged") })
	if err := r.fake.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	r.fake.MustWaitAck(t, id)
	n := 0
	for _, a := range r.fake.Acks() {
		if a.EnvelopeID == id {
			n++
		}
	}
	if _, _, _, events := r.svc.counts(); n != 1 || events != 1 {
		t.Errorf("%d acks and %d stored events, want 1 and 1: the failed attempt must not be acknowledged", n, events)
	}
}

func TestSocketKeepsAcksUnder20KB(t *testing.T) {
	tests := []struct {
		name  string
		reply messages.Message
		want  string // the ack's text starts with it
	}{
		{"large blocks: the text alone", messages.Message{Text: "Triaging HubSpot…",
			Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", 30000) + `"}}]`)},
			"Triaging HubSpot…"},
		{"large text, escaped by JSON: cut short", messages.Message{Text: strings.Repeat("<&é>", 12000)}, "<&é><&é>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSocket(t, testAppToken, func(r *socketRig) { r.svc.reply = tt.reply })
			r.waitConnected(t)
			form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "text": {"list"}}
			ack := r.fake.MustWaitAck(t, r.fake.MustPush(t, slackfake.EnvelopeSlashCommands, form))
			var got struct {
				ResponseType string          `json:"response_type"`
				Text         string          `json:"text"`
				Blocks       json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(ack.Payload, &got); err != nil {
				t.Fatal(err)
			}
			if ack.Size >= slackfake.MaxAckSize || got.ResponseType != "ephemeral" || got.Blocks != nil ||
				!strings.HasPrefix(got.Text, tt.want) {
				t.Errorf("ack of %d bytes: %s…", ack.Size, ack.Payload[:min(len(ack.Payload), 80)])
			}
			if ack.Size < slackfake.MaxAckSize-100 && len(tt.reply.Blocks) == 0 {
				t.Errorf("ack of %d bytes: cut more than needed", ack.Size)
			}
		})
	}
}

// TestSocketReconnects: Slack's refresh_requested, a dropped connection
// and an outage each end in a new connection; envelopes pushed in between
// are served on it; Connected follows.
func TestSocketReconnects(t *testing.T) {
	r := runSocket(t, testAppToken, nil)
	r.waitConnected(t)
	fake := r.fake
	push := func(text string) string {
		return fake.MustPush(t, slackfake.EnvelopeSlashCommands, url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "text": {text}})
	}

	if fake.Disconnect("refresh_requested") != 1 {
		t.Fatal("no connection to disconnect")
	}
	id := push("during the refresh")
	if a := fake.MustWaitAck(t, id); a.Conn != 2 || !strings.Contains(string(a.Payload), "during the refresh") {
		t.Errorf("ack on connection %d: %s", a.Conn, a.Payload)
	}
	fake.MustWaitFor(t, "the old connection closed by the bot", func() bool { return fake.OpenConnections() == 1 })

	fake.DropSockets()
	id = push("after a drop")
	if a := fake.MustWaitAck(t, id); a.Conn != 3 {
		t.Errorf("ack on connection %d, want 3", a.Conn)
	}
	r.waitConnected(t)

	// An outage: the socket is not connected until Slack lets it back in.
	fake.HoldSockets()
	fake.Disconnect("warning")
	waitUntil(t, "Connected to turn false", func() bool { return !r.sock.Connected() })
	fake.ReleaseSockets()
	r.waitConnected(t)
	if n := fake.Connections(); n != 4 {
		t.Errorf("%d connections, want 4", n)
	}
	if u := fake.Unacked(); len(u) != 0 {
		t.Errorf("unacked: %v", u)
	}
}

// TestSocketBackoffIsBounded: with apps.connections.open failing eight
// times, slack-go alone would wait 0.1+0.2+…+12.8 s, over 25 s, before the
// ninth attempt; with MaxBackoff the socket connects long before.
func TestSocketBackoffIsBounded(t *testing.T) {
	r := runSocket(t, testAppToken, func(r *socketRig) {
		r.sock.MaxBackoff = 100 * time.Millisecond
		r.fake.FailNext(slackfake.ConnectionsOpenMethod, 8, http.StatusInternalServerError, 0, "")
	})
	r.waitConnected(t)
	if n := len(r.fake.Calls(slackfake.ConnectionsOpenMethod)); n != 9 {
		t.Errorf("%d calls of apps.connections.open, want 9", n)
	}
	if !strings.Contains(r.logs.String(), "cannot connect to Slack") {
		t.Error("the failures are not logged")
	}
}

// TestSocketRefusedTokenKeepsTrying: slack-go gives up on invalid_auth; the
// socket logs what to fix, stays not connected and tries again.
func TestSocketRefusedTokenKeepsTrying(t *testing.T) {
	const wrong = "xapp-1-A0FAKEAPP1-42-WRONGTOKEN"
	r := runSocket(t, wrong, func(r *socketRig) { r.sock.MaxBackoff = 50 * time.Millisecond },
		slackfake.WithAppToken(testAppToken))
	r.fake.MustWaitFor(t, "three attempts", func() bool { return len(r.fake.Calls(slackfake.ConnectionsOpenMethod)) >= 3 })
	if r.sock.Connected() {
		t.Error("connected with a refused token")
	}
	if err := r.shutdown(t); err != nil {
		t.Errorf("Run = %v, want nil after a shutdown", err)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "SLACK_APP_TOKEN") || !strings.Contains(logs, `"slack_error":"invalid_auth"`) {
		t.Errorf("the log does not say what to fix:\n%s", logs)
	}
	if strings.Contains(logs, wrong) || strings.Contains(logs, "WRONGTOKEN") {
		t.Error("the token reached the log")
	}
}

// TestSocketShutdownFinishesWorkInFlight: on shutdown the socket takes no
// new envelope but finishes and acknowledges the one in flight.
func TestSocketShutdownFinishesWorkInFlight(t *testing.T) {
	gate := make(chan struct{})
	r := runSocket(t, testAppToken, func(r *socketRig) { r.svc.gate = gate })
	r.waitConnected(t)
	cmd := func(text string) url.Values {
		return url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "text": {text}}
	}
	first := r.fake.MustPush(t, slackfake.EnvelopeSlashCommands, cmd("first"))
	waitUntil(t, "the command to reach the service", func() bool { n, _, _, _ := r.svc.counts(); return n == 1 })
	r.stop()
	second := r.fake.MustPush(t, slackfake.EnvelopeSlashCommands, cmd("second"))
	close(gate)
	if err := r.shutdown(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if a := r.fake.MustWaitAck(t, first); !strings.Contains(string(a.Payload), "you said first") {
		t.Errorf("the command in flight was acknowledged with %s", a.Payload)
	}
	if n, _, _, _ := r.svc.counts(); n != 1 {
		t.Errorf("%d commands handled, want 1: nothing new after the shutdown began", n)
	}
	if u := r.fake.Unacked(); len(u) != 1 || u[0] != second {
		t.Errorf("unacked = %v, want only the envelope sent after the shutdown", u)
	}
	if r.sock.Connected() {
		t.Error("still connected after Run returned")
	}
}

func TestCutBytes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"}, {"abc", 2, "ab"}, {"abc", -1, ""}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"日本", 4, "日"},
	}
	for _, tt := range tests {
		if got := cutBytes(tt.in, tt.n); got != tt.want {
			t.Errorf("cutBytes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
