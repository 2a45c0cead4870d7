package slackapp

// The Web API client against slackfake over loopback: rate limits however
// Slack sends them, and what the user is told for Slack's error codes.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

const testBotToken = "xoxb-test-SECRETBOTTOKEN"

// outcomes records what Client.Observe is told.
type outcomes struct {
	mu   sync.Mutex
	seen []string
}

func (o *outcomes) observe(method, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, method+" "+outcome)
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.seen, ", ")
}

// testClient is a Client against a fresh fake, retrying as NewClient does
// but with at most maxRetries retries and no jitter, so that the waits can
// be measured.
func testClient(t *testing.T, maxRetries int, opts ...slackfake.Option) (*Client, *slackfake.Server, *outcomes) {
	t.Helper()
	fake := slackfake.New(append([]slackfake.Option{slackfake.WithToken(testBotToken)}, opts...)...)
	t.Cleanup(fake.Close)
	cfg := retryConfig()
	cfg.MaxRetries = maxRetries
	cfg.RetryAfterJitter = 0
	cfg.RetryAfterDuration = 1500 * time.Millisecond
	cfg.Handlers = append(slack.AllBuiltinRetryHandlers(cfg), slack.NewServerErrorRetryHandler(cfg))
	c := newClient(testBotToken, fake.URL()+"/api/", nil, cfg)
	o := &outcomes{}
	c.Observe = o.observe
	return c, fake, o
}

// gaps returns the time between consecutive calls of method.
func gaps(fake *slackfake.Server, method string) []time.Duration {
	calls := fake.Calls(method)
	var out []time.Duration
	for i := 1; i < len(calls); i++ {
		out = append(out, calls[i].Time.Sub(calls[i-1].Time))
	}
	return out
}

// TestClientRetriesRateLimits: a rate limit is waited out and retried
// whether Slack answers 429 or HTTP 200 with ok:false, Retry-After honoured
// when given, the fallback wait when not; the call then succeeds.
func TestClientRetriesRateLimits(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		code       string
		minWait    time.Duration
	}{
		{"HTTP 200 ratelimited with Retry-After", 0, 2 * time.Second, "ratelimited", 2 * time.Second},
		{"HTTP 200 ratelimited without Retry-After", 0, 0, "ratelimited", 1500 * time.Millisecond},
		{"HTTP 200 rate_limited (chat.postMessage's spelling)", 0, time.Second, "rate_limited", time.Second},
		{"HTTP 429 with Retry-After", http.StatusTooManyRequests, time.Second, "", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake, o := testClient(t, 2)
			fake.FailNext("chat.postMessage", 1, tt.status, tt.retryAfter, tt.code)
			ts, err := c.Post(context.Background(), "C1", "", messages.Message{Text: "INC-1 opened"})
			if err != nil || ts == "" {
				t.Fatalf("Post = %q, %v; want it posted after the retry", ts, err)
			}
			calls := fake.Calls("chat.postMessage")
			if len(calls) != 2 || calls[1].Error != "" {
				t.Fatalf("%d calls of chat.postMessage, want the refused one and the retry", len(calls))
			}
			if tt.status == 0 && calls[0].Status != http.StatusOK {
				t.Fatalf("the fake answered %d, want 200 with ok:false", calls[0].Status)
			}
			if g := gaps(fake, "chat.postMessage")[0]; g < tt.minWait-50*time.Millisecond || g > tt.minWait+time.Second {
				t.Errorf("retried after %s, want about %s", g, tt.minWait)
			}
			if got := o.String(); got != "chat.postMessage ok" {
				t.Errorf("observed %q, want the call's outcome ok", got)
			}
			if msgs := fake.Messages("C1"); len(msgs) != 1 {
				t.Errorf("%d messages posted, want 1", len(msgs))
			}
		})
	}
}

