package vendors

import (
	"context"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/runbook"
)

// TestTriageStatusOnly: every built-in vendor without an API is triaged
// from its status page alone, with no token set: healthy when the page is
// quiet, an incident at P3 when it reports one, and never misconfigured.
// The API is never called. A vendor whose page the bot cannot read yet
// (status_kind none) says what to set.
func TestTriageStatusOnly(t *testing.T) {
	base, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	s := newStandIn(t)
	var over strings.Builder
	var pages, unread []string
	for _, k := range base.Keys() {
		v, _ := base.Lookup(k)
		switch {
		case v.APIURL != "":
		case v.StatusKind == StatusNone:
			unread = append(unread, k)
		case v.StatusKind != StatusStatuspage && v.StatusKind != StatusAuto:
			// Read by its own format's parser: TestStatusRegistry covers
			// those; this stand-in serves a Statuspage document.
		default:
			pages = append(pages, k)
			over.WriteString(k + ":\n  status_url: " + s.URL + "/status\n")
		}
	}
	if len(pages) == 0 {
		t.Skip("no vendor is watched by its status page alone")
	}
	tr := &Triager{Catalog: mustCatalog(t, over.String()), Getenv: env(nil), Deadline: 3e9}
	for _, state := range []struct {
		indicator string
		cause     runbook.Cause
		sev       runbook.Severity
	}{{"none", runbook.Healthy, ""}, {"major", runbook.VendorIncident, runbook.P3}} {
		s.set(&s.status, statuspageJSON(state.indicator, "Something"))
		for _, k := range pages {
			r, err := tr.Triage(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cause != state.cause || r.Severity != state.sev {
				t.Errorf("%s with the page at %s: %s %s, want %s %s (%s)", k, state.indicator, r.Cause, r.Severity, state.cause, state.sev, r.Summary)
			}
		}
	}
	if n := s.calls(); n != 0 {
		t.Errorf("the API was called %d times", n)
	}
	for _, k := range unread {
		r, err := tr.Triage(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if r.Cause != runbook.Misconfigured || !strings.Contains(r.Summary, k+".api_url") {
			t.Errorf("%s: %s %q, want misconfigured naming %s.api_url", k, r.Cause, r.Summary, k)
		}
	}
}
