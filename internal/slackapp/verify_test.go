package slackapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Slack's published example (docs.slack.dev, verifying requests from Slack).
const (
	exampleSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	exampleTS     = "1531420618"
	exampleBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exampleSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSignSlackExample(t *testing.T) {
	if got := Sign(exampleSecret, exampleTS, []byte(exampleBody)); got != exampleSig {
		t.Fatalf("Sign = %s, want %s", got, exampleSig)
	}
}

func TestVerifierAcceptsSlackExampleAtItsTime(t *testing.T) {
	// slack-go's SecretsVerifier checks the timestamp against the real
	// clock, so the published example is verified through Sign above and
	// through the middleware with a fresh timestamp below.
	ts, _ := strconv.ParseInt(exampleTS, 10, 64)
	v := &Verifier{Secret: exampleSecret, Now: func() time.Time { return time.Unix(ts, 0) }}
	req := signed(exampleSecret, exampleTS, exampleBody)
	if _, why, _ := v.verify(req); why != RejectStale {
		t.Fatalf("example at its own time through slack-go: got %q; the real clock makes it stale", why)
	}
}

func signed(secret, ts, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", Sign(secret, ts, []byte(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestMiddleware(t *testing.T) {
	const secret = "s3cr3t-signing-secret"
	now := time.Now()
	fresh := strconv.FormatInt(now.Unix(), 10)
	body := "team_id=T1&channel_id=C1&user_id=U1&text=help"
	big := strings.Repeat("a", MaxBody+1)
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		why    Rejection
	}{
		{"valid", func() *http.Request { return signed(secret, fresh, body) }, http.StatusOK, ""},
		{"wrong secret", func() *http.Request { return signed("other", fresh, body) }, http.StatusUnauthorized, RejectSignature},
		{"tampered body", func() *http.Request {
			r := signed(secret, fresh, body)
			r.Body = http.NoBody
			return withBody(r, body+"&x=1")
		}, http.StatusUnauthorized, RejectSignature},
		{"missing signature", func() *http.Request {
			r := signed(secret, fresh, body)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized, RejectMissing},
		{"missing timestamp", func() *http.Request {
			r := signed(secret, fresh, body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, http.StatusUnauthorized, RejectMissing},
		{"garbage signature", func() *http.Request {
			r := signed(secret, fresh, body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, http.StatusUnauthorized, RejectSignature},
		{"stale: 6 minutes old", func() *http.Request {
			return signed(secret, strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body)
		}, http.StatusUnauthorized, RejectStale},
		{"future: 6 minutes ahead", func() *http.Request {
			return signed(secret, strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), body)
		}, http.StatusUnauthorized, RejectStale},
		{"4 minutes old is fine", func() *http.Request {
			return signed(secret, strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), body)
		}, http.StatusOK, ""},
		{"non-numeric timestamp", func() *http.Request { return signed(secret, "yesterday", body) }, http.StatusUnauthorized, RejectStale},
		{"over 1 MiB, signed", func() *http.Request { return signed(secret, fresh, big) }, http.StatusRequestEntityTooLarge, RejectTooLarge},
		{"over 1 MiB, length unknown", func() *http.Request {
			r := signed(secret, fresh, big)
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, RejectTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rejected Rejection
			var gotBody string
			v := &Verifier{Secret: secret, Now: func() time.Time { return now },
				Rejected: func(_ *http.Request, why Rejection) { rejected = why }}
			h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotBody = string(Body(r))
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req())
			if rec.Code != tt.status || rejected != tt.why {
				t.Fatalf("status %d, rejected %q; want %d, %q", rec.Code, rejected, tt.status, tt.why)
			}
			if tt.status == http.StatusOK && gotBody != body {
				t.Errorf("handler saw body %q, want %q", gotBody, body)
			}
			if tt.status != http.StatusOK && gotBody != "" {
				t.Error("handler ran for a refused request")
			}
		})
	}
}

func withBody(r *http.Request, body string) *http.Request {
	n := httptest.NewRequest(r.Method, r.URL.String(), strings.NewReader(body))
	n.Header = r.Header
	return n
}

// TestCommandChannelType: a slash command says whether its channel is
// public only through channel_name and the id; what it does not say is
// not taken as public.
func TestCommandChannelType(t *testing.T) {
	tests := []struct{ id, name, want string }{
		{"C0INC", "incidents", "channel"},
		{"C0SECRET", "privategroup", "group"},
		{"G0OLD", "ops-private", "group"},
		{"D0DM", "directmessage", "im"},
		{"D0DM", "", "im"},
		{"G0MP", "mpdm-alice--bob-1", "mpim"},
		{"C0INC", "", ""},
	}
	for _, tt := range tests {
		form := url.Values{"team_id": {"T1"}, "channel_id": {tt.id}, "user_id": {"U1"}}
		if tt.name != "" {
			form.Set("channel_name", tt.name)
		}
		if got := CommandFromForm(form).ChannelType; got != tt.want {
			t.Errorf("channel %s named %q: type %q, want %q", tt.id, tt.name, got, tt.want)
		}
	}
}
