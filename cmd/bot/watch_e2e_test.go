package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWatchEndToEnd runs `bot serve` with WATCH_INTERVAL=10s against the
// Slack stand-in and a HubSpot stand-in that serves the documented
// Statuspage summary.json fixtures (internal/vendors/testdata, which name
// their sources): /incident watch, the change of the page posted in the
// channel with Declare incident, and watching. It waits for what Slack
// receives, never for a time.
func TestWatchEndToEnd(t *testing.T) {
	var mu sync.Mutex
	page := "operational"
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v2/summary.json") {
			mu.Lock()
			name := page
			mu.Unlock()
			body, err := os.ReadFile(filepath.Join("..", "..", "internal", "vendors", "testdata", "status", "statuspage", name+".json"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
			return
		}
		// HubSpot's account details, as its docs show them (testdata/answers/hubspot/healthy.http).
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		fmt.Fprint(w, `{"portalId":123456,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","additionalCurrencies":[],"utcOffset":"-05:00","utcOffsetMilliseconds":-18000000,"uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`)
	}))
	t.Cleanup(hub.Close)
	vendorsFile := filepath.Join(t.TempDir(), "vendors.yaml")
	os.WriteFile(vendorsFile, []byte(fmt.Sprintf("hubspot:\n  api_url: %s\n  status_url: %s\n", hub.URL, hub.URL)), 0o644)
	b := startBuiltBot(t, newSlack(t), map[string]string{"WATCH_INTERVAL": "10s", "VENDORS_FILE": vendorsFile})

	if got := b.command("U0ALICE", "watch hubspot"); !strings.Contains(got, "Watching HubSpot") {
		t.Fatalf("watch = %q", got)
	}
	// The first check finds HubSpot healthy and says nothing; watching
	// shows when it was checked.
	waitUntil(t, "the first check", func() bool {
		return strings.Contains(b.command("U0ALICE", "watching"), "· checked <!date")
	})
	before := len(b.slack.Messages(channel))
	mu.Lock()
	page = "incident"
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound on a hang, not a timing assertion
	defer cancel()
	if err := b.slack.WaitFor(ctx, func() bool { return len(b.slack.Messages(channel)) > before }); err != nil {
		t.Fatalf("no watch message after the page changed: %v\n%s", err, b.stderr)
	}
	msgs := b.slack.Messages(channel)
	m := msgs[len(msgs)-1]
	if !strings.Contains(string(m.Blocks), "HubSpot opened an incident") || !strings.Contains(string(m.Blocks), `"action_id":"watch_declare"`) {
		t.Errorf("watch message: %s", m.Blocks)
	}
	if got := b.command("U0ALICE", "watching"); !strings.Contains(got, "Elevated API error rates") {
		t.Errorf("watching = %q", got)
	}
	// The metric shows the vendor down (a major incident), on every replica alike.
	resp, err := http.Get(b.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `bot_vendor_state{vendor="hubspot"} 3`) {
		t.Errorf("/metrics lacks the vendor's state:\n%s", grepLines(string(metrics), "bot_vendor"))
	}
	assertNoSecrets(t, b.stderr.String()+b.stdout.String(), b.slack)
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// waitUntil polls cond, for state only the bot's answers show, bounded by
// a minute against a hang (the watch checks every 10 s here).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
