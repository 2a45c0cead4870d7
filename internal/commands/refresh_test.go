package commands

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
)

// holdSlack is the fake Slack whose first chat.update says so on entered,
// then waits until release is closed.
type holdSlack struct {
	*fakeSlack
	calls            atomic.Int64
	entered, release chan struct{}
}

func (h *holdSlack) Update(ctx context.Context, channelID, ts string, m messages.Message) error {
	if h.calls.Add(1) == 1 {
		close(h.entered)
		<-h.release
	}
	return h.fakeSlack.Update(ctx, channelID, ts, m)
}

// TestRefreshShowsLatest: two changes to one incident re-render its message
// concurrently, the first one's chat.update slow. The message Slack is left
// with shows the latest state, not the copy the slow one was given.
func TestRefreshShowsLatest(t *testing.T) {
	ctx := context.Background()
	db := fzOpenStore(t)
	slack := &holdSlack{fakeSlack: newFakeSlack(nil), entered: make(chan struct{}), release: make(chan struct{})}
	svc := &Service{Store: db, Slack: slack, Triage: &fzTriage{}, Log: zerolog.Nop(), Jobs: newTestQueue(t, db),
		Now: func() time.Time { return fzT0 }}
	svc.Start()
	inc := &incident.Incident{ID: svc.NewID(), TeamID: "T1", Title: "x", Severity: incident.P2, Status: incident.Investigating,
		ChannelID: "C1", MessageTS: "1773480413.000001", DeclaredAt: fzT0, UpdatedAt: fzT0}
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	set := func(st incident.Status) *incident.Incident {
		t.Helper()
		got, _, err := svc.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) { i.Status = st; return true, nil })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// The first refresh is given the incident as Identified, and is slow.
	first := set(incident.Identified)
	slow := make(chan struct{})
	go func() { svc.refresh(ctx, first); close(slow) }()
	<-slack.entered
	// Meanwhile the incident moves on and a second refresh starts.
	second := set(incident.Monitoring)
	fast := make(chan struct{})
	go func() { svc.refresh(ctx, second); close(fast) }()
	// It waits its turn: nothing is sent until the slow one is done.
	for {
		svc.refreshing.mu.Lock()
		waiting := svc.refreshing.m[inc.ID].waiters
		svc.refreshing.mu.Unlock()
		if waiting == 2 {
			break
		}
		select {
		case <-fast:
			t.Fatal("the second refresh did not wait for the first")
		case <-time.After(time.Millisecond):
		}
	}
	// A copy older than the store, refreshed later, shows the store.
	close(slack.release)
	<-slow
	<-fast
	svc.refresh(ctx, first)

	sent := slack.Sent(callUpdate)
	if len(sent) != 3 {
		t.Fatalf("%d messages sent, want 3 updates", len(sent))
	}
	for i, m := range sent[1:] { // the first was sent before the change
		if !strings.Contains(string(m.Msg.Blocks), `*Status:*\nMonitoring`) {
			t.Errorf("update %d does not show the latest status: %s", i+2, m.Msg.Blocks)
		}
	}
	if n := len(svc.refreshing.m); n != 0 {
		t.Errorf("%d turns left after every refresh ended", n)
	}
}
