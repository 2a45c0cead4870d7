package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/trackers/trackertest"
)

// Canary credentials of the trackers: no output may carry them.
const (
	canaryGitHubToken = "github_pat_11CANARYe2eTOKEN0123456789abcdef"
	canaryJiraToken   = "ATATT3xFfGF0CANARYe2eJIRATOKEN0123"
	canaryLinearKey   = "lin_api_CANARYe2eLINEARKEY0123456789"
	linearTeam        = "3f0e5c1a-8a44-4d8e-9a53-2b5a9d7d1c11"
)

var trackerCanaries = []string{canaryGitHubToken, canaryJiraToken, canaryLinearKey}

// trackerStand is a tracker's stand-in and the settings that point the bot at it.
type trackerStand struct {
	name     string
	srv      *trackertest.Server
	env      map[string]string
	isCreate func(trackertest.Request) bool
	fix      string // the setting a refusal names
}

func trackerStands(t *testing.T) []trackerStand {
	t.Helper()
	gh := trackertest.GitHub("acme/web", canaryGitHubToken)
	jira := trackertest.Jira("OPS", "bot@acme.example", canaryJiraToken)
	lin := trackertest.Linear(linearTeam, canaryLinearKey)
	for _, s := range []*trackertest.Server{gh, jira, lin} {
		t.Cleanup(s.Close)
	}
	return []trackerStand{
		{name: "github", srv: gh, isCreate: trackertest.IsGitHubCreate, fix: "GITHUB_TOKEN", env: map[string]string{
			"FOLLOWUP_TRACKER": "github", "GITHUB_REPO": "acme/web", "GITHUB_TOKEN": canaryGitHubToken, "GITHUB_API_URL": gh.URL}},
		{name: "jira", srv: jira, isCreate: trackertest.IsJiraCreate, fix: "JIRA_TOKEN", env: map[string]string{
			"FOLLOWUP_TRACKER": "jira", "JIRA_URL": jira.URL, "JIRA_PROJECT": "OPS", "JIRA_EMAIL": "bot@acme.example",
			"JIRA_TOKEN": canaryJiraToken}},
		{name: "linear", srv: lin, isCreate: trackertest.IsLinearCreate, fix: "LINEAR_API_KEY", env: map[string]string{
			"FOLLOWUP_TRACKER": "linear", "LINEAR_API_KEY": canaryLinearKey, "LINEAR_TEAM_ID": linearTeam, "LINEAR_API_URL": lin.URL}},
	}
}

// assertNoTrackerSecrets fails when out, or anything Slack received,
// carries a tracker credential.
func assertNoTrackerSecrets(t *testing.T, out string, fake *slackfake.Server) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(out)
	if fake != nil {
		for _, c := range fake.Calls("") {
			fmt.Fprint(&sb, c.Params, string(c.Blocks))
		}
	}
	for _, s := range trackerCanaries {
		if strings.Contains(sb.String(), s) {
			t.Errorf("a tracker credential (%s…) leaked into logs, output or Slack", s[:10])
		}
	}
}

