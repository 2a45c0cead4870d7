package slackfake

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

const appToken = "xapp-1-A0FAKEAPP1-0123456789-secret"

// socketURL asks the fake for a Socket Mode URL as slack-go does.
func socketURL(t *testing.T, srv *Server) string {
	t.Helper()
	api := slack.New("", slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(srv.URL()+"/api/"))
	_, u, err := api.StartSocketModeContext(ctx(t))
	if err != nil {
		t.Fatalf("apps.connections.open: %v", err)
	}
	return u
}

// dial opens a Socket Mode connection and reads its hello.
func dial(t *testing.T, srv *Server) (*websocket.Conn, map[string]any) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.DialContext(ctx(t), socketURL(t, srv), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	hello := read(t, c)
	if hello["type"] != "hello" {
		t.Fatalf("first message %v, want hello", hello)
	}
	return c, hello
}

// read reads one JSON message, waiting at most DefaultWaitTimeout.
func read(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(DefaultWaitTimeout))
	var m map[string]any
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

func ack(t *testing.T, c *websocket.Conn, id string, payload any) {
	t.Helper()
	msg := map[string]any{"envelope_id": id}
	if payload != nil {
		msg["payload"] = payload
	}
	if err := c.WriteJSON(msg); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

func TestSocketModeTokens(t *testing.T) {
	srv, bot := start(t, WithAppToken(appToken))
	if _, _, err := bot.StartSocketModeContext(ctx(t)); err == nil {
		t.Error("apps.connections.open accepted no app token")
	}
	withBot := slack.New("", slack.OptionAppLevelToken(token), slack.OptionAPIURL(srv.URL()+"/api/"))
	if _, _, err := withBot.StartSocketModeContext(ctx(t)); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("a bot token: %v, want not_allowed_token_type", err)
	}
	wrong := slack.New("", slack.OptionAppLevelToken("xapp-1-other"), slack.OptionAPIURL(srv.URL()+"/api/"))
	if _, _, err := wrong.StartSocketModeContext(ctx(t)); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("another app token: %v, want invalid_auth", err)
	}
	u, err := url.Parse(socketURL(t, srv))
	if err != nil || u.Scheme != "ws" || "http://"+u.Host != srv.URL() || u.Query().Get("ticket") == "" {
		t.Errorf("URL %v: want ws:// on the fake's host with a ticket", u)
	}
	for _, c := range srv.Calls(ConnectionsOpenMethod) {
		if strings.Contains(c.Params.Encode(), "xapp-") {
			t.Error("a token was recorded")
		}
	}
	// The bot token still works for the Web API next to the app token.
	if _, err := bot.AuthTestContext(ctx(t)); err != nil {
		t.Errorf("auth.test with the bot token: %v", err)
	}
}

func TestSocketModeTicketIsSingleUse(t *testing.T) {
	srv, _ := start(t)
	u := socketURL(t, srv)
	c, resp, err := websocket.DefaultDialer.DialContext(ctx(t), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer c.Close()
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx(t), u, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("second dial with the same ticket: %v, want 401", err)
	}
}

