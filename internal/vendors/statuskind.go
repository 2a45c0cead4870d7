package vendors

import (
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// StatusKind names a status-page format, as status_kind in the catalog and
// in VENDORS_FILE spells it.
//
// It is an alias of string so that code outside the package that compares
// Vendor.StatusKind with these constants, or copies it into a string field,
// keeps compiling.
type StatusKind = string

// The status page kinds. Every kind but StatusNone has an entry in
// statusFormats.
const (
	StatusStatuspage StatusKind = "statuspage" // Atlassian Statuspage v2
	StatusSlack      StatusKind = "slack"      // slack-status.com
	StatusStripe     StatusKind = "stripe"     // status.stripe.com
	StatusZendesk    StatusKind = "zendesk"    // status.zendesk.com
	StatusNone       StatusKind = "none"       // no machine-readable page: the status check is skipped
)

// statusFormat is one machine-readable status-page format.
type statusFormat struct {
	kind StatusKind
	// path is appended to status_url, unless status_url already ends
	// with it. Empty: status_url is the document itself (a feed, say).
	path string
	// parse reads the document the page serves at path into s, as of
	// now. It sets s.Indicator and what else the format says (description,
	// unresolved incidents and their components, maintenance in progress or
	// to come with its window, every component's state) and returns an
	// error of one short line when the document is not what the format
	// promises; the probe then reports the indicator as unknown. Resolved
	// incidents and finished maintenance are left out; maintenance still to
	// come is kept with status scheduled.
	parse func(raw []byte, now time.Time, s *runbook.StatusFinding) error
	// about says whose page and which document, in a few words.
	about string
	// states lists the states the format can tell apart, beyond
	// operational and incident (see the state constants): each has a
	// fixture under testdata/status/<kind>/<state>.json.
	states []string
}

// The states a status page can be in, as fixture names. Every format
// reports operational and incident; the rest only where the format can
// tell them apart.
const (
	stateOperational     = "operational"        // nothing going on
	stateIncident        = "incident"           // an incident covering the API
	stateUnrelated       = "incident_unrelated" // an incident on another component
	stateMaintenance     = "maintenance"        // maintenance in progress
	stateScheduled       = "scheduled"          // maintenance to come, nothing now
	stateResolved        = "resolved"           // only items that are over
	stateComponentOutage = "component_outage"   // a component down, overall indicator none
)

// statusFormats is the registry of status-page formats, in the order
// catalog errors list them. Adding a format is one entry here, its parser,
// and a fixture for each state it reports under testdata/status/<kind>/;
// TestStatusRegistry says what is missing, FuzzStatusParsers fuzzes the
// parser.
var statusFormats = []statusFormat{
	{kind: StatusStatuspage, path: "/api/v2/summary.json", parse: parseStatuspage,
		states: []string{stateUnrelated, stateMaintenance, stateScheduled, stateResolved, stateComponentOutage},
		about:  "Atlassian Statuspage v2 summary.json, also served by incident.io status pages"},
	{kind: StatusSlack, path: "/api/v2.0.0/current", parse: parseSlackStatus,
		states: []string{stateUnrelated, stateMaintenance, stateScheduled, stateResolved},
		about:  "slack-status.com current status: active incidents, outages and notices"},
	{kind: StatusStripe, path: "/current", parse: parseStripeStatus,
		states: []string{stateUnrelated},
		about:  "status.stripe.com current status: up, degraded or down, per service"},
	{kind: StatusZendesk, path: "/api/incidents/active", parse: parseZendeskStatus,
		states: []string{stateUnrelated, stateResolved},
		about:  "Zendesk Status API active incidents (JSON:API) with the services they affect"},
}

// statusFormatOf finds the format of a kind. StatusNone and unknown kinds
// have none.
func statusFormatOf(kind StatusKind) (statusFormat, bool) {
	for _, f := range statusFormats {
		if f.kind == kind {
			return f, true
		}
	}
	return statusFormat{}, false
}

// StatusKinds lists the values status_kind accepts: every registered
// format, then StatusNone.
func StatusKinds() []StatusKind {
	out := make([]StatusKind, 0, len(statusFormats)+1)
	for _, f := range statusFormats {
		out = append(out, f.kind)
	}
	return append(out, StatusNone)
}
