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
		{"VisibleIn", testVisibleIn},
		{"TimelineDedup", testTimelineDedup},
		{"ConcurrentAddEntry", testConcurrentAddEntry},
		{"AddEntryUnknownIncident", testAddEntryUnknownIncident},
		{"EditsAndDeletions", testEditsAndDeletions},
		{"SeenEvent", testSeenEvent},
		{"JobsEnqueueOnceByKey", testJobsEnqueueOnceByKey},
		{"JobsClaimLeaseFinish", testJobsClaimLeaseFinish},
		{"JobsRelease", testJobsRelease},
		{"JobsClaimedOnce", testJobsClaimedOnce},
		{"WatchSubscriptions", testWatchSubscriptions},
		{"VendorWatchLease", testVendorWatchLease},
		{"VendorWatchClaimedOnce", testVendorWatchClaimedOnce},
		{"AlertGroups", testAlertGroups},
		{"ConcurrentAlertGroups", testConcurrentAlertGroups},
		{"Followups", testFollowups},
		{"RolesAndStatuspage", testRolesAndStatuspage},
		{"IncidentChannels", testIncidentChannels},
		{"CaptureAndUncapture", testCapture},
		{"HomeViewers", testHomeViewers},
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
	count := func(f incident.Filter, want int) {
		t.Helper()
		if n, err := s.CountIncidents(ctx, f); err != nil || n != want {
			t.Errorf("CountIncidents(%+v) = %d, %v; want %d", f, n, err, want)
		}
	}
	count(incident.Filter{TeamID: "T1"}, 3)
	count(incident.Filter{TeamID: "T1", OpenOnly: true, Limit: 1}, 2) // the limit is of the list, not the count
	count(incident.Filter{TeamID: "T1", ChannelID: "C1"}, 2)
	count(incident.Filter{TeamID: "T3"}, 0)
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

// testVisibleIn: an incident keeps whether its channel is public, and
// VisibleIn leaves out the incidents of other private channels.
func testVisibleIn(t *testing.T, s incident.Store) {
	ctx := context.Background()
	pub := NewIncident("T1", "CPUB")
	pub.Public = true
	mustCreate(t, s, pub)
	priv := mustCreate(t, s, NewIncident("T1", "GPRIV"))
	if got, err := s.Incident(ctx, pub.ID); err != nil || !got.Public {
		t.Errorf("public incident read back as %+v, %v", got, err)
	}
	if got, err := s.Incident(ctx, priv.ID); err != nil || got.Public {
		t.Errorf("private incident read back as %+v, %v", got, err)
	}
	pub.Severity = incident.P2
	if err := s.UpdateIncident(ctx, pub); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Incident(ctx, pub.ID); !got.Public {
		t.Error("an update made the incident private")
	}
	for _, tt := range []struct {
		in   string
		want []*incident.Incident
	}{{"CELSE", []*incident.Incident{pub}}, {"GPRIV", []*incident.Incident{priv, pub}}, {"CPUB", []*incident.Incident{pub}}} {
		f := incident.Filter{TeamID: "T1", OpenOnly: true, VisibleIn: tt.in}
		got, err := s.Incidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("visible in %s: %d incidents, want %d", tt.in, len(got), len(tt.want))
			continue
		}
		for i := range got {
			if got[i].ID != tt.want[i].ID {
				t.Errorf("visible in %s: [%d] = %s", tt.in, i, got[i].ChannelID)
			}
		}
		if n, err := s.CountIncidents(ctx, f); err != nil || n != len(tt.want) {
			t.Errorf("count visible in %s = %d, %v; want %d", tt.in, n, err, len(tt.want))
		}
	}
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