// TestClientRateLimitSpent: when Slack still rate-limits after the last
// retry, the attempts stop, the outcome is rate_limited and the user is
// told that the bot will catch up.
func TestClientRateLimitSpent(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		wantInMsg  string
	}{
		{"with Retry-After", time.Second, "retry after 1s"},
		{"without Retry-After", 0, "rate-limiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake, o := testClient(t, 1)
			fake.FailNext("chat.update", 5, 0, tt.retryAfter, "ratelimited")
			err := c.Update(context.Background(), "C1", "1700000000.000100", messages.Message{Text: "INC-1"})
			if n := len(fake.Calls("chat.update")); n != 2 {
				t.Errorf("%d attempts, want 2: the first and one retry", n)
			}
			var ie *incident.Error
			if !errors.As(err, &ie) || ie.Kind != incident.Internal || !strings.Contains(ie.Message, tt.wantInMsg) {
				t.Fatalf("Update = %v, want an internal error saying %q", err, tt.wantInMsg)
			}
			if got := o.String(); got != "chat.update rate_limited" {
				t.Errorf("observed %q, want rate_limited", got)
			}
		})
	}
}

// TestClientPassesLongAnswersThrough: answers longer than an error answer
// and answers that only mention a rate limit reach slack-go unchanged.
func TestClientPassesLongAnswersThrough(t *testing.T) {
	c, fake, _ := testClient(t, 2)
	ctx := context.Background()
	root, err := c.Post(ctx, "C1", "", messages.Message{Text: `{"ok":false,"error":"ratelimited"}`})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("ratelimited ", 1000)
	for range 3 {
		if _, err := c.Post(ctx, "C1", root, messages.Message{Text: long}); err != nil {
			t.Fatal(err)
		}
	}
	replies, err := c.Replies(ctx, "C1", root)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 4 || replies[3].Text != long {
		t.Errorf("%d replies, the last %d bytes long; want 4, the last %d", len(replies), len(replies[len(replies)-1].Text), len(long))
	}
	if n := len(fake.Calls("")); n != 5 {
		t.Errorf("%d calls, want 5: nothing retried", n)
	}
}

// TestClientErrorMessages: what the user is told for Slack's refusals.
func TestClientErrorMessages(t *testing.T) {
	tests := []struct {
		code    string
		kind    incident.Kind
		want    []string
		notWant string
	}{
		{"not_in_channel", incident.Invalid, []string{"not a member", "/invite @incident-bot"}, ""},
		{"channel_not_found", incident.Invalid, []string{"does not exist or the bot cannot see it", "private channel", "/invite @incident-bot"}, "not a member"},
		{"is_archived", incident.Invalid, []string{"archived"}, ""},
		{"invalid_auth", incident.Invalid, []string{"SLACK_BOT_TOKEN"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c, fake, o := testClient(t, 2)
			fake.FailNext("chat.postMessage", 1, 0, 0, tt.code)
			_, err := c.Post(context.Background(), "C1", "", messages.Message{Text: "x"})
			var ie *incident.Error
			if !errors.As(err, &ie) || ie.Kind != tt.kind {
				t.Fatalf("Post = %v, want a %v error", err, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(ie.Message, w) {
					t.Errorf("message %q lacks %q", ie.Message, w)
				}
			}
			if tt.notWant != "" && strings.Contains(ie.Message, tt.notWant) {
				t.Errorf("message %q says %q", ie.Message, tt.notWant)
			}
			if got := o.String(); got != "chat.postMessage "+tt.code {
				t.Errorf("observed %q", got)
			}
			if n := len(fake.Calls("chat.postMessage")); n != 1 {
				t.Errorf("%d attempts, want 1: %s is not retried", n, tt.code)
			}
		})
	}

	// A channel the workspace does not have, as the fake refuses it itself.
	c, _, _ := testClient(t, 2, slackfake.WithStrictChannels())
	_, err := c.Post(context.Background(), "C0GONE", "", messages.Message{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "not a member") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("post to a missing channel: %v", err)
	}
}
