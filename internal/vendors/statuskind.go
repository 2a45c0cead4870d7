package vendors

import (
	"strings"
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
	StatusStatuspage  StatusKind = "statuspage"  // Atlassian Statuspage v2, also incident.io pages
	StatusSlack       StatusKind = "slack"       // slack-status.com
	StatusStripe      StatusKind = "stripe"      // status.stripe.com
	StatusZendesk     StatusKind = "zendesk"     // status.zendesk.com
	StatusInstatus    StatusKind = "instatus"    // Instatus pages' summary.json
	StatusBetterStack StatusKind = "betterstack" // Better Stack pages' index.json
	StatusStatusIO    StatusKind = "statusio"    // status.io Public Status API
	StatusCachet      StatusKind = "cachet"      // Cachet 2 and 3 API: components and incidents
	StatusGCP         StatusKind = "gcp"         // Google Cloud incidents.json
	StatusAWS         StatusKind = "aws"         // AWS Health Dashboard RSS feeds
	StatusAzure       StatusKind = "azure"       // Azure status RSS feed
	StatusRSS         StatusKind = "rss"         // any RSS 2.0 or Atom feed
	StatusSalesforce  StatusKind = "salesforce"  // Salesforce Trust API, one instance
	StatusNone        StatusKind = "none"        // no machine-readable page: the status check is skipped

	// StatusAuto is not a format: the bot works the format out from what
	// status_url serves (detect.go), once per vendor, and then reads the
	// page as that format. It is the default for a vendor with a
	// status_url and no status_kind.
	StatusAuto StatusKind = "auto"
)

// statusFormat is one machine-readable status-page format.
type statusFormat struct {
	kind StatusKind
	// path is appended to status_url, unless status_url already ends
	// with it. Empty: status_url is the document itself (a feed, say).
	path string
	// also are further documents, appended to status_url as path is, that
	// the probe reads after path's, into the same finding: one format
	// whose API keeps components and incidents apart (Cachet). Their
	// fixtures bundle every document by path (see fixtureDocs).
	also []string
	// feed: the documents are XML (RSS or Atom), not JSON; their fixtures
	// are <state>.xml.
	feed bool
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
	{kind: StatusInstatus, path: "/summary.json", parse: parseInstatus,
		states: []string{stateUnrelated, stateMaintenance, stateScheduled},
		about:  "Instatus public summary.json: page status, active incidents and maintenances"},
	{kind: StatusBetterStack, path: "/index.json", parse: parseBetterStack,
		states: []string{stateUnrelated, stateMaintenance, stateScheduled, stateResolved},
		about:  "Better Stack status page index.json (JSON:API): aggregate state, resources, status reports"},
	{kind: StatusStatusIO, path: "", parse: parseStatusIO,
		states: []string{stateUnrelated, stateMaintenance, stateScheduled},
		about:  "status.io Public Status API, status_url https://api.status.io/1.0/status/PAGE_ID"},
	{kind: StatusCachet, path: "/components", also: []string{"/incidents"}, parse: parseCachet,
		states: []string{stateUnrelated, stateResolved, stateComponentOutage},
		about:  "Cachet API components and incidents, status_url the API root: …/api/v1 (Cachet 2) or …/api (Cachet 3)"},
	{kind: StatusGCP, path: "/incidents.json", parse: parseGCP,
		states: []string{stateUnrelated, stateResolved},
		about:  "Google Cloud Service Health incidents.json: incidents without an end"},
	{kind: StatusAWS, path: "", parse: parseAWS, feed: true,
		states: []string{stateResolved},
		about:  "AWS Health Dashboard RSS feed of one service (or all): the newest item per service"},
	{kind: StatusAzure, path: "", parse: parseAzure, feed: true,
		states: []string{stateUnrelated, stateResolved},
		about:  "Azure status RSS feed: the events it lists now"},
	{kind: StatusRSS, path: "", parse: parseFeed, feed: true,
		states: []string{stateUnrelated, stateMaintenance, stateResolved},
		about:  "any RSS 2.0 or Atom feed: an item of the last 24 hours not marked resolved is an incident"},
	{kind: StatusSalesforce, path: "", parse: parseSalesforce,
		states: []string{stateMaintenance, stateScheduled, stateResolved},
		about:  "Salesforce Trust API, status_url https://api.status.salesforce.com/v1/instances/KEY/status"},
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
// format, then StatusAuto and StatusNone.
func StatusKinds() []StatusKind {
	out := make([]StatusKind, 0, len(statusFormats)+2)
	for _, f := range statusFormats {
		out = append(out, f.kind)
	}
	return append(out, StatusAuto, StatusNone)
}

// documents lists the URLs of the documents the format reads for a page
// at statusURL: path's, then also's.
func (f statusFormat) documents(statusURL string) []string {
	base := strings.TrimSpace(statusURL)
	if f.path != "" { // a feed's or an API's own URL keeps its slash
		base = strings.TrimSuffix(strings.TrimRight(base, "/"), f.path)
	}
	out := []string{base + f.path}
	for _, p := range f.also {
		out = append(out, base+p)
	}
	return out
}

// accept is the Accept header of the format's requests.
func (f statusFormat) accept() string {
	if f.feed {
		return "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9"
	}
	return "application/json"
}
