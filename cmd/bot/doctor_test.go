package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/slackfake"
)

// Recognisable fake secrets: bot doctor must print none of them.
const (
	doctorBotToken   = "xoxb-9999-8888-DOCTORBOTTOKEN"
	doctorSecret     = "signing-DOCTOR-0123456789abcdef"
	doctorAppToken   = "xapp-1-A0FAKE-DOCTORAPPTOKEN"
	doctorHubSpotKey = "pat-na1-DOCTORHUBSPOTTOKEN"
)

func neededScopes() []string {
	var out []string
	for _, s := range slackapp.BotScopes() {
		out = append(out, s.Name)
	}
	return out
}

func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

// doctorEnv is a complete HTTP-mode configuration against apiURL.
func doctorEnv(t *testing.T, apiURL string) map[string]string {
	t.Helper()
	return map[string]string{
		"SLACK_BOT_TOKEN": doctorBotToken, "SLACK_SIGNING_SECRET": doctorSecret, "SLACK_API_URL": apiURL,
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "bot.db"), "HUBSPOT_ACCESS_TOKEN": doctorHubSpotKey,
	}
}

// doctorLine is one line of bot doctor's output.
type doctorLine struct{ mark, what, detail string }

// runDoctor runs bot doctor, checks that no secret was printed and returns
// its lines by check name.
func runDoctor(t *testing.T, env map[string]string) (map[string]doctorLine, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdDoctor(context.Background(), nil, loadConfig(func(k string) string { return env[k] }), &out, &errOut)
	all := out.String() + errOut.String()
	if err != nil {
		all += err.Error()
	}
	for _, s := range []string{doctorBotToken, doctorSecret, doctorAppToken, doctorHubSpotKey} {
		if strings.Contains(all, s) {
			t.Errorf("bot doctor printed a secret (%s…):\n%s", s[:8], all)
		}
	}
	lines := map[string]doctorLine{}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		// "%-4s %-14s %s": the mark, the check, the detail.
		if len(l) < 20 {
			t.Fatalf("short line %q in:\n%s", l, out.String())
		}
		dl := doctorLine{strings.TrimSpace(l[:4]), strings.TrimSpace(l[5:19]), l[20:]}
		if _, dup := lines[dl.what]; dup {
			t.Errorf("two lines for %q:\n%s", dl.what, out.String())
		}
		lines[dl.what] = dl
	}
	return lines, out.String(), err
}

