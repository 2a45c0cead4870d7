package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeclaredIncidentsInOneChannel: two incidents share a channel; commands
// name one or are refused with the list; a mention inside a thread acts on
// that thread's incident; the Resolve button clicked twice at once writes one
// postmortem.
func TestDeclaredIncidentsInOneChannel(t *testing.T) {
	b := startBot(t, nil)
	fake := b.slack

	if got := b.command("U0ALICE", "declare"); !strings.Contains(got, "declare form") { // the form (TestSurfacesEndToEnd)
		t.Errorf("declare without a title = %q", got)
	}
	b.command("U0ALICE", "declare Checkout emails are not sent <!channel>")
	fake.MustWait(t, "chat.postMessage", 1)
	first := fake.Messages(channel)[0]
	if h := header(first.Blocks); h != "[P3] INCIDENT INC-1: Checkout emails are not sent <!channel>" {
		t.Errorf("header = %q", h) // plain_text: shown as typed, pings nobody
	}
	if strings.Contains(first.Text, "<!channel>") {
		t.Error("the fallback text would ping the channel")
	}
	eventually(t, "INC-1 listed with its link", func() bool {
		return strings.Contains(b.command("U0BOB", "list"), strings.ReplaceAll(first.TS, ".", ""))
	})
	b.command("U0BOB", "declare Search is slow")
	fake.MustWait(t, "chat.postMessage", 2)
	second := fake.Messages(channel)[1]
	eventually(t, "INC-2 listed with its link", func() bool {
		return strings.Contains(b.command("U0BOB", "list"), strings.ReplaceAll(second.TS, ".", ""))
	})

	if got := b.command("U0ALICE", "severity P1"); !strings.Contains(got, "INC-1, INC-2") {
		t.Errorf("severity without INC-n in a channel with two = %q", got)
	}
	if got := b.command("U0ALICE", "severity P9 INC-1"); !strings.Contains(got, "P1") {
		t.Errorf("bad severity = %q", got)
	}
	if got := b.command("U0ALICE", "severity P2 INC-7"); !strings.Contains(got, "INC-7 does not exist") {
		t.Errorf("unknown incident = %q", got)
	}
	b.command("U0ALICE", "severity P1 INC-2")
	fake.MustWaitFor(t, "INC-2 at P1", func() bool { return strings.HasPrefix(header(fake.Messages(channel)[1].Blocks), "[P1]") })
	if strings.HasPrefix(header(fake.Messages(channel)[0].Blocks), "[P1]") {
		t.Error("INC-1 changed too")
	}

	// A mention in INC-1's thread acts on INC-1 and answers only the asker, in the thread.
	b.event("EvM1", map[string]any{"type": "app_mention", "channel": channel, "user": "U0CAROL",
		"text": "<@U0BOTUSER> commander <@U0CAROL>", "ts": "1800000100.000100", "thread_ts": first.TS})
	b.event("EvM1", map[string]any{"type": "app_mention", "channel": channel, "user": "U0CAROL",
		"text": "<@U0BOTUSER> commander <@U0CAROL>", "ts": "1800000100.000100", "thread_ts": first.TS}, "X-Slack-Retry-Num", "1")
	fake.MustWaitFor(t, "commander carol on INC-1", func() bool {
		return strings.Contains(string(fake.Messages(channel)[0].Blocks), "U0CAROL")
	})
	b.event("EvM2", map[string]any{"type": "app_mention", "channel": channel, "user": "U0CAROL",
		"text": "<@U0BOTUSER> status Mail provider rate-limits us; switching to the backup relay", "ts": "1800000101.000100", "thread_ts": first.TS})
	fake.MustWaitFor(t, "status update in INC-1's thread", func() bool { return len(fake.Thread(channel, first.TS)) >= 2 })
	upd := fake.Thread(channel, first.TS)[1]
	if !strings.Contains(upd.Text, "INC-1 update") || !strings.Contains(string(upd.Blocks), "backup relay") {
		t.Errorf("status update = %q", upd.Text)
	}
	eph := fake.Ephemerals()
	last := eph[len(eph)-1]
	if last.User != "U0CAROL" || last.ThreadTS != first.TS {
		t.Errorf("mention answered to %s in thread %q, want U0CAROL in %s", last.User, last.ThreadTS, first.TS)
	}
	if n := len(fake.Calls("chat.update")); n < 2 {
		t.Errorf("%d message updates", n)
	}

	// The Resolve button, double-clicked by two people at once.
	id := incidentID(t, fake.Messages(channel)[0].Blocks)
	go b.click("U0ALICE", "resolve", id, first.TS)
	b.click("U0BOB", "resolve", id, first.TS)
	fake.MustWaitFor(t, "the postmortem", func() bool { return len(fake.Files()) == 1 })
	b.command("U0ALICE", "resolve INC-1")
	if err := b.shutdown(); err != nil { // waits for background work
		t.Fatal(err)
	}
	if n := len(fake.Files()); n != 1 {
		t.Errorf("%d postmortems after three resolves, want 1", n)
	}
	doc := string(fake.Files()[0].Content)
	for _, want := range []string{"# Incident INC-1: Checkout emails are not sent", "**Commander**: @alice → @carol",
		"**Status update**: Mail provider rate-limits us", "_To be written: the triage did not run"} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
	// In Markdown the title's <!channel> is escaped (\<!channel>): read as
	// text, rendered as text, never as markup.
	if strings.Contains(strings.ReplaceAll(doc, `\<!channel>`, ""), "<!channel>") {
		t.Error("postmortem carries an unescaped <!channel>")
	}
	if !strings.HasPrefix(header(fake.Messages(channel)[1].Blocks), "[P1] INCIDENT INC-2") {
		t.Error("INC-2 was touched by INC-1's resolve")
	}
}

