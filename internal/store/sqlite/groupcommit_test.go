package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
)

func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	totalAdded := 0
	for round := 0; round < 20; round++ {
		<-db.gate.ask(context.Background()) // hold the gate so that calls pile up
		type res struct {
			kind  string
			e     *incident.Entry
			added bool
			err   error
		}
		var mu sync.Mutex
		var out []res
		var wg sync.WaitGroup
		cancelled, cancel := context.WithCancel(ctx)
		for i := 0; i < 40; i++ {
			kind := []string{"ok", "ok", "dup", "fk", "cancel", "ok", "record"}[i%7]
			e := &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Author: "U", Text: "t",
				At: time.Now(), SlackTS: fmt.Sprintf("%d.%06d", round, i), EventID: fmt.Sprintf("Ev%d-%d", round, i), ID: -7}
			c := ctx
			switch kind {
			case "dup":
				e.EventID = fmt.Sprintf("Ev%d-%d", round, i-1) // the ok before it
				e.SlackTS = fmt.Sprintf("%d.%06d", round, i-1)
			case "fk":
				if round%4 < 2 {
					e.IncidentID = uuid.New()
				} else {
					kind = "ok"
				}
			case "cancel":
				c = cancelled
			case "record":
				e.Kind, e.SlackTS, e.EventID = incident.KindDeclared, "", ""
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				added, err := db.AddEntry(c, e)
				mu.Lock()
				out = append(out, res{kind, e, added, err})
				mu.Unlock()
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if round%2 == 0 {
			cancel()
			time.Sleep(5 * time.Millisecond)
		}
		db.gate.release()
		if round%2 == 1 {
			cancel()
		}
		wg.Wait()
		for _, r := range out {
			if r.added {
				totalAdded++
			}
		}
		ids := map[int64]bool{}
		addedBy := map[string]int{}
		for _, r := range out {
			if r.kind == "ok" || r.kind == "dup" {
				if r.err != nil {
					t.Errorf("%s: %v", r.kind, r.err)
				}
				if r.added {
					addedBy[r.e.EventID]++
					if ids[r.e.ID] {
						t.Error("id twice")
					}
					ids[r.e.ID] = true
				}
				continue
			}
			switch {
			case r.kind == "fk":
				if r.err == nil || r.added || r.e.ID != -7 {
					t.Errorf("round %d fk: %v %v id %d", round, r.added, r.err, r.e.ID)
				}
			case r.kind == "cancel" && round%2 == 0:
				if !errors.Is(r.err, context.Canceled) || r.e.ID != -7 {
					t.Errorf("cancel: %v %v", r.added, r.err)
				}
			case r.kind == "dup":
				if r.err != nil {
					t.Errorf("dup: %v", r.err)
				}
			case r.kind == "cancel":
			default:
				if r.err != nil || !r.added || r.e.ID <= 0 || ids[r.e.ID] {
					t.Errorf("round %d %s: %v %v id %d", round, r.kind, r.added, r.err, r.e.ID)
				}
				ids[r.e.ID] = true
			}
			if r.added && r.e.ID <= 0 {
				t.Errorf("added without id")
			}
			if !r.added && r.e.ID != -7 {
				t.Errorf("%s not added but id changed to %d", r.kind, r.e.ID)
			}
		}
		for k, n := range addedBy {
			if n != 1 {
				t.Errorf("%s added %d times", k, n)
			}
		}
		cancel()
	}
	// what is stored: every added, nothing else
	tl, err := db.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("stored", len(tl), "added", totalAdded)
	if len(tl) != totalAdded {
		t.Error("stored != added")
	}
	seen := map[string]int{}
	for _, e := range tl {
		if e.EventID != "" {
			seen[e.EventID]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", k, n)
		}
	}
}

