package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/internal/store/storetest"
)

// TestRestartFinishesHalfDoneWork: a process was killed after storing an
// incident but before posting it, and another after resolving one but
// before its postmortem. The next start finishes both, once.
func TestRestartFinishesHalfDoneWork(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/bot.db"
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-10 * time.Minute)
	unposted := storetest.NewIncident(team, channel)
	unposted.Title, unposted.DeclaredAt, unposted.UpdatedAt = "Unposted", old, old
	if err := db.CreateIncident(ctx, unposted); err != nil {
		t.Fatal(err)
	}
	unshared := storetest.NewIncident(team, channel)
	unshared.Title, unshared.MessageTS, unshared.DeclaredAt = "Resolved before the crash", "1700000000.000100", old
	unshared.Status, unshared.ResolvedAt, unshared.UpdatedAt = incident.Resolved, old.Add(time.Minute), old.Add(time.Minute)
	if err := db.CreateIncident(ctx, unshared); err != nil {
		t.Fatal(err)
	}
	db.AddEntry(ctx, &incident.Entry{IncidentID: unshared.ID, Kind: incident.KindMessage, Author: "U0BOB",
		Text: "said before the crash", At: old.Add(30 * time.Second), SlackTS: "1700000001.000100"})
	fresh := storetest.NewIncident(team, channel) // another replica may still be posting this one
	fresh.Title, fresh.DeclaredAt, fresh.UpdatedAt = "Just declared", time.Now(), time.Now()
	db.CreateIncident(ctx, fresh)
	db.Close()

	b := startBot(t, map[string]string{"DATABASE_URL": "sqlite:" + path})
	defer func() {
		if t.Failed() {
			t.Log(b.stderr.String())
		}
	}()
	b.slack.MustWaitFor(t, "the unposted incident posted and the postmortem shared", func() bool {
		return len(b.slack.Messages(channel)) >= 1 && len(b.slack.Files()) == 1
	})
	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
	posts := b.slack.Calls("chat.postMessage")
	if len(posts) != 1 || !strings.Contains(header(posts[0].Blocks), "INC-1: Unposted") {
		t.Errorf("posted %d messages; want only INC-1's", len(posts))
	}
	f := b.slack.Files()[0]
	if f.Name != "INC-2-postmortem.md" || !strings.Contains(string(f.Content), "said before the crash") {
		t.Errorf("shared %s without the stored reply", f.Name)
	}
	// Its message is gone from Slack: the file goes to the channel, and the
	// document says the thread could not be read.
	if f.Channel != channel || f.ThreadTS != "" || !strings.Contains(string(f.Content), "Slack did not return the thread") {
		t.Errorf("file shared in %s/%q; document note missing", f.Channel, f.ThreadTS)
	}

	// A second restart has nothing left to do.
	b2 := startBot(t, map[string]string{"DATABASE_URL": "sqlite:" + path})
	if err := b2.shutdown(); err != nil {
		t.Fatal(err)
	}
	if n := len(b2.slack.Calls("chat.postMessage")) + len(b2.slack.Files()); n != 0 {
		t.Errorf("the second restart posted %d things again", n)
	}
}
