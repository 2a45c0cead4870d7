package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
		db.gate <- struct{}{} // hold the gate so that calls pile up
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
		<-db.gate
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
