package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// testFollowups: a follow-up is stored once per (incident, source), listed
// in the order added, and updated by id; unknown incidents and follow-ups
// are ErrNotFound.
func testFollowups(t *testing.T, s incident.Store) {
	ctx := context.Background()
	inc := mustCreate(t, s, NewIncident("T1", "C1"))
	other := mustCreate(t, s, NewIncident("T1", "C1"))
	first := &incident.Followup{IncidentID: inc.ID, Source: "msg:1700000000.000100", Text: "alert on 401s",
		Author: "U1", Tracker: "github", State: incident.FollowupPending, CreatedAt: t0}
	added, err := s.AddFollowup(ctx, first)
	if err != nil || !added || first.ID == uuid.Nil {
		t.Fatalf("AddFollowup = %v, %v (id %s)", added, err, first.ID)
	}
	again := &incident.Followup{IncidentID: inc.ID, Source: first.Source, Text: "a redelivery", State: incident.FollowupPending,
		CreatedAt: t0.Add(time.Second)}
	if added, err := s.AddFollowup(ctx, again); err != nil || added {
		t.Fatalf("the same source again: added %v, %v; want false, nil", added, err)
	}
	// The same source in another incident is another follow-up.
	if added, err := s.AddFollowup(ctx, &incident.Followup{IncidentID: other.ID, Source: first.Source, Text: "x",
		State: incident.FollowupRecorded, CreatedAt: t0}); err != nil || !added {
		t.Fatalf("the source in another incident: added %v, %v", added, err)
	}
	second := &incident.Followup{IncidentID: inc.ID, Source: "cmd:Tr1", Text: "rotate tokens quarterly", Author: "U2",
		State: incident.FollowupRecorded, CreatedAt: t0.Add(time.Minute)}
	if added, err := s.AddFollowup(ctx, second); err != nil || !added {
		t.Fatalf("second follow-up: %v, %v", added, err)
	}
	if _, err := s.AddFollowup(ctx, &incident.Followup{IncidentID: uuid.Must(uuid.NewV7()), Source: "cmd:x", Text: "x",
		State: incident.FollowupRecorded}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("follow-up of an unknown incident: %v, want ErrNotFound", err)
	}

	first.State, first.IssueKey, first.IssueURL = incident.FollowupCreated, "acme/web#12", "https://github.com/acme/web/issues/12"
	first.ReplyTS, first.UpdatedAt = "1700000001.000200", t0.Add(2*time.Minute)
	if err := s.UpdateFollowup(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFollowup(ctx, &incident.Followup{ID: uuid.Must(uuid.NewV7()), State: incident.FollowupFailed}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("update of an unknown follow-up: %v, want ErrNotFound", err)
	}

	got, err := s.Followups(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d follow-ups, want 2: %+v", len(got), got)
	}
	g := got[0]
	if g.ID != first.ID || g.Source != first.Source || g.Text != "alert on 401s" || g.Author != "U1" || g.Tracker != "github" ||
		g.State != incident.FollowupCreated || g.IssueKey != "acme/web#12" || g.IssueURL != first.IssueURL ||
		g.ReplyTS != first.ReplyTS || !g.CreatedAt.Equal(t0.Truncate(time.Microsecond)) ||
		!g.UpdatedAt.Equal(t0.Add(2*time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("first follow-up read back as %+v", g)
	}
	if got[1].ID != second.ID || got[1].State != incident.FollowupRecorded || got[1].Text != second.Text {
		t.Errorf("second follow-up read back as %+v", got[1])
	}
	if none, err := s.Followups(ctx, uuid.Must(uuid.NewV7())); err != nil || len(none) != 0 {
		t.Errorf("follow-ups of an unknown incident: %v, %v; want none", none, err)
	}
}
