package vendors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// statusEndpoint is the machine-readable status URL: status_url plus the
// kind's path, unless status_url already ends with it.
func (v Vendor) statusEndpoint() string {
	f, _ := statusFormatOf(v.StatusKind)
	p := f.path
	base := strings.TrimRight(v.StatusURL, "/")
	if strings.HasSuffix(base, p) {
		return base
	}
	return base + p
}

// probeStatus reads the vendor's status page. Errors, HTML and values we do
// not know give an unknown indicator, never "vendor down".
func probeStatus(ctx context.Context, client *http.Client, v Vendor) runbook.StatusFinding {
	s := runbook.StatusFinding{Checked: v.StatusKind != StatusNone, Indicator: runbook.IndicatorUnknown}
	if !s.Checked {
		return s
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.statusEndpoint(), nil)
	if err != nil {
		s.Err = "cannot build the request: " + err.Error()
		return s
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		s.Latency = time.Since(start)
		var msg string
		s.TimedOut, msg = netFailure(ctx, err, req.URL.Host)
		if !s.TimedOut {
			s.Err = "no answer: " + msg
		}
		return s
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	s.Latency = time.Since(start)
	s.HTTPStatus = resp.StatusCode
	if err != nil {
		var msg string
		s.TimedOut, msg = netFailure(ctx, err, req.URL.Host)
		if !s.TimedOut {
			s.Err = "the answer broke off: " + msg
		}
		return s
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		s.Err = fmt.Sprintf("status page answered %d", resp.StatusCode)
		return s
	}
	if _, ok := parseJSON(raw); !ok {
		s.Err = notJSON(resp.Header.Get("Content-Type"), raw)
		return s
	}
	// The catalog admits only registered kinds; a Vendor built by hand with
	// another kind is fetched but not read, and its indicator stays unknown.
	f, ok := statusFormatOf(v.StatusKind)
	if !ok {
		return s
	}
	if err := f.parse(raw, &s); err != nil {
		s.Indicator = runbook.IndicatorUnknown
		s.Err = err.Error()
	}
	return s
}

// parseStatuspage reads Atlassian Statuspage's /api/v2/summary.json.
func parseStatuspage(raw []byte, s *runbook.StatusFinding) error {
	var doc struct {
		Status *struct {
			Indicator   string `json:"indicator"`
			Description string `json:"description"`
		} `json:"status"`
		Components []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Group  bool   `json:"group"`
		} `json:"components"`
		Incidents []struct {
			Name      string `json:"name"`
			Status    string `json:"status"`
			Impact    string `json:"impact"`
			Shortlink string `json:"shortlink"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Statuspage summary: %s", shorten(err.Error(), 80))
	}
	if doc.Status == nil || doc.Status.Indicator == "" {
		return fmt.Errorf("no status.indicator in the answer")
	}
	s.Indicator = runbook.ParseIndicator(doc.Status.Indicator)
	s.Description = shorten(doc.Status.Description, 120)
	for _, c := range doc.Components {
		if c.Status != "" && c.Status != "operational" && !c.Group {
			s.Degraded = append(s.Degraded, fmt.Sprintf("%s (%s)", shorten(c.Name, 60), c.Status))
		}
	}
	for _, in := range doc.Incidents {
		if in.Status == "resolved" || in.Status == "postmortem" {
			continue
		}
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: shorten(in.Name, 120), Impact: in.Impact, Status: in.Status, Link: in.Shortlink,
		})
	}
	return nil
}

// parseSlackStatus reads slack-status.com's /api/v2.0.0/current:
// {"status":"ok","active_incidents":[{"title","type","status","url"}]}.
// Outages rate major, incidents minor, notices maintenance.
func parseSlackStatus(raw []byte, s *runbook.StatusFinding) error {
	var doc struct {
		Status    *string `json:"status"`
		Incidents []struct {
			Title  string `json:"title"`
			Type   string `json:"type"`
			Status string `json:"status"`
			URL    string `json:"url"`
		} `json:"active_incidents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Slack status answer: %s", shorten(err.Error(), 80))
	}
	if doc.Status == nil {
		return fmt.Errorf("no status in the answer")
	}
	worst := runbook.IndicatorNone
	for _, in := range doc.Incidents {
		ind := runbook.IndicatorMinor
		switch strings.ToLower(in.Type) {
		case "outage":
			ind = runbook.IndicatorMajor
		case "notice":
			ind = runbook.IndicatorMaintenance
		}
		worst = worse(worst, ind)
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: shorten(in.Title, 120), Impact: in.Type, Status: in.Status, Link: in.URL,
		})
	}
	switch st := strings.ToLower(*doc.Status); {
	case st == "ok" && len(doc.Incidents) == 0:
		s.Indicator, s.Description = runbook.IndicatorNone, "ok"
	case len(doc.Incidents) > 0:
		s.Indicator, s.Description = worst, shorten(*doc.Status, 120)
	case st == "active" || st == "broken":
		s.Indicator, s.Description = runbook.IndicatorMinor, shorten(*doc.Status, 120)
	default:
		return fmt.Errorf("unrecognised Slack status %q", shorten(*doc.Status, 40))
	}
	return nil
}

