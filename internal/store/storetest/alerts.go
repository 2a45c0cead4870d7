package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// testAlertGroups: a group opens one incident and finds it again; groups
// differ by workspace, source and key; a resolved incident leaves its
// group to open a new one, which the group then names.
func testAlertGroups(t *testing.T, s incident.Store) {
	ctx := context.Background()
	if _, err := s.AlertIncident(ctx, "T1", "alertmanager", "g1"); incident.KindOf(err) != incident.NotFound {
		t.Fatalf("AlertIncident of a new group: err = %v, want NotFound", err)
	}
	first := NewIncident("T1", "C1")
	got, created, err := s.OpenAlertIncident(ctx, first, "alertmanager", "g1")
	if err != nil || !created || got.ID != first.ID || got.Number != 1 || got.Version != 1 {
		t.Fatalf("OpenAlertIncident of a new group = %+v, %v, %v; want the incident given, created, INC-1", got, created, err)
	}
	again, created, err := s.OpenAlertIncident(ctx, NewIncident("T1", "C1"), "alertmanager", "g1")
	if err != nil || created || again.ID != first.ID || again.Title != first.Title {
		t.Fatalf("OpenAlertIncident of the group again = %+v, %v, %v; want the first incident, not created", again, created, err)
	}
	if n, _ := s.CountIncidents(ctx, incident.Filter{}); n != 1 {
		t.Fatalf("%d incidents stored; want 1", n)
	}
	for _, other := range []struct{ team, source, key string }{
		{"T1", "alertmanager", "g2"}, {"T1", "grafana", "g1"}, {"T2", "alertmanager", "g1"},
	} {
		inc, created, err := s.OpenAlertIncident(ctx, NewIncident(other.team, "C1"), other.source, other.key)
		if err != nil || !created || inc.ID == first.ID {
			t.Errorf("OpenAlertIncident(%v) = %v, %v, %v; want a new incident", other, inc.ID, created, err)
		}
	}
	inc, err := s.AlertIncident(ctx, "T1", "alertmanager", "g1")
	if err != nil || inc.ID != first.ID {
		t.Fatalf("AlertIncident = %v, %v; want the first incident", inc, err)
	}
	inc.Status, inc.ResolvedAt = incident.Resolved, t0
	if err := s.UpdateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if inc, err := s.AlertIncident(ctx, "T1", "alertmanager", "g1"); err != nil || inc.ID != first.ID || inc.Open() {
		t.Fatalf("AlertIncident after the resolve = %v, %v; want the first incident, resolved", inc, err)
	}
	next, created, err := s.OpenAlertIncident(ctx, NewIncident("T1", "C1"), "alertmanager", "g1")
	if err != nil || !created || next.ID == first.ID {
		t.Fatalf("OpenAlertIncident after the resolve = %v, %v, %v; want a new incident", next.ID, created, err)
	}
	if inc, err := s.AlertIncident(ctx, "T1", "alertmanager", "g1"); err != nil || inc.ID != next.ID {
		t.Fatalf("AlertIncident = %v, %v; want the new incident", inc, err)
	}
}

// testConcurrentAlertGroups: 100 alerts of 10 groups, all at once, open 10
// incidents, and every alert of a group gets its group's.
func testConcurrentAlertGroups(t *testing.T, s incident.Store) {
	const groups, perGroup = 10, 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]map[uuid.UUID]bool{}
		created int
		errs    []error
	)
	for g := range groups {
		ids[fmt.Sprintf("group-%d", g)] = map[uuid.UUID]bool{}
	}
	for g := range groups {
		key := fmt.Sprintf("group-%d", g)
		for range perGroup {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inc, c, err := s.OpenAlertIncident(context.Background(), NewIncident("T1", "C1"), "datadog", key)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				ids[key][inc.ID] = true
				if c {
					created++
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		t.Fatalf("OpenAlertIncident: %v", err)
	}
	if created != groups {
		t.Errorf("%d incidents created; want %d", created, groups)
	}
	for key, set := range ids {
		if len(set) != 1 {
			t.Errorf("group %s got %d incidents; want 1", key, len(set))
		}
	}
	if n, err := s.CountIncidents(context.Background(), incident.Filter{TeamID: "T1"}); err != nil || n != groups {
		t.Errorf("%d incidents stored (%v); want %d", n, err, groups)
	}
}