// TestShutdownFinishesWorkInFlight: SIGTERM while a triage waits on a hung
// vendor: the triage finishes at its deadline, the incident is posted, and
// run returns nil (exit 0).
func TestShutdownFinishesWorkInFlight(t *testing.T) {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(hung.Close)
	dir := t.TempDir()
	vf := filepath.Join(dir, "vendors.yaml")
	os.WriteFile(vf, []byte(fmt.Sprintf("intercom:\n  api_url: %s\n  status_url: %s\n", hung.URL, hung.URL)), 0o644)
	b := startBot(t, map[string]string{"VENDORS_FILE": vf, "INTERCOM_ACCESS_TOKEN": "dG9rOnNlY3JldA==", "TRIAGE_DEADLINE": "2s"})
	b.command("U0ALICE", "triage intercom")
	start := time.Now()
	if err := b.shutdown(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("shutdown took %v, want about the triage deadline (bounded by 10 s)", d)
	}
	msgs := b.slack.Messages(channel)
	if len(msgs) != 1 || !strings.Contains(header(msgs[0].Blocks), "Intercom") || !strings.Contains(string(msgs[0].Blocks), "unreachable") {
		t.Fatalf("the triage in flight was not finished and posted: %d messages", len(msgs))
	}
}

// TestReopenAndCatchUp: replies the events missed are read from the thread
// before the postmortem; a reopened incident gets its buttons back, and the
// next resolve writes a new postmortem.
func TestReopenAndCatchUp(t *testing.T) {
	b := startBot(t, nil)
	fake := b.slack
	inc := b.open("U0ALICE", "declare Login emails bounce")
	// Said while the bot was away: no event ever arrives for these.
	if _, err := fake.AddReply(channel, inc.TS, "U0BOB", "SPF record lost in the DNS migration"); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddReply(channel, inc.TS, "U0CAROL", "todo: add SPF to the DNS checklist"); err != nil {
		t.Fatal(err)
	}
	b.command("U0ALICE", "resolve")
	fake.MustWaitFor(t, "first postmortem", func() bool { return len(fake.Files()) == 1 })
	doc := string(fake.Files()[0].Content)
	for _, want := range []string{"SPF record lost in the DNS migration", "- [ ] add SPF to the DNS checklist — @carol"} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks the missed reply %q", want)
		}
	}

	if got := b.command("U0ALICE", "reopen"); !strings.Contains(got, "Say which incident") {
		t.Errorf("reopen without INC-n = %q", got)
	}
	if got := b.command("U0ALICE", "reopen INC-1"); !strings.Contains(got, "Reopening INC-1") {
		t.Errorf("reopen = %q", got)
	}
	fake.MustWaitFor(t, "buttons back", func() bool {
		return strings.Contains(string(fake.Messages(channel)[0].Blocks), "severity_P1")
	})
	if got := b.command("U0ALICE", "reopen INC-1"); !strings.Contains(got, "is not resolved") {
		t.Errorf("second reopen = %q", got)
	}
	b.command("U0ALICE", "resolve INC-1 Bounces stopped after the SPF fix")
	fake.MustWaitFor(t, "second postmortem", func() bool { return len(fake.Files()) == 2 })
	b.shutdown()
	second := string(fake.Files()[1].Content)
	if !strings.Contains(second, "**Reopened**") || !strings.Contains(second, "Bounces stopped after the SPF fix") {
		t.Errorf("second postmortem lacks the reopen or the summary:\n%s", second)
	}
	if n := strings.Count(second, "SPF record lost in the DNS migration"); n != 1 {
		t.Errorf("the caught-up reply appears %d times after a second catch-up", n)
	}
}