// testConcurrentAddEntry: entries added at once, as Slack's retries and a
// storm of replies bring them, among them copies of one delivery (same
// event id, same reply ts, or both) that a store committing entries
// together may meet within one group: each caller gets its own answer,
// exactly one copy is added, and the timeline holds exactly what was
// answered added.
func testConcurrentAddEntry(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	other := mustCreate(t, s, NewIncident("T1", "C1"))
	stored := incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Author: "U2", Text: "stored before",
		At: t0, SlackTS: "1699999999.000001", EventID: "EvStored"}
	if added, err := s.AddEntry(ctx, &stored); !added || err != nil {
		t.Fatalf("AddEntry: %v, %v", added, err)
	}
	const rounds = 5
	type call struct {
		key   string // calls with one key: exactly one is added; "" each is added
		e     *incident.Entry
		added bool
		err   error
	}
	var all []*call
	for round := range rounds {
		var calls []*call
		msg := func(key string, incidentID uuid.UUID, ts, event string) {
			calls = append(calls, &call{key: key, e: &incident.Entry{ID: -7, IncidentID: incidentID,
				Kind: incident.KindMessage, Author: "U2", Text: "reply " + key, At: t0.Add(time.Duration(len(calls)) * time.Second),
				SlackTS: ts, EventID: event}})
		}
		ts := func(i int) string { return fmt.Sprintf("1700000%03d.%06d", round, i) }
		for i := range 8 {
			msg(fmt.Sprintf("r%d-new%d", round, i), inc.ID, ts(i), fmt.Sprintf("Ev%d-%d", round, i))
		}
		for range 4 { // Slack's retry: the same delivery again
			msg(fmt.Sprintf("r%d-retry", round), inc.ID, ts(10), fmt.Sprintf("Ev%d-10", round))
		}
		for i := range 3 { // one reply under several event ids
			msg(fmt.Sprintf("r%d-ts", round), inc.ID, ts(11), fmt.Sprintf("Ev%d-11-%d", round, i))
		}
		for i := range 3 { // one event id on several replies
			msg(fmt.Sprintf("r%d-event", round), inc.ID, ts(20+i), fmt.Sprintf("Ev%d-12", round))
		}
		// copies of the entry stored before: its event id, its reply
		msg("stored", inc.ID, ts(13), "EvStored")
		msg("stored", inc.ID, stored.SlackTS, "EvNew"+ts(0))
		// the ts of the retried reply, in another incident's thread
		msg(fmt.Sprintf("r%d-other", round), other.ID, ts(10), fmt.Sprintf("Ev%d-other", round))
		for range 4 {
			calls = append(calls, &call{key: "", e: &incident.Entry{ID: -7, IncidentID: inc.ID,
				Kind: incident.KindSeverity, Author: "U1", Text: "P1 → P2", At: t0}})
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c.added, c.err = s.AddEntry(ctx, c.e)
			}()
		}
		close(start)
		wg.Wait()
		all = append(all, calls...)
	}
	addedByKey := map[string]int{}
	ids := map[int64]bool{}
	want := map[int64]string{stored.ID: stored.Text}
	for _, c := range all {
		if c.err != nil {
			t.Errorf("AddEntry(%s): %v", c.key, c.err)
			continue
		}
		if !c.added {
			if c.e.ID != -7 {
				t.Errorf("AddEntry(%s) not added but set the id to %d", c.key, c.e.ID)
			}
			continue
		}
		if c.e.ID <= 0 || ids[c.e.ID] {
			t.Errorf("AddEntry(%s) added with id %d (given twice: %v)", c.key, c.e.ID, ids[c.e.ID])
		}
		ids[c.e.ID] = true
		if c.key != "" {
			addedByKey[c.key]++
		}
		if c.e.IncidentID == inc.ID {
			want[c.e.ID] = c.e.Text
		}
	}
	for _, c := range all {
		if c.key == "stored" || c.key == "" {
			continue
		}
		if n := addedByKey[c.key]; n != 1 {
			t.Errorf("%s: added %d times, want once", c.key, n)
			addedByKey[c.key] = 1 // once reported
		}
	}
	if n := addedByKey["stored"]; n != 0 {
		t.Errorf("copies of a stored entry added %d times", n)
	}
	tl, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, e := range tl {
		got[e.ID] = e.Text
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline holds %d entries, answered added %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
}

