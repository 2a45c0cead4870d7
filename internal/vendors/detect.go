package vendors

// Detection of a status page's format, for status_kind auto and for
// `bot vendors detect URL`.
//
// Given the status URL, the candidates are tried in this order, each read
// exactly as a probe of that kind reads it, and the first that reads
// cleanly (a 2xx answer the format's parser accepts) wins:
//
//  1. the format the host names: *.statuspage.io (Statuspage),
//     status.cloud.google.com (gcp), status.aws.amazon.com and
//     health.aws.amazon.com (aws), azure.status.microsoft (azure),
//     api.status.salesforce.com (salesforce), api.status.io (statusio),
//     *.instatus.com (instatus), *.betteruptime.com (betterstack),
//     slack-status.com, status.stripe.com, status.zendesk.com;
//  2. when the URL has a path: the URL itself, its format told by what it
//     serves (the JSON's shape, or an <rss> or <feed> root);
//  3. the Statuspage summary, /api/v2/summary.json (incident.io pages
//     serve it too);
//  4. Instatus's /summary.json, Better Stack's /index.json;
//  5. Cachet's API under /api/v1 (Cachet 2), then /api (Cachet 3);
//  6. when the URL is a bare site: the URL itself, as in 2.
//
// Every request shares the caller's context, so detection never outlasts
// the check's timeout; a Triager remembers what it found per vendor, so
// later probes go straight to it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// Detection is what Detect found at a status URL.
type Detection struct {
	Kind      StatusKind        // the format
	StatusURL string            // status_url for that kind: the base its documents hang off
	Document  string            // the URL of the (first) document read
	Indicator runbook.Indicator // the page's indicator now
	Reading   string            // what the page says now, in one line
	Tried     []string          // when nothing was found: each way tried and why it failed

	finding  runbook.StatusFinding
	timedOut bool
}

// ErrNoFormat is the error Detect returns (wrapped) when no format reads
// the page.
var ErrNoFormat = errors.New("no status-page format found")

// Detect works out the format of the status page at statusURL, within
// ctx. A nil client uses the probes' default client. The error wraps
// ErrNoFormat when every candidate was tried and none reads the page,
// and is ctx's error when ctx ends first.
func Detect(ctx context.Context, client *http.Client, statusURL string, now time.Time) (Detection, error) {
	if client == nil {
		client = defaultClient
	}
	d, err := detect(ctx, client, statusURL, now, nil)
	if err != nil && d.timedOut && ctx.Err() != nil {
		return d, fmt.Errorf("vendors: detect %s: %w", statusURL, ctx.Err())
	}
	return d, err
}

// candidate is one way of reading the page: as kind, from statusURL, or
// (sniff) the document at statusURL as whatever format it looks like.
type candidate struct {
	kind      StatusKind
	statusURL string
	sniff     bool
}

// hostHints maps a host (or, with a leading dot, a domain) to the format
// its pages serve, and the path of its document where the URL gives none.
var hostHints = []struct {
	host string
	kind StatusKind
	path string
}{
	{".statuspage.io", StatusStatuspage, ""},
	{"status.cloud.google.com", StatusGCP, ""},
	{"status.aws.amazon.com", StatusAWS, "/rss/all.rss"},
	{"health.aws.amazon.com", StatusAWS, "/rss/all.rss"},
	{"azure.status.microsoft", StatusAzure, "/en-us/status/feed/"},
	{"api.status.salesforce.com", StatusSalesforce, ""},
	{"api.status.io", StatusStatusIO, ""},
	{".instatus.com", StatusInstatus, ""},
	{".betteruptime.com", StatusBetterStack, ""},
	{"slack-status.com", StatusSlack, ""},
	{"status.stripe.com", StatusStripe, ""},
	{"status.zendesk.com", StatusZendesk, ""},
}