// TestInsertTogetherKeepsGoing: duplicates (of a stored entry, or of
// another entry of the same group) and an entry SQLite refuses do not send
// the group back to one transaction per entry, and each caller gets its
// own answer.
func TestInsertTogetherKeepsGoing(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	msg := func(ts, ev string) *incident.Entry {
		return &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Author: "U", Text: "t",
			At: time.Now(), SlackTS: ts, EventID: ev, ID: -7}
	}
	if added, err := db.AddEntry(ctx, msg("1.1", "Ev1")); !added || err != nil {
		t.Fatalf("first entry: %v, %v", added, err)
	}
	orphan := msg("1.5", "Ev5")
	orphan.IncidentID = uuid.New()
	tests := []struct {
		name      string
		e         *incident.Entry
		wantAdded bool
		wantErr   bool
	}{
		{"new", msg("1.2", "Ev2"), true, false},
		{"stored event id", msg("1.3", "Ev1"), false, false},
		{"stored ts", msg("1.1", "Ev3"), false, false},
		{"no such incident", orphan, false, true},
		{"new after the refused one", msg("1.4", "Ev4"), true, false},
		{"same event id in the group", msg("1.6", "Ev4"), false, false},
		{"same ts in the group", msg("1.2", "Ev6"), false, false},
		{"record without keys", &incident.Entry{IncidentID: inc.ID, Kind: incident.KindSeverity, Text: "P1 → P2", At: time.Now(), ID: -7}, true, false},
	}
	var rs []*addReq
	for _, tt := range tests {
		rs = append(rs, &addReq{ctx: ctx, e: tt.e, id: tt.e.ID, done: make(chan struct{})})
	}
	<-db.gate.ask(context.Background())
	together := writeTogether(db, insertEntry, rs)
	db.gate.release()
	if !together {
		t.Fatal("writeTogether gave up; want one transaction for the whole group")
	}
	for i, tt := range tests {
		r := rs[i]
		if r.added != tt.wantAdded || (r.err != nil) != tt.wantErr {
			t.Errorf("%s: added %v, err %v; want added %v, error %v", tt.name, r.added, r.err, tt.wantAdded, tt.wantErr)
		}
		if r.added && r.e.ID <= 0 {
			t.Errorf("%s: added without an id", tt.name)
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

// TestEnqueueJobsGroupCommit: jobs enqueued while the gate is held are
// written together once it is free, each call with its own answer: a key
// asked for twice in the group is added once, a cancelled call adds
// nothing, and every job added is in the store, queued.
func TestEnqueueJobsGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	<-db.gate.ask(context.Background()) // hold the gate so that calls pile up
	cancelled, cancel := context.WithCancel(ctx)
	const n = 30
	added := make([]bool, n)
	errs := make([]error, n)
	var gone, rest sync.WaitGroup // the cancelled calls, the others
	for i := range n {
		c, wg := ctx, &rest
		if i%10 == 9 {
			c, wg = cancelled, &gone
		}
		j := &incident.Job{Kind: "triage", Key: fmt.Sprintf("k%d", i/2), Payload: []byte(`{}`)} // each key twice
		wg.Add(1)
		go func() {
			defer wg.Done()
			added[i], errs[i] = db.EnqueueJob(c, j)
		}()
	}
	for { // every call waiting in the batch
		db.jobs.mu.Lock()
		waiting := len(db.jobs.pending)
		db.jobs.mu.Unlock()
		if waiting == n {
			break
		}
		runtime.Gosched()
	}
	cancel()
	gone.Wait() // the cancelled calls give up while the gate is still held
	db.gate.release()
	rest.Wait()
	keys := map[string]int{}
	for i := range n {
		switch {
		case i%10 == 9:
			if errs[i] == nil || added[i] {
				t.Errorf("call %d: cancelled, yet added %v, err %v", i, added[i], errs[i])
			}
		case errs[i] != nil:
			t.Errorf("call %d: %v", i, errs[i])
		case added[i]:
			keys[fmt.Sprintf("k%d", i/2)]++
		}
	}
	for k, c := range keys {
		if c != 1 {
			t.Errorf("key %s added %d times", k, c)
		}
	}
	st, err := db.JobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued != len(keys) || len(keys) != n/2 {
		t.Errorf("%d jobs queued, %d keys added; want %d of each", st.Queued, len(keys), n/2)
	}
}
