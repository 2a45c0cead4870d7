package slackfake

// The Socket Mode side of the fake: apps.connections.open hands out a
// single-use ws:// URL on the fake's own host, and the websocket behind it
// speaks the envelope protocol the way Slack does. On connect the fake sends
// hello; a test pushes envelopes (Push), the client acknowledges them by
// envelope_id, and the acks are recorded, payload and size included, for the
// test to wait for (WaitAck). Disconnect sends {"type":"disconnect"} with a
// reason such as refresh_requested, after which no new envelope goes to that
// connection: envelopes pushed while no connection is open wait for the next
// one, as Slack holds them while the app reconnects. The fake pings every
// connection every few seconds, as Slack does; clients that watch for the
// pings stay connected.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The envelope types Slack sends over Socket Mode, for Push.
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

// MaxAckSize is the size of a websocket message from the app at which Slack
// silently drops it. Acks this large are recorded with Dropped set and do
// not count as acknowledgements.
const MaxAckSize = 20 * 1024

// ConnectionsOpenMethod is the Web API method that opens a Socket Mode
// connection. It takes an app-level token (xapp-…), not the bot token.
const ConnectionsOpenMethod = "apps.connections.open"

// socketPing is how often the fake pings each connection.
const socketPing = 5 * time.Second

// socketState is the Socket Mode part of Server, guarded by Server.mu.
type socketState struct {
	appToken string          // required app-level token; "" accepts any xapp- token
	tickets  map[string]bool // issued and not yet used
	held     chan struct{}   // non-nil while HoldSockets holds handshakes; closed on release
	conns    []*sockConn     // every accepted connection, in order; conns[i].n == i+1
	envs     map[string]*envelope
	envOrder []string
	pending  []string // envelope ids waiting for a connection
	acks     []Ack
}

// sockConn is one accepted websocket connection.
type sockConn struct {
	n       int
	ws      *websocket.Conn
	out     chan []byte   // messages for the writer, in order
	done    chan struct{} // closed when the connection is gone
	open    bool
	closing bool // told to disconnect: gets no new envelopes
}

// envelope is one message pushed to the app.
type envelope struct {
	id, typ   string
	payload   json.RawMessage
	accepts   bool
	attempt   int
	reason    string
	conn      int // the connection it was last sent on; 0 while waiting
	acked     bool
	delivered bool
}

// Ack is an acknowledgement the app sent over a Socket Mode connection.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's payload (a slash command's reply), nil if none.
	Payload json.RawMessage
	// Size is the length of the websocket message in bytes.
	Size int
	// Conn is the connection that carried it: 1 for the first accepted.
	Conn int
	// Dropped is set when Size reached MaxAckSize: Slack ignores such acks.
	Dropped bool
	Time    time.Time
}

// WithAppToken makes apps.connections.open accept only this app-level
// token and answer invalid_auth to any other. Without it any xapp- token is
// accepted. A token of another type is not_allowed_token_type either way.
func WithAppToken(token string) Option {
	return func(s *Server) { s.sock.appToken = token }
}

func (s *Server) appsConnectionsOpen(r *request) reply {
	switch {
	case !strings.HasPrefix(r.token, "xapp-"):
		return fail("not_allowed_token_type", "apps.connections.open takes an app-level token (xapp-…)")
	case s.sock.appToken != "" && r.token != s.sock.appToken:
		return fail("invalid_auth", "the app-level token is not the one the fake was told to accept")
	}
	if s.sock.tickets == nil {
		s.sock.tickets = map[string]bool{}
	}
	ticket := s.nextIDLocked("ticket-")
	s.sock.tickets[ticket] = true
	u := "ws" + strings.TrimPrefix(s.URL(), "http") + "/link/?" + url.Values{"ticket": {ticket}, "app_id": {AppID}}.Encode()
	return ok(map[string]any{"url": u})
}

var upgrader = websocket.Upgrader{
	// Slack's servers take the Origin slack-go sends (https://api.slack.com).
	CheckOrigin: func(*http.Request) bool { return true },
}

