package vendors

// Parsers of the JSON status-page formats other than Atlassian
// Statuspage's and the three vendors' own (status.go). Each reads one
// documented answer into a runbook.StatusFinding as statusFormat.parse
// promises: the indicator, the unresolved incidents with their impact and
// components, maintenance in progress or to come with its window, every
// component's state; resolved and finished items are left out, and an
// answer without the fields that make it this format is an error.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// addIncident appends an incident unless the finding holds enough.
func addIncident(s *runbook.StatusFinding, in runbook.StatusIncident) {
	if len(s.Incidents) < maxStatusItems {
		in.Name, in.Impact, in.Status = shorten(in.Name, maxStatusName), shorten(in.Impact, 20), shorten(in.Status, 20)
		in.Link = shorten(in.Link, 200)
		in.Components = statusNames(in.Components)
		s.Incidents = append(s.Incidents, in)
	}
}

// addMaintenance appends a maintenance unless the finding holds enough.
// A scheduled one whose window is over is finished, whatever the page
// forgot to say, and is left out.
func addMaintenance(s *runbook.StatusFinding, m runbook.StatusMaintenance, now time.Time) {
	if m.Status == runbook.MaintenanceScheduled && !m.ScheduledUntil.IsZero() && !m.ScheduledUntil.After(now) {
		return
	}
	if len(s.Maintenances) < maxStatusItems {
		m.Name, m.Link, m.Components = shorten(m.Name, maxStatusName), shorten(m.Link, 200), statusNames(m.Components)
		s.Maintenances = append(s.Maintenances, m)
	}
}

// addComponent appends a component unless the finding holds enough.
func addComponent(s *runbook.StatusFinding, c runbook.Component) {
	if len(s.Components) < maxComponents && strings.TrimSpace(c.Name) != "" {
		c.Name, c.Group, c.Status = shorten(c.Name, maxStatusCompNm), shorten(c.Group, maxStatusCompNm), shorten(c.Status, 40)
		s.Components = append(s.Components, c)
	}
}

// impactIndicator is the indicator an incident of this impact gives the
// page: minor unless the impact says major or critical.
func impactIndicator(impact string) runbook.Indicator {
	switch ind := runbook.ParseIndicator(impact); ind {
	case runbook.IndicatorMajor, runbook.IndicatorCritical:
		return ind
	}
	return runbook.IndicatorMinor
}

// componentIndicator is what a component in this (Statuspage) state says
// about the page.
func componentIndicator(status string) runbook.Indicator {
	switch status {
	case runbook.ComponentMajorOutage:
		return runbook.IndicatorMajor
	case runbook.ComponentDegraded, runbook.ComponentPartialOutage:
		return runbook.IndicatorMinor
	case runbook.ComponentUnderMaintenance:
		return runbook.IndicatorMaintenance
	}
	return runbook.IndicatorNone
}

// ---------------------------------------------------------------------------
// Instatus

