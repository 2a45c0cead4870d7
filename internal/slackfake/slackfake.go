// Package slackfake is a small stand-in for the Slack Web API, served over
// loopback with net/http/httptest, for tests that drive the bot through a
// real *slack.Client:
//
//	srv := slackfake.New(slackfake.WithToken("xoxb-test"))
//	defer srv.Close()
//	api := slack.New("xoxb-test", slack.OptionAPIURL(srv.URL()+"/api/"))
//
// It keeps real state rather than canned answers: channels hold messages and
// threads, chat.update and chat.delete change them, conversations.replies and
// conversations.history page through them, files uploaded with the three-step
// v2 flow are shared into channels and threads, and modals opened with
// views.open can be updated. Every call is recorded in order, so a test can
// look at what the bot sent (Calls, Messages, Thread, Ephemerals, Files,
// Views) and wait for background work to reach the fake (Wait, WaitFor).
//
// Message and view payloads are checked against the documented Block Kit
// limits (see limits in blockkit.go) and refused the way Slack refuses them,
// with the reason kept in the recorded Call. FailNext makes the next calls
// of a method answer HTTP 429 or 5xx or an {"ok":false} error, for tests of
// retries and error paths.
//
// It also stands in for Socket Mode (socketmode.go): apps.connections.open
// answers a ws:// URL on the fake's own host, where a websocket speaks the
// envelope protocol (hello, envelopes a test pushes, acks recorded with
// their payloads, disconnect with a reason), so that a slack-go socketmode
// client can be driven end to end:
//
//	api := slack.New("", slack.OptionAppLevelToken("xapp-test"), slack.OptionAPIURL(srv.URL()+"/api/"))
//	id := srv.MustPush(t, slackfake.EnvelopeSlashCommands, form)
//	ack := srv.MustWaitAck(t, id)
//
// It was written because slack-go's slacktest lacks chat.update,
// conversations.replies, the v2 file upload and views.open, and hands out
// timestamps that collide within a second. Timestamps here are unique and
// strictly increasing however fast messages arrive.
//
// The fake never logs, records or echoes a token.
package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The identity the fake answers to auth.test with, and the author of every
// message the bot posts.
const (
	TeamID    = "T0FAKE0001"
	TeamName  = "Fake Workspace"
	BotUserID = "U0FAKEBOT1"
	BotName   = "incident-bot"
	BotID     = "B0FAKEBOT1"
	AppID     = "A0FAKEAPP1"
)

// UploadMethod is the name under which POSTs of file bytes to an upload_url
// (the second step of the v2 upload) are recorded, waited for and failed.
// It is not a Slack method.
const UploadMethod = "files.upload_url"

// DefaultWaitTimeout bounds MustWait and MustWaitFor. It is generous so that
// tests stay green on a loaded two-core machine.
const DefaultWaitTimeout = 10 * time.Second

// maxBody bounds one request body (file uploads included).
const maxBody = 64 << 20

// Server is a running fake. All of its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server // nil when mounted in another server (NewMounted)
	base string           // URL(): where the fake's routes are reached
	now  func() time.Time

	token  string // required bot token; "" accepts any non-empty token
	strict bool   // unknown channels are channel_not_found
	// scopes are sent in X-OAuth-Scopes (WithScopes, scopes.go); nil: none.
	scopes []string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	closed   chan struct{}
	lastTS   int64 // microseconds of the last timestamp handed out
	seq      int   // for file, view and channel IDs
	calls    []Call
	faults   map[string][]fault
	users    map[string]User
	channels map[string]*channel
	chOrder  []string
	ephem    []Ephemeral
	uploads  map[string]*upload // by file ID
	shares   []File
	views    map[string]*View // by view ID
	viewIDs  []string
	triggers map[string]bool  // trigger IDs already exchanged
	homes    map[string]*View // App Home views by user (views.publish)
	sock     socketState      // Socket Mode: connections, envelopes, acks
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the fake accept only this token (in the Authorization
// header or the token parameter, as Slack does) and answer invalid_auth to
// any other. Without it any non-empty token is accepted; a missing token is
// always not_authed.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithUser makes a user known to users.info.
func WithUser(id, name, realName string) Option {
	return func(s *Server) { s.users[id] = User{ID: id, Name: name, RealName: realName} }
}

// WithChannel creates a channel up front, so that conversations.info knows
// its name.
func WithChannel(id, name string) Option {
	return func(s *Server) { s.addChannel(id, name) }
}

// WithStrictChannels makes methods that name a channel the fake has not
// been told about (WithChannel, AddChannel) answer channel_not_found, as
// Slack does. By default a channel is created the first time it is used.
func WithStrictChannels() Option {
	return func(s *Server) { s.strict = true }
}

// WithClock sets the clock behind message timestamps and call times. The
// fake still never hands out the same or a smaller timestamp twice, even if
// the clock stands still or goes back.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New starts a fake on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := newServer(opts)
	s.srv = httptest.NewServer(s.routes())
	s.base = s.srv.URL
	return s
}

