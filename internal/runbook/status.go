package runbook

import (
	"strings"
	"time"
)

// The component states, in Atlassian Statuspage terms; parsers of other
// formats map theirs onto these.
const (
	ComponentOperational      = "operational"
	ComponentDegraded         = "degraded_performance"
	ComponentPartialOutage    = "partial_outage"
	ComponentMajorOutage      = "major_outage"
	ComponentUnderMaintenance = "under_maintenance"
)

// The maintenance states, in Atlassian Statuspage terms. Parsers drop
// completed maintenance and map other formats onto these.
const (
	MaintenanceScheduled  = "scheduled"
	MaintenanceInProgress = "in_progress"
	MaintenanceVerifying  = "verifying"
)

// Component is one part of the vendor's service as its status page names
// it, with its state.
type Component struct {
	Name   string `json:"name"`
	Group  string `json:"group,omitempty"`
	Status string `json:"status"`
}

// Degraded reports whether the component is anything but operational.
func (c Component) Degraded() bool {
	return c.Status != "" && c.Status != ComponentOperational
}

// StatusIncident is one unresolved incident on the vendor's status page.
type StatusIncident struct {
	Name       string   `json:"name"`
	Impact     string   `json:"impact,omitempty"`
	Status     string   `json:"status,omitempty"`
	Link       string   `json:"link,omitempty"`
	Components []string `json:"components,omitempty"` // affected components, as the page names them

	// Words is the page's id for it and its latest update, where the
	// format gives them (the vendor watch compares and quotes them).
	Words VendorWords `json:"-"`
}

// VendorWords is what a status page says of one of its incidents or
// maintenances beyond its name: the page's id for it, its latest update in
// the vendor's words, and when it began and was last updated. Empty where
// the page's format does not say.
type VendorWords struct {
	ID        string
	Update    string
	UpdatedAt time.Time
	StartedAt time.Time
}

// Severe reports whether the vendor rates the incident major or critical.
func (in StatusIncident) Severe() bool {
	v := strings.ToLower(in.Impact)
	return v == "major" || v == "critical"
}

// StatusMaintenance is one scheduled maintenance that is not completed.
type StatusMaintenance struct {
	Name           string    `json:"name"`
	Status         string    `json:"status"` // scheduled, in_progress or verifying
	Link           string    `json:"link,omitempty"`
	Components     []string  `json:"components,omitempty"`
	ScheduledFor   time.Time `json:"scheduled_for,omitzero"`
	ScheduledUntil time.Time `json:"scheduled_until,omitzero"`

	Words VendorWords `json:"-"` // the page's id and latest update, for the watch
}

// InProgress reports whether the maintenance is going on now.
func (m StatusMaintenance) InProgress() bool {
	return m.Status == MaintenanceInProgress || m.Status == MaintenanceVerifying
}

// StatusFinding is what the vendor's status page said.
type StatusFinding struct {
	Checked      bool // false when the vendor has no machine-readable page
	TimedOut     bool
	Err          string // fetch or parse problem: the indicator is unknown
	HTTPStatus   int
	Latency      time.Duration
	Indicator    Indicator
	Description  string
	Incidents    []StatusIncident    // unresolved incidents only
	Maintenances []StatusMaintenance // in progress or upcoming, never completed
	Components   []Component         // every component the page lists, groups left out
}

// Usable reports whether the page was read: an unknown page is no
// evidence either way.
func (s StatusFinding) Usable() bool {
	return s.Checked && !s.TimedOut && s.Err == "" && s.Indicator != IndicatorUnknown
}

// Degraded lists the components that are not operational, whatever the
// page's overall indicator says.
func (s StatusFinding) Degraded() []Component {
	var out []Component
	for _, c := range s.Components {
		if c.Degraded() {
			out = append(out, c)
		}
	}
	return out
}