// parseInstatus reads an Instatus page's /summary.json:
// {"page":{"name","url","status":"UP|HASISSUES|UNDERMAINTENANCE"},
// "activeIncidents":[{"name","started","status","impact","url"}],
// "activeMaintenances":[{"name","start","status","duration","url"}]}.
// The summary names no components; an incident's impact (MAJOROUTAGE,
// PARTIALOUTAGE, …) rates it, maintenance NOTSTARTEDYET is to come, its
// window start plus duration minutes.
func parseInstatus(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	var doc struct {
		Page *struct {
			Status string `json:"status"`
		} `json:"page"`
		Incidents []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Impact string `json:"impact"`
			URL    string `json:"url"`
		} `json:"activeIncidents"`
		Maintenances []struct {
			Name     string          `json:"name"`
			Start    string          `json:"start"`
			Status   string          `json:"status"`
			Duration json.RawMessage `json:"duration"`
			URL      string          `json:"url"`
		} `json:"activeMaintenances"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not an Instatus summary: %s", shorten(err.Error(), 80))
	}
	if doc.Page == nil || doc.Page.Status == "" {
		return fmt.Errorf("no page.status in the answer")
	}
	worst := runbook.IndicatorNone
	for _, in := range doc.Incidents {
		if strings.EqualFold(in.Status, "RESOLVED") {
			continue
		}
		impact := instatusImpact(in.Impact)
		worst = worse(worst, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: in.Name, Impact: impact, Status: strings.ToLower(in.Status), Link: in.URL})
	}
	for _, m := range doc.Maintenances {
		start := parseLooseTime(m.Start)
		var until time.Time
		if mins, err := strconv.Atoi(strings.Trim(string(m.Duration), `" `)); err == nil && mins > 0 && !start.IsZero() {
			until = start.Add(time.Duration(mins) * time.Minute)
		}
		st := runbook.MaintenanceScheduled
		switch strings.ToUpper(m.Status) {
		case "COMPLETED":
			continue
		case "INPROGRESS":
			st = runbook.MaintenanceInProgress
			worst = worse(worst, runbook.IndicatorMaintenance)
		}
		addMaintenance(s, runbook.StatusMaintenance{Name: m.Name, Status: st, Link: m.URL, ScheduledFor: start, ScheduledUntil: until}, now)
	}
	switch strings.ToUpper(doc.Page.Status) {
	case "UP":
		s.Description = "all systems up"
	case "HASISSUES":
		s.Description = "some systems have issues"
		worst = worse(worst, runbook.IndicatorMinor)
	case "UNDERMAINTENANCE":
		s.Description = "under maintenance"
		worst = worse(worst, runbook.IndicatorMaintenance)
	default:
		return fmt.Errorf("unrecognised Instatus page status %q", shorten(doc.Page.Status, 40))
	}
	s.Indicator = worst
	return nil
}

// instatusImpact maps an Instatus impact onto Statuspage's words.
func instatusImpact(v string) string {
	switch strings.ToUpper(v) {
	case "MAJOROUTAGE":
		return "major"
	case "UNDERMAINTENANCE":
		return "maintenance"
	}
	return "minor" // DEGRADEDPERFORMANCE, PARTIALOUTAGE, MINOROUTAGE, or nothing said
}

// parseLooseTime reads RFC 3339 or the JavaScript Date text Instatus
// writes ("Sat Jun 11 2022 18:55:54 GMT+0000 (Coordinated Universal
// Time)"); zero when it is neither.
func parseLooseTime(v string) time.Time {
	v = strings.TrimSpace(v)
	if t := parseTime(v); !t.IsZero() {
		return t
	}
	if i := strings.Index(v, " ("); i > 0 {
		v = v[:i]
	}
	if t, err := time.Parse("Mon Jan 02 2006 15:04:05 GMT-0700", v); err == nil {
		return t
	}
	return time.Time{}
}

// ---------------------------------------------------------------------------
// Better Stack

