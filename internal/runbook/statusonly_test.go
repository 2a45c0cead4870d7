package runbook

import (
	"strings"
	"testing"
)

// TestStatusOnly: a vendor the catalog watches by its status page alone
// (no API call) is healthy, in an incident or in maintenance as its page
// says, never misconfigured, and its report does not speak of our calls.
func TestStatusOnly(t *testing.T) {
	statusOnly := func(s StatusFinding) Findings {
		f := base()
		f.Vendor.Components = nil
		f.API = APIFinding{StatusOnly: true}
		f.RateLimit = RateLimitFinding{}
		f.Status = s
		return f
	}
	quiet := StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorNone, Description: "All Systems Operational"}
	incident := StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorMajor,
		Incidents: []StatusIncident{{Name: "Elevated errors", Impact: "major", Status: "investigating"}}}
	maintenance := StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorMaintenance,
		Maintenances: []StatusMaintenance{{Name: "Database upgrade", Status: MaintenanceInProgress}}}
	tests := []struct {
		name    string
		status  StatusFinding
		cause   Cause
		sev     Severity
		summary string
	}{
		{"quiet page", quiet, Healthy, "", "status page reports no incident"},
		{"incident", incident, VendorIncident, P3, "reports an incident"},
		{"maintenance", maintenance, Maintenance, P3, "scheduled maintenance"},
		{"page timed out", StatusFinding{Checked: true, TimedOut: true, Indicator: IndicatorUnknown}, Unreachable, P3, "state is unknown"},
		{"page unreadable", StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorUnknown, Err: "not JSON"}, Unreachable, P3, "state is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Diagnose(statusOnly(tt.status))
			if err != nil {
				t.Fatal(err)
			}
			if r.Cause != tt.cause || r.Severity != tt.sev {
				t.Fatalf("cause %s %s, want %s %s (evidence %q)", r.Cause, r.Severity, tt.cause, tt.sev, r.Evidence)
			}
			if !strings.Contains(r.Summary, tt.summary) {
				t.Errorf("summary %q lacks %q", r.Summary, tt.summary)
			}
			for _, bad := range []string{"our calls", "answers normally", "VENDORS_FILE"} {
				if strings.Contains(r.Summary, bad) {
					t.Errorf("summary %q speaks of %q", r.Summary, bad)
				}
			}
			if c := r.Checks[1]; c.Result != ResultSkipped || !strings.Contains(c.Detail, "status page alone") {
				t.Errorf("api check = %+v", c)
			}
		})
	}
}