// TestFollowupTrackerConfig: a tracker without its settings is a
// configuration error: exit 2, one line naming what to set, no secret.
func TestFollowupTrackerConfig(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"FOLLOWUP_TRACKER": "github", "GITHUB_TOKEN": canaryGitHubToken}, []string{"GITHUB_REPO is not set"}},
		{map[string]string{"FOLLOWUP_TRACKER": "github", "GITHUB_REPO": "acme"}, []string{"GITHUB_REPO must be owner/name", "GITHUB_TOKEN is not set"}},
		{map[string]string{"FOLLOWUP_TRACKER": "GitHub", "GITHUB_REPO": "acme/web", "GITHUB_TOKEN": canaryGitHubToken, "GITHUB_API_URL": "ftp://x"},
			[]string{"GITHUB_API_URL must be an http(s) URL"}},
		{map[string]string{"FOLLOWUP_TRACKER": "jira", "JIRA_TOKEN": canaryJiraToken}, []string{"JIRA_URL", "JIRA_PROJECT", "JIRA_EMAIL"}},
		{map[string]string{"FOLLOWUP_TRACKER": "linear", "LINEAR_API_KEY": canaryLinearKey}, []string{"LINEAR_TEAM_ID is not set"}},
		{map[string]string{"FOLLOWUP_TRACKER": "trello"}, []string{`FOLLOWUP_TRACKER="trello": want github, jira or linear`}},
	}
	for _, tt := range tests {
		env := map[string]string{"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret,
			"DATABASE_URL": "sqlite:" + t.TempDir() + "/bot.db", "BOT_ADDR": freeAddr(t)}
		for k, v := range tt.env {
			env[k] = v
		}
		err := run(context.Background(), []string{"bot", "serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
		if exitCode(err) != 2 {
			t.Errorf("%v: run = %v (exit %d), want a configuration error (exit 2)", tt.env, err, exitCode(err))
			continue
		}
		line := errorLine(err)
		if strings.Contains(line, "\n") {
			t.Errorf("the error is more than one line: %q", line)
		}
		for _, w := range tt.want {
			if !strings.Contains(line, w) {
				t.Errorf("%v: %q does not say %q", tt.env, line, w)
			}
		}
		assertNoTrackerSecrets(t, line, nil)
	}
	// Unset, no tracker setting is needed.
	if p := loadConfig(func(string) string { return "" }).Followups.problems(); len(p) != 0 {
		t.Errorf("without FOLLOWUP_TRACKER: %v", p)
	}
}

// TestDoctorTracker: bot doctor checks the configured tracker, one line.
func TestDoctorTracker(t *testing.T) {
	for _, st := range trackerStands(t) {
		t.Run(st.name, func(t *testing.T) {
			fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
			t.Cleanup(fake.Close)
			env := doctorEnv(t, fake.URL()+"/api/")
			for k, v := range st.env {
				env[k] = v
			}
			lines, out, err := runDoctor(t, env)
			if err != nil || lines["tracker"].mark != "ok" {
				t.Fatalf("doctor: %v\n%s", err, out)
			}
			assertNoTrackerSecrets(t, out, nil)

			st.srv.Refuse(401)
			defer st.srv.Refuse(0)
			lines, out, err = runDoctor(t, env)
			if err == nil || lines["tracker"].mark != "FAIL" || !strings.Contains(lines["tracker"].detail, st.fix) {
				t.Errorf("doctor with a refused credential: %v\n%s", err, out)
			}
			assertNoTrackerSecrets(t, out, nil)
		})
	}
	fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
	t.Cleanup(fake.Close)
	lines, out, _ := runDoctor(t, doctorEnv(t, fake.URL()+"/api/"))
	if l := lines["tracker"]; l.mark != "--" || !strings.Contains(l.detail, "FOLLOWUP_TRACKER not set") {
		t.Errorf("doctor without a tracker:\n%s", out)
	}
}

// TestFollowupsEndToEnd: `bot serve` against the Slack stand-in and each
// tracker's stand-in. A follow-up command and an action: reply that Slack
// delivers twice, with the tracker failing its first call (500) and rate
// limiting the next (429, Retry-After: 1), are two issues; the thread gets each link once, the postmortem lists them; and
// no output carries a credential.
func TestFollowupsEndToEnd(t *testing.T) {
	for _, st := range trackerStands(t) {
		t.Run(st.name, func(t *testing.T) {
			st.srv.FailNext(1, 500, "")
			st.srv.FailNext(1, 429, "1")
			b := startBuiltBot(t, newSlack(t), st.env)
			fake := b.slack
			inc := b.open("U0ALICE", "declare Checkout emails are not sent")
			if got := b.command("U0ALICE", "followup Alert on email queue depth"); !strings.Contains(got, "Filing the follow-up of INC-1") {
				t.Fatalf("followup answered %q", got)
			}
			reply := map[string]any{"type": "message", "channel": channel, "user": "U0BOB", "text": "action: rotate the SMTP password",
				"ts": "1800000001.000100", "thread_ts": inc.TS}
			b.event("EvF1", reply)
			b.event("EvF1", reply, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")

			links := func() []slackfake.Message {
				var out []slackfake.Message
				for _, m := range fake.Thread(channel, inc.TS) {
					if m.ThreadTS == inc.TS && strings.Contains(m.Text, ":ticket:") {
						out = append(out, m)
					}
				}
				return out
			}
			fake.MustWaitFor(t, "two follow-up links in the thread", func() bool { return len(links()) >= 2 })
			issues := st.srv.Issues()
			if len(issues) != 2 {
				t.Fatalf("%d issues, want 2: %+v", len(issues), issues)
			}
			for _, is := range issues {
				if !slicesContainsFunc(links(), func(m slackfake.Message) bool { return strings.Contains(m.Text, is.URL) }) {
					t.Errorf("no link to %s in the thread", is.URL)
				}
			}
			if got := b.command("U0ALICE", "resolve"); !strings.Contains(got, "Resolving INC-1") {
				t.Fatalf("resolve = %q", got)
			}
			fake.MustWaitFor(t, "the postmortem", func() bool { return len(fake.Files()) == 1 })
			doc := string(fake.Files()[0].Content)
			for _, is := range issues {
				if !strings.Contains(doc, "]("+is.URL+"))") {
					t.Errorf("the postmortem does not link %s:\n%s", is.URL, doc)
				}
			}
			if err := b.shutdown(); err != nil {
				t.Fatal(err)
			}
			if n := len(links()); n != 2 {
				t.Errorf("%d link replies, want 2", n)
			}
			if n := st.srv.Creates(st.isCreate); n != 2 {
				t.Errorf("%d create requests, want 2", n)
			}
			assertNoTrackerSecrets(t, b.stdout.String()+b.stderr.String()+doc, fake)
			assertNoSecrets(t, b.stdout.String()+b.stderr.String()+doc, fake)
		})
	}
}

// TestFollowupRefusedEndToEnd: a refused token is told in the thread with
// what to fix, and logged, without the token.
func TestFollowupRefusedEndToEnd(t *testing.T) {
	st := trackerStands(t)[0]
	st.srv.Refuse(401)
	b := startBuiltBot(t, newSlack(t), st.env)
	fake := b.slack
	inc := b.open("U0ALICE", "declare Checkout emails are not sent")
	b.command("U0BOB", "followup Alert on email queue depth")
	fake.MustWaitFor(t, "the refusal in the thread", func() bool {
		for _, m := range fake.Thread(channel, inc.TS) {
			if m.ThreadTS == inc.TS && strings.Contains(m.Text, "could not be filed in GitHub") {
				return true
			}
		}
		return false
	})
	b.shutdown()
	if !strings.Contains(b.stdout.String()+b.stderr.String(), "GITHUB_TOKEN is invalid") {
		t.Error("the refusal is not logged")
	}
	assertNoTrackerSecrets(t, b.stdout.String()+b.stderr.String(), fake)
}

func slicesContainsFunc[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}

// TestPlayTracker: bot play files follow-ups in a simulated GitHub whose
// links open, never in the tracker the environment names.
func TestPlayTracker(t *testing.T) {
	cfg := loadConfig(func(k string) string {
		return map[string]string{"FOLLOWUP_TRACKER": "jira", "JIRA_URL": "https://acme.atlassian.net", "JIRA_PROJECT": "OPS",
			"JIRA_EMAIL": "a@acme.example", "JIRA_TOKEN": canaryJiraToken}[k]
	})
	srv := playTracker(&cfg, "play-token-0123456789")
	defer srv.Close()
	if cfg.Followups.Tracker != "github" || cfg.Followups.GitHub.APIURL != srv.URL || len(cfg.Followups.problems()) != 0 {
		t.Fatalf("the playground's follow-ups: %+v", cfg.Followups)
	}
	for _, s := range cfg.secrets() {
		if s == canaryJiraToken {
			t.Error("the environment's JIRA_TOKEN is still in the playground's configuration")
		}
	}
	is, err := cfg.Followups.tracker().CreateIssue(context.Background(), incidentDraft())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(is.URL, srv.URL+"/"+playRepo+"/issues/") {
		t.Fatalf("issue URL %s is not the stand-in's page", is.URL)
	}
	resp, err := http.Get(is.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "INC-1 follow-up") {
		t.Errorf("the issue's page: %d %s", resp.StatusCode, body)
	}
}

func incidentDraft() incident.IssueDraft {
	return incident.IssueDraft{Title: "INC-1 follow-up: rotate the token", Body: []string{"rotate the token"}, Marker: "incident-bot:followup:p"}
}

// TestFollowupSurvivesKill9: the built binary is killed (-9) while GitHub
// holds the answer to the issue it just created; the restarted bot finds
// that issue by its marker instead of creating a second, and posts its
// link once.
func TestFollowupSurvivesKill9(t *testing.T) {
	bin := builtBot(t)
	fake := newSlack(t)
	st := trackerStands(t)[0]
	st.srv.HoldNextCreate()
	dir := t.TempDir()
	env := map[string]string{
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret, "SLACK_API_URL": fake.URL() + "/api/",
		"BOT_ADDR": freeAddr(t), "DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "PATH": os.Getenv("PATH"),
	}
	for k, v := range st.env {
		env[k] = v
	}
	logs := &syncBuffer{}
	proc := startProcess(t, bin, env, logs)
	b := &bot{t: t, slack: fake, url: "http://" + env["BOT_ADDR"]}
	inc := b.open("U0ALICE", "declare Shipping labels fail")
	b.command("U0BOB", "followup Alert on label printer errors")
	eventually(t, "the issue created at GitHub", func() bool { return len(st.srv.Issues()) == 1 })
	if err := proc.Process.Kill(); err != nil { // the answer never reaches the bot
		t.Fatal(err)
	}
	proc.Wait()

	env["BOT_ADDR"] = freeAddr(t)
	proc = startProcess(t, bin, env, logs)
	// The killed process's lease on the job runs out (10 s), then the new
	// one claims it.
	links := func() int {
		n := 0
		for _, m := range fake.Thread(channel, inc.TS) {
			if strings.Contains(m.Text, ":ticket:") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for links() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no follow-up link in the thread a minute after the restart:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := proc.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Errorf("SIGINT: %v, want exit 0", err)
	}
	if n := len(st.srv.Issues()); n != 1 {
		t.Errorf("%d issues, want 1", n)
	}
	if n := st.srv.Creates(st.isCreate); n != 1 {
		t.Errorf("%d create requests, want 1: the retry must find the issue", n)
	}
	if n := links(); n != 1 {
		t.Errorf("%d links in the thread, want 1", n)
	}
	assertNoTrackerSecrets(t, logs.String(), fake)
	assertNoSecrets(t, logs.String(), fake)
}