// testAddEntryUnknownIncident: an entry for an incident that does not
// exist is refused as not found, alone or among others added at once,
// which are stored.
func testAddEntryUnknownIncident(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	ghost := uuid.Must(uuid.NewV7())
	e := &incident.Entry{ID: -7, IncidentID: ghost, Kind: incident.KindMessage, Text: "lost", At: t0, SlackTS: "1.1"}
	if added, err := s.AddEntry(ctx, e); added || incident.KindOf(err) != incident.NotFound || e.ID != -7 {
		t.Errorf("AddEntry to no incident = %v, %v (id %d); want false, a not-found error, id unchanged", added, err, e.ID)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := inc.ID
			if i%4 == 0 {
				id = ghost
			}
			_, errs[i] = s.AddEntry(ctx, &incident.Entry{IncidentID: id, Kind: incident.KindMessage, Text: "m",
				At: t0, SlackTS: fmt.Sprintf("2.%d", i)})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 && incident.KindOf(err) != incident.NotFound {
			t.Errorf("entry %d (no incident): err = %v, want not found", i, err)
		}
		if i%4 != 0 && err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	tl, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 12 {
		t.Errorf("timeline has %d entries, want 12", len(tl))
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

// --- jobs ----------------------------------------------------------------

func testJobsEnqueueOnceByKey(t *testing.T, s incident.Store) {
	ctx := context.Background()
	j := &incident.Job{Kind: "triage", Key: "trigger:1", Payload: []byte(`{"vendor":"hubspot"}`), CreatedAt: t0}
	added, err := s.EnqueueJob(ctx, j)
	if err != nil || !added {
		t.Fatalf("EnqueueJob = %v, %v; want added", added, err)
	}
	again := &incident.Job{Kind: "triage", Key: "trigger:1", Payload: []byte(`{"vendor":"other"}`), CreatedAt: t0}
	if added, err := s.EnqueueJob(ctx, again); err != nil || added {
		t.Fatalf("second EnqueueJob with the same key = %v, %v; want not added", added, err)
	}
	got, err := s.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "triage" || got.Key != "trigger:1" || string(got.Payload) != `{"vendor":"hubspot"}` ||
		got.State != incident.JobQueued || got.Attempts != 0 || !got.RunAt.Equal(t0) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("stored job = %+v", got)
	}
	if _, err := s.Job(ctx, uuid.Must(uuid.NewV7())); !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("Job(unknown) = %v, want ErrNotFound", err)
	}
	// No key: the id is the key, so two such jobs are two jobs.
	a, b := &incident.Job{Kind: "x", CreatedAt: t0}, &incident.Job{Kind: "x", CreatedAt: t0}
	for _, j := range []*incident.Job{a, b} {
		if added, err := s.EnqueueJob(ctx, j); err != nil || !added {
			t.Fatalf("EnqueueJob without a key = %v, %v", added, err)
		}
	}
	st, err := s.JobStats(ctx)
	if err != nil || st.Queued != 3 || !st.Oldest.Equal(t0) {
		t.Fatalf("JobStats = %+v, %v; want 3 queued since t0", st, err)
	}
}

func testJobsClaimLeaseFinish(t *testing.T, s incident.Store) {
	ctx := context.Background()
	now := t0
	early := &incident.Job{Kind: "a", CreatedAt: now}
	later := &incident.Job{Kind: "b", CreatedAt: now, RunAt: now.Add(time.Minute)}
	for _, j := range []*incident.Job{early, later} {
		if _, err := s.EnqueueJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimJobs(ctx, "w1", 10, now, 30*time.Second)
	if err != nil || len(got) != 1 || got[0].ID != early.ID {
		t.Fatalf("ClaimJobs = %v, %v; want only the job whose time has come", got, err)
	}
	if j := got[0]; j.State != incident.JobRunning || j.Owner != "w1" || j.Attempts != 1 || !j.LeaseUntil.Equal(now.Add(30*time.Second)) {
		t.Fatalf("claimed job = %+v", j)
	}
	if again, err := s.ClaimJobs(ctx, "w2", 10, now, 30*time.Second); err != nil || len(again) != 0 {
		t.Fatalf("a leased job was claimed again: %v, %v", again, err)
	}
	// The lease passes: another owner takes the job over.
	past := now.Add(31 * time.Second)
	taken, err := s.ClaimJobs(ctx, "w2", 1, past, 30*time.Second)
	if err != nil || len(taken) != 1 || taken[0].ID != early.ID || taken[0].Attempts != 2 {
		t.Fatalf("after the lease, ClaimJobs = %+v, %v; want the job with attempt 2", taken, err)
	}
	// The first owner no longer holds it: its finish changes nothing.
	if err := s.FinishJob(ctx, early.ID, "w1", "", time.Time{}, past); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("FinishJob by a former owner = %v, want ErrConflict", err)
	}
	if err := s.ExtendJob(ctx, early.ID, "w1", past.Add(time.Hour)); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("ExtendJob by a former owner = %v, want ErrConflict", err)
	}
	if err := s.ExtendJob(ctx, early.ID, "w2", past.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, early.ID, "w2", "", time.Time{}, past); err != nil {
		t.Fatal(err)
	}
	done, _ := s.Job(ctx, early.ID)
	if done.State != incident.JobDone || done.Owner != "" {
		t.Fatalf("finished job = %+v", done)
	}
	// Retry: queued again for later, attempt kept; then failure.
	claimed, _ := s.ClaimJobs(ctx, "w1", 1, now.Add(time.Minute), time.Minute)
	if len(claimed) != 1 || claimed[0].ID != later.ID {
		t.Fatalf("ClaimJobs at its time = %+v", claimed)
	}
	retryAt := now.Add(2 * time.Minute)
	if err := s.FinishJob(ctx, later.ID, "w1", "slack 500", retryAt, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Job(ctx, later.ID)
	if r.State != incident.JobQueued || !r.RunAt.Equal(retryAt) || r.LastError != "slack 500" || r.Attempts != 1 {
		t.Fatalf("job to retry = %+v", r)
	}
	if c, _ := s.ClaimJobs(ctx, "w1", 1, retryAt.Add(-time.Second), time.Minute); len(c) != 0 {
		t.Fatal("a job was claimed before its retry time")
	}
	c, _ := s.ClaimJobs(ctx, "w1", 1, retryAt, time.Minute)
	if len(c) != 1 || c[0].Attempts != 2 {
		t.Fatalf("retry claim = %+v", c)
	}
	if err := s.FinishJob(ctx, later.ID, "w1", "gave up", time.Time{}, retryAt); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Job(ctx, later.ID); f.State != incident.JobFailed || f.LastError != "gave up" {
		t.Fatalf("failed job = %+v", f)
	}
	st, err := s.JobStats(ctx)
	if err != nil || st.Queued != 0 || st.Failed != 1 || !st.Oldest.IsZero() {
		t.Fatalf("JobStats = %+v, %v", st, err)
	}
	// Done jobs are pruned; failed ones stay for operators.
	if n, err := s.PruneJobs(ctx, retryAt.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneJobs = %d, %v; want the done job", n, err)
	}
	if _, err := s.Job(ctx, later.ID); err != nil {
		t.Fatalf("a failed job was pruned: %v", err)
	}
}

func testJobsRelease(t *testing.T, s incident.Store) {
	ctx := context.Background()
	j := &incident.Job{Kind: "a", CreatedAt: t0}
	if _, err := s.EnqueueJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ClaimJobs(ctx, "w1", 1, t0, time.Minute); len(c) != 1 {
		t.Fatal("not claimed")
	}
	if err := s.ReleaseJob(ctx, j.ID, "w1", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Job(ctx, j.ID)
	if got.State != incident.JobQueued || got.Attempts != 0 || got.Owner != "" {
		t.Fatalf("released job = %+v; want queued, no attempt counted", got)
	}
	if err := s.ReleaseJob(ctx, j.ID, "w1", t0); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("ReleaseJob of an unheld job = %v, want ErrConflict", err)
	}
}

// testJobsClaimedOnce: many claimers at once, each job to exactly one.
func testJobsClaimedOnce(t *testing.T, s incident.Store) {
	ctx := context.Background()
	const jobs = 60
	for i := 0; i < jobs; i++ {
		if _, err := s.EnqueueJob(ctx, &incident.Job{Kind: "k", Key: fmt.Sprint("job-", i), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimedOnce(t, jobs, func(owner string) ([]string, error) {
		got, err := s.ClaimJobs(ctx, owner, 3, t0, time.Hour)
		keys := make([]string, len(got))
		for i, j := range got {
			keys[i] = j.Key
		}
		return keys, err
	})
}

// claimedOnce runs six claimers at once, each calling claim with its
// owner name until it claims nothing, and fails t unless the n things
// (named by what claim returns) were each claimed by exactly one.
func claimedOnce(t *testing.T, n int, claim func(owner string) ([]string, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for c := 0; c < 6; c++ {
		owner := fmt.Sprint("w", c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := claim(owner)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, k := range got {
					if prev, dup := seen[k]; dup {
						t.Errorf("%s claimed by %s and %s", k, prev, owner)
					}
					seen[k] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d claimed, want %d", len(seen), n)
	}
}

// testRolesAndStatuspage: the comms and scribe roles, the impact and the
// customer status page's draft, message and incident id are kept by
// create and update.
func testRolesAndStatuspage(t *testing.T, s incident.Store) {
	ctx := context.Background()
	in := NewIncident("T1", "C1")
	in.Comms, in.Impact = "U2", "Checkout emails are not sent\nto EU customers"
	mustCreate(t, s, in)
	got, err := s.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Comms != "U2" || got.Scribe != "" || got.Impact != in.Impact || got.StatuspageID != "" {
		t.Errorf("after create: comms %q scribe %q impact %q statuspage %q", got.Comms, got.Scribe, got.Impact, got.StatuspageID)
	}
	got.Scribe, got.Comms = "U3", ""
	got.StatuspageDraft, got.StatuspageTS, got.StatuspageID = "We are investigating.", "1700000000.000200", "p0qjfl4qcbkl"
	if err := s.UpdateIncident(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Scribe != "U3" || again.Comms != "" || again.StatuspageDraft != "We are investigating." ||
		again.StatuspageTS != "1700000000.000200" || again.StatuspageID != "p0qjfl4qcbkl" || again.Impact != in.Impact {
		t.Errorf("after update: %+v", again)
	}
	list, err := s.Incidents(ctx, incident.Filter{TeamID: "T1"})
	if err != nil || len(list) != 1 || list[0].StatuspageID != "p0qjfl4qcbkl" || list[0].Scribe != "U3" {
		t.Errorf("Incidents: %v, %+v", err, list)
	}
}

// testIncidentChannels: an incident with a channel of its own is found from
// that channel and from the one it was declared in, its new columns round
// trip, and ArchiveBy selects the resolved ones whose channel is due.
func testIncidentChannels(t *testing.T, s incident.Store) {
	ctx := context.Background()
	own := NewIncident("T1", "C0INC1")
	own.DeclaredIn, own.PointerTS = "C0ORIGIN", "1700000000.000200"
	mustCreate(t, s, own)
	mustCreate(t, s, NewIncident("T1", "C0OTHER"))
	got, err := s.Incident(ctx, own.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DeclaredIn != "C0ORIGIN" || got.PointerTS != own.PointerTS || got.ChannelArchived {
		t.Errorf("read back %q %q %v", got.DeclaredIn, got.PointerTS, got.ChannelArchived)
	}
	for _, ch := range []string{"C0INC1", "C0ORIGIN"} {
		list, err := s.Incidents(ctx, incident.Filter{TeamID: "T1", ChannelID: ch})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != own.ID {
			t.Errorf("channel %s: %d incidents, want the one with its own channel", ch, len(list))
		}
		if n, err := s.CountIncidents(ctx, incident.Filter{TeamID: "T1", VisibleIn: ch}); err != nil || n != 1 {
			t.Errorf("visible in %s (private incidents): %d, %v; want 1", ch, n, err)
		}
	}
	due := func(at time.Time) int {
		t.Helper()
		n, err := s.CountIncidents(ctx, incident.Filter{ArchiveBy: at})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := due(t0.Add(time.Hour)); n != 0 {
		t.Errorf("open incident due for archiving: %d", n)
	}
	got.Status, got.ResolvedAt = incident.Resolved, t0.Add(time.Minute)
	if err := s.UpdateIncident(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n := due(t0); n != 0 {
		t.Errorf("due before its resolve: %d", n)
	}
	if n := due(t0.Add(time.Hour)); n != 1 {
		t.Errorf("resolved incident with its own channel: %d due, want 1", n)
	}
	got.ChannelArchived = true
	if err := s.UpdateIncident(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n := due(t0.Add(time.Hour)); n != 0 {
		t.Errorf("archived channel still due: %d", n)
	}
}

// testCapture: a captured message is added once per ts, Uncapture takes
// it away, and it can be captured again after.
func testCapture(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	capture := func(event string) bool {
		t.Helper()
		added, err := s.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindCaptured, Author: "U2",
			Text: "it is DNS", At: t0.Add(-time.Hour), SlackTS: "1699990000.000100", EventID: event})
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	if !capture("Ev1") || capture("Ev1") || capture("Ev2") {
		t.Error("capture: want added once per ts, whatever the event")
	}
	if ok, err := s.Uncapture(ctx, inc.ID, "1699990000.000100"); !ok || err != nil {
		t.Fatalf("Uncapture = %v, %v", ok, err)
	}
	if ok, err := s.Uncapture(ctx, inc.ID, "1699990000.000100"); ok || err != nil {
		t.Errorf("second Uncapture = %v, %v; want false", ok, err)
	}
	if !capture("Ev3") {
		t.Error("capture after uncapture: not added")
	}
	tl, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, e := range tl {
		if e.Kind == incident.KindCaptured {
			n++
			if !e.At.Equal(t0.Add(-time.Hour)) || e.Author != "U2" {
				t.Errorf("captured entry %+v: want its own time and author", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d captured entries, want 1", n)
	}
}

// testHomeViewers: the latest visit of each user counts; older ones drop out.
func testHomeViewers(t *testing.T, s incident.Store) {
	ctx := context.Background()
	for _, v := range []incident.HomeViewer{
		{TeamID: "T1", UserID: "U1", ChannelID: "D1", SeenAt: t0},
		{TeamID: "T1", UserID: "U2", ChannelID: "D2", SeenAt: t0.Add(time.Minute)},
		{TeamID: "T1", UserID: "U1", ChannelID: "D1", SeenAt: t0.Add(2 * time.Minute)},
		{TeamID: "T1", UserID: "U3", ChannelID: "D3", SeenAt: t0.Add(-time.Hour)},
		{TeamID: "T2", UserID: "U9", ChannelID: "D9", SeenAt: t0},
	} {
		if err := s.SawHome(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.HomeViewers(ctx, "T1", t0.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, v := range got {
		users = append(users, v.UserID)
	}
	if fmt.Sprint(users) != "[U1 U2]" || !got[0].SeenAt.Equal(t0.Add(2*time.Minute)) || got[0].ChannelID != "D1" {
		t.Errorf("HomeViewers = %+v, want U1 (latest visit) then U2", got)
	}
}
