package slackapp

// Hostile input at the Slack edge: event decoding, interaction payloads,
// slash-command forms and the signature check, each with a hand-written
// fake command layer that records what reached it. The Fuzz targets run
// their seed corpus as ordinary tests; `make fuzz` explores further.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

// fzService is the command layer as the edge sees it, recording calls.
type fzService struct {
	mu        sync.Mutex
	commands  []commands.Command
	actions   []commands.Action
	events    []commands.Event
	submits   []commands.Submission
	eventErr  error
	shortcuts []commands.Shortcut
	captures  []commands.Capture
}

var _ Service = (*fzService)(nil)

func (f *fzService) Command(_ context.Context, cmd commands.Command) messages.Message {
	f.mu.Lock()
	f.commands = append(f.commands, cmd)
	f.mu.Unlock()
	// What the real layer answers: escaped user text in a notice.
	return messages.Notice("You said `"+messages.Escape(messages.Truncate(100, cmd.Text))+"`", "")
}

func (f *fzService) Action(_ context.Context, a commands.Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
}

func (f *fzService) Submit(_ context.Context, sub commands.Submission) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits = append(f.submits, sub)
	return nil
}

func (f *fzService) Shortcut(_ context.Context, sc commands.Shortcut) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shortcuts = append(f.shortcuts, sc)
}

// Shortcut records a message shortcut.
func (f *fzService) CaptureMessage(_ context.Context, c commands.Capture) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.captures = append(f.captures, c)
}

func (f *fzService) Event(_ context.Context, e commands.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	return f.eventErr
}

func (f *fzService) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.commands) + len(f.actions) + len(f.events) + len(f.submits)
}

// fzVerified is a request as Middleware hands it on: the verified body in
// the context. The handlers are fuzzed behind it; the Verifier on its own.
func fzVerified(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
}

// ---------------------------------------------------------------------------
// Events

var fzEventSeeds = []string{
	`{"type":"message","channel":"C1","user":"U1","text":"hello <!channel>","ts":"1773480413.000200","thread_ts":"1773480413.000100"}`,
	`{"type":"app_mention","channel":"C1","user":"U1","text":"<@U0BOT> resolve","ts":"1.2","team":"T9"}`,
	`{"type":"message","subtype":"message_changed","channel":"C1","message":{"user":"U1","text":"edited","ts":"1.1","thread_ts":"1.0","edited":{"ts":"1.3"}}}`,
	`{"type":"message","subtype":"message_changed","channel":"C1","message":null}`,
	`{"type":"message","subtype":"message_changed","message":{"message":{"message":{}}}}`,
	`{"type":"message","subtype":"message_deleted","channel":"C1","deleted_ts":"1.1","previous_message":{"user":"U1","thread_ts":"1.0"}}`,
	`{"type":"message","subtype":"message_deleted","previous_message":null}`,
	`{"type":"message","subtype":"message_changed","edited":{"ts":5}}`,
	`{"type":"message","text":"\ud800 lone surrogate \u0000 nul"}`,
	"{\"type\":\"message\",\"text\":\"\xff\xfe invalid\"}",
	`{"type":"message","text":5}`,
	`{"type":["message"]}`,
	`{}`, `[]`, `null`, `"string"`, `42`, ``, `{`, `{"type":"message",}`,
	`{"type":"message","text":"` + strings.Repeat("<!here>", 2000) + `"}`,
	strings.Repeat(`{"message":`, 200) + `{}` + strings.Repeat(`}`, 200),
}

