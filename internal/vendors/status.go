package vendors

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// statusEndpoint is the machine-readable status URL: status_url plus the
// kind's path, unless status_url already ends with it. For StatusAuto it
// is status_url itself.
func (v Vendor) statusEndpoint() string {
	f, ok := statusFormatOf(v.StatusKind)
	if !ok {
		return strings.TrimSpace(v.StatusURL)
	}
	return f.documents(v.StatusURL)[0]
}

// Bounds on what a status page may make us keep.
const (
	maxComponents   = 200
	maxStatusItems  = 20
	maxItemComps    = 20
	maxStatusName   = 120
	maxStatusCompNm = 60
	maxUpdateText   = 500 // a vendor's update, as the watch quotes it
)

// statusNames is a list of component names, shortened and bounded.
func statusNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n = shorten(n, maxStatusCompNm); n != "" && len(out) < maxItemComps {
			out = append(out, n)
		}
	}
	return out
}

// parseTime reads an RFC 3339 time; zero when absent or unreadable.
func parseTime(v string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseStatuspage reads Atlassian Statuspage's /api/v2/summary.json: the
// overall indicator, every component with its group, the unresolved
// incidents with their impact and affected components, and the scheduled
// maintenances that are not completed, with their window.
func parseStatuspage(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	type named struct {
		Name string `json:"name"`
	}
	type update struct {
		Body      string `json:"body"`
		CreatedAt string `json:"created_at"`
	}
	type item struct {
		Name           string  `json:"name"`
		Status         string  `json:"status"`
		Impact         string  `json:"impact"`
		Shortlink      string  `json:"shortlink"`
		ScheduledFor   string  `json:"scheduled_for"`
		ScheduledUntil string  `json:"scheduled_until"`
		Components     []named `json:"components"`

		// For the vendor watch: the page's id, times and updates.
		ID        string   `json:"id"`
		CreatedAt string   `json:"created_at"`
		StartedAt string   `json:"started_at"`
		Updates   []update `json:"incident_updates"`
	}
	var doc struct {
		Status *struct {
			Indicator   string `json:"indicator"`
			Description string `json:"description"`
		} `json:"status"`
		Components []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Status  string `json:"status"`
			Group   bool   `json:"group"`
			GroupID string `json:"group_id"`
		} `json:"components"`
		Incidents    []item `json:"incidents"`
		Maintenances []item `json:"scheduled_maintenances"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Statuspage summary: %s", shorten(err.Error(), 80))
	}
	if doc.Status == nil || doc.Status.Indicator == "" {
		return fmt.Errorf("no status.indicator in the answer")
	}
	s.Indicator = runbook.ParseIndicator(doc.Status.Indicator)
	s.Description = shorten(doc.Status.Description, maxStatusName)
	groups := map[string]string{}
	for _, c := range doc.Components {
		if c.Group && c.ID != "" {
			groups[c.ID] = shorten(c.Name, maxStatusCompNm)
		}
	}
	for _, c := range doc.Components {
		if c.Group || len(s.Components) == maxComponents {
			continue
		}
		st := strings.ToLower(c.Status)
		if st == "full_outage" { // incident.io's word for it, should its pages use it here
			st = runbook.ComponentMajorOutage
		}
		s.Components = append(s.Components, runbook.Component{
			Name: shorten(c.Name, maxStatusCompNm), Group: groups[c.GroupID], Status: shorten(st, 40),
		})
	}
	// words: the id, the newest update (Statuspage lists them newest
	// first; the latest by time wins whatever the order) and the start.
	words := func(it item) runbook.VendorWords {
		w := runbook.VendorWords{ID: shorten(it.ID, 40), StartedAt: parseTime(it.StartedAt)}
		if w.StartedAt.IsZero() {
			w.StartedAt = parseTime(it.CreatedAt)
		}
		for _, u := range it.Updates {
			if at := parseTime(u.CreatedAt); w.Update == "" || at.After(w.UpdatedAt) {
				w.Update, w.UpdatedAt = shorten(u.Body, maxUpdateText), at
			}
		}
		return w
	}
	names := func(cs []named) []string {
		out := make([]string, 0, len(cs))
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return statusNames(out)
	}
	for _, in := range doc.Incidents {
		switch strings.ToLower(in.Status) {
		case "resolved", "postmortem", "completed":
			continue
		}
		if len(s.Incidents) == maxStatusItems {
			break
		}
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: shorten(in.Name, maxStatusName), Impact: shorten(in.Impact, 20), Status: shorten(in.Status, 20),
			Link: shorten(in.Shortlink, 200), Components: names(in.Components), Words: words(in),
		})
	}
	for _, m := range doc.Maintenances {
		st := strings.ToLower(strings.TrimSpace(m.Status))
		until := parseTime(m.ScheduledUntil)
		switch {
		case st == "completed", st == "resolved":
			continue
		case st != runbook.MaintenanceScheduled && st != runbook.MaintenanceInProgress && st != runbook.MaintenanceVerifying:
			continue
		case st == runbook.MaintenanceScheduled && !until.IsZero() && !until.After(now):
			continue // its window is over: finished, whatever the page forgot to say
		}
		if len(s.Maintenances) == maxStatusItems {
			break
		}
		s.Maintenances = append(s.Maintenances, runbook.StatusMaintenance{
			Name: shorten(m.Name, maxStatusName), Status: st, Link: shorten(m.Shortlink, 200),
			Components: names(m.Components), ScheduledFor: parseTime(m.ScheduledFor), ScheduledUntil: until,
			Words: words(m),
		})
	}
	return nil
}

// parseSlackStatus reads slack-status.com's /api/v2.0.0/current:
// {"status":"ok|active|broken","active_incidents":[{"title","type",
// "status","url","services","date_created"}]}. The list can still hold
// items that are over (status resolved or completed) and notices of
// maintenance to come (status scheduled, or created in the future): they
// are not live. Outages rate major, incidents minor; a live notice is
// maintenance in progress.
func parseSlackStatus(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	var doc struct {
		Status    *string `json:"status"`
		Incidents []struct {
			Title       string   `json:"title"`
			Type        string   `json:"type"`
			Status      string   `json:"status"`
			URL         string   `json:"url"`
			Services    []string `json:"services"`
			DateCreated string   `json:"date_created"`
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
		st := strings.ToLower(strings.TrimSpace(in.Status))
		if st == "resolved" || st == "completed" || len(s.Incidents)+len(s.Maintenances) >= 2*maxStatusItems {
			continue
		}
		name, link, services := shorten(in.Title, maxStatusName), shorten(in.URL, 200), statusNames(in.Services)
		if strings.EqualFold(in.Type, "notice") {
			m := runbook.StatusMaintenance{Name: name, Link: link, Components: services, Status: runbook.MaintenanceInProgress}
			if created := parseTime(in.DateCreated); st == "scheduled" || created.After(now) {
				m.Status = runbook.MaintenanceScheduled
				m.ScheduledFor = created
			} else {
				worst = worse(worst, runbook.IndicatorMaintenance)
			}
			s.Maintenances = append(s.Maintenances, m)
			continue
		}
		impact, ind := "minor", runbook.IndicatorMinor
		if strings.EqualFold(in.Type, "outage") {
			impact, ind = "major", runbook.IndicatorMajor
		}
		worst = worse(worst, ind)
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: name, Impact: impact, Status: shorten(in.Status, 20), Link: link, Components: services,
		})
	}
	switch st := strings.ToLower(*doc.Status); {
	case worst != runbook.IndicatorNone:
		s.Indicator, s.Description = worst, shorten(*doc.Status, maxStatusName)
	case st == "ok" || len(doc.Incidents) > 0:
		s.Indicator, s.Description = runbook.IndicatorNone, "ok"
	case st == "active" || st == "broken":
		s.Indicator, s.Description = runbook.IndicatorMinor, shorten(*doc.Status, maxStatusName)
	default:
		return fmt.Errorf("unrecognised Slack status %q", shorten(*doc.Status, 40))
	}
	return nil
}

// parseStripeStatus reads status.stripe.com's /current:
// {"largestatus":"up|degraded|down","message":"…","statuses":{"api":"up",…}}.
// Each entry of statuses is a component.
func parseStripeStatus(raw []byte, _ time.Time, s *runbook.StatusFinding) error {
	var doc struct {
		LargeStatus string            `json:"largestatus"`
		Message     string            `json:"message"`
		Statuses    map[string]string `json:"statuses"`
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
	s.Description = shorten(doc.Message, maxStatusName)
	keys := make([]string, 0, len(doc.Statuses))
	for k := range doc.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(s.Components) == maxComponents {
			break
		}
		st := runbook.ComponentOperational
		switch strings.ToLower(doc.Statuses[k]) {
		case "up":
		case "degraded":
			st = runbook.ComponentDegraded
		case "down":
			st = runbook.ComponentMajorOutage
		default:
			st = shorten(strings.ToLower(doc.Statuses[k]), 40)
		}
		s.Components = append(s.Components, runbook.Component{Name: shorten(k, maxStatusCompNm), Status: st})
	}
	return nil
}

// parseZendeskStatus reads Zendesk's Status API /api/incidents/active, a
// JSON:API list: {"data":[{"attributes":{"title","impact","outage",
// "resolved_at"},"relationships":{"services":{"data":[{"id"}]}}}],
// "included":[{"id","type":"service","attributes":{"name"}}]}. The
// services an incident names are its components.
func parseZendeskStatus(raw []byte, _ time.Time, s *runbook.StatusFinding) error {
	type ref struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	var doc struct {
		Data *[]struct {
			Attributes struct {
				Title      string  `json:"title"`
				Impact     string  `json:"impact"`
				Status     string  `json:"status"`
				Outage     bool    `json:"outage"`
				ResolvedAt *string `json:"resolved_at"`
			} `json:"attributes"`
			Relationships struct {
				Services struct {
					Data []ref `json:"data"`
				} `json:"services"`
			} `json:"relationships"`
		} `json:"data"`
		Included []struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Attributes struct {
				Name string `json:"name"`
			} `json:"attributes"`
		} `json:"included"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Zendesk status answer: %s", shorten(err.Error(), 80))
	}
	if doc.Data == nil {
		return fmt.Errorf("no data in the answer")
	}
	services := map[string]string{}
	for _, inc := range doc.Included {
		if inc.Type == "service" {
			services[inc.ID] = inc.Attributes.Name
		}
	}
	s.Indicator = runbook.IndicatorNone
	s.Description = "no active incidents"
	for _, in := range *doc.Data {
		at := in.Attributes
		if (at.ResolvedAt != nil && *at.ResolvedAt != "") || strings.EqualFold(at.Status, "resolved") || len(s.Incidents) == maxStatusItems {
			continue
		}
		ind := runbook.ParseIndicator(at.Impact)
		if ind == runbook.IndicatorUnknown || ind == runbook.IndicatorNone {
			ind = runbook.IndicatorMinor
		}
		impact := at.Impact
		if at.Outage {
			ind = worse(ind, runbook.IndicatorMajor)
			impact = string(ind)
		}
		var comps []string
		for _, r := range in.Relationships.Services.Data {
			if n := services[r.ID]; n != "" {
				comps = append(comps, n)
			}
		}
		s.Indicator = worse(s.Indicator, ind)
		s.Incidents = append(s.Incidents, runbook.StatusIncident{
			Name: shorten(at.Title, maxStatusName), Impact: shorten(impact, 20), Status: shorten(at.Status, 20), Components: statusNames(comps),
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
