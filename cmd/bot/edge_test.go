package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
)

func TestSlackEdge(t *testing.T) {
	b := startBot(t, nil)
	form := url.Values{"team_id": {team}, "channel_id": {channel}, "user_id": {"U0ALICE"}, "text": {"help"}}.Encode()

	send := func(path, body string, mutate func(*http.Request)) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(body))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", slackapp.Sign(testSecret, ts, []byte(body)))
		if mutate != nil {
			mutate(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	stale := func(d time.Duration) func(*http.Request) {
		return func(r *http.Request) {
			ts := strconv.FormatInt(time.Now().Add(d).Unix(), 10)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", slackapp.Sign(testSecret, ts, []byte(form)))
		}
	}
	tests := []struct {
		name   string
		path   string
		body   string
		mutate func(*http.Request)
		status int
	}{
		{"signed help", "/slack/commands", form, nil, 200},
		{"unsigned", "/slack/commands", form, func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, 401},
		{"signed with another secret", "/slack/commands", form, func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", slackapp.Sign("not-the-secret", r.Header.Get("X-Slack-Request-Timestamp"), []byte(form)))
		}, 401},
		{"replayed after 6 minutes", "/slack/commands", form, stale(-6 * time.Minute), 401},
		{"from 6 minutes in the future", "/slack/commands", form, stale(6 * time.Minute), 401},
		{"over 1 MiB", "/slack/events", `{"type":"event_callback","x":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413},
		{"malformed command", "/slack/commands", "%zz", nil, 400},
		{"command without team", "/slack/commands", "text=help", nil, 400},
		// Slack's check of the certificate: its documentation asks for 200.
		{"ssl_check", "/slack/commands", "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO", nil, 200},
		{"malformed interaction", "/slack/interactions", "payload=%7Bnot-json", nil, 400},
		{"malformed event", "/slack/events", "{not json", nil, 400},
		{"unknown event type", "/slack/events", `{"type":"app_rate_limited"}`, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := send(tt.path, tt.body, tt.mutate).StatusCode; got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
		})
	}

	t.Run("url_verification", func(t *testing.T) {
		resp := send("/slack/events", `{"type":"url_verification","token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`, nil)
		var got struct{ Challenge string }
		json.NewDecoder(resp.Body).Decode(&got)
		if resp.StatusCode != 200 || got.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Errorf("status %d, challenge %q", resp.StatusCode, got.Challenge)
		}
	})

	t.Run("health, readiness, metrics", func(t *testing.T) {
		for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready",
			"/metrics": `bot_slack_requests_rejected_total{reason="stale_timestamp"} 2`} {
			resp, err := http.Get(b.url + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
			}
		}
		resp, _ := http.Get(b.url + "/metrics")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`bot_http_requests_total{route="/slack/commands",status="200"}`,
			`bot_slack_requests_rejected_total{reason="bad_signature"} 1`, "bot_http_request_duration_seconds_bucket"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.stderr.String(), `"reason":"bad_signature"`) {
		t.Error("refused requests are not logged with their reason")
	}
	assertNoSecrets(t, b.stderr.String(), b.slack)
}

func TestConfigErrorsExit2WithOneLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", map[string]string{}, "SLACK_BOT_TOKEN is not set"},
		{"user token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN must start with xoxb-"},
		{"bad app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must start with xapp-"},
		{"bad database", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": "mysql://x"}, "DATABASE_URL must be sqlite:PATH"},
		{"bad intervals", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "REMINDER_INTERVALS": "P1=soon"}, "REMINDER_INTERVALS must look like"},
		{"bad api url", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "slack.com"}, "SLACK_API_URL must be"},
		{"bad deadline", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "TRIAGE_DEADLINE": "fast"}, "TRIAGE_DEADLINE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), []string{"bot", "serve"}, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v (exit %d); want one line with %q, exit 2", err, exitCode(err), tt.want)
			}
			for _, v := range tt.env {
				if len(v) > 2 && strings.Contains(err.Error(), v) && strings.HasPrefix(v, "xox") {
					t.Errorf("the error repeats the token %q", v)
				}
			}
		})
	}
}

// TestLogRedactsVendorTokens: a vendor token that reached a log line by
// accident is replaced, like the Slack tokens.
func TestLogRedactsVendorTokens(t *testing.T) {
	env := map[string]string{"HUBSPOT_ACCESS_TOKEN": testHubSpotKey}
	cfg := loadConfig(func(k string) string { return env[k] })
	var out syncBuffer
	log := newLogger(&out, cfg.Log, cfg.secrets())
	log.Info().Str("header", "Authorization: Bearer "+testHubSpotKey).Msg("an accident")
	if strings.Contains(out.String(), testHubSpotKey) || !strings.Contains(out.String(), "[REDACTED]") {
		t.Errorf("log line = %s", out.String())
	}
}