// candidates lists the ways of reading u, in the order of the package
// comment.
func candidates(u *url.URL) []candidate {
	raw := strings.TrimRight(u.String(), "/")
	if u.Path != "" && u.Path != "/" {
		raw = u.String() // a document's own URL keeps its slash
	}
	bare := u.Path == "" || u.Path == "/"
	host := strings.ToLower(u.Hostname())
	var out []candidate
	for _, h := range hostHints {
		if host == h.host || (strings.HasPrefix(h.host, ".") && strings.HasSuffix(host, h.host)) {
			c := candidate{kind: h.kind, statusURL: raw}
			if bare && h.path != "" {
				c.statusURL = strings.TrimRight(raw, "/") + h.path
			}
			out = append(out, c)
			break
		}
	}
	if !bare {
		out = append(out, candidate{statusURL: raw, sniff: true})
	}
	base := strings.TrimRight(raw, "/")
	out = append(out,
		candidate{kind: StatusStatuspage, statusURL: base},
		candidate{kind: StatusInstatus, statusURL: base},
		candidate{kind: StatusBetterStack, statusURL: base},
		candidate{kind: StatusCachet, statusURL: base + "/api/v1"},
		candidate{kind: StatusCachet, statusURL: base + "/api"},
	)
	if bare {
		out = append(out, candidate{statusURL: raw, sniff: true})
	}
	return out
}

