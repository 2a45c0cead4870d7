// Package storetest is the conformance suite every incident.Store
// implementation runs: the same tests against SQLite and Postgres, so the
// callers can rely on one behaviour whichever database is configured.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// Run runs the suite. open returns a new, empty store; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) incident.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s incident.Store)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"NumbersPerTeam", testNumbersPerTeam},
		{"ConcurrentCreatesGetDistinctNumbers", testConcurrentCreates},
		{"UpdateVersioning", testUpdateVersioning},
		{"ConcurrentResolveOnlyOneWins", testConcurrentResolve},
		{"Lookups", testLookups},
		{"ListFilters", testList},
		{"TimelineDedup", testTimelineDedup},
		{"EditsAndDeletions", testEditsAndDeletions},
		{"SeenEvent", testSeenEvent},
		{"Ping", func(t *testing.T, s incident.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589000000, time.UTC)

// NewIncident returns a valid, unsaved incident for tests.
func NewIncident(team, channel string) *incident.Incident {
	return &incident.Incident{
		ID: uuid.Must(uuid.NewV7()), TeamID: team, Title: "HubSpot Integration",
		Vendor: "hubspot", VendorName: "HubSpot", Severity: incident.P1, Status: incident.Investigating,
		CreatedBy: "U1", Commander: "U1", ChannelID: channel, DeclaredAt: t0, NextUpdateAt: t0.Add(15 * time.Minute),
	}
}

func mustCreate(t *testing.T, s incident.Store, inc *incident.Incident) *incident.Incident {
	t.Helper()
	if err := s.CreateIncident(context.Background(), inc); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	return inc
}

func testCreateAndGet(t *testing.T, s incident.Store) {
	ctx := context.Background()
	in := NewIncident("T1", "C1")
	in.MessageTS = "1700000000.000100"
	in.Diagnosis = &incident.Diagnosis{Cause: "auth_invalid", Summary: "401", HTTPStatus: 401,
		RequestIDs: []string{"req-1"}, Checks: []incident.Check{{Name: "api", Result: "fail", Detail: "401"}},
		Mitigation: []string{"Regenerate the token"}}
	mustCreate(t, s, in)
	if in.Number != 1 || in.Version != 1 {
		t.Fatalf("number, version = %d, %d; want 1, 1", in.Number, in.Version)
	}
	got, err := s.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.Severity != incident.P1 || got.Status != incident.Investigating ||
		got.Vendor != "hubspot" || got.VendorName != "HubSpot" || got.ChannelID != "C1" ||
		got.MessageTS != in.MessageTS || got.Commander != "U1" || got.CreatedBy != "U1" {
		t.Errorf("got %+v", got)
	}
	if !got.DeclaredAt.Equal(t0) || !got.NextUpdateAt.Equal(in.NextUpdateAt) || !got.ResolvedAt.IsZero() {
		t.Errorf("times: declared %v next %v resolved %v", got.DeclaredAt, got.NextUpdateAt, got.ResolvedAt)
	}
	if got.Diagnosis == nil || got.Diagnosis.RequestIDs[0] != "req-1" || got.Diagnosis.Checks[0].Name != "api" {
		t.Errorf("diagnosis = %+v", got.Diagnosis)
	}
	if _, err := s.Incident(ctx, uuid.Must(uuid.NewV7())); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
}

func testNumbersPerTeam(t *testing.T, s incident.Store) {
	a1 := mustCreate(t, s, NewIncident("TA", "C1"))
	a2 := mustCreate(t, s, NewIncident("TA", "C2"))
	b1 := mustCreate(t, s, NewIncident("TB", "C1"))
	if a1.Number != 1 || a2.Number != 2 || b1.Number != 1 {
		t.Errorf("numbers = %d %d %d; want 1 2 1", a1.Number, a2.Number, b1.Number)
	}
}

func testConcurrentCreates(t *testing.T, s incident.Store) {
	const n = 20
	var wg sync.WaitGroup
	nums := make(chan int, n)
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inc := NewIncident("T1", "C1")
			if err := s.CreateIncident(context.Background(), inc); err != nil {
				errs <- err
				return
			}
			nums <- inc.Number
		}()
	}
	wg.Wait()
	close(nums)
	close(errs)
	for err := range errs {
		t.Fatalf("CreateIncident: %v", err)
	}
	seen := map[int]bool{}
	for n := range nums {
		if seen[n] {
			t.Fatalf("number %d given twice", n)
		}
		seen[n] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Errorf("number %d missing", i)
		}
	}
}