// newServer is a fake with its state and options, serving nothing yet.
func newServer(opts []Option) *Server {
	s := &Server{
		now:      time.Now,
		changed:  make(chan struct{}),
		closed:   make(chan struct{}),
		faults:   map[string][]fault{},
		users:    map[string]User{},
		channels: map[string]*channel{},
		uploads:  map[string]*upload{},
		views:    map[string]*View{},
		triggers: map[string]bool{},
		homes:    map[string]*View{},
	}
	s.users[BotUserID] = User{ID: BotUserID, Name: BotName, RealName: BotName, IsBot: true}
	for _, o := range opts {
		o(s)
	}
	return s
}

// URL is the base URL of the fake, without a trailing slash. The Slack API
// URL for slack.OptionAPIURL is URL()+"/api/".
func (s *Server) URL() string { return s.base }

// Close shuts the fake down and wakes anything waiting on it.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/v1/{id}", s.serveUpload)
	mux.HandleFunc("POST /response/{channel}/{user}", s.serveResponse)
	mux.HandleFunc("GET /link/", s.serveSocket)
	return mux
}

// Call is one request the fake received, in the order received.
type Call struct {
	Method string
	// Params are the request's parameters with the token removed. A JSON
	// body is flattened: string fields as they are, other fields as JSON
	// text (so Params.Get("view") is the view's JSON either way).
	Params url.Values
	// Blocks is the Block Kit JSON the call carried: the blocks parameter,
	// or a view's blocks. Nil if none.
	Blocks json.RawMessage
	Time   time.Time
	// Status is the HTTP status answered; Error the Slack error code
	// answered ("" when ok); Detail why the fake refused the call, such as
	// which Block Kit limit a block broke.
	Status int
	Error  string
	Detail string
}

// fault is one queued answer from FailNext.
type fault struct {
	status     int
	retryAfter time.Duration
	slackError string
}

// FailNext makes the next n calls of method fail instead of being served.
// status is the HTTP status (0 means 200); retryAfter, when positive, is sent
// as a Retry-After header rounded up to whole seconds (slack-go turns a 429
// with Retry-After into *slack.RateLimitedError); slackError is the error
// code of an {"ok":false} body ("" gives "ratelimited" for 429 and
// "internal_error" otherwise). For example:
//
//	srv.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, time.Second, "")
//	srv.FailNext("chat.postMessage", 2, http.StatusInternalServerError, 0, "")
//	srv.FailNext("chat.postMessage", 1, 0, 0, "not_in_channel")
//	srv.FailNext("chat.postMessage", 1, 0, time.Second, "ratelimited") // HTTP 200, ok:false, Retry-After: 1
//
// The last is how Slack sometimes rate-limits: HTTP 200 with an ok:false
// body, which slack-go does not retry by itself.
//
// Faults queue up in order behind those already queued for the method. A
// failed call is recorded and changes no state. Use UploadMethod for the
// upload_url step of a file upload.
func (s *Server) FailNext(method string, n int, status int, retryAfter time.Duration, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{status: status, retryAfter: retryAfter, slackError: slackError})
	}
}

// Calls returns the calls of method in the order they arrived, or every
// call if method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, cloneCall(c))
		}
	}
	return out
}

func cloneCall(c Call) Call {
	c.Params = url.Values(maps.Clone(map[string][]string(c.Params)))
	for k, v := range c.Params {
		c.Params[k] = slices.Clone(v)
	}
	c.Blocks = cloneRaw(c.Blocks)
	return c
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return bytes.Clone(r)
}

