package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/playground"
	"github.com/incident-bot/bot/internal/vendors"
)

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// played is a running `bot play`.
type played struct {
	url            string
	stdout, stderr *lockedBuffer
	stop           func() error
}

// startPlay runs `bot play` as main would, on a free loopback port, with
// real-looking settings in the environment that it must not use. The
// vendor watch takes its first look at start and then stays quiet for an
// hour: the scripted stories are about the triage, and a watch message
// arriving in their channel or thread would move what they count
// (TestPlayWatch runs the playground's own interval).
func startPlay(t *testing.T) *played {
	t.Helper()
	return startPlayWith(t, nil, map[string]string{"WATCH_INTERVAL": "1h"})
}

// startPlayWith runs `bot play args…` with env over startPlay's
// environment, and waits for the line with the URL to open.
func startPlayWith(t *testing.T, args []string, extra map[string]string) *played {
	t.Helper()
	env := map[string]string{
		"BOT_ADDR":             "127.0.0.1:0",
		"LOG_LEVEL":            "warn",
		"SLACK_BOT_TOKEN":      "xoxb-REAL-TOKEN-MUST-NOT-BE-USED",
		"SLACK_SIGNING_SECRET": "REAL-SECRET-MUST-NOT-BE-USED",
		"SLACK_API_URL":        "http://127.0.0.1:9/api/",
		"HUBSPOT_ACCESS_TOKEN": "pat-REAL-HUBSPOT-TOKEN",
		"DATABASE_URL":         "sqlite:" + filepath.Join(t.TempDir(), "real.db"),
		"RESOLVE_ALLOWED":      "U0SOMEONEELSE",
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &played{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"bot", "play"}, args...), func(k string) string { return env[k] }, p.stdout, p.stderr)
	}()
	stopped := false
	p.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("bot play did not stop within 15 s of the signal")
		}
	}
	t.Cleanup(func() { _ = p.stop() })
	line := regexp.MustCompile(`^playground: (http://[^ ]+) \(no Slack needed; Ctrl-C to stop\)\n`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := line.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			if strings.HasPrefix(p.url, "http://localhost:") { // every interface: reach it over loopback
				p.url = "http://127.0.0.1:" + strings.TrimPrefix(p.url, "http://localhost:")
			}
			return p
		}
		select {
		case err := <-done:
			t.Fatalf("bot play exited: %v\nstdout: %s\nstderr: %s", err, p.stdout, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("bot play printed no URL line; stdout %q stderr %s", p.stdout, p.stderr)
		}
	}
}

func (p *played) post(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(p.url+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %d %v", path, raw, resp.StatusCode, out)
	}
	return out
}

type playView struct {
	Channel  string `json:"channel"`
	Thread   string `json:"thread"`
	ThreadTS string `json:"thread_ts"`
}