func testUpdateVersioning(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	stale := *inc
	inc.Severity = incident.P2
	inc.Commander = "U2"
	inc.AcknowledgedAt = t0.Add(time.Minute)
	inc.UpdatedAt = t0.Add(time.Minute)
	if err := s.UpdateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if inc.Version != 2 {
		t.Errorf("version = %d, want 2", inc.Version)
	}
	stale.Severity = incident.P4
	if err := s.UpdateIncident(ctx, &stale); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("stale update: err = %v, want ErrConflict", err)
	}
	got, _ := s.Incident(ctx, inc.ID)
	if got.Severity != incident.P2 || got.Commander != "U2" || !got.AcknowledgedAt.Equal(inc.AcknowledgedAt) {
		t.Errorf("after update: %+v", got)
	}
	missing := NewIncident("T1", "C1")
	missing.Version = 1
	if err := s.UpdateIncident(ctx, missing); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("update of unknown incident: err = %v, want ErrNotFound", err)
	}
}

// testConcurrentResolve: two replicas resolve at once; the database lets one win.
func testConcurrentResolve(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *inc
			c.Status, c.ResolvedAt = incident.Resolved, t0.Add(time.Hour)
			err := s.UpdateIncident(ctx, &c)
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, incident.ErrConflict) {
				t.Errorf("UpdateIncident: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d concurrent updates of one version succeeded, want 1", won)
	}
}

func testLookups(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := NewIncident("T1", "C9")
	inc.MessageTS = "1700000000.000200"
	mustCreate(t, s, inc)
	if got, err := s.IncidentByNumber(ctx, "T1", inc.Number); err != nil || got.ID != inc.ID {
		t.Errorf("IncidentByNumber = %v, %v", got, err)
	}
	if _, err := s.IncidentByNumber(ctx, "T2", inc.Number); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("other team: err = %v, want ErrNotFound", err)
	}
	if got, err := s.IncidentByMessage(ctx, "C9", inc.MessageTS); err != nil || got.ID != inc.ID {
		t.Errorf("IncidentByMessage = %v, %v", got, err)
	}
	if _, err := s.IncidentByMessage(ctx, "C9", "1.2"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown ts: err = %v", err)
	}
	if _, err := s.IncidentByMessage(ctx, "C9", ""); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("empty ts: err = %v", err)
	}
}

func testList(t *testing.T, s incident.Store) {
	ctx := context.Background()
	a := mustCreate(t, s, NewIncident("T1", "C1"))
	b := mustCreate(t, s, NewIncident("T1", "C2"))
	c := mustCreate(t, s, NewIncident("T1", "C1"))
	d := NewIncident("T2", "C1")
	d.DeclaredAt = t0.Add(time.Hour)
	mustCreate(t, s, d)
	c.Status = incident.Resolved
	if err := s.UpdateIncident(ctx, c); err != nil {
		t.Fatal(err)
	}
	check := func(f incident.Filter, want ...*incident.Incident) {
		t.Helper()
		got, err := s.Incidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("Incidents(%+v) gave %d, want %d", f, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Errorf("Incidents(%+v)[%d] = INC-%d, want INC-%d", f, i, got[i].Number, want[i].Number)
			}
		}
	}
	check(incident.Filter{TeamID: "T1"}, c, b, a)
	check(incident.Filter{TeamID: "T1", OpenOnly: true}, b, a)
	check(incident.Filter{TeamID: "T1", ChannelID: "C1", OpenOnly: true}, a)
	check(incident.Filter{TeamID: "T1", Limit: 1}, c)
	check(incident.Filter{Number: 1}, d, a)
	check(incident.Filter{TeamID: "T1", Unfinished: true}, c, b, a) // none posted, c resolved without a file
	b.MessageTS, c.MessageTS, c.PostmortemFileID = "1.1", "1.2", "F1"
	if err := s.UpdateIncident(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateIncident(ctx, c); err != nil {
		t.Fatal(err)
	}
	check(incident.Filter{TeamID: "T1", Unfinished: true}, a)
	// a and b are due at t0+15m (NewIncident); c is resolved.
	check(incident.Filter{TeamID: "T1", OpenOnly: true, DueBy: t0.Add(15 * time.Minute)}, b, a)
	check(incident.Filter{TeamID: "T1", OpenOnly: true, DueBy: t0.Add(14 * time.Minute)})
	b.NextUpdateAt = time.Time{} // reminders stopped
	if err := s.UpdateIncident(ctx, b); err != nil {
		t.Fatal(err)
	}
	check(incident.Filter{TeamID: "T1", OpenOnly: true, DueBy: t0.Add(time.Hour)}, a)
}