// parseBetterStack reads a Better Stack status page's /index.json, a
// JSON:API document: data.attributes.aggregate_state (operational,
// degraded, downtime, maintenance), and in included the
// status_page_resource entries (attributes.public_name, status) and the
// status_report entries (attributes.title, report_type manual, automatic
// or maintenance, starts_at, ends_at, affected_resources, aggregate_state).
// A report that has ended, or whose own state is operational, is over.
func parseBetterStack(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	type affected struct {
		ID     json.RawMessage `json:"status_page_resource_id"`
		Status string          `json:"status"`
	}
	var doc struct {
		Data *struct {
			Type       string `json:"type"`
			Attributes struct {
				State        string `json:"aggregate_state"`
				Announcement string `json:"announcement"`
			} `json:"attributes"`
		} `json:"data"`
		Included []struct {
			ID         json.RawMessage `json:"id"`
			Type       string          `json:"type"`
			Attributes struct {
				PublicName string     `json:"public_name"`
				Status     string     `json:"status"`
				Title      string     `json:"title"`
				ReportType string     `json:"report_type"`
				StartsAt   string     `json:"starts_at"`
				EndsAt     *string    `json:"ends_at"`
				State      string     `json:"aggregate_state"`
				Affected   []affected `json:"affected_resources"`
			} `json:"attributes"`
		} `json:"included"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Better Stack index.json: %s", shorten(err.Error(), 80))
	}
	if doc.Data == nil || doc.Data.Attributes.State == "" {
		return fmt.Errorf("no data.attributes.aggregate_state in the answer")
	}
	id := func(r json.RawMessage) string { return strings.Trim(string(r), `" `) }
	names := map[string]string{}
	for _, in := range doc.Included {
		if in.Type == "status_page_resource" {
			names[id(in.ID)] = in.Attributes.PublicName
			st := betterStackComponent(in.Attributes.Status)
			addComponent(s, runbook.Component{Name: in.Attributes.PublicName, Status: st})
		}
	}
	worst := runbook.IndicatorNone
	for _, in := range doc.Included {
		if in.Type != "status_report" {
			continue
		}
		at := in.Attributes
		start, state := parseTime(at.StartsAt), strings.ToLower(at.State)
		var end time.Time
		if at.EndsAt != nil {
			end = parseTime(*at.EndsAt)
		}
		var comps []string
		for _, a := range at.Affected {
			if n := names[id(a.ID)]; n != "" {
				comps = append(comps, n)
			}
		}
		if strings.EqualFold(at.ReportType, "maintenance") {
			m := runbook.StatusMaintenance{Name: at.Title, Components: comps, ScheduledFor: start, ScheduledUntil: end,
				Status: runbook.MaintenanceScheduled}
			switch {
			case !end.IsZero() && !end.After(now):
				continue
			case !start.IsZero() && !start.After(now):
				m.Status = runbook.MaintenanceInProgress
				worst = worse(worst, runbook.IndicatorMaintenance)
			}
			addMaintenance(s, m, now)
			continue
		}
		if (!end.IsZero() && !end.After(now)) || state == "operational" || (!start.IsZero() && start.After(now)) {
			continue
		}
		impact := "minor"
		if state == "downtime" {
			impact = "major"
		}
		worst = worse(worst, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: at.Title, Impact: impact, Status: state, Components: comps})
	}
	switch st := strings.ToLower(doc.Data.Attributes.State); st {
	case "operational":
	case "degraded":
		worst = worse(worst, runbook.IndicatorMinor)
	case "downtime":
		worst = worse(worst, runbook.IndicatorMajor)
	case "maintenance":
		worst = worse(worst, runbook.IndicatorMaintenance)
	default:
		return fmt.Errorf("unrecognised Better Stack aggregate_state %q", shorten(st, 40))
	}
	s.Indicator, s.Description = worst, shorten(doc.Data.Attributes.State, maxStatusName)
	return nil
}

// betterStackComponent maps a resource status onto Statuspage's words.
func betterStackComponent(v string) string {
	switch strings.ToLower(v) {
	case "degraded":
		return runbook.ComponentDegraded
	case "downtime":
		return runbook.ComponentMajorOutage
	case "maintenance":
		return runbook.ComponentUnderMaintenance
	}
	return runbook.ComponentOperational // operational, not_monitored
}

// ---------------------------------------------------------------------------
// status.io

