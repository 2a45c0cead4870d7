package commands

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/rs/zerolog"
)

// TestRemindDueEachInterval: on a clock the test moves, an overdue update is
// reminded once, and the next reminder is due one interval after that one
// was sent, not at the next look; a stopped incident is not reminded.
func TestRemindDueEachInterval(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := fzT0
	at := func(d time.Duration) {
		mu.Lock()
		now = fzT0.Add(d)
		mu.Unlock()
	}
	slack := &fzSlack{}
	svc := &Service{Store: fzOpenStore(t), Slack: slack, Triage: &fzTriage{}, Log: zerolog.Nop(),
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Config: Config{Intervals: map[incident.Severity]time.Duration{incident.P3: time.Minute}}}
	svc.Start()
	inc := &incident.Incident{ID: svc.NewID(), TeamID: "T1", Title: "x", Severity: incident.P3, Status: incident.Investigating,
		ChannelID: "C1", MessageTS: "1773480413.000001", DeclaredAt: fzT0, UpdatedAt: fzT0, NextUpdateAt: fzT0.Add(time.Minute)}
	if err := svc.Store.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	reminders := func() int {
		n := 0
		for _, m := range slack.all() {
			if m.Method == "chat.postMessage" && strings.Contains(string(m.Msg.Blocks), "reminder_snooze15m") {
				n++
			}
		}
		return n
	}
	due := func() time.Time {
		got, err := svc.Store.Incident(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.NextUpdateAt
	}

	for _, step := range []struct {
		at        time.Duration
		reminders int
		due       time.Duration
	}{
		{59 * time.Second, 0, time.Minute},                                // not yet due
		{time.Minute + 10*time.Second, 1, 2*time.Minute + 10*time.Second}, // overdue: reminded, due an interval on
		{time.Minute + 11*time.Second, 1, 2*time.Minute + 10*time.Second}, // the next look: nothing
		{2*time.Minute + 9*time.Second, 1, 2*time.Minute + 10*time.Second},
		{2*time.Minute + 10*time.Second, 2, 3*time.Minute + 10*time.Second}, // exactly due
	} {
		at(step.at)
		svc.remindDue(ctx)
		if n := reminders(); n != step.reminders {
			t.Errorf("at +%v: %d reminders, want %d", step.at, n, step.reminders)
		}
		if d := due(); !d.Equal(fzT0.Add(step.due)) {
			t.Errorf("at +%v: next update due at +%v, want +%v", step.at, d.Sub(fzT0), step.due)
		}
	}

	// Stopped: never reminded, however late.
	if _, _, err := svc.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) { i.NextUpdateAt = time.Time{}; return true, nil }); err != nil {
		t.Fatal(err)
	}
	at(time.Hour)
	svc.remindDue(ctx)
	if n := reminders(); n != 2 {
		t.Errorf("stopped: %d reminders, want 2", n)
	}
}
