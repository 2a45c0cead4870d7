package messages

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

var watchAt = time.Date(2026, 5, 4, 10, 5, 0, 0, time.UTC)

// TestWatchMessages: the vendor watch's message in the channel (Declare
// incident), in the incident's thread (the all-clear with Resolve), and
// with hostile vendor text, against golden files.
func TestWatchMessages(t *testing.T) {
	opened := WatchPost{Vendor: "hubspot", Name: "HubSpot",
		Changes: []WatchChange{
			{Kind: WatchIncidentOpened, Subject: "Elevated API error rates", Impact: "major", Status: "investigating",
				Words: "We are investigating elevated error rates on the API.", At: watchAt, URL: "https://stspg.io/p31zjtct2jer"},
			{Kind: WatchComponentDegraded, Subject: "API", Status: "major_outage"},
			{Kind: WatchProbeFailing, Words: "HubSpot answered 503"},
		},
		Cause: "vendor_incident", Summary: "HubSpot's incident “Elevated API error rates” explains our failing calls",
		Evidence: []string{"HubSpot answered 503", "the incident covers the API"},
		Lag:      "Vendor lag: HubSpot posted 49s after our first failing probe (09:59:11 UTC).",
	}
	m, err := Watch(opened)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "watch_opened.golden", pretty(t, m))

	inc := vendorIncident()
	clear := WatchPost{Vendor: "hubspot", Name: "HubSpot", Incident: inc, Resolve: true,
		Changes: []WatchChange{{Kind: WatchAllClear}}, Cause: "healthy", Summary: "Every check passed"}
	m, err = Watch(clear)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "watch_all_clear.golden", pretty(t, m))

	hostile := WatchPost{Vendor: "acme", Name: "Acme <!channel>", Changes: []WatchChange{{
		Kind: WatchIncidentUpdated, Subject: "<!here> & *bold*", Status: "identified",
		Words: strings.Repeat("<@U123> line\n", 400), At: watchAt, URL: "javascript:alert(1)"}}}
	hostile.Incident = inc
	m, err = Watch(hostile)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	raw := string(m.Blocks) + m.Text
	for _, bad := range []string{"<!channel>", "<!here>", "<@U123>", "javascript:"} {
		if strings.Contains(raw, bad) {
			t.Errorf("the watch message carries %q unescaped: %s", bad, raw)
		}
	}
}

func TestWatchingAndLag(t *testing.T) {
	st := incident.VendorState{Indicator: "major", Bad: true, Probe: "failing",
		Incidents: []incident.VendorItem{{ID: "x", Name: "API errors", Impact: "major", Status: "investigating"}},
		Degraded:  []incident.VendorComponent{{Name: "API", Status: "major_outage"}}}
	m := Watching([]WatchingLine{{Name: "HubSpot", State: st, Checked: watchAt}, {Name: "Stripe"}}, time.Minute)
	validBlocks(t, m)
	for _, want := range []string{":red_circle: *HubSpot*", "incident “API errors” (major, investigating)", "API major outage",
		"our calls fail", "*Stripe*: not checked yet", "every 1m"} {
		if !strings.Contains(string(m.Blocks), want) {
			t.Errorf("watching lacks %q: %s", want, m.Blocks)
		}
	}
	if got := VendorLag("HubSpot", watchAt, watchAt.Add(-90*time.Second)); !strings.Contains(got, "posted 1m 30s before") {
		t.Errorf("lag with the vendor first: %q", got)
	}
	tl := []incident.Entry{{Kind: incident.KindVendorOpened, At: watchAt}, {Kind: incident.KindVendorResolved, At: watchAt.Add(41 * time.Minute)},
		{Kind: incident.KindVendorLag, Text: "Vendor lag: HubSpot posted 49s after our first failing probe"}}
	window, lag := vendorWindow(tl)
	if window != "2026-05-04 10:05:00 – 10:46:00 UTC (41m)" || !strings.Contains(lag, "49s after") {
		t.Errorf("window %q, lag %q", window, lag)
	}
}