// parseStatusIO reads status.io's Public Status API,
// GET https://api.status.io/1.0/status/{page_id}: {"result":{
// "status_overall":{"status","status_code"},"status":[{"name",
// "status_code","containers":[…]}],"incidents":[…],"maintenance":
// {"active":[…],"upcoming":[…]}}}. Status codes: 100 operational, 200
// planned maintenance, 300 degraded performance, 400 partial service
// disruption, 500 service disruption, 600 security event. The API lists
// only incidents that are open and maintenance active or upcoming.
func parseStatusIO(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	type named struct {
		Name string `json:"name"`
	}
	type event struct {
		Name        string  `json:"name"`
		Start       string  `json:"datetime_planned_start"`
		End         string  `json:"datetime_planned_end"`
		Components  []named `json:"components_affected"`
		StatusCode  int     `json:"status_code"`
		CurrentCode int     `json:"current_status"`
	}
	var doc struct {
		Result *struct {
			Overall *struct {
				Status string `json:"status"`
				Code   int    `json:"status_code"`
			} `json:"status_overall"`
			Status []struct {
				Name string `json:"name"`
				Code int    `json:"status_code"`
			} `json:"status"`
			Incidents   []event `json:"incidents"`
			Maintenance struct {
				Active   []event `json:"active"`
				Upcoming []event `json:"upcoming"`
			} `json:"maintenance"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a status.io answer: %s", shorten(err.Error(), 80))
	}
	if doc.Result == nil || doc.Result.Overall == nil || doc.Result.Overall.Code == 0 {
		return fmt.Errorf("no result.status_overall.status_code in the answer")
	}
	r := doc.Result
	ind, ok := statusIOIndicator(r.Overall.Code)
	if !ok {
		return fmt.Errorf("unrecognised status.io status code %d", r.Overall.Code)
	}
	for _, c := range r.Status {
		addComponent(s, runbook.Component{Name: c.Name, Status: statusIOComponent(c.Code)})
	}
	names := func(cs []named) []string {
		out := make([]string, 0, len(cs))
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	for _, in := range r.Incidents {
		impact := "minor"
		if code := max(in.StatusCode, in.CurrentCode); code >= 500 {
			impact = "major"
		}
		comps := names(in.Components)
		for _, c := range s.Components { // the worst state of what it affects rates it too
			for _, n := range comps {
				if c.Name == n && c.Status == runbook.ComponentMajorOutage {
					impact = "major"
				}
			}
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: in.Name, Impact: impact, Status: "open", Components: comps})
	}
	for _, m := range r.Maintenance.Active {
		addMaintenance(s, runbook.StatusMaintenance{Name: m.Name, Status: runbook.MaintenanceInProgress, Components: names(m.Components),
			ScheduledFor: parseTime(m.Start), ScheduledUntil: parseTime(m.End)}, now)
		ind = worse(ind, runbook.IndicatorMaintenance)
	}
	for _, m := range r.Maintenance.Upcoming {
		addMaintenance(s, runbook.StatusMaintenance{Name: m.Name, Status: runbook.MaintenanceScheduled, Components: names(m.Components),
			ScheduledFor: parseTime(m.Start), ScheduledUntil: parseTime(m.End)}, now)
	}
	s.Indicator, s.Description = ind, shorten(r.Overall.Status, maxStatusName)
	return nil
}

func statusIOIndicator(code int) (runbook.Indicator, bool) {
	switch code {
	case 100:
		return runbook.IndicatorNone, true
	case 200:
		return runbook.IndicatorMaintenance, true
	case 300, 400:
		return runbook.IndicatorMinor, true
	case 500, 600:
		return runbook.IndicatorMajor, true
	}
	return runbook.IndicatorUnknown, false
}

func statusIOComponent(code int) string {
	switch code {
	case 200:
		return runbook.ComponentUnderMaintenance
	case 300:
		return runbook.ComponentDegraded
	case 400:
		return runbook.ComponentPartialOutage
	case 500, 600:
		return runbook.ComponentMajorOutage
	}
	return runbook.ComponentOperational
}

// ---------------------------------------------------------------------------
// Cachet

// parseCachet reads a Cachet API's GET …/components and GET …/incidents,
// as the probe hands them over: a JSON array of the two answers (one
// answer alone is read too). Both come in Cachet 2's shape
// ({"data":[{"id","name","status":1,…}]}) or Cachet 3's JSON:API
// ({"data":[{"id","type":"components","attributes":{"name","status":…}}]}).
// Component statuses: 1 operational, 2 performance issues, 3 partial
// outage, 4 major outage. Incident statuses: 0 scheduled (Cachet 2's
// maintenance), 1 investigating, 2 identified, 3 watching, 4 fixed; an
// incident names its component by component_id. The indicator is the
// worst of the components and the open incidents.
func parseCachet(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	type fields struct {
		Name        string          `json:"name"`
		Status      json.RawMessage `json:"status"`
		ComponentID json.RawMessage `json:"component_id"`
		ScheduledAt string          `json:"scheduled_at"`
	}
	type item struct {
		ID   json.RawMessage `json:"id"`
		Type string          `json:"type"`
		fields
		Attributes *fields `json:"attributes"`
	}
	type answer struct {
		Data *[]item `json:"data"`
	}
	var docs []answer
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &docs); err != nil {
			return fmt.Errorf("not Cachet API answers: %s", shorten(err.Error(), 80))
		}
	} else {
		var one answer
		if err := json.Unmarshal(trimmed, &one); err != nil {
			return fmt.Errorf("not a Cachet API answer: %s", shorten(err.Error(), 80))
		}
		docs = []answer{one}
	}
	if len(docs) == 0 {
		return fmt.Errorf("no Cachet API answer")
	}
	id := func(r json.RawMessage) string { return strings.Trim(string(r), `" `) }
	// Components first, whichever answer holds them: incidents name them
	// by id.
	names := map[string]string{}
	var incidents []item
	ind := runbook.IndicatorNone
	for _, d := range docs {
		if d.Data == nil {
			return fmt.Errorf("no data in the answer")
		}
		for _, it := range *d.Data {
			f := it.fields
			if it.Attributes != nil {
				f = *it.Attributes
			}
			it.fields = f
			// Incidents say their type (Cachet 3) or carry component_id.
			if it.Type == "incidents" || len(f.ComponentID) > 0 {
				incidents = append(incidents, it)
				continue
			}
			code, ok := cachetCode(f.Status)
			if !ok {
				return fmt.Errorf("a Cachet component without a readable status")
			}
			st := cachetComponent(code)
			names[id(it.ID)] = f.Name
			addComponent(s, runbook.Component{Name: f.Name, Status: st})
			ind = worse(ind, componentIndicator(st))
		}
	}
	for _, it := range incidents {
		code, ok := cachetCode(it.Status)
		if !ok {
			return fmt.Errorf("a Cachet incident without a readable status")
		}
		switch code {
		case 4: // fixed
			continue
		case 0: // Cachet 2's scheduled maintenance
			at := parseCachetTime(it.ScheduledAt)
			m := runbook.StatusMaintenance{Name: it.Name, Status: runbook.MaintenanceScheduled, ScheduledFor: at}
			if !at.IsZero() && !at.After(now) {
				m.Status = runbook.MaintenanceInProgress
				ind = worse(ind, runbook.IndicatorMaintenance)
			}
			addMaintenance(s, m, now)
			continue
		}
		var comps []string
		impact := "minor"
		if n := names[id(it.ComponentID)]; n != "" {
			comps = []string{n}
			for _, c := range s.Components {
				if c.Name == n && c.Status == runbook.ComponentMajorOutage {
					impact = "major"
				}
			}
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: it.Name, Impact: impact, Status: cachetIncidentStatus(code), Components: comps})
	}
	s.Indicator, s.Description = ind, "all systems operational"
	if ind != runbook.IndicatorNone {
		s.Description = "some systems have issues"
	}
	return nil
}

// cachetCode reads a Cachet status: a number, a numeric string, or
// Cachet 3's {"human","value"}.
func cachetCode(raw json.RawMessage) (int, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, false
	}
	if raw[0] == '{' {
		var v struct {
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(raw, &v) != nil {
			return 0, false
		}
		return cachetCode(v.Value)
	}
	n, err := strconv.Atoi(strings.Trim(string(raw), `"`))
	return n, err == nil && n >= 0 && n <= 5
}

func cachetComponent(code int) string {
	switch code {
	case 2:
		return runbook.ComponentDegraded
	case 3:
		return runbook.ComponentPartialOutage
	case 4:
		return runbook.ComponentMajorOutage
	}
	return runbook.ComponentOperational
}

func cachetIncidentStatus(code int) string {
	switch code {
	case 1:
		return "investigating"
	case 2:
		return "identified"
	case 3:
		return "watching"
	}
	return ""
}

// parseCachetTime reads Cachet's "2006-01-02 15:04:05" (UTC) or RFC 3339.
func parseCachetTime(v string) time.Time {
	if t := parseTime(v); !t.IsZero() {
		return t
	}
	t, err := time.Parse(time.DateTime, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}
	}
	return t
}