// serveSocket is the websocket endpoint apps.connections.open points at.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	held := s.sock.held
	s.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-s.closed:
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			return
		}
	}
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.sock.tickets[ticket]
	delete(s.sock.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket: call apps.connections.open for a new URL", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &sockConn{ws: ws, out: make(chan []byte, 1024), done: make(chan struct{}), open: true}
	go c.write()

	s.mu.Lock()
	c.n = len(s.sock.conns) + 1
	s.sock.conns = append(s.sock.conns, c)
	open := 0
	for _, o := range s.sock.conns {
		if o.open {
			open++
		}
	}
	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": open,
		"debug_info":      map[string]any{"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID},
	})
	c.send(hello)
	pending := s.sock.pending
	s.sock.pending = nil
	for _, id := range pending {
		s.deliverLocked(s.sock.envs[id], c)
	}
	s.notifyLocked()
	s.mu.Unlock()

	go func() {
		select {
		case <-s.closed:
			ws.Close()
		case <-c.done:
		}
	}()
	s.readAcks(c)
}

// send queues msg for c's writer. The caller holds s.mu.
func (c *sockConn) send(msg []byte) bool {
	select {
	case c.out <- msg:
		return true
	default:
		return false
	}
}

// write is c's only writer: queued messages in order, and pings.
func (c *sockConn) write() {
	ping := time.NewTicker(socketPing)
	defer ping.Stop()
	for {
		select {
		case msg := <-c.out:
			c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.ws.Close()
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(10*time.Second)); err != nil {
				c.ws.Close()
				return
			}
		case <-c.done:
			return
		}
	}
}

// readAcks records what the app sends until the connection ends.
func (s *Server) readAcks(c *sockConn) {
	defer func() {
		c.ws.Close()
		s.mu.Lock()
		c.open = false
		close(c.done)
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(msg, &ack) != nil || ack.EnvelopeID == "" {
			continue // Slack ignores what it cannot read
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		a := Ack{EnvelopeID: ack.EnvelopeID, Payload: cloneRaw(ack.Payload), Size: len(msg), Conn: c.n,
			Dropped: len(msg) >= MaxAckSize, Time: s.now()}
		s.mu.Lock()
		s.sock.acks = append(s.sock.acks, a)
		if e := s.sock.envs[a.EnvelopeID]; e != nil && !a.Dropped {
			e.acked = true
		}
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// liveConnLocked is the newest connection that takes envelopes, or nil.
func (s *Server) liveConnLocked() *sockConn {
	for i := len(s.sock.conns) - 1; i >= 0; i-- {
		if c := s.sock.conns[i]; c.open && !c.closing {
			return c
		}
	}
	return nil
}

// deliverLocked sends e on c, or keeps it waiting for the next connection.
func (s *Server) deliverLocked(e *envelope, c *sockConn) {
	msg, _ := json.Marshal(map[string]any{
		"envelope_id": e.id, "type": e.typ, "payload": e.payload,
		"accepts_response_payload": e.accepts, "retry_attempt": e.attempt, "retry_reason": e.reason,
	})
	if c == nil || !c.send(msg) {
		e.conn = 0
		s.sock.pending = append(s.sock.pending, e.id)
		return
	}
	e.conn, e.delivered = c.n, true
}

// Push sends an envelope of type typ (EnvelopeSlashCommands,
// EnvelopeInteractive, EnvelopeEventsAPI) to the app and returns its
// envelope_id. payload is the envelope's payload: for a slash command the
// form fields (url.Values, first value of each, as Slack sends them), for an
// interaction the block_actions or view_submission object, for the Events
// API the event_callback object; json.RawMessage is sent as it is. It goes
// to the newest connection that has not been told to disconnect, or waits
// for the next connection. accepts_response_payload is set as Slack sets it:
// for slash commands, view submissions and block suggestions.
func (s *Server) Push(typ string, payload any) (string, error) {
	var raw json.RawMessage
	switch p := payload.(type) {
	case json.RawMessage:
		raw = p
	case url.Values:
		m := map[string]string{}
		for k := range p {
			m[k] = p.Get(k)
		}
		raw, _ = json.Marshal(m)
	default:
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			return "", fmt.Errorf("slackfake: push %s: %w", typ, err)
		}
	}
	if !json.Valid(raw) {
		return "", fmt.Errorf("slackfake: push %s: the payload is not JSON", typ)
	}
	accepts := typ == EnvelopeSlashCommands
	if typ == EnvelopeInteractive {
		var p struct{ Type string }
		json.Unmarshal(raw, &p)
		accepts = p.Type == "view_submission" || p.Type == "block_suggestion"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock.envs == nil {
		s.sock.envs = map[string]*envelope{}
	}
	e := &envelope{id: s.nextIDLocked("env-"), typ: typ, payload: cloneRaw(raw), accepts: accepts}
	s.sock.envs[e.id] = e
	s.sock.envOrder = append(s.sock.envOrder, e.id)
	s.deliverLocked(e, s.liveConnLocked())
	s.notifyLocked()
	return e.id, nil
}

// MustPush is Push that fails the test on error.
func (s *Server) MustPush(t TB, typ string, payload any) string {
	t.Helper()
	id, err := s.Push(typ, payload)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return id
}

// Redeliver sends an envelope again, as Slack does when it was not
// acknowledged: retry_attempt goes up by one, retry_reason is "timeout".
func (s *Server) Redeliver(envelopeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.sock.envs[envelopeID]
	if e == nil {
		return fmt.Errorf("slackfake: no envelope %s", envelopeID)
	}
	if slices.Contains(s.sock.pending, envelopeID) {
		return nil // still waiting for its first delivery
	}
	e.attempt++
	e.reason = "timeout"
	s.deliverLocked(e, s.liveConnLocked())
	s.notifyLocked()
	return nil
}

// Disconnect sends {"type":"disconnect","reason":reason} on every open
// connection, as Slack does before it recycles one ("refresh_requested",
// "warning", "link_disabled"), and sends those connections no further
// envelopes. It returns how many connections were told. The fake leaves
// closing the connection to the app.
func (s *Server) Disconnect(reason string) int {
	msg, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-fake"}})
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.sock.conns {
		if c.open && !c.closing {
			c.closing = true
			c.send(msg)
			n++
		}
	}
	s.notifyLocked()
	return n
}

// DropSockets closes every open connection without a word, as a network
// failure would.
func (s *Server) DropSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sock.conns {
		if c.open {
			c.closing = true // no envelope goes to it before the close is noticed
			c.ws.Close()
		}
	}
}

// HoldSockets makes new websocket handshakes wait until ReleaseSockets:
// apps.connections.open still answers, but the connection does not open,
// as when Slack's socket servers are unreachable.
func (s *Server) HoldSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock.held == nil {
		s.sock.held = make(chan struct{})
	}
}

// ReleaseSockets lets held and new handshakes through.
func (s *Server) ReleaseSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sock.held != nil {
		close(s.sock.held)
		s.sock.held = nil
	}
}