func TestSocketModeEnvelopesAndAcks(t *testing.T) {
	srv, _ := start(t)
	c, hello := dial(t, srv)
	if hello["num_connections"] != 1.0 || hello["connection_info"].(map[string]any)["app_id"] != AppID {
		t.Errorf("hello = %v", hello)
	}

	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/incident"}, "text": {"help"}}
	id := srv.MustPush(t, EnvelopeSlashCommands, form)
	env := read(t, c)
	p, _ := env["payload"].(map[string]any)
	if env["type"] != EnvelopeSlashCommands || env["envelope_id"] != id || env["accepts_response_payload"] != true ||
		p["text"] != "help" || p["channel_id"] != "C1" {
		t.Errorf("slash command envelope = %v", env)
	}
	ack(t, c, id, map[string]string{"response_type": "ephemeral", "text": "hi"})
	got := srv.MustWaitAck(t, id)
	if string(got.Payload) != `{"response_type":"ephemeral","text":"hi"}` || got.Conn != 1 || got.Dropped {
		t.Errorf("ack = %+v", got)
	}

	click := srv.MustPush(t, EnvelopeInteractive, map[string]any{"type": "block_actions"})
	if env := read(t, c); env["envelope_id"] != click || env["accepts_response_payload"] != false {
		t.Errorf("block_actions envelope = %v", env)
	}
	submit := srv.MustPush(t, EnvelopeInteractive, json.RawMessage(`{"type":"view_submission"}`))
	if env := read(t, c); env["envelope_id"] != submit || env["accepts_response_payload"] != true {
		t.Errorf("view_submission envelope = %v", env)
	}
	event := srv.MustPush(t, EnvelopeEventsAPI, map[string]any{"type": "event_callback", "event_id": "Ev1"})
	if env := read(t, c); env["envelope_id"] != event || env["retry_attempt"] != 0.0 {
		t.Errorf("events_api envelope = %v", env)
	}
	ack(t, c, click, nil)
	if a := srv.MustWaitAck(t, click); a.Payload != nil {
		t.Errorf("empty ack recorded with payload %s", a.Payload)
	}

	// Slack ignores acks of 20 KB and more.
	ack(t, c, submit, map[string]string{"text": strings.Repeat("x", MaxAckSize)})
	srv.MustWaitFor(t, "the oversized ack", func() bool { return len(srv.Acks()) == 3 })
	if a := srv.Acks()[2]; !a.Dropped || a.Size < MaxAckSize {
		t.Errorf("oversized ack = %d bytes, dropped %v", a.Size, a.Dropped)
	}
	if got := srv.Unacked(); strings.Join(got, ",") != submit+","+event {
		t.Errorf("unacked = %v, want the submission and the event", got)
	}

	// An envelope left un-acked comes again, marked as a retry.
	if err := srv.Redeliver(event); err != nil {
		t.Fatal(err)
	}
	if env := read(t, c); env["envelope_id"] != event || env["retry_attempt"] != 1.0 || env["retry_reason"] != "timeout" {
		t.Errorf("redelivered envelope = %v", env)
	}
	if _, err := srv.Push(EnvelopeEventsAPI, make(chan int)); err == nil {
		t.Error("Push accepted a payload that is not JSON")
	}
}

func TestSocketModeDisconnectAndReconnect(t *testing.T) {
	srv, _ := start(t)
	c1, _ := dial(t, srv)
	if n := srv.Disconnect("refresh_requested"); n != 1 {
		t.Fatalf("Disconnect told %d connections, want 1", n)
	}
	if m := read(t, c1); m["type"] != "disconnect" || m["reason"] != "refresh_requested" {
		t.Errorf("got %v, want a disconnect with reason refresh_requested", m)
	}
	// Pushed between the disconnect and the next connection: it waits.
	id := srv.MustPush(t, EnvelopeEventsAPI, map[string]any{"type": "event_callback"})
	c2, hello := dial(t, srv)
	if hello["num_connections"] != 2.0 {
		t.Errorf("hello on the second connection counts %v connections, want 2", hello["num_connections"])
	}
	if env := read(t, c2); env["envelope_id"] != id {
		t.Errorf("the waiting envelope did not come on the new connection: %v", env)
	}
	ack(t, c2, id, nil)
	if a := srv.MustWaitAck(t, id); a.Conn != 2 {
		t.Errorf("ack came on connection %d, want 2", a.Conn)
	}
	c1.Close()
	srv.MustWaitFor(t, "the old connection closed", func() bool { return srv.OpenConnections() == 1 })
	if srv.Connections() != 2 {
		t.Errorf("Connections() = %d, want 2", srv.Connections())
	}

	srv.DropSockets()
	c2.SetReadDeadline(time.Now().Add(DefaultWaitTimeout))
	if _, _, err := c2.ReadMessage(); err == nil {
		t.Error("the connection survived DropSockets")
	}
	srv.MustWaitFor(t, "no open connection", func() bool { return srv.OpenConnections() == 0 })
}

func TestSocketModeHold(t *testing.T) {
	srv, _ := start(t)
	srv.HoldSockets()
	u := socketURL(t, srv)
	dialed := make(chan error, 1)
	go func() {
		c, resp, err := websocket.DefaultDialer.DialContext(ctx(t), u, nil)
		if err == nil {
			resp.Body.Close()
			t.Cleanup(func() { c.Close() })
		}
		dialed <- err
	}()
	select {
	case err := <-dialed:
		t.Fatalf("the handshake went through while held: %v", err)
	case <-time.After(50 * time.Millisecond): // a negative check: no wait on it makes the test slow
	}
	srv.ReleaseSockets()
	if err := <-dialed; err != nil {
		t.Fatalf("dial after release: %v", err)
	}
	srv.MustWaitFor(t, "the released connection", func() bool { return srv.Connections() == 1 })
}

func TestSocketModeCloseEndsConnections(t *testing.T) {
	srv := New()
	c, _ := dial(t, srv)
	srv.Close()
	c.SetReadDeadline(time.Now().Add(DefaultWaitTimeout))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Error("the connection outlived the fake")
	}
}