// detect tries the candidates in turn, reading through m (which may be
// nil) so that what it fetched is remembered for the next probe.
func detect(ctx context.Context, client *http.Client, statusURL string, now time.Time, m *statusMemo) (Detection, error) {
	u, err := url.Parse(strings.TrimSpace(statusURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Detection{}, fmt.Errorf("%q is not an http(s) URL", shorten(statusURL, 80))
	}
	var tried []string
	var last runbook.StatusFinding
	for _, c := range candidates(u) {
		if ctx.Err() != nil {
			break
		}
		kind, base := c.kind, c.statusURL
		if c.sniff {
			kind, base, last = sniffURL(ctx, client, c.statusURL, u.Hostname(), m)
			if kind == "" {
				tried = append(tried, "the URL itself ("+orDefault(last.Err, "no known shape")+")")
				if last.TimedOut {
					break
				}
				continue
			}
		}
		f, _ := statusFormatOf(kind)
		s := m.read(ctx, client, Vendor{StatusKind: kind, StatusURL: base}, now)
		last = s
		if s.Err == "" && !s.TimedOut && s.Indicator != runbook.IndicatorUnknown {
			return Detection{Kind: kind, StatusURL: base, Document: f.documents(base)[0], Indicator: s.Indicator,
				Reading: Reading(s), finding: s}, nil
		}
		why := s.Err
		if s.TimedOut {
			why = "timed out"
		}
		tried = append(tried, kind+" at "+f.documents(base)[0]+" ("+shorten(why, 60)+")")
		if s.TimedOut {
			break
		}
	}
	d := Detection{finding: last, timedOut: last.TimedOut || ctx.Err() != nil, Tried: tried}
	when := ""
	if d.timedOut {
		when = " before the deadline"
	}
	why := "nothing answered"
	if len(tried) > 0 {
		why = fmt.Sprintf("%d way(s) tried, the last: %s", len(tried), tried[len(tried)-1])
	}
	// One line, short enough for a report's check detail.
	return d, fmt.Errorf("%w at %s%s (%s)", ErrNoFormat, shorten(statusURL, 60), when, shorten(why, 100))
}

// sniffURL fetches the document at u and tells its format by its shape;
// kind is empty when it has none we know. base is the status_url that
// kind's documents hang off.
func sniffURL(ctx context.Context, client *http.Client, u, host string, m *statusMemo) (kind StatusKind, base string, s runbook.StatusFinding) {
	d := m.fetch(ctx, client, u, "application/json, application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	s = runbook.StatusFinding{Checked: true, HTTPStatus: d.status, Err: d.err, TimedOut: d.timedOut, Indicator: runbook.IndicatorUnknown}
	if d.err != "" || d.timedOut {
		return "", "", s
	}
	kind = sniff(d.body)
	switch kind {
	case "":
		s.Err = notJSON(d.contentType, d.body)
		if _, ok := parseJSON(d.body); ok {
			s.Err = "JSON of no status-page shape we know"
		}
		return "", "", s
	case StatusRSS: // a feed: the host may say whose
		for _, h := range hostHints {
			if (h.kind == StatusAWS || h.kind == StatusAzure) && strings.EqualFold(host, h.host) {
				kind = h.kind
			}
		}
	}
	f, _ := statusFormatOf(kind)
	switch {
	case f.path == "" || strings.HasSuffix(strings.TrimRight(u, "/"), f.path):
		return kind, u, s
	case kind == StatusCachet && strings.HasSuffix(strings.TrimRight(u, "/"), "/incidents"):
		return kind, strings.TrimSuffix(strings.TrimRight(u, "/"), "/incidents"), s
	}
	// The document has the format's shape but not at the format's path: a
	// probe of that kind would ask elsewhere, so it is no answer.
	s.Err = "a " + kind + " document, but not at " + kind + "'s path " + f.path
	return "", "", s
}

// sniff tells a document's format by its shape; empty when it has none
// we know.
func sniff(raw []byte) StatusKind {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return ""
	}
	if b[0] == '<' {
		if _, err := readFeed(b); err == nil {
			return StatusRSS
		}
		return ""
	}
	if b[0] == '[' {
		var list []map[string]json.RawMessage
		if json.Unmarshal(b, &list) != nil {
			return ""
		}
		if len(list) > 0 && (list[0]["external_desc"] != nil || list[0]["service_name"] != nil) {
			return StatusGCP
		}
		return ""
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := doc[k]; return ok }
	switch {
	case has("status") && bytes.Contains(doc["status"], []byte(`"indicator"`)):
		return StatusStatuspage
	case has("page") && (has("activeIncidents") || has("activeMaintenances")):
		return StatusInstatus
	case has("result") && bytes.Contains(doc["result"], []byte(`"status_overall"`)):
		return StatusStatusIO
	case has("largestatus"):
		return StatusStripe
	case has("active_incidents"):
		return StatusSlack
	case has("key") && has("status") && (has("isActive") || has("Incidents")):
		return StatusSalesforce
	case has("data"):
		var one struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(doc["data"], &one) == nil && one.Type == "status_page" {
			return StatusBetterStack
		}
		var many []struct {
			Type       string          `json:"type"`
			Attributes json.RawMessage `json:"attributes"`
			Status     json.RawMessage `json:"status"`
		}
		if json.Unmarshal(doc["data"], &many) != nil || len(many) == 0 {
			return ""
		}
		switch first := many[0]; {
		case first.Type == "incident":
			return StatusZendesk
		case first.Type == "components" || first.Type == "incidents" || (first.Attributes == nil && first.Status != nil):
			return StatusCachet
		}
	}
	return ""
}

// Reading is a finding in one line: the indicator, what the page says,
// and how many incidents, maintenances and degraded components it lists,
// naming the first of each.
func Reading(s runbook.StatusFinding) string {
	if !s.Usable() {
		switch {
		case s.TimedOut:
			return "unknown: the page did not answer in time"
		case s.Err != "":
			return "unknown: " + s.Err
		}
		return "unknown"
	}
	parts := []string{string(s.Indicator)}
	if s.Description != "" {
		parts[0] += " (" + s.Description + ")"
	}
	count := func(n int, one, first string) {
		if n == 0 {
			return
		}
		p := fmt.Sprintf("%d %s", n, one)
		if first != "" {
			p += ": " + shorten(first, 60)
		}
		parts = append(parts, p)
	}
	first := func(names ...string) string {
		if len(names) > 0 {
			return names[0]
		}
		return ""
	}
	var in, mt, dg []string
	for _, i := range s.Incidents {
		in = append(in, i.Name)
	}
	for _, m := range s.Maintenances {
		mt = append(mt, m.Name+" ["+m.Status+"]")
	}
	for _, c := range s.Degraded() {
		dg = append(dg, c.Name+" ["+c.Status+"]")
	}
	count(len(in), "open incident(s)", first(in...))
	count(len(mt), "maintenance(s)", first(mt...))
	count(len(dg), "degraded component(s)", first(dg...))
	if len(parts) == 1 {
		parts = append(parts, "nothing open")
	}
	return runbook.Printable(strings.Join(parts, "; "), false)
}