// Wait blocks until at least n calls of method (any method if "") have been
// recorded, and returns them. It gives up when ctx is done or the fake is
// closed.
func (s *Server) Wait(ctx context.Context, method string, n int) ([]Call, error) {
	var got []Call
	err := s.WaitFor(ctx, func() bool {
		got = s.Calls(method)
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("slackfake: waiting for %d %s calls, have %d: %w", n, method, len(got), err)
	}
	return got, nil
}

// WaitFor blocks until cond returns true. cond is evaluated now and again
// after every change to the fake's state (each recorded call, each AddReply
// or AddMessage), never under the fake's lock, so it may call any of the
// Server's methods. It gives up when ctx is done or the fake is closed.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return errors.New("slackfake: server closed")
		}
	}
}

// TB is the part of testing.TB the Must helpers use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustWait is Wait with DefaultWaitTimeout that fails the test on timeout.
// Call it from the test's goroutine.
func (s *Server) MustWait(t TB, method string, n int) []Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultWaitTimeout)
	defer cancel()
	got, err := s.Wait(ctx, method, n)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return got
}

// MustWaitFor is WaitFor with DefaultWaitTimeout that fails the test,
// naming what it waited for, on timeout. Call it from the test's goroutine.
func (s *Server) MustWaitFor(t TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultWaitTimeout)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		t.Fatalf("slackfake: waiting for %s: %v", what, err)
	}
}

