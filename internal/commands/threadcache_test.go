package commands

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/rs/zerolog"
)

type countingStore struct {
	incident.Store
	byMessage, byID, updates atomic.Int64
}

func (c *countingStore) IncidentByMessage(ctx context.Context, ch, ts string) (*incident.Incident, error) {
	c.byMessage.Add(1)
	return c.Store.IncidentByMessage(ctx, ch, ts)
}
func (c *countingStore) Incident(ctx context.Context, id uuid.UUID) (*incident.Incident, error) {
	c.byID.Add(1)
	return c.Store.Incident(ctx, id)
}
func (c *countingStore) UpdateIncident(ctx context.Context, inc *incident.Incident) error {
	c.updates.Add(1)
	return c.Store.UpdateIncident(ctx, inc)
}

func TestThreadCache(t *testing.T) {
	ctx := context.Background()
	db := fzOpenStore(t)
	cs := &countingStore{Store: db}
	svc := &Service{Store: cs, Slack: newFakeSlack(nil), Triage: &fzTriage{}, Log: zerolog.Nop(),
		Jobs: newTestQueue(t, db), Now: func() time.Time { return fzT0 }}
	svc.Start()
	inc := &incident.Incident{ID: svc.NewID(), TeamID: "T1", Title: "x", Severity: incident.P2, Status: incident.Investigating,
		ChannelID: "C1", DeclaredAt: fzT0, UpdatedAt: fzT0}
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	reply := func(n int) {
		t.Helper()
		if err := svc.Event(ctx, Event{TeamID: "T1", EventID: "Ev" + string(rune('A'+n)), Type: "message", ChannelID: "C1", UserID: "U1",
			Text: "hi", TS: "1700000001.00000" + string(rune('0'+n)), ThreadTS: "1700000000.000001"}); err != nil {
			t.Fatal(err)
		}
	}
	// Before the ts is stored: a miss, not cached.
	reply(1)
	reply(2)
	if got := cs.byMessage.Load(); got != 2 {
		t.Fatalf("lookups before ts stored = %d, want 2", got)
	}
	if _, _, err := svc.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) { i.MessageTS = "1700000000.000001"; return true, nil }); err != nil {
		t.Fatal(err)
	}
	u0 := cs.updates.Load()
	reply(3) // found, not acked: acks
	reply(4) // cached, acked: no modify
	reply(5)
	if got := cs.byMessage.Load(); got != 3 {
		t.Errorf("lookups = %d, want 3", got)
	}
	if got := cs.updates.Load() - u0; got != 1 {
		t.Errorf("updates after ts = %d, want 1 (the acknowledgement)", got)
	}
	tl, _ := db.Timeline(ctx, inc.ID)
	if len(tl) != 3 {
		t.Errorf("timeline has %d entries, want 3", len(tl))
	}
	got, _ := db.Incident(ctx, inc.ID)
	if got.AcknowledgedAt.IsZero() {
		t.Error("not acknowledged")
	}
	// edit and delete go through the cache.
	if err := svc.Event(ctx, Event{TeamID: "T1", EventID: "EvEdit1", Type: "message", Subtype: "message_changed", ChannelID: "C1", UserID: "U1", Text: "edited", TS: "1700000001.000003", ThreadTS: "1700000000.000001", EditedTS: "1700000002.000000"}); err != nil {
		t.Fatal(err)
	}
	if got := cs.byMessage.Load(); got != 3 {
		t.Errorf("lookups after edit = %d, want 3", got)
	}
	tl, _ = db.Timeline(ctx, inc.ID)
	if len(tl) != 4 || !tl[0].Edited {
		t.Errorf("edit not applied: %+v", tl)
	}
}

func TestThreadCacheIsBounded(t *testing.T) {
	var c threadCache
	for i := 0; i < threadCacheSize*3; i++ {
		c.put("C", string(rune(i)), threadRef{number: i})
	}
	if len(c.m) != threadCacheSize {
		t.Errorf("the cache holds %d threads, want at most %d", len(c.m), threadCacheSize)
	}
}