func FuzzEventFrom(f *testing.F) {
	for _, s := range fzEventSeeds {
		f.Add([]byte(s), "Ev1", "T1")
	}
	f.Add([]byte(fzEventSeeds[1]), "", "")
	f.Fuzz(func(t *testing.T, raw []byte, eventID, teamID string) {
		e, err := EventFrom(eventID, teamID, raw)
		if err != nil {
			if e != (commands.Event{}) {
				t.Fatalf("error %v with a half-decoded event %+v", err, e)
			}
			if json.Valid(raw) && fzIsObject(raw) && !fzMistyped(raw) {
				t.Fatalf("a JSON object with the right field types refused: %v", err)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("EventFrom accepted invalid JSON %q", raw)
		}
		if !utf8.ValidString(e.Text) {
			t.Fatalf("event text is not valid UTF-8: %q", e.Text)
		}
		if e.EventID != eventID {
			t.Fatalf("event id %q, want %q", e.EventID, eventID)
		}
		if teamID != "" && e.TeamID != teamID {
			t.Fatalf("team %q, want the envelope's %q", e.TeamID, teamID)
		}
	})
}

func fzIsObject(raw []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
}

// fzMistyped reports whether a JSON object has a field of the wrong type for
// an event, which EventFrom rightly refuses.
func fzMistyped(raw []byte) bool {
	var m eventMessage
	var typeErr *json.UnmarshalTypeError
	return errors.As(json.Unmarshal(raw, &m), &typeErr)
}

func FuzzEvents(f *testing.F) {
	for _, s := range fzEventSeeds {
		f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":` + s + `}`))
	}
	for _, s := range []string{
		`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`,
		`{"type":"url_verification","challenge":"<script>alert(1)</script>"}`,
		`{"type":"url_verification","challenge":5}`,
		`{"type":"app_rate_limited","minute_rate_limited":1518467820}`,
		`{"type":"event_callback","event":null}`,
		`{"type":"event_callback"}`,
		`{"type":""}`, `{}`, `[]`, ``, `not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		svc := &fzService{}
		rec := httptest.NewRecorder()
		Events(svc).ServeHTTP(rec, fzVerified(body))
		var env envelope
		decoded := json.Unmarshal(body, &env) == nil && env.Type != ""
		switch rec.Code {
		case http.StatusOK:
			if !decoded {
				t.Fatalf("200 for a body that is not an envelope: %q", body)
			}
			if env.Type == "url_verification" {
				var got map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["challenge"] != env.Challenge {
					t.Fatalf("challenge answer %q for %q", rec.Body.String(), env.Challenge)
				}
			}
		case http.StatusBadRequest:
			if svc.calls() != 0 {
				t.Fatal("a refused event reached the command layer")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if svc.calls() > 0 && env.Type != "event_callback" {
			t.Fatalf("a %q envelope reached the command layer", env.Type)
		}
		for _, e := range svc.events {
			if !utf8.ValidString(e.Text) {
				t.Fatalf("event text is not valid UTF-8: %q", e.Text)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Interactions

var fzPayloadSeeds = []string{
	// More actions than one click makes: the first MaxActions are kept.
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"channel":{"id":"C1"},"actions":[` +
		strings.Repeat(`{"action_id":"severity_P1","block_id":"severity","value":"x","type":"button"},`, 49) +
		`{"action_id":"severity_P2","block_id":"severity","value":"x","type":"button"}]}`,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1","team_id":"T1"},"channel":{"id":"C1"},` +
		`"container":{"type":"message","message_ts":"1.1","channel_id":"C1"},"trigger_id":"1.2.3","response_url":"https://hooks.slack.com/x",` +
		`"actions":[{"action_id":"severity_P1","block_id":"severity","value":"01890a5d-ac96-774b-bcce-b302099a8057","type":"button"}]}`,
	`{"type":"block_actions","user":{"id":"U1","team_id":"T2"},"container":{"channel_id":"C2","message_ts":"1.1"},` +
		`"actions":[{"action_id":"resolve","block_id":"status","value":"x"},{"action_id":"status_monitoring","block_id":"status","value":"y"}]}`,
	`{"type":"block_actions","actions":[null,{},{"block_id":5},{"block_id":"b","action_id":["x"]}]}`,
	`{"type":"block_actions","actions":null,"state":{"values":{"b":{"a":{"type":"plain_text_input","value":"<!channel>"}}}}}`,
	`{"type":"block_actions","state":"not an object"}`,
	`{"type":"block_actions","message":{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"x"}},{"type":"rich_text","elements":[{}]},{"type":"unknown"}]}}`,
	`{"type":"block_actions","view":{"blocks":[{"type":"input","element":{"type":"nope"}},{"type":"context","elements":[null]}]}}`,
	`{"type":"block_actions","message":{"blocks":[{"type":"table","rows":[[{"type":"rich_text","elements":[5]}]]}]}}`,
	`{"type":"block_actions","message":{"blocks":[{"type":"section","accessory":{"type":"overflow","options":null}}]}}`,
	`{"type":"view_submission","view":{"id":"V1"}}`,
	`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"reminder","private_metadata":"<!channel>",` +
		`"state":{"values":{"b1":{"a1":{"type":"plain_text_input","value":"<!here> \u0000"}},"b2":{"a2":{"type":"static_select","selected_option":{"value":"P1"}}},"b3":null}}}}`,
	`{"type":"view_submission","view":{"state":{"values":{"b":{"a":null}}}}}`,
	`{"type":"view_submission","view":{"state":null,"blocks":[{"type":"input","element":{"type":"plain_text_input"}}]}}`,
	`{"type":"dialog_submission","state":"abc"}`,
	`{"type":"shortcut","callback_id":"x"}`,
	`{"type":5}`, `{}`, `[]`, `null`, ``, `{`,
}

func FuzzActions(f *testing.F) {
	for _, s := range fzPayloadSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(payload), &cb); err != nil {
			return // the handler answers 400; FuzzInteractions checks that
		}
		got := Actions(cb)
		if cb.Type != slack.InteractionTypeBlockActions {
			if len(got) != 0 {
				t.Fatalf("%d actions from a %q payload", len(got), cb.Type)
			}
			return
		}
		if want := min(len(cb.ActionCallback.BlockActions), MaxActions); len(got) != want {
			t.Fatalf("%d actions from %d block actions, want %d", len(got), len(cb.ActionCallback.BlockActions), want)
		}
		for i, a := range got {
			ba := cb.ActionCallback.BlockActions[i]
			if a.ActionID != ba.ActionID || a.Value != ba.Value || a.UserID != cb.User.ID {
				t.Fatalf("action %d is %+v, from %+v", i, a, ba)
			}
			if a.TeamID == "" && (cb.Team.ID != "" || cb.User.TeamID != "") {
				t.Fatalf("action %d lost the team", i)
			}
		}
	})
}