// MaintenanceNow lists the maintenance in progress.
func (s StatusFinding) MaintenanceNow() []StatusMaintenance {
	var out []StatusMaintenance
	for _, m := range s.Maintenances {
		if m.InProgress() {
			out = append(out, m)
		}
	}
	return out
}

// Active reports whether the vendor itself reports something going on
// now: an unresolved incident, maintenance in progress, a component that
// is not operational, or an overall indicator other than none. Resolved
// incidents and maintenance that is finished or still to come are not
// active.
func (s StatusFinding) Active() bool {
	if !s.Usable() {
		return false
	}
	switch s.Indicator {
	case IndicatorMinor, IndicatorMajor, IndicatorCritical, IndicatorMaintenance:
		return true
	}
	return len(s.Incidents) > 0 || len(s.MaintenanceNow()) > 0 || len(s.Degraded()) > 0
}

// Severe reports whether the vendor rates what is going on major or
// critical: the indicator, an incident's impact or a component in a major
// outage.
func (s StatusFinding) Severe() bool {
	if s.Indicator == IndicatorMajor || s.Indicator == IndicatorCritical {
		return true
	}
	for _, in := range s.Incidents {
		if in.Severe() {
			return true
		}
	}
	for _, c := range s.Components {
		if c.Status == ComponentMajorOutage {
			return true
		}
	}
	return false
}

// VendorStatus is the status page as the report shows it.
type VendorStatus struct {
	Indicator          Indicator           `json:"indicator"`
	Description        string              `json:"description,omitempty"`
	Incidents          []IncidentStatus    `json:"incidents"`
	Maintenances       []MaintenanceStatus `json:"maintenances"`
	DegradedComponents []Component         `json:"degraded_components"`
}

// IncidentStatus is one unresolved incident as the report shows it.
type IncidentStatus struct {
	Name       string   `json:"name"`
	Impact     string   `json:"impact,omitempty"`
	Status     string   `json:"status,omitempty"`
	URL        string   `json:"url,omitempty"`
	Components []string `json:"components"`

	Words VendorWords `json:"-"` // the page's id and latest update, for the watch
}

// MaintenanceStatus is one maintenance in progress or to come, as the
// report shows it.
type MaintenanceStatus struct {
	Name           string   `json:"name"`
	Status         string   `json:"status"`
	URL            string   `json:"url,omitempty"`
	Components     []string `json:"components"`
	ScheduledFor   string   `json:"scheduled_for,omitempty"`
	ScheduledUntil string   `json:"scheduled_until,omitempty"`

	Words VendorWords `json:"-"` // the page's id and latest update, for the watch
}

// vendorStatus turns the finding into what the report shows. A page that
// was not read shows indicator unknown and nothing else.
func vendorStatus(s StatusFinding) VendorStatus {
	v := VendorStatus{Indicator: IndicatorUnknown, Incidents: []IncidentStatus{},
		Maintenances: []MaintenanceStatus{}, DegradedComponents: []Component{}}
	if !s.Usable() {
		return v
	}
	v.Indicator, v.Description = s.Indicator, s.Description
	for _, in := range s.Incidents {
		v.Incidents = append(v.Incidents, IncidentStatus{Name: in.Name, Impact: in.Impact, Status: in.Status,
			URL: in.Link, Components: nonNil(in.Components), Words: in.Words})
	}
	for _, m := range s.Maintenances {
		ms := MaintenanceStatus{Name: m.Name, Status: m.Status, URL: m.Link, Components: nonNil(m.Components), Words: m.Words}
		if !m.ScheduledFor.IsZero() {
			ms.ScheduledFor = m.ScheduledFor.UTC().Format(time.RFC3339)
		}
		if !m.ScheduledUntil.IsZero() {
			ms.ScheduledUntil = m.ScheduledUntil.UTC().Format(time.RFC3339)
		}
		v.Maintenances = append(v.Maintenances, ms)
	}
	v.DegradedComponents = append(v.DegradedComponents, s.Degraded()...)
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}
