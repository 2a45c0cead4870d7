package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
)

// group makes the calls of one group commit, as AddEntry queues them.
func group(es ...*incident.Entry) []*addReq {
	var g []*addReq
	for _, e := range es {
		g = append(g, &addReq{ctx: context.Background(), e: *e, done: make(chan struct{})})
	}
	return g
}

// TestGroupCommitAnswersEach: one group holding a new reply, copies of a
// stored one, copies of each other and an entry for no incident is one
// statement, and each call gets its own answer.
func TestGroupCommitAnswersEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openFresh(t)
	defer db.Close()
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	msg := func(ts, ev string) *incident.Entry {
		return &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Author: "U", Text: "t " + ts,
			At: time.Now(), SlackTS: ts, EventID: ev}
	}
	if added, err := db.AddEntry(ctx, msg("1.1", "Ev1")); !added || err != nil {
		t.Fatalf("first entry: %v, %v", added, err)
	}
	orphan := msg("1.5", "Ev5")
	orphan.IncidentID = uuid.New()
	tests := []struct {
		name         string
		e            *incident.Entry
		wantAdded    bool
		wantNotFound bool
	}{
		{"new", msg("1.2", "Ev2"), true, false},
		{"stored event id", msg("1.3", "Ev1"), false, false},
		{"stored ts", msg("1.1", "Ev3"), false, false},
		{"no such incident", orphan, false, true},
		{"new after it", msg("1.4", "Ev4"), true, false},
		{"same event id in the group", msg("1.6", "Ev4"), false, false},
		{"same ts in the group", msg("1.2", "Ev6"), false, false},
		{"record without keys", &incident.Entry{IncidentID: inc.ID, Kind: incident.KindSeverity, Text: "P1 → P2", At: time.Now()}, true, false},
	}
	var es []*incident.Entry
	for _, tt := range tests {
		es = append(es, tt.e)
	}
	g := group(es...)
	db.groupCommit(g)
	var ids []int64
	for i, tt := range tests {
		r := g[i]
		select {
		case <-r.done:
		default:
			t.Fatalf("%s: not answered", tt.name)
		}
		if r.added != tt.wantAdded || errors.Is(r.err, incident.ErrNotFound) != tt.wantNotFound ||
			(r.err != nil && !tt.wantNotFound) {
			t.Errorf("%s: added %v, err %v; want added %v, not found %v", tt.name, r.added, r.err, tt.wantAdded, tt.wantNotFound)
		}
		if r.added {
			ids = append(ids, r.id)
		}
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("ids %v: not in the callers' order", ids)
		}
	}
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 4 {
		t.Errorf("timeline has %d entries, want 4: %+v", len(tl), tl)
	}
}

// TestGroupCommitOneBadEntry: an entry Postgres refuses (a NUL byte in its
// text) fails its own call only; the group's other entries are stored.
func TestGroupCommitOneBadEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openFresh(t)
	defer db.Close()
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	var es []*incident.Entry
	for i := range 5 {
		es = append(es, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Text: "fine",
			At: time.Now(), SlackTS: fmt.Sprintf("1.%d", i)})
	}
	es[2].Text = "bad \x00 byte"
	g := group(es...)
	db.groupCommit(g)
	for i, r := range g {
		if i == 2 {
			if r.err == nil || r.added {
				t.Errorf("bad entry: added %v, err %v; want an error", r.added, r.err)
			}
			continue
		}
		if !r.added || r.err != nil {
			t.Errorf("entry %d: added %v, err %v", i, r.added, r.err)
		}
	}
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 4 {
		t.Errorf("timeline has %d entries, want 4", len(tl))
	}
}

// TestAddEntryGivesUpAndCloses: a caller whose context ends is answered at
// once with its error; Close commits what is queued and refuses what
// comes after.
func TestAddEntryGivesUpAndCloses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openFresh(t)
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	e := &incident.Entry{ID: -7, IncidentID: inc.ID, Kind: incident.KindMessage, At: time.Now(), SlackTS: "1.1"}
	if added, err := db.AddEntry(gone, e); added || !errors.Is(err, context.Canceled) || e.ID != -7 {
		t.Errorf("cancelled AddEntry = %v, %v (id %d)", added, err, e.ID)
	}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, cancel := context.WithTimeout(ctx, time.Duration(i%4)*time.Millisecond)
			defer cancel()
			e := &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, At: time.Now(), SlackTS: fmt.Sprintf("2.%d", i)}
			added, err := db.AddEntry(c, e)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("AddEntry: %v", err)
			}
			if added && e.ID <= 0 {
				t.Errorf("added without an id")
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, At: time.Now(), SlackTS: "3.1"}); !errors.Is(err, errClosed) {
		t.Errorf("AddEntry after Close: %v, want %v", err, errClosed)
	}
}