// parseStripeStatus reads status.stripe.com's /current:
// {"largestatus":"up|degraded|down","message":"…"}.
func parseStripeStatus(raw []byte, s *runbook.StatusFinding) error {
	var doc struct {
		LargeStatus string `json:"largestatus"`
		Message     string `json:"message"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Stripe status answer: %s", shorten(err.Error(), 80))
	}
	switch strings.ToLower(doc.LargeStatus) {
	case "up":
		s.Indicator = runbook.IndicatorNone
	case "degraded":
		s.Indicator = runbook.IndicatorMinor
	case "down":
		s.Indicator = runbook.IndicatorMajor
	case "":
		return fmt.Errorf("no largestatus in the answer")
	default:
		return fmt.Errorf("unrecognised Stripe status %q", shorten(doc.LargeStatus, 40))
	}
	s.Description = shorten(doc.Message, 120)
	return nil
}

// parseZendeskStatus reads Zendesk's Status API /api/incidents/active, a
// JSON:API list: {"data":[{"attributes":{"title","impact","outage"}}]}.
func parseZendeskStatus(raw []byte, s *runbook.StatusFinding) error {
	var doc struct {
		Data *[]struct {
			Attributes struct {
				Title  string `json:"title"`
				Impact string `json:"impact"`
				Status string `json:"status"`
				Outage bool   `json:"outage"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Zendesk status answer: %s", shorten(err.Error(), 80))
	}
	if doc.Data == nil {
		return fmt.Errorf("no data in the answer")
	}
	s.Indicator = runbook.IndicatorNone
	s.Description = "no active incidents"
	for _, in := range *doc.Data {
		ind := runbook.ParseIndicator(in.Attributes.Impact)
		if ind == runbook.IndicatorUnknown || ind == runbook.IndicatorNone {
			ind = runbook.IndicatorMinor
		}
		if in.Attributes.Outage {
			ind = worse(ind, runbook.IndicatorMajor)
		}
		s.Indicator = worse(s.Indicator, ind)
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: shorten(in.Attributes.Title, 120), Impact: in.Attributes.Impact, Status: in.Attributes.Status,
		})
	}
	if len(s.Incidents) > 0 {
		s.Description = fmt.Sprintf("%d active incident(s)", len(s.Incidents))
	}
	return nil
}

var indicatorRank = map[runbook.Indicator]int{
	runbook.IndicatorNone: 0, runbook.IndicatorMaintenance: 1, runbook.IndicatorMinor: 2,
	runbook.IndicatorMajor: 3, runbook.IndicatorCritical: 4,
}

func worse(a, b runbook.Indicator) runbook.Indicator {
	if indicatorRank[b] > indicatorRank[a] {
		return b
	}
	return a
}