// ---------------------------------------------------------------------------
// Google Cloud

// gcpRecent is how many of the newest Google Cloud incidents are read.
const gcpRecent = 30

// parseGCP reads Google Cloud Service Health's /incidents.json: an array
// of incidents, newest first, each with "external_desc", "begin", "end"
// (absent while it lasts), "severity" (low, medium, high),
// "status_impact" (SERVICE_INFORMATION, SERVICE_DISRUPTION,
// SERVICE_OUTAGE), "most_recent_update" {"status"}, "service_name",
// "affected_products" [{"title"}] and "uri". An incident with an end, or
// whose latest update says AVAILABLE, is over. The page has no overall
// indicator: the worst open incident gives it. Only the newest gcpRecent
// incidents are read.
func parseGCP(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	type gcpIncident struct {
		Desc     string  `json:"external_desc"`
		Begin    string  `json:"begin"`
		End      *string `json:"end"`
		Severity string  `json:"severity"`
		Impact   string  `json:"status_impact"`
		Service  string  `json:"service_name"`
		URI      string  `json:"uri"`
		Latest   *struct {
			Status string `json:"status"`
		} `json:"most_recent_update"`
		Products []struct {
			Title string `json:"title"`
		} `json:"affected_products"`
	}
	// The file is the whole history, newest first, and longer than a
	// probe reads: the newest gcpRecent incidents are what can be open,
	// and are read whole or not at all.
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("not a Google Cloud incidents.json: want a list of incidents")
	}
	var list []gcpIncident
	for len(list) < gcpRecent && dec.More() {
		var in gcpIncident
		if err := dec.Decode(&in); err != nil {
			return fmt.Errorf("not a Google Cloud incidents.json: %s", shorten(err.Error(), 80))
		}
		list = append(list, in)
	}
	if len(list) < gcpRecent {
		if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
			return fmt.Errorf("not a Google Cloud incidents.json: the list does not end")
		}
	}
	doc := &list
	ind := runbook.IndicatorNone
	for _, in := range *doc {
		if (in.End != nil && strings.TrimSpace(*in.End) != "") || in.Desc == "" {
			continue
		}
		if in.Latest != nil && strings.EqualFold(in.Latest.Status, "AVAILABLE") {
			continue
		}
		if begin := parseTime(in.Begin); !begin.IsZero() && begin.After(now) {
			continue
		}
		impact := "minor"
		if strings.EqualFold(in.Impact, "SERVICE_OUTAGE") || strings.EqualFold(in.Severity, "high") {
			impact = "major"
		}
		var comps []string
		for _, p := range in.Products {
			comps = append(comps, p.Title)
		}
		if len(comps) == 0 && in.Service != "" {
			comps = []string{in.Service}
		}
		link := ""
		if u := strings.TrimPrefix(in.URI, "/"); u != "" && !strings.Contains(u, "://") {
			link = "https://status.cloud.google.com/" + u
		}
		status := "open"
		if in.Latest != nil && in.Latest.Status != "" {
			status = strings.ToLower(in.Latest.Status)
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: in.Desc, Impact: impact, Status: status, Link: link, Components: comps})
	}
	s.Indicator, s.Description = ind, "no open incidents"
	if len(s.Incidents) > 0 {
		s.Description = fmt.Sprintf("%d open incident(s)", len(s.Incidents))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Salesforce

// parseSalesforce reads the Trust API's GET
// /v1/instances/{key}/status: {"key","status","isActive","Incidents":[…],
// "Maintenances":[…]}. status is OK, MAJOR_INCIDENT_CORE,
// MINOR_INCIDENT_CORE, MAINTENANCE_CORE, INFORMATIONAL_CORE or the same
// with _NONCORE. An incident (IncidentImpacts [{"type","severity",
// "startTime","endTime"}], IncidentEvents [{"message","createdAt"}]) is
// open while one of its impacts has no end or ends later; its name is its
// latest event's message. A maintenance ("message":{"name"},
// "plannedStartTime", "plannedEndTime") is in progress inside its window,
// to come before it, over after it. The Trust API names services and
// instances, not the components of a status page: an open incident of
// the instance lists none, so its words say what it covers.
func parseSalesforce(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	var doc struct {
		Key       string `json:"key"`
		Status    string `json:"status"`
		Incidents []struct {
			ID      json.RawMessage `json:"id"`
			Impacts []struct {
				Type     string  `json:"type"`
				Severity string  `json:"severity"`
				Start    string  `json:"startTime"`
				End      *string `json:"endTime"`
			} `json:"IncidentImpacts"`
			Events []struct {
				Message   string `json:"message"`
				CreatedAt string `json:"createdAt"`
			} `json:"IncidentEvents"`
		} `json:"Incidents"`
		Maintenances []struct {
			Message struct {
				Name string `json:"name"`
			} `json:"message"`
			Start string `json:"plannedStartTime"`
			End   string `json:"plannedEndTime"`
		} `json:"Maintenances"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not a Salesforce Trust answer: %s", shorten(err.Error(), 80))
	}
	st := strings.ToUpper(strings.TrimSpace(doc.Status))
	var ind runbook.Indicator
	switch {
	case st == "":
		return fmt.Errorf("no status in the answer")
	case st == "OK", strings.HasPrefix(st, "INFORMATIONAL_"):
		ind = runbook.IndicatorNone
	case strings.HasPrefix(st, "MAJOR_INCIDENT_"):
		ind = runbook.IndicatorMajor
	case strings.HasPrefix(st, "MINOR_INCIDENT_"):
		ind = runbook.IndicatorMinor
	case strings.HasPrefix(st, "MAINTENANCE_"):
		ind = runbook.IndicatorMaintenance
	default:
		return fmt.Errorf("unrecognised Salesforce status %q", shorten(doc.Status, 40))
	}
	for _, in := range doc.Incidents {
		open, impact, kind := false, "minor", ""
		for _, im := range in.Impacts {
			end := time.Time{}
			if im.End != nil {
				end = parseTime(*im.End)
			}
			if end.IsZero() || end.After(now) {
				open = true
				if strings.EqualFold(im.Severity, "major") {
					impact = "major"
				}
				if kind == "" {
					kind = im.Type
				}
			}
		}
		if !open {
			continue
		}
		name, latest := "", time.Time{}
		for _, e := range in.Events {
			if t := parseTime(e.CreatedAt); name == "" || t.After(latest) {
				name, latest = e.Message, t
			}
		}
		if name == "" {
			name = "Salesforce incident " + strings.Trim(string(in.ID), `"`) + " (" + kind + ")"
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: name, Impact: impact, Status: "open"})
	}
	for _, m := range doc.Maintenances {
		start, end := parseTime(m.Start), parseTime(m.End)
		mt := runbook.StatusMaintenance{Name: m.Message.Name, Status: runbook.MaintenanceScheduled, ScheduledFor: start,
			ScheduledUntil: end}
		switch {
		case !end.IsZero() && !end.After(now):
			continue
		case !start.IsZero() && !start.After(now):
			mt.Status = runbook.MaintenanceInProgress
			ind = worse(ind, runbook.IndicatorMaintenance)
		}
		addMaintenance(s, mt, now)
	}
	s.Indicator, s.Description = ind, strings.ToLower(strings.ReplaceAll(st, "_", " "))
	return nil
}
