package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
)

const loadtestSecret = "loadtest-SECRET-0123456789abcdef"

// loadtestTarget is a stand-in bot: /healthz, and the three Slack routes
// behind the real signature check, recording what they were sent.
type loadtestTarget struct {
	*httptest.Server
	mu     sync.Mutex
	paths  map[string]int
	events map[string]bool // event ids received
}

func newLoadtestTarget(t *testing.T, secret string) *loadtestTarget {
	t.Helper()
	lt := &loadtestTarget{paths: map[string]int{}, events: map[string]bool{}}
	v := &slackapp.Verifier{Secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("POST /slack/", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := slackapp.Body(r)
		lt.mu.Lock()
		defer lt.mu.Unlock()
		lt.paths[r.URL.Path]++
		switch r.URL.Path {
		case "/slack/events":
			var env struct {
				EventID string `json:"event_id"`
			}
			if json.Unmarshal(body, &env) != nil || env.EventID == "" || lt.events[env.EventID] {
				http.Error(w, "bad or repeated event", http.StatusBadRequest)
				return
			}
			lt.events[env.EventID] = true
		case "/slack/commands", "/slack/interactions":
			form, err := url.ParseQuery(string(body))
			if err != nil || (form.Get("text") == "" && form.Get("payload") == "") {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
		}
	})))
	lt.Server = httptest.NewServer(mux)
	t.Cleanup(lt.Close)
	return lt
}

func runLoadtest(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := cmdLoadtest(ctx, args, loadConfig(func(k string) string { return env[k] }), &stdout, &stderr)
	out := stdout.String() + stderr.String()
	if strings.Contains(out, loadtestSecret) {
		t.Errorf("the output shows the signing secret:\n%s", out)
	}
	return out, err
}

func TestLoadtestEachKind(t *testing.T) {
	target := newLoadtestTarget(t, loadtestSecret)
	env := map[string]string{"SLACK_SIGNING_SECRET": loadtestSecret}
	for _, tc := range []struct{ kind, path string }{
		{"command", "/slack/commands"},
		{"interaction", "/slack/interactions"},
		{"event", "/slack/events"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			out, err := runLoadtest(t, env, "-url", target.URL, "-c", "4", "-n", "40", "-kind", tc.kind)
			if err != nil {
				t.Fatalf("err = %v\n%s", err, out)
			}
			for _, want := range []string{"40 requests", "40 ok, 0 failed, 0 over 3s", "p50 ", "p90 ", "p99 ", "max "} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			target.mu.Lock()
			defer target.mu.Unlock()
			if got := target.paths[tc.path]; got != 40 {
				t.Errorf("%s received %d requests, want 40", tc.path, got)
			}
		})
	}
	if len(target.events) != 40 {
		t.Errorf("%d distinct event ids, want 40", len(target.events))
	}
}

// TestLoadtestWrongSecret: every request refused is a problem found (exit
// 1), with the refusals counted by status.
func TestLoadtestWrongSecret(t *testing.T) {
	target := newLoadtestTarget(t, "another-secret-entirely")
	out, err := runLoadtest(t, map[string]string{"SLACK_SIGNING_SECRET": loadtestSecret},
		"-url", target.URL, "-c", "2", "-n", "10")
	if !errors.Is(err, errProblemFound) {
		t.Fatalf("err = %v, want errProblemFound\n%s", err, out)
	}
	if !strings.Contains(out, "10× HTTP 401") {
		t.Errorf("output does not count the 401s:\n%s", out)
	}
}

func TestLoadtestFloorAndDuration(t *testing.T) {
	target := newLoadtestTarget(t, loadtestSecret)
	out, err := runLoadtest(t, map[string]string{"SLACK_SIGNING_SECRET": loadtestSecret},
		"-url", target.URL, "-c", "2", "-d", "100ms", "-floor", "-kind", "event")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	for _, want := range []string{"bot ", "floor ", "ratio ", "× the floor"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestLoadtestUsage(t *testing.T) {
	target := newLoadtestTarget(t, loadtestSecret)
	secret := map[string]string{"SLACK_SIGNING_SECRET": loadtestSecret}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no secret", nil, []string{"-url", target.URL}, "SLACK_SIGNING_SECRET"},
		{"bad kind", secret, []string{"-url", target.URL, "-kind", "mention"}, "-kind"},
		{"n and d", secret, []string{"-url", target.URL, "-n", "5", "-d", "1s"}, "not both"},
		{"no concurrency", secret, []string{"-url", target.URL, "-c", "0"}, "-c"},
		{"argument", secret, []string{"-url", target.URL, "extra"}, "no arguments"},
		{"bad url", secret, []string{"-url", "localhost:8080"}, "-url"},
		{"unknown flag", secret, []string{"-x"}, "-x"},
		{"nobody there", secret, []string{"-url", "http://127.0.0.1:1"}, "no bot answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runLoadtest(t, tc.env, tc.args...)
			if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v (exit %d), want a one-line usage error about %q\n%s", err, exitCode(err), tc.want, out)
			}
		})
	}
	out, err := runLoadtest(t, nil, "--help")
	if err != nil || !strings.Contains(out, "Usage: bot loadtest") {
		t.Errorf("--help: %v\n%s", err, out)
	}
}

func TestDefaultLoadURL(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "http://127.0.0.1:8080"},
		{map[string]string{"BOT_ADDR": ":9090"}, "http://127.0.0.1:9090"},
		{map[string]string{"BOT_ADDR": "0.0.0.0:7000", "PORT": "1"}, "http://127.0.0.1:7000"},
		{map[string]string{"PORT": "5000"}, "http://127.0.0.1:5000"},
	} {
		if got := defaultLoadURL(loadConfig(func(k string) string { return tc.env[k] }).Addr); got != tc.want {
			t.Errorf("defaultLoadURL(%v) = %s, want %s", tc.env, got, tc.want)
		}
	}
}

func TestLoadResultPercentile(t *testing.T) {
	r := loadResult{}
	for i := 100; i >= 1; i-- {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	r.sort()
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond,
		1: 100 * time.Millisecond, 0.001: time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := (&loadResult{}).Percentile(0.5); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
}