func testTimelineDedup(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	add := func(e incident.Entry) bool {
		t.Helper()
		e.IncidentID = inc.ID
		added, err := s.AddEntry(ctx, &e)
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	msg := incident.Entry{Kind: incident.KindMessage, Author: "U2", Text: "looking", At: t0.Add(2 * time.Minute),
		SlackTS: "1700000000.000300", EventID: "Ev1"}
	if !add(msg) {
		t.Fatal("first reply not added")
	}
	if add(msg) {
		t.Error("same reply added twice")
	}
	again := msg
	again.EventID = "Ev2" // the same message delivered under another event id
	if add(again) {
		t.Error("same ts under a new event id added again")
	}
	if !add(incident.Entry{Kind: incident.KindSeverity, Author: "U1", Text: "P1 → P2", At: t0.Add(time.Minute)}) {
		t.Error("severity entry not added")
	}
	if !add(incident.Entry{Kind: incident.KindSeverity, Author: "U1", Text: "P2 → P3", At: t0.Add(3 * time.Minute)}) {
		t.Error("second severity entry not added")
	}
	tl, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl {
		got = append(got, fmt.Sprintf("%s:%s", e.Kind, e.Text))
	}
	want := []string{"severity:P1 → P2", "message:looking", "severity:P2 → P3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline = %q, want %q", got, want)
	}
	if !tl[1].At.Equal(msg.At) || tl[1].Author != "U2" || tl[1].SlackTS != msg.SlackTS {
		t.Errorf("reply stored as %+v", tl[1])
	}
}

func testEditsAndDeletions(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	ts := "1700000000.000400"
	if _, err := s.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Author: "U2",
		Text: "tokn revoked", At: t0, SlackTS: ts}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	for range 2 { // a retried delivery of the same edit
		if _, err := s.EditMessage(ctx, inc.ID, ts, "token revoked", "EvEdit", at); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.EditMessage(ctx, inc.ID, "9.9", "ghost", "EvGhost", at); ok || err != nil {
		t.Errorf("edit of unknown reply = %v, %v; want ignored", ok, err)
	}
	if ok, err := s.DeleteMessage(ctx, inc.ID, ts, "EvDel", t0.Add(2*time.Minute)); !ok || err != nil {
		t.Errorf("DeleteMessage = %v, %v", ok, err)
	}
	if ok, _ := s.DeleteMessage(ctx, inc.ID, ts, "EvDel2", t0.Add(3*time.Minute)); ok {
		t.Error("deleted twice")
	}
	tl, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 3 {
		t.Fatalf("timeline has %d entries, want message, edit, deletion: %+v", len(tl), tl)
	}
	m := tl[0]
	if m.Kind != incident.KindMessage || m.Text != "token revoked" || !m.Edited || !m.Deleted {
		t.Errorf("message = %+v, want final text, edited and deleted", m)
	}
	if tl[1].Kind != incident.KindEdit || tl[1].Text != "token revoked" || tl[2].Kind != incident.KindDeletion {
		t.Errorf("history = %+v", tl[1:])
	}
}

func testSeenEvent(t *testing.T, s incident.Store) {
	ctx := context.Background()
	first, err := s.SeenEvent(ctx, "Ev123", t0)
	if err != nil || !first {
		t.Fatalf("first SeenEvent = %v, %v", first, err)
	}
	if first, _ := s.SeenEvent(ctx, "Ev123", t0.Add(time.Second)); first {
		t.Error("second SeenEvent reported first")
	}
}
