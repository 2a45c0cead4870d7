package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// The vendor watch's part of the suite: subscriptions, and the lease that
// lets one replica check a vendor at a time.

func testWatchSubscriptions(t *testing.T, s incident.Store) {
	ctx := context.Background()
	watch := func(team, channel, vendor string) bool {
		t.Helper()
		added, err := s.Watch(ctx, &incident.Watch{TeamID: team, ChannelID: channel, Vendor: vendor, CreatedBy: "U1", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	if !watch("T1", "C1", "hubspot") || !watch("T1", "C2", "hubspot") || !watch("T1", "C1", "stripe") || !watch("T2", "C9", "hubspot") {
		t.Fatal("a first subscription was not added")
	}
	if watch("T1", "C1", "hubspot") {
		t.Error("the same subscription was added twice")
	}
	list := func(f incident.WatchFilter) []string {
		t.Helper()
		ws, err := s.Watches(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range ws {
			if w.Vendor.Vendor != w.Watch.Vendor || !w.CreatedAt.Equal(t0) || w.CreatedBy != "U1" {
				t.Errorf("watched %+v: the record or the subscription is off", w)
			}
			out = append(out, w.TeamID+"/"+w.ChannelID+"/"+w.Watch.Vendor)
		}
		return out
	}
	for _, c := range []struct {
		f    incident.WatchFilter
		want string
	}{
		{incident.WatchFilter{}, "[T1/C1/hubspot T1/C2/hubspot T2/C9/hubspot T1/C1/stripe]"},
		{incident.WatchFilter{TeamID: "T1"}, "[T1/C1/hubspot T1/C2/hubspot T1/C1/stripe]"},
		{incident.WatchFilter{TeamID: "T1", ChannelID: "C1"}, "[T1/C1/hubspot T1/C1/stripe]"},
		{incident.WatchFilter{Vendor: "hubspot", TeamID: "T2"}, "[T2/C9/hubspot]"},
	} {
		if got := fmt.Sprint(list(c.f)); got != c.want {
			t.Errorf("Watches(%+v) = %s, want %s", c.f, got, c.want)
		}
	}
	if removed, err := s.Unwatch(ctx, "T1", "C1", "hubspot"); err != nil || !removed {
		t.Fatalf("Unwatch = %v, %v; want removed", removed, err)
	}
	if removed, err := s.Unwatch(ctx, "T1", "C1", "hubspot"); err != nil || removed {
		t.Fatalf("second Unwatch = %v, %v; want nothing removed", removed, err)
	}
	if got := fmt.Sprint(list(incident.WatchFilter{TeamID: "T1", ChannelID: "C1"})); got != "[T1/C1/stripe]" {
		t.Errorf("after unwatch: %s", got)
	}
	v, err := s.VendorWatch(ctx, "hubspot")
	if err != nil || v.Vendor != "hubspot" || !v.NextCheckAt.Equal(t0) || v.Version != 0 || !v.CheckedAt.IsZero() {
		t.Fatalf("VendorWatch(hubspot) = %+v, %v; want a record due at once, never checked", v, err)
	}
	if _, err := s.VendorWatch(ctx, "nobody-watches"); !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("VendorWatch of an unknown vendor: %v, want ErrNotFound", err)
	}
}

func testVendorWatchLease(t *testing.T, s incident.Store) {
	ctx := context.Background()
	for _, v := range []string{"a", "b"} {
		if _, err := s.Watch(ctx, &incident.Watch{TeamID: "T1", ChannelID: "C1", Vendor: v, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing is due before its time.
	if got, err := s.ClaimVendorWatches(ctx, "r1", 10, t0.Add(-time.Second), time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claim before due = %d, %v", len(got), err)
	}
	got, err := s.ClaimVendorWatches(ctx, "r1", 1, t0, time.Minute)
	if err != nil || len(got) != 1 || got[0].Vendor != "a" || got[0].Owner != "r1" || !got[0].LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claim one = %+v, %v; want a, leased to r1 for a minute", got, err)
	}
	a := got[0]
	// Held: another replica gets only b.
	got, err = s.ClaimVendorWatches(ctx, "r2", 10, t0.Add(time.Second), time.Minute)
	if err != nil || len(got) != 1 || got[0].Vendor != "b" {
		t.Fatalf("r2's claim = %+v, %v; want b only", got, err)
	}
	// Saved by its owner: the state is kept, the lease ends, the version moves.
	a.State = incident.VendorState{Checked: t0, Indicator: "minor", Cause: "vendor_incident", Probe: "failing",
		Incidents:      []incident.VendorItem{{ID: "inc1", Name: "API errors", Status: "investigating", Impact: "minor", Update: "We are looking", UpdatedAt: t0}},
		Degraded:       []incident.VendorComponent{{Name: "API", Status: "partial_outage"}},
		FirstFailingAt: t0.Add(-time.Minute)}
	a.ETag, a.LastModified, a.NextCheckAt, a.Errors, a.CheckedAt = `"v1"`, "Sat, 14 Mar 2026 09:26:53 GMT", t0.Add(time.Minute), 2, t0
	if err := s.SaveVendorWatch(ctx, a, "r2"); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("save by a replica that does not hold the lease: %v, want ErrConflict", err)
	}
	if err := s.SaveVendorWatch(ctx, a, "r1"); err != nil || a.Version != 1 {
		t.Fatalf("save = %v, version %d; want nil, 1", err, a.Version)
	}
	back, err := s.VendorWatch(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if back.Owner != "" || !back.LeaseUntil.IsZero() || back.Version != 1 || back.ETag != `"v1"` || back.Errors != 2 ||
		!back.NextCheckAt.Equal(t0.Add(time.Minute)) || !back.CheckedAt.Equal(t0) ||
		fmt.Sprint(back.State) != fmt.Sprint(a.State) {
		t.Fatalf("read back %+v\nwant %+v", back, a)
	}
	// Saved again by the same owner after the lease ended: refused.
	if err := s.SaveVendorWatch(ctx, a, "r1"); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("a second save without a claim: %v, want ErrConflict", err)
	}
	// b's owner stops: once its lease has passed, another replica takes it.
	if got, err := s.ClaimVendorWatches(ctx, "r3", 10, t0.Add(30*time.Second), time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claim while b is leased and a not due = %+v, %v", got, err)
	}
	got, err = s.ClaimVendorWatches(ctx, "r3", 10, t0.Add(61*time.Second), time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim after b's lease and at a's next check = %+v, %v; want both", got, err)
	}
	// A vendor nobody watches any more is not checked.
	for _, v := range got {
		if err := s.SaveVendorWatch(ctx, v, "r3"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Unwatch(ctx, "T1", "C1", "b"); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimVendorWatches(ctx, "r3", 10, t0.Add(time.Hour), time.Minute)
	if err != nil || len(got) != 1 || got[0].Vendor != "a" {
		t.Fatalf("claim after b was unwatched = %+v, %v; want a only", got, err)
	}
}

func testVendorWatchClaimedOnce(t *testing.T, s incident.Store) {
	ctx := context.Background()
	const vendors = 40
	for i := 0; i < vendors; i++ {
		if _, err := s.Watch(ctx, &incident.Watch{TeamID: "T1", ChannelID: "C1", Vendor: fmt.Sprint("v", i), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimedOnce(t, vendors, func(owner string) ([]string, error) {
		got, err := s.ClaimVendorWatches(ctx, owner, 3, t0, time.Hour)
		keys := make([]string, len(got))
		for i, v := range got {
			keys[i] = v.Vendor
		}
		return keys, err
	})
}