func FuzzInteractions(f *testing.F) {
	for _, s := range fzPayloadSeeds {
		f.Add("payload=" + url.QueryEscape(s))
	}
	for _, s := range []string{"", "payload=", "payload", "payload=%", "payload=%zz", "a=1&payload=%7B%7D&payload=x",
		"payload=" + strings.Repeat("%5B", 20000), ";;;", "payload=%7B%22type%22%3A%22block_actions%22%7D%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		svc := &fzService{}
		rec := httptest.NewRecorder()
		Interactions(svc).ServeHTTP(rec, fzVerified([]byte(body)))
		switch rec.Code {
		case http.StatusOK:
			form, _ := url.ParseQuery(body)
			var cb slack.InteractionCallback
			if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
				t.Fatalf("200 for a payload that does not decode: %v", err)
			}
			if n := len(Actions(cb)); n != len(svc.actions) {
				t.Fatalf("%d actions applied, %d in the payload", len(svc.actions), n)
			}
			if _, ok := SubmissionFrom(cb); ok != (len(svc.submits) == 1) || len(svc.submits) > 1 {
				t.Fatalf("%d submissions for a %q payload", len(svc.submits), cb.Type)
			}
			for _, sub := range svc.submits {
				if sub.Values == nil {
					t.Fatal("a submission without its values map")
				}
			}
		case http.StatusBadRequest:
			if svc.calls() != 0 {
				t.Fatal("a refused interaction reached the command layer")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// ---------------------------------------------------------------------------
// Slash commands

func FuzzCommands(f *testing.F) {
	base := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/incident"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"1.2.3"}}
	for _, text := range []string{"help", "declare <!channel>", "triage ../../etc/passwd", "\x00\xff", strings.Repeat("x", 5000)} {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("text", text)
		f.Add(v.Encode())
	}
	for _, s := range []string{"", "team_id=T1", "team_id=T1&channel_id=C1", "team_id=T1&channel_id=C1&user_id=",
		"team_id=T1&channel_id=C1&user_id=U1", "team_id=T1&channel_id=C1&user_id=U1&text=%", "team_id=T1&channel_id=C1&user_id=U1;text=x",
		"team_id=T1&team_id=T2&channel_id=C1&user_id=U1&text=a&text=b", "%00=%00&team_id=%00&channel_id=%0A&user_id=%FF",
		"team_id=T1&channel_id=C1&user_id=U1&text=" + strings.Repeat("%3C%21channel%3E", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		svc := &fzService{}
		rec := httptest.NewRecorder()
		Commands(svc).ServeHTTP(rec, fzVerified([]byte(body)))
		form, err := url.ParseQuery(body)
		complete := err == nil && form.Get("team_id") != "" && form.Get("channel_id") != "" && form.Get("user_id") != ""
		switch rec.Code {
		case http.StatusOK:
			if !complete || len(svc.commands) != 1 {
				t.Fatalf("200 with %d commands for %q", len(svc.commands), body)
			}
			if got, want := svc.commands[0], CommandFromForm(form); got != want {
				t.Fatalf("command %+v, want %+v", got, want)
			}
			var r reply
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.ResponseType != "ephemeral" || r.Text == "" {
				t.Fatalf("answer %q (%v)", rec.Body.String(), err)
			}
			var blocks slack.Blocks
			if err := json.Unmarshal(r.Blocks, &blocks); err != nil || len(blocks.BlockSet) == 0 {
				t.Fatalf("answer blocks %s (%v)", r.Blocks, err)
			}
		case http.StatusBadRequest:
			if complete || svc.calls() != 0 {
				t.Fatalf("400 for a complete command, or one that reached the command layer: %q", body)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// ---------------------------------------------------------------------------
// The signature check

const fzSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// FuzzVerifier: whatever the headers and body, Middleware never panics, and
// the handler runs only for a request signed with the secret, at a time
// within MaxSkew, with the body it was signed with.
//
// sign chooses the request: 0 unsigned headers as given, 1 signed now+skew
// seconds, 2 signed with another secret, 3 signed then the body changed.
func FuzzVerifier(f *testing.F) {
	body := []byte("team_id=T1&channel_id=C1&user_id=U1&text=help")
	f.Add(uint8(0), int64(0), "1531420618", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", body)
	f.Add(uint8(0), int64(0), "", "", body)
	f.Add(uint8(0), int64(0), "now", "v0=", body)
	f.Add(uint8(0), int64(0), "99999999999999999999", "v0=zz", body)
	f.Add(uint8(0), int64(0), "-9223372036854775808", "v1=abc", body)
	f.Add(uint8(0), int64(0), "9223372036854775807", strings.Repeat("a", 10000), []byte{})
	f.Add(uint8(1), int64(0), "", "", body)
	f.Add(uint8(1), int64(-250), "", "", body)
	f.Add(uint8(1), int64(-400), "", "", body)
	f.Add(uint8(1), int64(400), "", "", body)
	f.Add(uint8(1), int64(0), "", "", []byte{})
	f.Add(uint8(1), int64(0), "", "", []byte("\x00\xff"+strings.Repeat("<!channel>", 100)))
	f.Add(uint8(2), int64(0), "", "", body)
	f.Add(uint8(3), int64(0), "", "", body)
	f.Fuzz(func(t *testing.T, sign uint8, skew int64, tsHeader, sigHeader string, body []byte) {
		now := time.Now()
		skew %= 1 << 40
		var ran bool
		var seen []byte
		var rejected []Rejection
		v := &Verifier{Secret: fzSecret, Now: time.Now,
			Rejected: func(_ *http.Request, why Rejection) { rejected = append(rejected, why) }}
		h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran, seen = true, append([]byte(nil), Body(r)...)
		}))

		sent := body
		switch sign % 4 {
		case 1, 2, 3:
			tsHeader = strconv.FormatInt(now.Unix()+skew, 10)
			secret := fzSecret
			if sign%4 == 2 {
				secret = "another-secret"
			}
			sigHeader = Sign(secret, tsHeader, body)
			if sign%4 == 3 {
				sent = append(append([]byte{}, body...), '&')
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(sent))
		r.Header.Set("X-Slack-Request-Timestamp", tsHeader)
		r.Header.Set("X-Slack-Signature", sigHeader)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)

		signed := sigHeader == Sign(fzSecret, tsHeader, sent)
		if ran {
			if !signed || !bytes.Equal(seen, sent) {
				t.Fatalf("the handler ran for a request not signed with the secret (sign=%d)", sign)
			}
			ts, err := strconv.ParseInt(tsHeader, 10, 64)
			if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > MaxSkew+10*time.Second {
				t.Fatalf("the handler ran for a stale timestamp %q", tsHeader)
			}
			if len(rejected) != 0 || rec.Code != http.StatusOK {
				t.Fatalf("ran and rejected %v, status %d", rejected, rec.Code)
			}
			return
		}
		if len(rejected) != 1 || (rec.Code != http.StatusUnauthorized && rec.Code != http.StatusRequestEntityTooLarge) {
			t.Fatalf("refused with %v and status %d; want one rejection and 401 or 413", rejected, rec.Code)
		}
		// Well within the window (the clock ticks between signing and
		// checking; the edges are TestMiddleware's), a signed request passes.
		if sign%4 == 1 && skew > -MaxSkew.Milliseconds()/1000+10 && skew < MaxSkew.Milliseconds()/1000-10 && len(sent) <= MaxBody {
			t.Fatalf("a fresh signed request was refused: %v", rejected)
		}
	})
}