// Connections is how many Socket Mode connections the fake has accepted
// (each was sent hello), including closed ones.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sock.conns)
}

// OpenConnections is how many Socket Mode connections are open now,
// including those told to disconnect that the app has not closed yet.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.sock.conns {
		if c.open {
			n++
		}
	}
	return n
}

// Acks returns every ack received, in order, dropped ones included.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.sock.acks)
	for i := range out {
		out[i].Payload = cloneRaw(out[i].Payload)
	}
	return out
}

// Unacked returns the envelopes pushed and not (or only with a dropped ack)
// acknowledged, in the order they were pushed.
func (s *Server) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.sock.envOrder {
		if !s.sock.envs[id].acked {
			out = append(out, id)
		}
	}
	return out
}

// ackLocked returns the first ack of envelopeID Slack would accept.
func (s *Server) ackLocked(envelopeID string) (Ack, bool) {
	for _, a := range s.sock.acks {
		if a.EnvelopeID == envelopeID && !a.Dropped {
			a.Payload = cloneRaw(a.Payload)
			return a, true
		}
	}
	return Ack{}, false
}

// WaitAck blocks until the envelope is acknowledged (with an ack under
// MaxAckSize) and returns the ack. It gives up when ctx is done or the fake
// is closed.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		var found bool
		got, found = s.ackLocked(envelopeID)
		return found
	})
	if err != nil {
		return Ack{}, fmt.Errorf("slackfake: waiting for the ack of envelope %s: %w", envelopeID, err)
	}
	return got, nil
}

// MustWaitAck is WaitAck with DefaultWaitTimeout that fails the test on
// timeout. Call it from the test's goroutine.
func (s *Server) MustWaitAck(t TB, envelopeID string) Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultWaitTimeout)
	defer cancel()
	a, err := s.WaitAck(ctx, envelopeID)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return a
}