// notifyLocked wakes every waiter. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTSLocked hands out a message timestamp, "1700000000.000100" style,
// strictly greater than every one before it.
func (s *Server) nextTSLocked() string {
	us := s.now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

// parseTS turns "1700000000.000100" into microseconds.
func parseTS(ts string) (int64, bool) {
	sec, frac, hasFrac := strings.Cut(ts, ".")
	if !hasFrac {
		frac = "0"
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 {
		return 0, false
	}
	if len(frac) > 6 {
		frac = frac[:6]
	}
	for len(frac) < 6 {
		frac += "0"
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return s*1_000_000 + f, true
}

func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s0FAKE%05d", prefix, s.seq)
}

// request is one parsed API call.
type request struct {
	params url.Values
	token  string
}

// reply is what a method handler answers.
type reply struct {
	body   map[string]any // ok and error are added by finish
	err    string
	detail string
	blocks json.RawMessage
}

func ok(body map[string]any) reply { return reply{body: body} }

func fail(code, detail string) reply { return reply{err: code, detail: detail} }

// failBlocks refuses a payload that breaks Block Kit's rules, with the
// reason in response_metadata.messages as Slack gives it.
func failBlocks(code string, err *blockError) reply {
	return reply{
		err:    code,
		detail: err.Error(),
		body: map[string]any{"response_metadata": map[string]any{
			"messages": []string{"[ERROR] " + err.Error()},
		}},
	}
}

// handler serves one method with s.mu held.
type handler func(s *Server, r *request) reply

var methods = map[string]handler{
	"auth.test":                    (*Server).authTest,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.delete":                  (*Server).chatDelete,
	"chat.getPermalink":            (*Server).chatGetPermalink,
	"conversations.replies":        (*Server).conversationsReplies,
	"conversations.history":        (*Server).conversationsHistory,
	"conversations.info":           (*Server).conversationsInfo,
	"users.info":                   (*Server).usersInfo,
	"views.open":                   (*Server).viewsOpen,
	"views.update":                 (*Server).viewsUpdate,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"files.upload":                 (*Server).filesUpload,
	ConnectionsOpenMethod:          (*Server).appsConnectionsOpen,
	"conversations.create":         (*Server).conversationsCreate,
	"conversations.invite":         (*Server).conversationsInvite,
	"conversations.archive":        (*Server).conversationsArchive,
	"views.publish":                (*Server).viewsPublish,
}

func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	method := hr.PathValue("method")
	req, perr := parseRequest(w, hr)

	s.mu.Lock()
	call := Call{Method: method, Params: req.params, Time: s.now()}
	var rep reply
	var f *fault
	switch {
	case perr != nil:
		rep = fail(perr.code, perr.Error())
	case req.token == "":
		rep = fail("not_authed", "no token in the Authorization header or the token parameter")
	case s.token != "" && req.token != s.token && method != ConnectionsOpenMethod: // it checks its app token
		rep = fail("invalid_auth", "the token is not the one the fake was told to accept")
	default:
		if q := s.faults[method]; len(q) > 0 {
			f = &q[0]
			s.faults[method] = q[1:]
			break
		}
		h, known := methods[method]
		if !known {
			rep = fail("unknown_method", "the fake does not serve "+method)
			break
		}
		rep = h(s, req)
	}
	status, header, body := finish(f, rep)
	s.scopeHeaderLocked(header, rep)
	call.Status, call.Error, call.Detail = status, rep.err, rep.detail
	if f != nil {
		call.Error, call.Detail = body["error"].(string), "injected by FailNext"
	}
	call.Blocks = rep.blocks
	if call.Blocks == nil {
		call.Blocks = requestBlocks(req.params)
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	maps.Copy(w.Header(), header)
	writeJSON(w, status, body)
}

// finish turns a reply or an injected fault into an HTTP answer.
func finish(f *fault, rep reply) (int, http.Header, map[string]any) {
	header := http.Header{}
	if f != nil {
		status := f.status
		if status == 0 {
			status = http.StatusOK
		}
		code := f.slackError
		if code == "" {
			code = "internal_error"
			if status == http.StatusTooManyRequests {
				code = "ratelimited"
			}
		}
		if f.retryAfter > 0 {
			header.Set("Retry-After", retryAfterSeconds(f.retryAfter))
		}
		return status, header, map[string]any{"ok": false, "error": code}
	}
	body := rep.body
	if body == nil {
		body = map[string]any{}
	}
	if rep.err != "" {
		body["ok"] = false
		body["error"] = rep.err
	} else {
		body["ok"] = true
	}
	return http.StatusOK, header, body
}

// retryAfterSeconds rounds up to the whole seconds Retry-After carries.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// requestBlocks finds the Block Kit JSON a request carried: its blocks
// parameter, or its view's blocks.
func requestBlocks(p url.Values) json.RawMessage {
	if b := rawJSON(p.Get("blocks")); b != nil {
		return b
	}
	var view struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal([]byte(p.Get("view")), &view) != nil {
		return nil
	}
	return rawJSON(string(view.Blocks))
}

// rawJSON returns s as JSON if it is valid JSON, else nil.
func rawJSON(s string) json.RawMessage {
	if s == "" || s == "null" || !json.Valid([]byte(s)) {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return nil
	}
	return buf.Bytes()
}

// parseRequest reads a call the way Slack accepts it: a GET query, a
// form-encoded or multipart POST, or a JSON POST; the token from the
// Authorization header or a token parameter. The token is taken out of
// the parameters so that it is never recorded.
func parseRequest(w http.ResponseWriter, hr *http.Request) (req *request, perr *parseError) {
	req = &request{params: url.Values{}}
	if auth := hr.Header.Get("Authorization"); auth != "" {
		if t, found := strings.CutPrefix(auth, "Bearer "); found {
			req.token = strings.TrimSpace(t)
		}
	}
	ctype, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	hr.Body = http.MaxBytesReader(w, hr.Body, maxBody)
	switch {
	case hr.Method == http.MethodGet:
		req.params = hr.URL.Query()
	case ctype == "application/json":
		req.params = hr.URL.Query()
		if err := flattenJSON(hr.Body, req.params); err != nil {
			perr = &parseError{code: "invalid_json", err: err}
		}
	case ctype == "multipart/form-data":
		if err := hr.ParseMultipartForm(maxBody); err != nil {
			perr = &parseError{code: "invalid_form_data", err: err}
			break
		}
		req.params = url.Values(hr.MultipartForm.Value)
		maps.Copy(req.params, hr.URL.Query())
	default:
		if err := hr.ParseForm(); err != nil {
			perr = &parseError{code: "invalid_form_data", err: err}
			break
		}
		req.params = hr.Form
	}
	if t := req.params.Get("token"); t != "" && req.token == "" {
		req.token = t
	}
	req.params.Del("token")
	return req, perr
}

// parseError is a request the fake could not read, with the Slack error
// code for it.
type parseError struct {
	code string
	err  error
}

func (e *parseError) Error() string { return e.err.Error() }

// flattenJSON reads a JSON object into params: strings as they are, other
// values as their JSON text.
func flattenJSON(r io.Reader, params url.Values) error {
	var obj map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&obj); err != nil && !errors.Is(err, io.EOF) { // an empty body has no parameters
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	for k, v := range obj {
		var str string
		if json.Unmarshal(v, &str) == nil {
			params.Set(k, str)
			continue
		}
		params.Set(k, string(v))
	}
	return nil
}
