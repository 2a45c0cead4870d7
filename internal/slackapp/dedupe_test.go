package slackapp

// Deliveries that come twice run once: Dedupe itself, the HTTP handlers
// over loopback, and Socket Mode redeliveries from slackfake.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/rs/zerolog"
)

func TestDedupe(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	d := NewDedupe(time.Minute, 3)
	d.Now = func() time.Time { return now }

	seen, finish := d.Begin("a")
	if seen != FirstDelivery {
		t.Fatalf("first delivery: %v", seen)
	}
	if again, _ := d.Begin("a"); again != InFlight {
		t.Errorf("copy while in flight: %v, want InFlight", again)
	}
	finish(true)
	if again, _ := d.Begin("a"); again != Handled {
		t.Errorf("copy after handling: %v, want Handled", again)
	}

	// A failed delivery is forgotten, so that its redelivery runs.
	_, finishB := d.Begin("b")
	finishB(false)
	if again, _ := d.Begin("b"); again != FirstDelivery {
		t.Errorf("copy of a failed delivery: %v, want FirstDelivery", again)
	}

	// Past the window, a key is new again.
	now = now.Add(time.Minute)
	if again, _ := d.Begin("a"); again != FirstDelivery {
		t.Errorf("copy after the window: %v, want FirstDelivery", again)
	}

	// Past the cap, the oldest is forgotten; memory stays bounded.
	for i := range 10 {
		d.Begin(fmt.Sprint("k", i))
	}
	if n := d.Len(); n != 3 {
		t.Errorf("%d keys remembered, want the cap, 3", n)
	}
	if seen, _ := d.Begin("k9"); seen != InFlight {
		t.Errorf("the newest key was forgotten: %v", seen)
	}
	if seen, _ := d.Begin("k0"); seen != FirstDelivery {
		t.Errorf("the oldest key is still remembered: %v", seen)
	}
	if got := d.Duplicates(); got != 3 {
		t.Errorf("Duplicates = %d, want 3", got)
	}

	// An empty key, and a nil Dedupe, remember nothing.
	d.Begin("")
	if seen, _ := d.Begin(""); seen != FirstDelivery {
		t.Errorf("empty key: %v", seen)
	}
	var off *Dedupe
	off.Begin("x")
	if seen, finish := off.Begin("x"); seen != FirstDelivery || off.Len() != 0 || off.Duplicates() != 0 {
		t.Errorf("nil Dedupe: %v", seen)
	} else {
		finish(true)
	}
}