func TestDoctor(t *testing.T) {
	tests := []struct {
		name   string
		opts   []slackfake.Option
		env    func(env map[string]string)
		want   map[string]string   // check -> mark
		detail map[string][]string // check -> substrings its detail must have
		absent []string            // checks that must print no line
		err    error
	}{
		{
			name: "all in order",
			opts: []slackfake.Option{slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...)},
			want: map[string]string{"configuration": "ok", "slack token": "ok", "slack scopes": "ok", "database": "ok",
				"hubspot": "ok", "intercom": "--"},
			detail: map[string][]string{
				"configuration": {"HTTP mode"},
				"slack token":   {slackfake.BotName, slackfake.TeamName},
				"slack scopes":  {fmt.Sprintf("all %d scopes", len(neededScopes()))},
				"database":      {"sqlite answers"},
				"intercom":      {"INTERCOM_ACCESS_TOKEN not set"},
			},
			absent: []string{"socket mode"},
		},
		{
			name: "scopes missing",
			opts: []slackfake.Option{slackfake.WithToken(doctorBotToken),
				slackfake.WithScopes(append(without(neededScopes(), "users:read", "files:write"), "channels:read")...)},
			want: map[string]string{"slack token": "ok", "slack scopes": "FAIL", "database": "ok"},
			detail: map[string][]string{"slack scopes": {"missing users:read (users.info", "files:write (",
				"OAuth & Permissions", "Bot Token Scopes", "reinstall"}},
			err: errProblemFound,
		},
		{
			name:   "more scopes than needed",
			opts:   []slackfake.Option{slackfake.WithScopes(append(neededScopes(), "channels:read", "im:history")...)},
			want:   map[string]string{"slack scopes": "ok"},
			detail: map[string][]string{"slack scopes": {"not needed: channels:read, im:history"}},
		},
		{
			name:   "Slack does not report scopes",
			opts:   nil,
			want:   map[string]string{"slack token": "ok", "slack scopes": "--"},
			detail: map[string][]string{"slack scopes": {"X-OAuth-Scopes", "not checked"}},
		},
		{
			name:   "token refused",
			opts:   []slackfake.Option{slackfake.WithToken("xoxb-some-other-token"), slackfake.WithScopes(neededScopes()...)},
			want:   map[string]string{"slack token": "FAIL", "database": "ok"},
			detail: map[string][]string{"slack token": {"invalid_auth", "SLACK_BOT_TOKEN"}},
			absent: []string{"slack scopes"},
			err:    errProblemFound,
		},
		{
			name:   "no bot token",
			env:    func(env map[string]string) { delete(env, "SLACK_BOT_TOKEN") },
			want:   map[string]string{"configuration": "FAIL", "hubspot": "ok"},
			detail: map[string][]string{"configuration": {"SLACK_BOT_TOKEN is not set"}},
			absent: []string{"slack token", "slack scopes", "database"},
			err:    errProblemFound,
		},
		{
			name: "Slack unreachable",
			env: func(env map[string]string) {
				closed := httptest.NewServer(http.NotFoundHandler())
				closed.Close()
				env["SLACK_API_URL"] = closed.URL + "/api/"
			},
			want:   map[string]string{"configuration": "ok", "slack token": "FAIL", "database": "ok"},
			detail: map[string][]string{"slack token": {"auth.test failed", "SLACK_API_URL"}},
			absent: []string{"slack scopes"},
			err:    errProblemFound,
		},
		{
			name: "database does not open",
			opts: []slackfake.Option{slackfake.WithScopes(neededScopes()...)},
			env: func(env map[string]string) {
				file := filepath.Join(filepath.Dir(strings.TrimPrefix(env["DATABASE_URL"], "sqlite:")), "a-file")
				os.WriteFile(file, nil, 0o600)
				env["DATABASE_URL"] = "sqlite:" + filepath.Join(file, "bot.db")
			},
			want:   map[string]string{"slack scopes": "ok", "database": "FAIL"},
			detail: map[string][]string{"database": {"DATABASE_URL"}},
			err:    errProblemFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.New(tt.opts...)
			t.Cleanup(fake.Close)
			env := doctorEnv(t, fake.URL()+"/api/")
			if tt.env != nil {
				tt.env(env)
			}
			lines, out, err := runDoctor(t, env)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v\n%s", err, tt.err, out)
			}
			for what, mark := range tt.want {
				if got := lines[what]; got.mark != mark {
					t.Errorf("%s: mark %q, want %q\n%s", what, got.mark, mark, out)
				}
			}
			for what, subs := range tt.detail {
				for _, s := range subs {
					if !strings.Contains(lines[what].detail, s) {
						t.Errorf("%s: detail %q lacks %q", what, lines[what].detail, s)
					}
				}
			}
			for _, what := range tt.absent {
				if l, ok := lines[what]; ok {
					t.Errorf("unexpected line for %s: %+v", what, l)
				}
			}
			if lines["slack token"].mark != "" && tt.name != "Slack unreachable" {
				if n := len(fake.Calls("auth.test")); n != 1 {
					t.Errorf("auth.test called %d times, want once", n)
				}
			}
		})
	}
}

// withConnectionsOpen puts apps.connections.open in front of the fake: the
// handler answers it, every other method goes to the fake.
func withConnectionsOpen(t *testing.T, fake *slackfake.Server, h http.HandlerFunc) string {
	t.Helper()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/apps.connections.open", h)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func TestDoctorSocketMode(t *testing.T) {
	// A websocket URL that counts connection attempts: the doctor must not dial it.
	var dialled atomic.Int32
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dialled.Add(1)
		http.Error(w, "no", http.StatusBadRequest)
	}))
	t.Cleanup(ws.Close)
	wsURL := "ws" + strings.TrimPrefix(ws.URL, "http") + "/link/?ticket=1"

	tests := []struct {
		name   string
		answer string // the body of apps.connections.open
		mark   string
		detail []string
		err    error
	}{
		{"app token works", `{"ok":true,"url":"` + wsURL + `"}`, "ok", []string{"apps.connections.open"}, nil},
		{"app token refused", `{"ok":false,"error":"invalid_auth"}`, "FAIL", []string{"SLACK_APP_TOKEN", "invalid_auth", "connections:write", "App-Level Tokens"}, errProblemFound},
		{"bot token given as app token", `{"ok":false,"error":"not_allowed_token_type"}`, "FAIL", []string{"not an app-level token", "xapp-"}, errProblemFound},
		{"socket mode off", `{"ok":false,"error":"some_new_error"}`, "FAIL", []string{"some_new_error", "Socket Mode"}, errProblemFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
			t.Cleanup(fake.Close)
			var opens atomic.Int32
			api := withConnectionsOpen(t, fake, func(w http.ResponseWriter, r *http.Request) {
				opens.Add(1)
				if got := r.Header.Get("Authorization"); got != "Bearer "+doctorAppToken {
					t.Errorf("apps.connections.open sent with the wrong token (%d bytes), want the app-level token", len(got))
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tt.answer)
			})
			env := doctorEnv(t, api)
			env["SLACK_APP_TOKEN"] = doctorAppToken
			delete(env, "SLACK_SIGNING_SECRET") // Socket Mode needs none
			lines, out, err := runDoctor(t, env)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v\n%s", err, tt.err, out)
			}
			if got := lines["configuration"]; got.mark != "ok" || !strings.Contains(got.detail, "Socket Mode") {
				t.Errorf("configuration line = %+v, want ok in Socket Mode", got)
			}
			if got := lines["slack token"].mark; got != "ok" {
				t.Errorf("slack token: %q, want ok\n%s", got, out)
			}
			l := lines["socket mode"]
			if l.mark != tt.mark {
				t.Errorf("socket mode: mark %q, want %q\n%s", l.mark, tt.mark, out)
			}
			for _, s := range tt.detail {
				if !strings.Contains(l.detail, s) {
					t.Errorf("socket mode detail %q lacks %q", l.detail, s)
				}
			}
			if n := opens.Load(); n != 1 {
				t.Errorf("apps.connections.open called %d times, want once", n)
			}
		})
	}
	if n := dialled.Load(); n != 0 {
		t.Errorf("the doctor dialled the websocket %d times; it must only ask for the URL", n)
	}
}

