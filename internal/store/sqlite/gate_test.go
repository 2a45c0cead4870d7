package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
)

func TestGate(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	inc := storetest.NewIncident("T1", "C1")
	inc.MessageTS = "1.1"
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	// a waiter whose ctx ends gives up
	<-db.gate.ask(context.Background())
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = db.AddEntry(c, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, SlackTS: "2.1", At: time.Now()})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	// FIFO: queue 20 waiters in order, release, check order
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, SlackTS: fmt.Sprintf("3.%d", i), At: time.Now()}); err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}()
		time.Sleep(5 * time.Millisecond) // let it block
	}
	db.gate.release()
	wg.Wait()
	t.Log("order", order, time.Now().Format("05.000")) // appends after release, so approximately ordered
	// stress: every method at once. One team, so that the incident numbers
	// are contended; a channel each, listed by channel (an indexed column),
	// so that a list is of the goroutine's own incidents and its length is
	// known. Listing the team's 480 each time made this test take half a
	// minute under the race detector.
	var errs sync.Map
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := fmt.Sprintf("C2-%d", g)
			for i := 0; i < 30; i++ {
				ts := fmt.Sprintf("4.%d%03d", g, i)
				in := storetest.NewIncident("T2", ch)
				in.MessageTS = ts
				if err := db.CreateIncident(ctx, in); err != nil {
					errs.Store(err.Error(), 1)
				}
				stale := *inc
				stale.Version = 0
				if err := db.UpdateIncident(ctx, &stale); !errors.Is(err, incident.ErrConflict) {
					errs.Store(fmt.Sprint("update ", err), 1)
				}
				db.AddEntry(ctx, &incident.Entry{IncidentID: in.ID, Kind: incident.KindMessage, SlackTS: ts, At: time.Now()})
				if ok, err := db.EditMessage(ctx, in.ID, ts, "e", "ev"+ts, time.Now()); !ok || err != nil {
					errs.Store(fmt.Sprint("edit ", ok, err), 1)
				}
				f := incident.Filter{ChannelID: ch, OpenOnly: i%2 == 0, Limit: i % 3}
				want := i + 1 // all open
				if f.Limit > 0 {
					want = min(f.Limit, want)
				}
				if list, err := db.Incidents(ctx, f); err != nil {
					errs.Store(err.Error(), 1)
				} else if len(list) != want || list[0].ID != in.ID {
					errs.Store(fmt.Sprintf("list %+v: %d incidents, want %d, newest first", f, len(list), want), 1)
				}
				if _, err := db.Timeline(ctx, in.ID); err != nil {
					errs.Store(err.Error(), 1)
				}
				if _, err := db.IncidentByMessage(ctx, ch, ts); err != nil {
					errs.Store(err.Error(), 1)
				}
				db.SeenEvent(ctx, "x"+ts, time.Now())
				db.Ping(ctx)
			}
		}()
	}
	wg.Wait()
	t.Log("stress done", time.Now().Format("05.000"))
	errs.Range(func(k, _ any) bool { t.Error(k); return true })
	db.mu.Lock()
	t.Log("prepared statements:", len(db.stmts))
	db.mu.Unlock()
	// Close while others wait and run
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				db.Timeline(ctx, inc.ID)
			}
		}()
	}
	time.Sleep(2 * time.Millisecond)
	if err := db.Close(); err != nil {
		t.Error(err)
	}
	wg.Wait()
	t.Log("close done", time.Now().Format("05.000"))
	if _, err := db.Incident(ctx, inc.ID); err == nil {
		t.Error("after Close: no error")
	} else {
		t.Log("after close:", err)
	}
}

// TestGateRequestsFirst: callers waiting for the gate get it requests
// first, each class in the order it asked, and background work at least
// once every bgEvery hand-overs however many requests keep coming.
func TestGateRequestsFirst(t *testing.T) {
	var g gate
	req, bg := context.Background(), incident.Background(context.Background())
	held := g.ask(req)
	select {
	case <-held:
	default:
		t.Fatal("a free gate was not handed over at once")
	}
	type waiter struct {
		name string
		c    chan struct{}
	}
	var ws []waiter
	for i := range 2 {
		ws = append(ws, waiter{fmt.Sprintf("job%d", i), g.ask(bg)})
	}
	for i := range 2*bgEvery + 1 {
		ws = append(ws, waiter{fmt.Sprintf("req%d", i), g.ask(req)})
	}
	gone := ws[3] // req1 gives up before its turn
	if !g.withdraw(gone.c) {
		t.Fatal("withdraw of a waiting ask reported it handed over")
	}
	var order []string
	for {
		g.release()
		next := ""
		for _, w := range ws {
			select {
			case <-w.c:
				if w.c != gone.c && !slices.Contains(order, w.name) {
					next = w.name
				}
			default:
			}
		}
		if next == "" {
			break
		}
		order = append(order, next)
	}
	want := []string{"req0", "req2", "req3", "req4", "req5", "req6", "req7", "req8", "job0",
		"req9", "req10", "req11", "req12", "req13", "req14", "req15", "req16", "job1"}
	if !slices.Equal(order, want) {
		t.Errorf("hand-over order\n got %v\nwant %v", order, want)
	}
	if g.held {
		t.Error("the gate is still held after everyone released it")
	}
	if g.withdraw(ws[0].c) {
		t.Error("withdraw of an ask already handed over reported it waiting")
	}
}