// TestDedupeConcurrent: of many copies arriving at once, one is first.
func TestDedupeConcurrent(t *testing.T) {
	d := NewDedupe(0, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 50 {
		wg.Go(func() {
			seen, finish := d.Begin("trigger:1")
			defer finish(true)
			if seen == FirstDelivery {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 || d.Duplicates() != 49 {
		t.Errorf("%d first deliveries and %d copies, want 1 and 49", firsts, d.Duplicates())
	}
}

const testSecret = "dedupe-test-signing-secret"

// edgeRig is the HTTP edge as cmd/bot mounts it: Verifier in front of the
// handlers sharing one Dedupe, on a loopback server.
type edgeRig struct {
	*httptest.Server
	svc  *socketSvc
	logs *logBuffer
	dd   *Dedupe
}

func newEdgeRig(t *testing.T) *edgeRig {
	t.Helper()
	e := &edgeRig{svc: &socketSvc{}, logs: &logBuffer{}, dd: NewDedupe(0, 0)}
	v := &Verifier{Secret: testSecret}
	opts := []HandlerOption{WithDedupe(e.dd), WithLog(zerolog.New(e.logs))}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", v.Middleware(Commands(e.svc, opts...)))
	mux.Handle("POST /slack/interactions", v.Middleware(Interactions(e.svc, opts...)))
	e.Server = httptest.NewServer(mux)
	t.Cleanup(e.Close)
	return e
}

// post sends body as Slack would at ts, and returns the status and body.
func (e *edgeRig) post(t *testing.T, path, body string, ts time.Time) (int, string) {
	t.Helper()
	status, answer, err := e.send(path, body, ts)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// send is post for other goroutines than the test's.
func (e *edgeRig) send(path, body string, ts time.Time) (int, string, error) {
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(body))
	sec := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", sec)
	req.Header.Set("X-Slack-Signature", Sign(testSecret, sec, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func commandForm(text, trigger string) string {
	f := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/incident"}, "text": {text}}
	if trigger != "" {
		f.Set("trigger_id", trigger)
	}
	return f.Encode()
}

func clickForm(t *testing.T, trigger string, actions int) string {
	t.Helper()
	list := []map[string]string{}
	for i := range actions {
		list = append(list, map[string]string{"action_id": fmt.Sprint("severity_P", i%4+1), "value": "0190-id", "block_id": "severity", "type": "button"})
	}
	p := map[string]any{"type": "block_actions", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"},
		"channel": map[string]string{"id": "C1"}, "container": map[string]string{"message_ts": "1700000000.000100"},
		"actions": list}
	if trigger != "" {
		p["trigger_id"] = trigger
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"payload": {string(raw)}}.Encode()
}

// TestHTTPDeliveredTwiceRunsOnce: a slash command or a click with the same
// trigger_id, or the same request sent again byte for byte (its signature),
// reaches the command layer once; each copy is answered 200.
func TestHTTPDeliveredTwiceRunsOnce(t *testing.T) {
	e := newEdgeRig(t)
	now := time.Now()

	// The same trigger_id, sent a second later: a new signature.
	status, first := e.post(t, "/slack/commands", commandForm("list", "111.222.aaa"), now)
	if status != http.StatusOK || !strings.Contains(first, "you said list") {
		t.Fatalf("first delivery: %d %s", status, first)
	}
	status, second := e.post(t, "/slack/commands", commandForm("list", "111.222.aaa"), now.Add(time.Second))
	if status != http.StatusOK || !strings.Contains(second, duplicateText) || !strings.Contains(second, `"ephemeral"`) {
		t.Errorf("second delivery: %d %s, want 200 and an ephemeral note", status, second)
	}
	// Without a trigger_id: the same request again is caught by its
	// signature; the same text at another time is a new command.
	e.post(t, "/slack/commands", commandForm("list", ""), now)
	e.post(t, "/slack/commands", commandForm("list", ""), now)
	e.post(t, "/slack/commands", commandForm("list", ""), now.Add(time.Second))
	// Another trigger_id is another command.
	e.post(t, "/slack/commands", commandForm("list", "111.222.bbb"), now)

	// A click: the same trigger_id twice.
	for range 2 {
		if status, body := e.post(t, "/slack/interactions", clickForm(t, "333.444.ccc", 1), now); status != http.StatusOK || body != "" {
			t.Errorf("click: %d %q, want an empty 200", status, body)
		}
	}

	cmds, actions, _, _ := e.svc.counts()
	if cmds != 4 || actions != 1 {
		t.Errorf("%d commands and %d actions reached the command layer, want 4 and 1", cmds, actions)
	}
	if got := e.dd.Duplicates(); got != 3 {
		t.Errorf("Duplicates = %d, want 3", got)
	}
	if n := strings.Count(e.logs.String(), "delivered again"); n != 3 {
		t.Errorf("%d copies logged, want 3:\n%s", n, e.logs.String())
	}
}

// TestHTTPCopiesInFlightRunOnce: copies arriving while the first is still
// being handled are answered at once and not handed on.
func TestHTTPCopiesInFlightRunOnce(t *testing.T) {
	e := newEdgeRig(t)
	gate := make(chan struct{})
	e.svc.gate = gate
	now := time.Now()
	done := make(chan string)
	go func() {
		_, body, err := e.send("/slack/commands", commandForm("triage hubspot", "555.666.ddd"), now)
		if err != nil {
			t.Error(err)
		}
		done <- body
	}()
	waitUntil(t, "the first delivery to reach the command layer", func() bool { n, _, _, _ := e.svc.counts(); return n == 1 })
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			status, body, err := e.send("/slack/commands", commandForm("triage hubspot", "555.666.ddd"), now.Add(time.Duration(i)*time.Second))
			if err != nil || status != http.StatusOK || !strings.Contains(body, duplicateText) {
				t.Errorf("copy: %d %s %v", status, body, err)
			}
		})
	}
	wg.Wait()
	close(gate)
	if body := <-done; !strings.Contains(body, "you said triage hubspot") {
		t.Errorf("the first delivery was answered %s", body)
	}
	if n, _, _, _ := e.svc.counts(); n != 1 {
		t.Errorf("%d commands reached the command layer, want 1", n)
	}
}

// TestHTTPWithoutDedupe: without WithDedupe every delivery is handed on,
// as before.
func TestHTTPWithoutDedupe(t *testing.T) {
	svc := &socketSvc{}
	h := (&Verifier{Secret: testSecret}).Middleware(Commands(svc))
	for range 2 {
		req := signed(testSecret, strconv.FormatInt(time.Now().Unix(), 10), commandForm("list", "1.2.3"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if n, _, _, _ := svc.counts(); n != 2 {
		t.Errorf("%d commands, want 2", n)
	}
}

// TestActionsCapped: a block_actions payload with 50 actions, over HTTP
// and over Socket Mode, hands on MaxActions of them and logs the rest as
// dropped.
func TestActionsCapped(t *testing.T) {
	e := newEdgeRig(t)
	if status, _ := e.post(t, "/slack/interactions", clickForm(t, "777.888.eee", 50), time.Now()); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	e.svc.mu.Lock()
	got := len(e.svc.actions)
	first := e.svc.actions[0].ActionID
	e.svc.mu.Unlock()
	if got != MaxActions || first != "severity_P1" {
		t.Errorf("HTTP: %d actions handed on (the first %s), want the first %d", got, first, MaxActions)
	}
	if !strings.Contains(e.logs.String(), `"dropped":45`) {
		t.Errorf("HTTP: the dropped actions are not logged:\n%s", e.logs.String())
	}

	r := runSocket(t, testAppToken, nil)
	r.waitConnected(t)
	var click map[string]any
	form, _ := url.ParseQuery(clickForm(t, "777.888.fff", 50))
	json.Unmarshal([]byte(form.Get("payload")), &click)
	r.fake.MustWaitAck(t, r.fake.MustPush(t, slackfake.EnvelopeInteractive, click))
	if _, n, _, _ := r.svc.counts(); n != MaxActions {
		t.Errorf("Socket Mode: %d actions handed on, want %d", n, MaxActions)
	}
	if !strings.Contains(r.logs.String(), `"dropped":45`) {
		t.Errorf("Socket Mode: the dropped actions are not logged:\n%s", r.logs.String())
	}
}

// acksOf counts the acks the fake received for an envelope.
func acksOf(fake *slackfake.Server, id string) []slackfake.Ack {
	var out []slackfake.Ack
	for _, a := range fake.Acks() {
		if a.EnvelopeID == id {
			out = append(out, a)
		}
	}
	return out
}

// TestSocketRedeliveryRunsOnce: an envelope Slack sends again with the
// same envelope_id (retry_attempt 1) is handed to the command layer once,
// and acknowledged again: a slash command with a note, others empty.
func TestSocketRedeliveryRunsOnce(t *testing.T) {
	r := runSocket(t, testAppToken, nil)
	r.waitConnected(t)
	fake := r.fake
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "text": {"list"}, "trigger_id": {"1.2.3"}}
	click := map[string]any{"type": "block_actions", "team": map[string]string{"id": "T1"}, "user": map[string]string{"id": "U2"},
		"channel": map[string]string{"id": "C1"}, "trigger_id": "1.2.4",
		"actions": []map[string]string{{"action_id": "severity_P2", "value": "0190-id", "block_id": "severity", "type": "button"}}}
	ev := map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev7",
		"event": map[string]any{"type": "message", "channel": "C1", "user": "U2", "text": "hi", "ts": "1700000001.000100", "thread_ts": "1700000000.000100"}}
	ids := []string{
		fake.MustPush(t, slackfake.EnvelopeSlashCommands, form),
		fake.MustPush(t, slackfake.EnvelopeInteractive, click),
		fake.MustPush(t, slackfake.EnvelopeEventsAPI, ev),
	}
	for _, id := range ids {
		fake.MustWaitAck(t, id)
		if err := fake.Redeliver(id); err != nil {
			t.Fatal(err)
		}
		fake.MustWaitFor(t, "the redelivery to be acknowledged", func() bool { return len(acksOf(fake, id)) == 2 })
	}
	if cmds, actions, _, events := r.svc.counts(); cmds != 1 || actions != 1 || events != 1 {
		t.Errorf("%d commands, %d actions, %d events reached the command layer, want one each", cmds, actions, events)
	}
	if again := acksOf(fake, ids[0])[1]; !strings.Contains(string(again.Payload), duplicateText) {
		t.Errorf("the slash command's second ack carries %s", again.Payload)
	}
	if again := acksOf(fake, ids[1])[1]; again.Payload != nil {
		t.Errorf("the click's second ack carries %s, want none", again.Payload)
	}
	if got := r.sock.Dedupe.Duplicates(); got != 3 {
		t.Errorf("Duplicates = %d, want 3", got)
	}
}

// TestSocketRedeliveryInFlight: an envelope redelivered while the first
// delivery is still being handled is left to that delivery's ack.
func TestSocketRedeliveryInFlight(t *testing.T) {
	gate := make(chan struct{})
	r := runSocket(t, testAppToken, func(r *socketRig) { r.svc.gate = gate })
	r.waitConnected(t)
	id := r.fake.MustPush(t, slackfake.EnvelopeSlashCommands, url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "text": {"slow"}})
	waitUntil(t, "the command to reach the service", func() bool { n, _, _, _ := r.svc.counts(); return n == 1 })
	if err := r.fake.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the redelivery to be seen", func() bool { return strings.Contains(r.logs.String(), "still being handled") })
	close(gate)
	if a := r.fake.MustWaitAck(t, id); !strings.Contains(string(a.Payload), "you said slow") {
		t.Errorf("ack carries %s, want the command's reply", a.Payload)
	}
	if n, _, _, _ := r.svc.counts(); n != 1 || len(acksOf(r.fake, id)) != 1 {
		t.Errorf("%d commands handled and %d acks, want 1 and 1", n, len(acksOf(r.fake, id)))
	}
}