func TestDoctorUsage(t *testing.T) {
	var out bytes.Buffer
	if err := cmdDoctor(context.Background(), []string{"--help"}, loadConfig(func(string) string { return "" }), &out, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, s := range []string{"Usage: bot doctor", "SLACK_APP_TOKEN", "slack scopes", "socket mode", "Exit 0", "2 when"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("help lacks %q:\n%s", s, out.String())
		}
	}
	err := cmdDoctor(context.Background(), []string{"extra"}, loadConfig(func(string) string { return "" }), &out, &out)
	if exitCode(err) != 2 {
		t.Errorf("doctor extra: exit %d (%v), want 2", exitCode(err), err)
	}
}

// TestDoctorWithoutConfiguration: with no Slack setting at all there is
// nothing to check: exit 2 and one line that leads with what README.md's
// Quickstart sets (Socket Mode's two tokens).
func TestDoctorWithoutConfiguration(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, quick, _ := strings.Cut(string(readme), "\n## Quickstart\n")
	quick, _, _ = strings.Cut(quick, "\n## ")
	var quickVars []string
	for _, m := range regexp.MustCompile(`(?m)^\s*(SLACK_[A-Z_]+)=`).FindAllStringSubmatch(quick, -1) {
		quickVars = append(quickVars, m[1])
	}
	if len(quickVars) == 0 {
		t.Fatal("README.md's Quickstart sets no SLACK_ variable")
	}

	for name, env := range map[string]map[string]string{
		"nothing":           {},
		"vendor token only": {"HUBSPOT_ACCESS_TOKEN": doctorHubSpotKey, "DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "bot.db")},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"bot", "doctor"}, func(k string) string { return env[k] }, &out, &errOut)
			if exitCode(err) != 2 {
				t.Fatalf("err = %v (exit %d), want exit 2\n%s", err, exitCode(err), out.String())
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || out.Len() > 0 || errOut.Len() > 0 {
				t.Errorf("want one line and nothing else; err %q, stdout %q, stderr %q", msg, out.String(), errOut.String())
			}
			lead, _, _ := strings.Cut(msg, "HTTP mode")
			if !strings.Contains(lead, "Socket Mode") || !strings.Contains(lead, "Quickstart") {
				t.Errorf("%q does not lead with Socket Mode and the Quickstart", msg)
			}
			for _, v := range quickVars {
				if !strings.Contains(lead, v) {
					t.Errorf("%q does not lead with %s, which README.md's Quickstart sets", msg, v)
				}
			}
			if strings.Contains(msg, doctorHubSpotKey) {
				t.Error("the message shows a token")
			}
		})
	}

	// A partial configuration gets the per-line report.
	fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
	t.Cleanup(fake.Close)
	env := doctorEnv(t, fake.URL()+"/api/")
	delete(env, "SLACK_BOT_TOKEN")
	delete(env, "SLACK_SIGNING_SECRET")
	env["SLACK_APP_TOKEN"] = doctorAppToken
	lines, out, err := runDoctor(t, env)
	if !errors.Is(err, errProblemFound) {
		t.Errorf("app token alone: err = %v, want errProblemFound\n%s", err, out)
	}
	if l := lines["configuration"]; l.mark != "FAIL" || !strings.Contains(l.detail, "SLACK_BOT_TOKEN is not set") {
		t.Errorf("app token alone: configuration line %+v", l)
	}
}
