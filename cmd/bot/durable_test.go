package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
)

// hangingHubSpot answers the status page at once and holds every API call
// until release is closed (or the caller gives up), then refuses the token.
type hangingHubSpot struct {
	*httptest.Server
	release  chan struct{}
	once     sync.Once
	apiCalls atomic.Int64
}

func newHangingHubSpot(t *testing.T) *hangingHubSpot {
	t.Helper()
	h := &hangingHubSpot{release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v2/summary.json") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"page":{"name":"HubSpot"},"status":{"indicator":"none","description":"All Systems Operational"},"components":[],"incidents":[]}`)
			return
		}
		h.apiCalls.Add(1)
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`)
	}))
	t.Cleanup(func() { h.open(); h.Close() })
	return h
}

func (h *hangingHubSpot) open() { h.once.Do(func() { close(h.release) }) }

// triageChannels are the channels the durability tests triage from: one
// incident each.
func triageChannels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("C0TRIAGE%02d", i)
	}
	return out
}

// durableEnv is the environment of a built bot that triages HubSpot at h.
func durableEnv(t *testing.T, fake *slackfake.Server, h *hangingHubSpot) map[string]string {
	t.Helper()
	dir := t.TempDir()
	vendorsFile := filepath.Join(dir, "vendors.yaml")
	if err := os.WriteFile(vendorsFile, []byte(fmt.Sprintf("hubspot:\n  api_url: %s\n  status_url: %s\n", h.URL, h.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret, "SLACK_API_URL": fake.URL() + "/api/",
		"BOT_ADDR": freeAddr(t), "DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "VENDORS_FILE": vendorsFile,
		"HUBSPOT_ACCESS_TOKEN": testHubSpotKey, "TRIAGE_DEADLINE": "20s", "PATH": os.Getenv("PATH"),
	}
}

// triageFrom sends /incident triage hubspot from channel to the bot at addr
// and returns the acknowledgement's text.
func triageFrom(t *testing.T, addr, ch string) string {
	t.Helper()
	form := url.Values{"team_id": {team}, "channel_id": {ch}, "user_id": {"U0ALICE"}, "command": {"/incident"},
		"text": {"triage hubspot"}, "trigger_id": {nextTrigger()}}
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackapp.Sign(testSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("triage from %s: %d %s", ch, resp.StatusCode, b)
	}
	return string(b)
}

// incidentMessages counts the incident messages (not thread replies) the
// bot posted in each channel.
func incidentMessages(fake *slackfake.Server, channels []string) map[string]int {
	out := map[string]int{}
	for _, ch := range channels {
		for _, m := range fake.Messages(ch) {
			if m.ThreadTS == "" && strings.Contains(m.Text, "INC-") {
				out[ch]++
			}
		}
	}
	return out
}

// TestAcknowledgedTriagesSurviveTheProcess: twenty triages are
// acknowledged while the vendor hangs; the process is then killed (kill -9)
// or stopped (SIGTERM). After a restart every acknowledged triage is posted,
// once, in its channel.
func TestAcknowledgedTriagesSurviveTheProcess(t *testing.T) {
	for _, how := range []string{"kill -9", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			bin := builtBot(t)
			channels := triageChannels(20)
			opts := []slackfake.Option{slackfake.WithToken(testBotToken), slackfake.WithUser("U0ALICE", "alice", "Alice Admin")}
			for _, ch := range channels {
				opts = append(opts, slackfake.WithChannel(ch, strings.ToLower(ch)))
			}
			fake := slackfake.New(opts...)
			t.Cleanup(fake.Close)
			hub := newHangingHubSpot(t)
			env := durableEnv(t, fake, hub)
			logs := &syncBuffer{}
			proc := startProcess(t, bin, env, logs)
			for _, ch := range channels {
				if got := triageFrom(t, env["BOT_ADDR"], ch); !strings.Contains(got, "Triaging HubSpot") {
					t.Fatalf("acknowledgement = %s", got)
				}
			}
			eventually(t, "the vendor asked", func() bool { return hub.apiCalls.Load() > 0 })

			if how == "kill -9" {
				if err := proc.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				proc.Wait()
			} else {
				start := time.Now()
				if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				if err := proc.Wait(); err != nil {
					t.Errorf("SIGTERM: %v, want exit 0", err)
				}
				if d := time.Since(start); d > 15*time.Second {
					t.Errorf("SIGTERM took %v to exit, want about 10 s at most", d)
				}
			}
			if got := incidentMessages(fake, channels); len(got) != 0 && how == "kill -9" {
				t.Fatalf("posted before the kill, with the vendor hanging: %v", got)
			}

			hub.open() // the vendor answers again
			env["BOT_ADDR"] = freeAddr(t)
			proc = startProcess(t, bin, env, logs)
			deadline := time.Now().Add(45 * time.Second) // a dead process's leases pass first
			for {
				got := incidentMessages(fake, channels)
				done := len(got) == len(channels)
				for _, n := range got {
					done = done && n >= 1
				}
				if done || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			// Let anything that would post twice have its chance.
			time.Sleep(500 * time.Millisecond)
			got := incidentMessages(fake, channels)
			for _, ch := range channels {
				if got[ch] != 1 {
					t.Errorf("%s: %d incident messages, want 1", ch, got[ch])
				}
			}
			if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := proc.Wait(); err != nil {
				t.Errorf("second process: SIGTERM: %v", err)
			}
			if t.Failed() {
				t.Logf("logs:\n%s", logs.String())
			}
			assertNoSecrets(t, logs.String(), fake)
		})
	}
}

// TestTwoReplicasPostOnceWhileSlackFails: two bots on one PostgreSQL behind
// one Slack that fails the first attempts of every post and upload (past
// the client's own retries). Each incident message and each postmortem is
// posted once, whichever replica's job or recovery gets there.
func TestTwoReplicasPostOnceWhileSlackFails(t *testing.T) {
	dsn, _ := pgtest.FreshSchema(t)
	fake := newSlack(t)
	env := map[string]string{"DATABASE_URL": dsn}
	a := startBotWith(t, fake, env)
	b := startBotWith(t, fake, env)
	// Five 500s in a row: more than the Web API client retries on its own,
	// so the job fails an attempt and is run again (maybe on the other
	// replica).
	fake.FailNext("chat.postMessage", 5, http.StatusInternalServerError, 0, "")
	a.command("U0ALICE", "declare Checkout emails are not sent")
	b.command("U0BOB", "declare Card payments failing")
	fake.MustWaitFor(t, "both incident messages", func() bool {
		return len(incidentMessages(fake, []string{channel})) == 1 &&
			incidentMessages(fake, []string{channel})[channel] == 2
	})

	// A person resolves from the message they see, once the bot has
	// stored where it is (its link is in the list).
	eventually(t, "both incidents listed with their messages", func() bool {
		return strings.Count(a.command("U0ALICE", "list"), "/archives/") == 2
	})
	if n := len(fake.Calls("chat.postMessage")); n < 7 {
		t.Fatalf("%d chat.postMessage calls: the five failures were not all met", n)
	}
	fake.FailNext("files.completeUploadExternal", 5, http.StatusInternalServerError, 0, "")
	a.command("U0ALICE", "resolve INC-1 Mail relay fixed")
	b.command("U0BOB", "resolve INC-2 Card processor back")
	fake.MustWaitFor(t, "both postmortems", func() bool { return len(fake.Files()) >= 2 })
	time.Sleep(300 * time.Millisecond) // anything posted twice would show by now
	if n := len(fake.Calls("files.completeUploadExternal")); n < 7 {
		t.Errorf("%d upload completions: the five failures were not all met", n)
	}
	a.shutdown()
	b.shutdown()
	if got := incidentMessages(fake, []string{channel})[channel]; got != 2 {
		t.Errorf("%d incident messages, want 2", got)
		for _, m := range fake.Messages(channel) {
			t.Logf("%s thread=%q %.120s", m.TS, m.ThreadTS, m.Text)
		}
	}
	files := map[string]int{}
	for _, f := range fake.Files() {
		files[f.Name]++
	}
	if len(files) != 2 || files["INC-1-postmortem.md"] != 1 || files["INC-2-postmortem.md"] != 1 {
		t.Errorf("postmortems shared: %v, want INC-1 and INC-2 once each", files)
	}
}
