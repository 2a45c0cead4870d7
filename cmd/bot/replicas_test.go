package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
)

// TestTwoReplicasOnPostgres: two bots on one database behind one Slack.
// Requests land on either; each event is stored once, each reminder posted
// once, and what one replica does the other sees.
func TestTwoReplicasOnPostgres(t *testing.T) {
	dsn, _ := pgtest.FreshSchema(t)
	fake := newSlack(t)
	env := map[string]string{"DATABASE_URL": dsn, "REMINDER_INTERVALS": "P3=1s"}
	a := startBotWith(t, fake, env)
	b := startBotWith(t, fake, env)

	declared := time.Now()
	a.command("U0ALICE", "declare Payments webhooks failing")
	fake.MustWait(t, "chat.postMessage", 1)
	inc := fake.Messages(channel)[0]
	eventually(t, "B sees the incident A opened", func() bool {
		return strings.Contains(b.command("U0BOB", "list"), strings.ReplaceAll(inc.TS, ".", ""))
	})

	// Slack delivers a reply to A, then retries it on B.
	reply := map[string]any{"type": "message", "channel": channel, "user": "U0BOB", "text": "webhook secret rotated?",
		"ts": "1800000001.000100", "thread_ts": inc.TS}
	a.event("EvR1", reply)
	b.event("EvR1", reply, "X-Slack-Retry-Num", "1")
	b.event("EvR2", map[string]any{"type": "message", "channel": channel, "user": "U0CAROL", "text": "action: alert on webhook 4xx",
		"ts": "1800000002.000100", "thread_ts": inc.TS})

	// Both replicas look for due reminders; each fires once per interval.
	fake.MustWaitFor(t, "four reminders", func() bool { return len(reminders(fake, inc.TS)) >= 4 })
	// Each due time is claimed once, and the next is due an interval after
	// the claim, so reminder n (from 1) reaches Slack no earlier than n
	// intervals after the declare, whichever replica posts it. A reminder
	// posted twice would run ahead of that. (Gaps between arrivals carry
	// each post's own latency, so they are not what is measured.)
	r := reminders(fake, inc.TS)
	for i, m := range r {
		if earliest := declared.Add(time.Duration(i+1) * time.Second); m.Time.Before(earliest) {
			t.Errorf("reminder %d came %v after the declare, before %d intervals: posted twice", i+1, m.Time.Sub(declared), i+1)
		}
	}

	// Resolve on B; A sees it resolved; one postmortem.
	b.command("U0BOB", "resolve Rotated the webhook secret")
	fake.MustWaitFor(t, "postmortem", func() bool { return len(fake.Files()) == 1 })
	if got := a.command("U0ALICE", "list"); !strings.Contains(got, "No open incidents") {
		t.Errorf("A still lists open incidents after B resolved: %q", got)
	}
	if got := a.command("U0ALICE", "resolve INC-1"); !strings.Contains(got, "already resolved") {
		t.Errorf("resolve on A after B = %q", got)
	}
	a.shutdown()
	b.shutdown()
	if n := len(fake.Files()); n != 1 {
		t.Errorf("%d postmortems", n)
	}
	doc := string(fake.Files()[0].Content)
	if n := strings.Count(doc, "webhook secret rotated?"); n != 1 {
		t.Errorf("the reply delivered to both replicas appears %d times", n)
	}
	if !strings.Contains(doc, "alert on webhook 4xx — @carol") {
		t.Error("action item missing")
	}
}
