package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/incident-bot/bot/internal/hooks"
	"github.com/incident-bot/bot/internal/slackfake"
)

// Canary secrets of the alert hooks: no output of the bot may contain them.
const (
	testHookToken = "hooktoken-CANARY-5f0c2a9e71d84b36"
	testPDSecret  = "pdsecret-CANARY-93b1e4d07a6c2f58"
	alertsChannel = "C0ALERTS"
)

// hookBot is a built bot serving /hooks/* against the Slack stand-in,
// with HubSpot and Stripe pointed at a stand-in.
type hookBot struct {
	t       *testing.T
	url     string
	fake    *slackfake.Server
	logs    *syncBuffer
	mu      sync.Mutex
	answers strings.Builder // every HTTP answer the hooks gave
}

func startHookBot(t *testing.T) *hookBot {
	t.Helper()
	bin := builtBot(t)
	fake := slackfake.New(slackfake.WithToken(testBotToken), slackfake.WithChannel(alertsChannel, "alerts"))
	t.Cleanup(fake.Close)
	hub := hubspotStandIn(t)
	dir := t.TempDir()
	vendorsFile := filepath.Join(dir, "vendors.yaml")
	if err := os.WriteFile(vendorsFile, []byte(fmt.Sprintf(
		"hubspot:\n  api_url: %[1]s\n  status_url: %[1]s\nstripe:\n  api_url: %[1]s\n  status_kind: statuspage\n  status_url: %[1]s\n",
		hub.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret, "SLACK_API_URL": fake.URL() + "/api/",
		"BOT_ADDR": freeAddr(t), "DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "VENDORS_FILE": vendorsFile,
		"HUBSPOT_ACCESS_TOKEN": testHubSpotKey, "TRIAGE_DEADLINE": "5s", "LOG_LEVEL": "debug", "PATH": os.Getenv("PATH"),
		"HOOK_TOKEN": testHookToken, "ALERT_CHANNEL": alertsChannel, "PAGERDUTY_WEBHOOK_SECRET": testPDSecret,
	}
	logs := &syncBuffer{}
	startProcess(t, bin, env, logs)
	return &hookBot{t: t, url: "http://" + env["BOT_ADDR"], fake: fake, logs: logs}
}

// deliver posts body to /hooks/source with the header pairs given, and
// returns the status and the answer.
func (b *hookBot) deliver(source string, body []byte, header ...string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url+"/hooks/"+source, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	b.mu.Lock()
	fmt.Fprintf(&b.answers, "%d %s %s\n", resp.StatusCode, resp.Header, got)
	b.mu.Unlock()
	return resp.StatusCode, string(got)
}

// send delivers body as source would, with the bearer token (and, for
// PagerDuty, its signature), and wants 200.
func (b *hookBot) send(source string, body []byte) {
	b.t.Helper()
	h := []string{"Authorization", "Bearer " + testHookToken}
	if source == hooks.PagerDuty {
		h = append(h, "X-PagerDuty-Signature", hooks.Sign(testPDSecret, body))
	}
	if code, answer := b.deliver(source, body, h...); code != http.StatusOK {
		b.t.Fatalf("/hooks/%s: %d %s", source, code, answer)
	}
}

// incidents are the incident messages in the alert channel, by their text.
func (b *hookBot) incidents() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range b.fake.Messages(alertsChannel) {
		if m.ThreadTS == "" && strings.Contains(m.Text, "INC-") {
			out = append(out, m)
		}
	}
	return out
}

// incident is the one incident message whose text names title.
func (b *hookBot) incident(title string) (slackfake.Message, int) {
	var found slackfake.Message
	n := 0
	for _, m := range b.incidents() {
		if strings.Contains(m.Text, title) {
			found, n = m, n+1
		}
	}
	return found, n
}

// replies are the texts of the replies in the thread of the message ts.
func (b *hookBot) replies(ts string) []string {
	var out []string
	for _, m := range b.fake.Thread(alertsChannel, ts) {
		if m.TS != ts {
			out = append(out, m.Text)
		}
	}
	return out
}

// waitReplies waits until the thread of ts holds n replies that contain
// each of want (in any order), and returns them.
func (b *hookBot) waitReplies(ts string, n int, want ...string) []string {
	b.t.Helper()
	var got []string
	defer func() {
		if b.t.Failed() {
			b.t.Logf("replies: %q", got)
		}
	}()
	eventually(b.t, fmt.Sprintf("%d replies saying %q", n, want), func() bool {
		got = b.replies(ts)
		if len(got) < n {
			return false
		}
		all := strings.Join(got, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false
			}
		}
		return true
	})
	return got
}

func hookFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "hooks", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withField returns the JSON body with path (dot-separated) set to v.
func withField(t *testing.T, body []byte, v any, path ...string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	cur := m
	for _, p := range path[:len(path)-1] {
		switch next := cur[p].(type) {
		case map[string]any:
			cur = next
		case []any:
			cur = next[0].(map[string]any)
		}
	}
	cur[path[len(path)-1]] = v
	out, _ := json.Marshal(m)
	return out
}

// TestAlertHooks: the built bot takes each source's documented payload
// with the bearer token: a firing alert opens an incident in ALERT_CHANNEL
// (the incident message, then the alert in its thread), another alert of
// the group joins it, a redelivery adds nothing, the resolved alert is said
// in the thread and leaves the incident open. Requests without the token,
// with a wrong one, with a bad body or a bad PagerDuty signature are
// refused; 100 alerts of 10 groups at once open 10 incidents. No output
// holds the hook token or the PagerDuty secret.
func TestAlertHooks(t *testing.T) {
	b := startHookBot(t)
	opened := 0

	t.Run("alertmanager", func(t *testing.T) {
		b.t = t
		firing := hookFixture(t, "alertmanager_firing.json")
		b.send(hooks.Alertmanager, firing)
		b.send(hooks.Alertmanager, firing) // Alertmanager repeats a group's notification
		opened++
		var inc slackfake.Message
		eventually(t, "the incident", func() bool { inc, _ = b.incident("BlackBox Probe Failure"); return inc.TS != "" })
		// The alert, then HubSpot's triage report (the alert's vendor label).
		b.waitReplies(inc.TS, 2, "was opened by an alert from Alertmanager", "Running the HubSpot triage", "new triage of HubSpot")
		b.send(hooks.Alertmanager, withField(t, firing, "0b6e4f1c9d2a7e35", "alerts", "fingerprint"))
		b.waitReplies(inc.TS, 3, "Another alert from Alertmanager joined")
		b.send(hooks.Alertmanager, hookFixture(t, "alertmanager_resolved.json"))
		got := b.waitReplies(inc.TS, 4, "resolved. INC-")
		if _, n := b.incident("BlackBox Probe Failure"); n != 1 {
			t.Errorf("%d incident messages for the group, want 1", n)
		}
		if len(got) != 4 {
			t.Errorf("thread %q: want 4 replies (opened, triage, joined, resolved)", got)
		}
		if inc, _ := b.incident("BlackBox Probe Failure"); strings.Contains(inc.Text, "Resolved") {
			t.Errorf("the resolved alert resolved the incident: %q", inc.Text)
		}
	})

	t.Run("grafana", func(t *testing.T) {
		b.t = t
		b.send(hooks.Grafana, hookFixture(t, "grafana_firing.json")) // two alerts of one group
		opened++
		var inc slackfake.Message
		eventually(t, "the incident", func() bool {
			inc, _ = b.incident("This alert was triggered for zone")
			return inc.TS != ""
		})
		b.waitReplies(inc.TS, 2, "was opened by an alert from Grafana", "Another alert from Grafana joined")
		b.send(hooks.Grafana, hookFixture(t, "grafana_resolved.json"))
		b.waitReplies(inc.TS, 4, "resolved. INC-")
	})

	t.Run("datadog", func(t *testing.T) {
		b.t = t
		b.send(hooks.Datadog, hookFixture(t, "datadog_triggered.json"))
		opened++
		var inc slackfake.Message
		eventually(t, "the incident", func() bool { inc, _ = b.incident("Host is Down"); return inc.TS != "" })
		b.waitReplies(inc.TS, 2, "was opened by an alert from Datadog", "Running the Stripe triage")
		b.send(hooks.Datadog, hookFixture(t, "datadog_recovered.json"))
		b.waitReplies(inc.TS, 3, "resolved. INC-")
	})

	t.Run("pagerduty", func(t *testing.T) {
		b.t = t
		trig := hookFixture(t, "pagerduty_triggered.json")
		b.send(hooks.PagerDuty, trig)
		b.send(hooks.PagerDuty, trig) // PagerDuty retries a delivery it thinks failed
		b.send(hooks.PagerDuty, hookFixture(t, "pagerduty_acknowledged.json"))
		opened++
		var inc slackfake.Message
		eventually(t, "the incident", func() bool { inc, _ = b.incident("A little bump in the road"); return inc.TS != "" })
		b.waitReplies(inc.TS, 1, "was opened by an alert from PagerDuty", "(severity `P1` → P1)")
		b.send(hooks.PagerDuty, hookFixture(t, "pagerduty_resolved.json"))
		got := b.waitReplies(inc.TS, 2, "resolved. INC-")
		if len(got) != 2 {
			t.Errorf("thread %q: want the trigger once and the resolve", got)
		}
		if code, answer := b.deliver(hooks.PagerDuty, trig, "Authorization", "Bearer "+testHookToken); code != 401 ||
			!strings.Contains(answer, "X-PagerDuty-Signature") {
			t.Errorf("unsigned PagerDuty delivery: %d %s; want 401 naming the signature", code, answer)
		}
	})

	t.Run("generic", func(t *testing.T) {
		b.t = t
		b.send(hooks.Generic, hookFixture(t, "generic_firing.json"))
		opened++
		var inc slackfake.Message
		eventually(t, "the incident", func() bool { inc, _ = b.incident("Checkout error rate above 5%"); return inc.TS != "" })
		b.waitReplies(inc.TS, 2, "was opened by an alert from the generic hook", "new triage of HubSpot")
		b.send(hooks.Generic, withField(t, hookFixture(t, "generic_firing.json"), "p99 too", "text"))
		b.waitReplies(inc.TS, 3, "Another alert from the generic hook joined")
		b.send(hooks.Generic, hookFixture(t, "generic_resolved.json"))
		b.waitReplies(inc.TS, 4, "resolved. INC-")
	})

	t.Run("refused", func(t *testing.T) {
		b.t = t
		body := hookFixture(t, "generic_firing.json")
		for _, tc := range []struct {
			name   string
			header []string
			body   []byte
			code   int
			says   string
		}{
			{"no token", nil, body, 401, "Authorization: Bearer"},
			{"wrong token", []string{"Authorization", "Bearer " + testHookToken[:len(testHookToken)-1] + "x"}, body, 401, "wrong token"},
			{"bad body", []string{"Authorization", "Bearer " + testHookToken}, []byte(`{"status":"firing","title":"x"}`), 400, "key is missing"},
			{"not JSON", []string{"Authorization", "Bearer " + testHookToken}, []byte(`<html>`), 400, "not valid JSON"},
		} {
			if code, answer := b.deliver(hooks.Generic, tc.body, tc.header...); code != tc.code || !strings.Contains(answer, tc.says) {
				t.Errorf("%s: %d %s; want %d saying %q", tc.name, code, answer, tc.code, tc.says)
			}
		}
		if !strings.Contains(b.logs.String(), "key is missing") {
			t.Error("the bad body's reason is not in the log")
		}
		if code, _ := b.deliver("nagios", body, "Authorization", "Bearer "+testHookToken); code != 404 && code != 405 {
			t.Errorf("/hooks/nagios: %d, want 404", code)
		}
	})

	t.Run("burst", func(t *testing.T) {
		b.t = t
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, _ := json.Marshal(map[string]string{"title": fmt.Sprintf("Burst group %d", i%10), "status": "firing",
					"key": fmt.Sprintf("burst-%d", i%10), "severity": "warning", "text": fmt.Sprintf("alert %d", i)})
				b.send(hooks.Generic, body)
			}()
		}
		wg.Wait()
		opened += 10
		// Every alert is in its incident's thread: the work is done.
		eventually(t, "every alert of the burst in a thread", func() bool {
			n := 0
			for _, m := range b.incidents() {
				if strings.Contains(m.Text, "Burst group") {
					n += len(b.replies(m.TS))
				}
			}
			return n == 100
		})
		for g := range 10 {
			if _, n := b.incident(fmt.Sprintf("Burst group %d", g)); n != 1 {
				t.Errorf("group %d: %d incident messages, want 1", g, n)
			}
		}
	})

	b.t = t
	if n := len(b.incidents()); n != opened {
		t.Errorf("%d incident messages in the alert channel, want %d", n, opened)
	}
	// The canaries: in no log line, Slack call or answer.
	var all strings.Builder
	all.WriteString(b.logs.String())
	all.WriteString(b.answers.String())
	for _, c := range b.fake.Calls("") {
		fmt.Fprint(&all, c.Params, string(c.Blocks))
	}
	for _, secret := range []string{testHookToken, testPDSecret, testBotToken, testSecret, testHubSpotKey} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("a secret (%s…) is in the logs, an answer or a Slack message", secret[:8])
		}
	}
}