func (p *played) view(t *testing.T, thread string) playView {
	t.Helper()
	resp, err := http.Get(p.url + "/play/view?thread=" + thread)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v playView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitView polls the page's view until ok says so.
func (p *played) waitView(t *testing.T, what, thread string, ok func(v playView) bool) playView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := p.view(t, thread)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; channel:\n%s\nthread:\n%s\nstderr:\n%s", what, v.Channel, v.Thread, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var buttonTS = regexp.MustCompile(`data-ts="([0-9.]+)" data-block-id="severity" data-action-id="severity_P2"`)

// TestPlayStory drives the whole story through the page's own API, without
// a browser: break HubSpot, triage, P2, two replies, resolve, postmortem.
func TestPlayStory(t *testing.T) {
	p := startPlay(t)

	page, err := http.Get(p.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !bytes.Contains(html, []byte(`/play/static/app.js`)) ||
		!strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET / = %d, CSP %q", page.StatusCode, page.Header.Get("Content-Security-Policy"))
	}

	// The bot's own routes are served too, and its edge still checks
	// signatures: only the page's signed deliveries get through.
	resp, err := http.Post(p.url+"/slack/commands", "application/x-www-form-urlencoded", strings.NewReader("text=help"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned POST /slack/commands = %d, want 401", resp.StatusCode)
	}

	p.post(t, "/play/mode", map[string]string{"vendor": "hubspot", "mode": "revoked"})
	p.post(t, "/play/send", map[string]string{"text": "/incident triage hubspot"})
	v := p.waitView(t, "the incident message", "", func(v playView) bool { return buttonTS.MatchString(v.Channel) })
	for _, want := range []string{"Triaging HubSpot", "Only visible to you", "INC-1", "401 INVALID_AUTHENTICATION", "bk-btn-danger"} {
		if !strings.Contains(v.Channel, want) {
			t.Errorf("the channel lacks %q", want)
		}
	}
	ts := buttonTS.FindStringSubmatch(v.Channel)[1]

	p.post(t, "/play/action", map[string]string{"ts": ts, "block_id": "severity", "action_id": "severity_P2"})
	p.waitView(t, "P2 on the incident", "", func(v playView) bool {
		return strings.Contains(v.Channel, `class="bk-btn bk-btn-primary" data-ts="`+ts+`" data-block-id="severity" data-action-id="severity_P2"`)
	})

	p.post(t, "/play/send", map[string]string{"text": "the token was revoked by the <offboarding> script & nobody noticed", "thread_ts": ts})
	p.post(t, "/play/send", map[string]string{"text": "action: alert on 401s from HubSpot", "thread_ts": ts})
	v = p.waitView(t, "two replies", ts, func(v playView) bool { return strings.Contains(v.Thread, "alert on 401s") })
	if !strings.Contains(v.Thread, "the &lt;offboarding&gt; script &amp; nobody noticed") || strings.Contains(v.Thread, "<offboarding>") {
		t.Errorf("the reply was not shown escaped:\n%s", v.Thread)
	}
	// The action: reply is a follow-up, filed in the simulated tracker.
	p.waitView(t, "the follow-up's link", ts, func(v playView) bool { return strings.Contains(v.Thread, "follow-up filed in GitHub") })

	p.post(t, "/play/action", map[string]string{"ts": ts, "block_id": "status", "action_id": "resolve"})
	fileRE := regexp.MustCompile(`data-file="(F[0-9A-Z]+)" data-name="([^"]+)"`)
	v = p.waitView(t, "the postmortem file in the thread", ts, func(v playView) bool { return fileRE.MatchString(v.Thread) })
	m := fileRE.FindStringSubmatch(v.Thread)

	preview := get(t, p.url+"/play/files/"+m[1]+"/preview")
	for _, want := range []string{"<h1>Incident INC-1", "<table>", "alert on 401s from HubSpot", "the &lt;offboarding&gt; script",
		"playground/follow-ups#1</a>"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q:\n%s", want, preview)
		}
	}
	resp, err = http.Get(p.url + "/play/files/" + m[1] + "/" + m[2])
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !bytes.HasPrefix(md, []byte("# Incident INC-1")) {
		t.Errorf("download: %q %q", cd, md[:min(40, len(md))])
	}

	if err := p.stop(); err != nil {
		t.Fatalf("bot play after the signal: %v", err)
	}
	out := p.stdout.String() + p.stderr.String()
	for _, secret := range []string{"xoxb-playground-", "REAL-TOKEN", "REAL-SECRET", "REAL-HUBSPOT"} {
		if strings.Contains(out, secret) {
			t.Errorf("the output shows %q:\n%s", secret, out)
		}
	}
	if n := strings.Count(p.stdout.String(), "\n"); n != 2 {
		t.Errorf("stdout has %d lines, want the URL line and the one about the temporary database: %q", n, p.stdout)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestPlayConfigKeepsEverythingLocal: whatever the environment says, the
// bot in the playground reaches Slack, every vendor and the health
// endpoint only through the playground, with made-up tokens, its own
// database, and no one's permissions.
func TestPlayConfigKeepsEverythingLocal(t *testing.T) {
	base := "http://127.0.0.1:18089"
	p, err := playground.New(playground.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	userFile := filepath.Join(t.TempDir(), "vendors.yaml")
	if err := os.WriteFile(userFile, []byte("acme:\n  name: Acme\n  api_url: https://api.acme.example\n  token_env: ACME_TOKEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	real := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-real", "SLACK_SIGNING_SECRET": "real", "SLACK_APP_TOKEN": "xapp-real",
		"SLACK_API_URL": "https://slack.com/api/", "VENDORS_FILE": userFile, "HEALTH_URL": "https://app.example.com/healthz",
		"HUBSPOT_ACCESS_TOKEN": "pat-real", "INTERCOM_ACCESS_TOKEN": "real", "ACME_TOKEN": "acme-real",
		"DATABASE_URL": "postgres://prod/db", "RESOLVE_ALLOWED": "U0BOSS", "REMINDER_INTERVALS": "P1=5m",
		"TRIAGE_DEADLINE": "3s",
	}
	dir := t.TempDir()
	cfg, err := playConfig(loadConfig(func(k string) string { return real[k] }), p, dir)
	if err != nil {
		t.Fatal(err)
	}

	s := cfg.Slack
	if s.BotToken == real["SLACK_BOT_TOKEN"] || s.SigningSecret == real["SLACK_SIGNING_SECRET"] || s.AppToken != "" {
		t.Errorf("Slack credentials kept from the environment (app token %q)", s.AppToken)
	}
	if !strings.HasPrefix(s.APIURL, base+"/") {
		t.Errorf("SLACK_API_URL %q is not the playground's", s.APIURL)
	}
	if got := cfg.Store.URL; got != "sqlite:"+filepath.Join(dir, "playground.db") {
		t.Errorf("DATABASE_URL = %q", got)
	}
	if len(cfg.ResolveAllowed) != 0 {
		t.Errorf("RESOLVE_ALLOWED = %q, want it unset", cfg.ResolveAllowed)
	}
	if got := cfg.Reminders.Intervals[incident.P1]; got != 5*time.Minute {
		t.Errorf("P1 reminder after %s, want the environment's 5m", got)
	}
	if cfg.Log.Format != "console" {
		t.Errorf("LOG_FORMAT = %q, want console", cfg.Log.Format)
	}

	tr := cfg.Triage
	if !strings.HasPrefix(tr.HealthURL, base+"/") {
		t.Errorf("HEALTH_URL %q is not the playground's", tr.HealthURL)
	}
	if tr.Deadline != 3*time.Second {
		t.Errorf("TRIAGE_DEADLINE = %s, want the environment's 3s", tr.Deadline)
	}
	if _, ok := tr.Catalog.Lookup("acme"); ok || tr.VendorsFile != "" {
		t.Error("the operator's VENDORS_FILE was used")
	}
	for _, k := range tr.Catalog.Keys() {
		v, _ := tr.Catalog.Lookup(k)
		if v.StatusOnly() {
			if v.APIURL != "" || (v.StatusKind != vendors.StatusNone && !strings.HasPrefix(v.StatusURL, base+"/")) {
				t.Errorf("%s (status page only): api_url %q, status page %s %s", k, v.APIURL, v.StatusKind, v.StatusURL)
			}
			continue
		}
		if !strings.HasPrefix(v.APIURL, base+"/") {
			t.Errorf("%s api_url %s is not the playground's", k, v.APIURL)
		}
		if v.StatusKind != vendors.StatusNone && (v.StatusKind != vendors.StatusStatuspage || !strings.HasPrefix(v.StatusURL, base+"/")) {
			t.Errorf("%s status page %s %s is not the playground's", k, v.StatusKind, v.StatusURL)
		}
		switch tok := tr.token(v.TokenEnv); {
		case tok == "":
			t.Errorf("%s: %s is not set: its triage would say misconfigured", k, v.TokenEnv)
		case tok == real[v.TokenEnv]:
			t.Errorf("%s: %s kept the environment's value", k, v.TokenEnv)
		}
	}
	for _, secret := range cfg.secrets() {
		for k, v := range real {
			if secret == v {
				t.Errorf("the log would redact %s's real value: it is still in the configuration", k)
			}
		}
	}
	if err := cfg.checkServe(); err != nil {
		t.Errorf("the playground's configuration does not serve: %v", err)
	}
	if _, err := newTriager(cfg.Triage); err != nil {
		t.Errorf("the playground's triage settings: %v", err)
	}

	// Without REMINDER_INTERVALS and LOG_FORMAT, the playground's own; a
	// broken TRIAGE_DEADLINE is still reported.
	cfg, err = playConfig(loadConfig(func(k string) string {
		return map[string]string{"TRIAGE_DEADLINE": "fast", "VENDORS_FILE": "/nonexistent.yaml"}[k]
	}), p, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Reminders.Intervals[incident.P1]; got != 2*time.Minute {
		t.Errorf("P1 reminder after %s, want the playground's 2m", got)
	}
	if cfg.Log.Format != "console" {
		t.Errorf("LOG_FORMAT = %q, want console", cfg.Log.Format)
	}
	if err := cfg.Triage.check(); exitCode(err) != 2 || !strings.Contains(err.Error(), "TRIAGE_DEADLINE") {
		t.Errorf("triage settings: %v, want the TRIAGE_DEADLINE error (VENDORS_FILE is not used)", err)
	}
}

// TestPlayListensOnLoopback: bot play is reachable from this machine only
// unless asked, and prints the address it listens on; --listen-all, or a
// BOT_ADDR that names a host, opens it, with a warning.
func TestPlayListensOnLoopback(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		addr    string
		url     string // a pattern for the printed URL
		warning bool
	}{
		{"port only", nil, ":0", `^http://127\.0\.0\.1:\d+$`, false},
		{"loopback named", nil, "127.0.0.1:0", `^http://127\.0\.0\.1:\d+$`, false},
		{"every interface named", nil, "0.0.0.0:0", `^http://127\.0\.0\.1:\d+$`, true},
		{"--listen-all", []string{"--listen-all"}, ":0", `^http://127\.0\.0\.1:\d+$`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startPlayWith(t, tt.args, map[string]string{"BOT_ADDR": tt.addr})
			if !regexp.MustCompile(tt.url).MatchString(p.url) {
				t.Errorf("URL %s, want %s", p.url, tt.url)
			}
			if got := get(t, p.url+"/healthz"); got == "" {
				t.Error("the printed URL does not answer")
			}
			out := p.stdout.String()
			if strings.Contains(out, "not only on this machine") != tt.warning {
				t.Errorf("warning about other machines: %v, want %v:\n%s", !tt.warning, tt.warning, out)
			}
			if !strings.Contains(out, "temporary database that is deleted when it stops") {
				t.Errorf("bot play does not say its incidents go at exit:\n%s", out)
			}
		})
	}
}

func TestPlayAddr(t *testing.T) {
	tests := []struct {
		botAddr   string
		listenAll bool
		want      string
	}{
		{":8080", false, "127.0.0.1:8080"},
		{":8080", true, ":8080"},
		{"0.0.0.0:8080", false, "0.0.0.0:8080"},
		{"[::]:8080", false, "[::]:8080"},
		{"192.0.2.7:9000", false, "192.0.2.7:9000"},
		{"127.0.0.1:8080", true, ":8080"},
		{"localhost:8080", false, "localhost:8080"},
	}
	for _, tt := range tests {
		got, err := playAddr(tt.botAddr, tt.listenAll)
		if err != nil || got != tt.want {
			t.Errorf("playAddr(%q, %v) = %q, %v; want %q", tt.botAddr, tt.listenAll, got, err, tt.want)
		}
	}
	if _, err := playAddr("8080", false); exitCode(err) != 2 {
		t.Errorf("BOT_ADDR 8080: %v, want a usage error", err)
	}
}

func TestPlayUsage(t *testing.T) {
	var out lockedBuffer
	if err := run(context.Background(), []string{"bot", "play", "--help"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Usage: bot play") {
		t.Errorf("help: %s", out.String())
	}
	err := run(context.Background(), []string{"bot", "play", "now"}, func(string) string { return "" }, io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("bot play now: %v (exit %d), want a usage error", err, exitCode(err))
	}
	// Serve never turns into the playground.
	err = run(context.Background(), []string{"bot", "serve"}, func(string) string { return "" }, io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "SLACK_BOT_TOKEN") {
		t.Errorf("bot serve without Slack settings: %v, want exit 2 naming SLACK_BOT_TOKEN", err)
	}
}

// TestPlayAlert: the page's simulated Alertmanager fires an alert, which
// opens an incident in the channel with HubSpot's triage in its thread,
// and resolves it, which the thread says.
func TestPlayAlert(t *testing.T) {
	p := startPlay(t)
	p.post(t, "/play/alert", map[string]string{"status": "firing"})
	v := p.waitView(t, "the alert's incident", "", func(v playView) bool {
		return buttonTS.MatchString(v.Channel) && strings.Contains(v.Channel, "HubSpot sync failing")
	})
	ts := buttonTS.FindStringSubmatch(v.Channel)[1]
	p.waitView(t, "the alert and the triage in the thread", ts, func(v playView) bool {
		return strings.Contains(v.Thread, "was opened by an alert from Alertmanager") && strings.Contains(v.Thread, "Triage of HubSpot")
	})
	p.post(t, "/play/alert", map[string]string{"status": "resolved"})
	p.waitView(t, "the resolved alert in the thread", ts, func(v playView) bool {
		return strings.Contains(v.Thread, "resolved. INC-1 stays open")
	})
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.stderr.String()+p.stdout.String(), "playground-hook-") {
		t.Error("the playground's hook token is in its output")
	}
}

// TestPlayWatch: the playground's channel watches the simulated vendors
// from the start; flipping one in the sidebar brings the watch's message,
// with Declare incident, without typing anything.
func TestPlayWatch(t *testing.T) {
	p := startPlayWith(t, nil, nil)
	p.post(t, "/play/mode", map[string]string{"vendor": "hubspot", "mode": "incident"})
	v := p.waitView(t, "the watch message", "", func(v playView) bool {
		return strings.Contains(v.Channel, "HubSpot opened an incident")
	})
	for _, want := range []string{"Elevated error rates on the HubSpot API", "We are investigating elevated error rates", `data-action-id="watch_declare"`} {
		if !strings.Contains(v.Channel, want) {
			t.Errorf("the channel lacks %q:\n%s", want, v.Channel)
		}
	}
	if err := p.stop(); err != nil {
		t.Fatalf("bot play after the signal: %v", err)
	}
}
