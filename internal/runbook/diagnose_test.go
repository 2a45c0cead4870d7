package runbook

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func hubspot() Vendor {
	return Vendor{
		Key:           "hubspot",
		Name:          "HubSpot",
		TokenEnv:      "HUBSPOT_ACCESS_TOKEN",
		TokenHint:     "a private app access token (pat-…)",
		TokenConsole:  "Settings > Integrations > Private Apps > your app > Auth > Rotate",
		ScopesConsole: "Settings > Integrations > Private Apps > your app > Scopes",
		SecretID:      "hubspot-api-token",
		Deployment:    "hubspot-integration",
		// As the built-in catalog has them: names the operator did not set.
		SecretIDPlaceholder: true, DeploymentPlaceholder: true,
		Components: []string{"CRM API"},
		Policies: map[string]string{
			"DAILY":                "Wait for the daily reset at midnight in the account's time zone.",
			"TEN_SECONDLY_ROLLING": "Back off for a few seconds and lower concurrency.",
		},
		Links: Links{
			Status:     "https://status.hubspot.com",
			Errors:     "https://developers.hubspot.com/docs/api-reference/error-handling",
			RateLimits: "https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details",
			Auth:       "https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview",
		},
	}
}

// base is a healthy HubSpot triage: every later case changes one thing.
func base() Findings {
	return Findings{
		Vendor:    hubspot(),
		Status:    StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorNone, Description: "All Systems Operational"},
		API:       APIFinding{Called: true, HTTPStatus: 200, Class: ClassOK, Latency: 80 * time.Millisecond, RequestID: "corr-1"},
		RateLimit: RateLimitFinding{Windows: []RateWindow{{Name: "daily", Limit: 500000, Remaining: 499000}}},
		Health:    HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: "ok"},
		StartedAt: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC),
		Duration:  120 * time.Millisecond,
	}
}

func TestDecide(t *testing.T) {
	incident := func(ind Indicator) StatusFinding {
		return StatusFinding{Checked: true, HTTPStatus: 200, Indicator: ind, Description: "Degraded",
			Incidents: []StatusIncident{{Name: "API errors", Impact: string(ind), Status: "investigating"}}}
	}
	maintenance := func(status string, components ...string) StatusFinding {
		ind := IndicatorMaintenance
		if status == MaintenanceScheduled {
			ind = IndicatorNone
		}
		return StatusFinding{Checked: true, HTTPStatus: 200, Indicator: ind,
			Maintenances: []StatusMaintenance{{Name: "Database upgrade", Status: status, Components: components,
				ScheduledFor: time.Date(2026, 5, 7, 10, 0, 0, 0, time.UTC), ScheduledUntil: time.Date(2026, 5, 7, 12, 0, 0, 0, time.UTC)}}}
	}
	tests := []struct {
		name   string
		change func(*Findings)
		cause  Cause
		sev    Severity
	}{
		{"all fine", func(f *Findings) {}, Healthy, ""},
		{"no token", func(f *Findings) { f.API = APIFinding{MissingEnv: "HUBSPOT_ACCESS_TOKEN"} }, Misconfigured, ""},
		{"no token beats incident", func(f *Findings) {
			f.API = APIFinding{MissingEnv: "HUBSPOT_ACCESS_TOKEN"}
			f.Status = incident(IndicatorMajor)
		}, Misconfigured, ""},
		{"timeout", func(f *Findings) { f.API = APIFinding{Called: true, TimedOut: true} }, Unreachable, P1},
		{"refused", func(f *Findings) { f.API = APIFinding{Called: true, NetErr: "connection refused"} }, Unreachable, P1},
		{"network beats incident", func(f *Findings) {
			f.API = APIFinding{Called: true, NetErr: "connection refused"}
			f.Status = incident(IndicatorCritical)
		}, Unreachable, P1},
		{"401", func(f *Findings) { f.API.Class, f.API.HTTPStatus = ClassAuthInvalid, 401 }, AuthInvalid, P1},
		{"403", func(f *Findings) { f.API.Class, f.API.HTTPStatus = ClassAuthForbidden, 403 }, AuthForbidden, P2},
		{"429", func(f *Findings) { f.API.Class, f.API.HTTPStatus = ClassRateLimited, 429 }, RateLimited, P2},
		{"500", func(f *Findings) { f.API.Class, f.API.HTTPStatus = ClassVendorError, 500 }, VendorError, P2},
		{"500 and major incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = incident(IndicatorMajor)
		}, VendorIncident, P1},
		{"500 and critical incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 503
			f.Status = incident(IndicatorCritical)
		}, VendorIncident, P1},
		{"500 and minor incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = incident(IndicatorMinor)
		}, VendorIncident, P2},
		// Was vendor_incident P2: a minor incident hid the refused token.
		{"401 and minor incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassAuthInvalid, 401
			f.Status = incident(IndicatorMinor)
		}, AuthInvalid, P1},
		// Was vendor_incident P2: maintenance is its own cause now.
		{"500 and maintenance", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = maintenance(MaintenanceInProgress, "CRM API")
		}, Maintenance, P2},
		{"api fine, minor incident", func(f *Findings) { f.Status = incident(IndicatorMinor) }, VendorIncident, P3},
		{"api fine, critical incident", func(f *Findings) { f.Status = incident(IndicatorCritical) }, VendorIncident, P3},
		// Was vendor_incident P3.
		{"api fine, maintenance", func(f *Findings) { f.Status = maintenance(MaintenanceInProgress, "CRM API") }, Maintenance, P3},
		{"indicator none but unresolved incident", func(f *Findings) {
			f.Status.Incidents = []StatusIncident{{Name: "Webhook delays", Impact: "minor"}}
		}, VendorIncident, P3},
		{"status page unknown is not an incident", func(f *Findings) {
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorUnknown, Err: "HTML instead of JSON"}
		}, Healthy, ""},
		{"status page timed out", func(f *Findings) { f.Status = StatusFinding{Checked: true, TimedOut: true} }, Healthy, ""},
		{"status 500 with incidents ignored", func(f *Findings) {
			f.Status = StatusFinding{Checked: true, HTTPStatus: 500, Err: "answered 500", Incidents: []StatusIncident{{Name: "x"}}}
		}, Healthy, ""},
		{"our health unhealthy", func(f *Findings) { f.Health.Status = "degraded" }, OurService, P2},
		{"our health down", func(f *Findings) { f.Health = HealthFinding{Configured: true, HTTPStatus: 503} }, OurService, P2},
		{"our health no answer", func(f *Findings) { f.Health = HealthFinding{Configured: true, Err: "connection refused"} }, OurService, P2},
		{"our health timed out", func(f *Findings) { f.Health = HealthFinding{Configured: true, TimedOut: true} }, OurService, P2},
		{"our health has no entry", func(f *Findings) { f.Health = HealthFinding{Configured: true, HTTPStatus: 200} }, Healthy, ""},
		{"our health any case", func(f *Findings) { f.Health.Status = "OPERATIONAL" }, Healthy, ""},
		{"health unset", func(f *Findings) { f.Health = HealthFinding{} }, Healthy, ""},
		{"incident beats our health", func(f *Findings) {
			f.Health.Status = "down"
			f.Status = incident(IndicatorMinor)
		}, VendorIncident, P3},
		{"vendor error beats our health", func(f *Findings) {
			f.Health.Status = "down"
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 502
		}, VendorError, P2},
		{"401 and an incident on another component", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION", true
			f.Status = webhooksDelayed()
		}, AuthInvalid, P1},
		{"429 DAILY and an incident on another component", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.Policy, f.API.Documented = ClassRateLimited, 429, "DAILY", true
			f.Status = webhooksDelayed()
		}, RateLimited, P2},
		{"401 and a major incident covering the API", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.Documented = ClassAuthInvalid, 401, true
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorMajor,
				Incidents: []StatusIncident{{Name: "Elevated error rates", Impact: "major", Components: []string{"CRM API"}}}}
		}, AuthInvalid, P1},
		{"401 and an incident about authentication on the API", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.Documented = ClassAuthInvalid, 401, true
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorMinor,
				Incidents: []StatusIncident{{Name: "Private app tokens refused", Impact: "minor", Components: []string{"CRM API"}}}}
		}, VendorIncident, P2},
		{"invalid token and maintenance three days away", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 200, "invalid_auth", true
			f.Status = maintenance(MaintenanceScheduled)
		}, AuthInvalid, P1},
		{"500 and the API component down under indicator none", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorNone,
				Components: []Component{{Name: "CRM API", Status: ComponentMajorOutage}, {Name: "Webhooks", Status: ComponentOperational}}}
		}, VendorIncident, P1},
		{"500 and an incident on another component", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = webhooksDelayed()
		}, VendorError, P2},
		{"500 and a critical incident elsewhere", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorCritical,
				Incidents: []StatusIncident{{Name: "Everything is down", Impact: "critical", Components: []string{"Webhooks"}}}}
		}, VendorIncident, P1},
		{"500 and an incident naming no component", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorMinor,
				Incidents: []StatusIncident{{Name: "Investigating reports of errors", Impact: "minor"}}}
		}, VendorIncident, P2},
		{"500 and maintenance elsewhere", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = maintenance(MaintenanceInProgress, "Webhooks")
		}, VendorError, P2},
		{"500 and maintenance to come", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = maintenance(MaintenanceScheduled, "CRM API")
		}, VendorError, P2},
		{"timeout and an incident covering the API", func(f *Findings) {
			f.API = APIFinding{Called: true, TimedOut: true}
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorMinor,
				Incidents: []StatusIncident{{Name: "Slow answers", Impact: "minor", Components: []string{"CRM API"}}}}
		}, VendorIncident, P2},
		{"timeout during maintenance", func(f *Findings) {
			f.API = APIFinding{Called: true, TimedOut: true}
			f.Status = maintenance(MaintenanceInProgress, "CRM API")
		}, Maintenance, P2},
		{"blocked beats a major incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.Edge = ClassBlocked, 403, "Cloudflare"
			f.Status = incident(IndicatorMajor)
		}, Blocked, P2},
		{"account", func(f *Findings) { f.API.Class, f.API.HTTPStatus = ClassAccount, 402 }, Account, P1},
		{"account during an incident on the API", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassAccount, 423
			f.Status = incident(IndicatorMinor)
		}, Account, P1},
		{"api fine, degraded component under indicator none", func(f *Findings) {
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorNone,
				Components: []Component{{Name: "Webhooks", Status: ComponentDegraded}}}
		}, VendorIncident, P3},
		{"api fine, resolved everything", func(f *Findings) {
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorNone}
		}, Healthy, ""},
		{"low rate limit is still healthy", func(f *Findings) {
			f.RateLimit.Windows = []RateWindow{{Name: "daily", Limit: 1000, Remaining: 5}}
		}, Healthy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			cause, sev := Decide(f)
			if cause != tt.cause || sev != tt.sev {
				t.Errorf("Decide = %s %q, want %s %q", cause, sev, tt.cause, tt.sev)
			}
		})
	}
}

// webhooksDelayed is a page with one minor incident on Webhooks only.
func webhooksDelayed() StatusFinding {
	return StatusFinding{Checked: true, HTTPStatus: 200, Indicator: IndicatorMinor, Description: "Minor Service Outage",
		Incidents:  []StatusIncident{{Name: "Webhooks delayed", Impact: "minor", Status: "investigating", Components: []string{"Webhooks"}}},
		Components: []Component{{Name: "CRM API", Status: ComponentOperational}, {Name: "Webhooks", Status: ComponentDegraded}}}
}

// TestEvidence: the report says why, strongest first, in the contract's
// words.
func TestEvidence(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Findings)
		want   []string // the first lines, exactly
	}{
		{"the contract's example", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION", true
			f.Status = webhooksDelayed()
			f.Status.Components = nil
		}, []string{
			"HubSpot answered 401 INVALID_AUTHENTICATION: the token is refused",
			`HubSpot's open incident "Webhooks delayed" does not cover the CRM API`,
		}},
		{"component outage", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 500
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorNone,
				Components: []Component{{Name: "CRM API", Status: ComponentMajorOutage}}}
		}, []string{
			"HubSpot's status page shows CRM API as major_outage although its overall indicator says none",
			"HubSpot answered 500: its API is failing",
		}},
		{"maintenance to come is context", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 200, "invalid_auth", true
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorNone, Maintenances: []StatusMaintenance{{
				Name: "Database upgrade", Status: MaintenanceScheduled, ScheduledFor: time.Date(2026, 5, 7, 10, 0, 0, 0, time.UTC)}}}
		}, []string{
			"HubSpot answered 200 invalid_auth: the token is refused",
			`HubSpot's maintenance "Database upgrade" is scheduled for 2026-05-07 10:00 UTC, not in progress`,
		}},
		{"maintenance in progress", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 503
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorMaintenance, Maintenances: []StatusMaintenance{{
				Name: "Database upgrade", Status: MaintenanceInProgress, Components: []string{"CRM API"},
				ScheduledUntil: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}}}
		}, []string{
			`HubSpot's maintenance "Database upgrade" is in progress until 2026-05-04 12:00 UTC and covers the CRM API`,
			"HubSpot answered 503: its API is failing",
		}},
		{"status page unknown", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus = ClassVendorError, 502
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorUnknown, Err: "HTML page instead of JSON"}
		}, []string{
			"HubSpot answered 502: its API is failing",
			"HubSpot's status page could not be read (HTML page instead of JSON): it says nothing either way",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			r, err := Diagnose(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Evidence) < len(tt.want) {
				t.Fatalf("evidence = %q, want at least %q", r.Evidence, tt.want)
			}
			for i, w := range tt.want {
				if r.Evidence[i] != w {
					t.Errorf("evidence[%d] = %q, want %q (all: %q)", i, r.Evidence[i], w, r.Evidence)
				}
			}
		})
	}
}

func TestVendorStatusReport(t *testing.T) {
	f := base()
	f.Status = StatusFinding{Checked: true, Indicator: IndicatorMinor,
		Incidents: []StatusIncident{{Name: "Webhooks delayed", Impact: "minor", Status: "investigating", Link: "https://stspg.io/w", Components: []string{"Webhooks"}}},
		Maintenances: []StatusMaintenance{{Name: "Database upgrade", Status: MaintenanceInProgress, Link: "https://stspg.io/m",
			ScheduledFor: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC), ScheduledUntil: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}},
		Components: []Component{{Name: "CRM API", Status: ComponentOperational}, {Name: "Webhooks", Group: "Platform", Status: ComponentDegraded}}}
	r, err := Diagnose(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		VendorStatus map[string]any `json:"vendor_status"`
		Evidence     []string       `json:"evidence"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"indicator":"minor","incidents":[{"name":"Webhooks delayed","impact":"minor","status":"investigating","url":"https://stspg.io/w","components":["Webhooks"]}],` +
		`"maintenances":[{"name":"Database upgrade","status":"in_progress","url":"https://stspg.io/m","components":[],"scheduled_for":"2026-05-04T10:00:00Z","scheduled_until":"2026-12-07T10:00:00Z"}],` +
		`"degraded_components":[{"name":"Webhooks","group":"Platform","status":"degraded_performance"}]}`
	vs, _ := json.Marshal(got.VendorStatus)
	var a, b any
	_ = json.Unmarshal(vs, &a)
	_ = json.Unmarshal([]byte(want), &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("vendor_status =\n%s\nwant\n%s", vs, want)
	}
	if len(got.Evidence) == 0 {
		t.Error("no evidence in the JSON")
	}

	// A page that was not read says unknown and lists nothing (never null).
	f.Status = StatusFinding{Checked: true, Indicator: IndicatorUnknown, Err: "HTML page instead of JSON"}
	r, _ = Diagnose(f)
	raw, _ = json.Marshal(r.VendorStatus)
	if string(raw) != `{"indicator":"unknown","incidents":[],"maintenances":[],"degraded_components":[]}` {
		t.Errorf("unread page: vendor_status = %s", raw)
	}
}

func TestHealthState(t *testing.T) {
	tests := []struct {
		name string
		h    HealthFinding
		want HealthState
	}{
		{"unset", HealthFinding{}, HealthSkipped},
		{"ok", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: "ok"}, HealthOK},
		{"healthy", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: "Healthy"}, HealthOK},
		{"up", HealthFinding{Configured: true, HTTPStatus: 204, Entry: true, Status: "UP"}, HealthOK},
		{"pass", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: " pass "}, HealthOK},
		{"operational", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: "operational"}, HealthOK},
		{"degraded", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true, Status: "degraded"}, HealthUnhealthy},
		{"empty value", HealthFinding{Configured: true, HTTPStatus: 200, Entry: true}, HealthUnhealthy},
		{"503 with ok entry", HealthFinding{Configured: true, HTTPStatus: 503, Entry: true, Status: "ok"}, HealthUnhealthy},
		{"no answer", HealthFinding{Configured: true, Err: "refused"}, HealthUnhealthy},
		{"no entry", HealthFinding{Configured: true, HTTPStatus: 200}, HealthUnknown},
	}
	for _, tt := range tests {
		if got := tt.h.State(); got != tt.want {
			t.Errorf("%s: State = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseIndicator(t *testing.T) {
	for in, want := range map[string]Indicator{
		"none": IndicatorNone, "MINOR": IndicatorMinor, "major": IndicatorMajor, "critical": IndicatorCritical,
		"maintenance": IndicatorMaintenance, "": IndicatorUnknown, "on fire": IndicatorUnknown,
	} {
		if got := ParseIndicator(in); got != want {
			t.Errorf("ParseIndicator(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestDiagnoseReports checks the written report for every cause: the
// summary, the steps that must be there, and the vendor specifics filled in.
func TestDiagnoseReports(t *testing.T) {
	tests := []struct {
		name        string
		change      func(*Findings)
		cause       Cause
		summary     string   // exact
		mitigations []string // each must appear in some step
		links       []string
	}{
		{
			name:    "healthy",
			change:  func(f *Findings) {},
			cause:   Healthy,
			summary: "HubSpot answers normally (200 in 80 ms) and reports no incident",
			links:   []string{"https://status.hubspot.com"},
		},
		{
			name: "healthy with low budget",
			change: func(f *Findings) {
				f.RateLimit.Windows = []RateWindow{{Name: "daily", Limit: 500000, Remaining: 1200}}
			},
			cause:       Healthy,
			summary:     "HubSpot answers normally (200 in 80 ms) and reports no incident; but rate-limit budget is low: daily: 1200 of 500000 left (0.24 %), under 10 % left",
			mitigations: []string{"Slow down the callers of HubSpot"},
		},
		{
			name: "auth invalid",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.ErrorCode = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION"
				f.API.RequestID = "b7e2c1d0"
			},
			cause:   AuthInvalid,
			summary: "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked",
			mitigations: []string{
				"Regenerate the token in HubSpot: Settings > Integrations > Private Apps > your app > Auth > Rotate.",
				`kubectl create secret generic hubspot-api-token --from-literal=HUBSPOT_ACCESS_TOKEN="$NEW_TOKEN"`,
				"kubectl rollout restart deployment/hubspot-integration",
				"quote request id b7e2c1d0",
			},
			links: []string{
				"https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview",
				"https://developers.hubspot.com/docs/api-reference/error-handling",
				"https://status.hubspot.com",
			},
		},
		{
			name: "auth forbidden with scopes",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.ErrorCode = ClassAuthForbidden, 403, "MISSING_SCOPES"
				f.API.Scopes = []string{"crm.objects.contacts.read", "crm.objects.deals.read"}
			},
			cause:   AuthForbidden,
			summary: "HubSpot answers 403 MISSING_SCOPES: the token is valid but not allowed to do this (missing scopes: crm.objects.contacts.read, crm.objects.deals.read)",
			mitigations: []string{
				"Grant the missing scopes crm.objects.contacts.read, crm.objects.deals.read to the app that owns the token: Settings > Integrations > Private Apps > your app > Scopes.",
			},
		},
		{
			name: "rate limited daily",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Policy = ClassRateLimited, 429, "RATE_LIMIT", "DAILY"
			},
			cause:       RateLimited,
			summary:     "HubSpot answers 429 RATE_LIMIT: we are rate limited by the DAILY limit",
			mitigations: []string{"Wait for the daily reset at midnight in the account's time zone."},
			links:       []string{"https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details"},
		},
		{
			name: "rate limited ten-secondly with retry-after",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.Policy = ClassRateLimited, 429, "TEN_SECONDLY_ROLLING"
				f.RateLimit.RetryAfter = 2 * time.Second
			},
			cause:       RateLimited,
			summary:     "HubSpot answers 429: we are rate limited by the TEN_SECONDLY_ROLLING limit, retry after 2s",
			mitigations: []string{"Back off for a few seconds and lower concurrency."},
		},
		{
			name: "rate limited unknown policy",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus = ClassRateLimited, 429
				f.RateLimit.RetryAfter = 30 * time.Second
			},
			cause:       RateLimited,
			summary:     "HubSpot answers 429: we are rate limited, retry after 30s",
			mitigations: []string{"pause retries for at least 30s (Retry-After)"},
		},
		{
			name: "vendor error html",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.Unparseable = ClassVendorError, 502, true
			},
			cause:       VendorError,
			summary:     "HubSpot answers 502 with a body that is not its JSON answer: the vendor's API is failing",
			mitigations: []string{"Retry with exponential backoff", "proxy or firewall"},
		},
		{
			name: "vendor incident while api fails",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus = ClassVendorError, 503
				f.Status = StatusFinding{Checked: true, Indicator: IndicatorMajor, Description: "Partial System Outage",
					Incidents: []StatusIncident{{Name: "CRM API errors", Impact: "major", Status: "identified", Link: "https://stspg.io/abc"}}}
			},
			cause:       VendorIncident,
			summary:     `HubSpot reports an incident (Partial System Outage, rated major; incident "CRM API errors" (impact major, identified) https://stspg.io/abc) and our calls fail (503)`,
			mitigations: []string{"https://stspg.io/abc", "Degrade gracefully"},
		},
		{
			name: "vendor incident while api works",
			change: func(f *Findings) {
				f.Status = StatusFinding{Checked: true, Indicator: IndicatorMinor, Description: "Minor Service Outage"}
			},
			cause:   VendorIncident,
			summary: "HubSpot reports an incident (Minor Service Outage) while our calls still work",
		},
		{
			name: "unreachable timeout",
			change: func(f *Findings) {
				f.API = APIFinding{Called: true, TimedOut: true, Latency: 8 * time.Second}
			},
			cause:       Unreachable,
			summary:     "HubSpot's API is unreachable: no answer within 8s",
			mitigations: []string{"DNS resolution"},
		},
		{
			name: "our service",
			change: func(f *Findings) {
				f.Health.Status = "failing"
			},
			cause:       OurService,
			summary:     `HubSpot answers normally but our side is unhealthy: services.hubspot.status is "failing"`,
			mitigations: []string{"kubectl rollout restart deployment/hubspot-integration"},
		},
		{
			name: "misconfigured token",
			change: func(f *Findings) {
				f.API = APIFinding{MissingEnv: "HUBSPOT_ACCESS_TOKEN"}
			},
			cause:       Misconfigured,
			summary:     "HubSpot was not checked: set HUBSPOT_ACCESS_TOKEN to a private app access token (pat-…)",
			mitigations: []string{"Set HUBSPOT_ACCESS_TOKEN to a private app access token (pat-…) in the environment or in .env"},
		},
		{
			name: "maintenance while api fails",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.RequestID = ClassVendorError, 503, "corr-9"
				f.Status = StatusFinding{Checked: true, Indicator: IndicatorMaintenance, Maintenances: []StatusMaintenance{{
					Name: "Database upgrade", Status: MaintenanceInProgress, Link: "https://stspg.io/m", Components: []string{"CRM API"},
					ScheduledUntil: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}}}
			},
			cause:       Maintenance,
			summary:     `HubSpot is in scheduled maintenance ("Database upgrade" until 2026-05-04 12:00 UTC https://stspg.io/m) and our calls fail (503)`,
			mitigations: []string{"Wait for the maintenance window to end (2026-05-04 12:00 UTC)", "Do not rotate tokens", "quote request id corr-9"},
			links:       []string{"https://status.hubspot.com"},
		},
		{
			name: "blocked by cloudflare",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.Edge, f.API.RequestID = ClassBlocked, 403, "Cloudflare", "8a1b2c3d4e5f6789-FRA"
				f.API.Note = "a Cloudflare block page (error 1020)"
			},
			cause:       Blocked,
			summary:     "HubSpot's API was not reached: Cloudflare in front of it refused our request (403: a Cloudflare block page (error 1020))",
			mitigations: []string{"Do not rotate the token", "egress IP", "the id 8a1b2c3d4e5f6789-FRA from the block page"},
		},
		{
			name: "account frozen",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus = ClassAccount, 402
				f.API.Note = "the shop is frozen until its owner pays the outstanding balance"
			},
			cause:       Account,
			summary:     "HubSpot answers 402: it refuses the account itself (the shop is frozen until its owner pays the outstanding balance)",
			mitigations: []string{"Rotating the token will not help", "billing"},
		},
		{
			name: "auth invalid names the unrelated incident",
			change: func(f *Findings) {
				f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION", true
				f.Status = webhooksDelayed()
			},
			cause:       AuthInvalid,
			summary:     "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked",
			mitigations: []string{`"Webhooks delayed"`, "That does not explain this answer"},
		},
		{
			name: "misconfigured base",
			change: func(f *Findings) {
				f.API = APIFinding{MissingField: "hubspot.api_url", FieldExample: "https://acme.example.com"}
			},
			cause:       Misconfigured,
			summary:     "HubSpot was not checked: set hubspot.api_url in VENDORS_FILE (e.g. https://acme.example.com)",
			mitigations: []string{"Set hubspot.api_url in the file named by VENDORS_FILE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			r, err := Diagnose(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cause != tt.cause {
				t.Fatalf("cause = %s, want %s", r.Cause, tt.cause)
			}
			if r.Summary != tt.summary {
				t.Errorf("summary =\n  %s\nwant\n  %s", r.Summary, tt.summary)
			}
			all := strings.Join(r.Mitigation, "\n")
			for _, m := range tt.mitigations {
				if !strings.Contains(all, m) {
					t.Errorf("mitigation lacks %q:\n%s", m, all)
				}
			}
			for _, l := range tt.links {
				if !contains(r.Links, l) {
					t.Errorf("links lack %s: %v", l, r.Links)
				}
			}
			if r.Problem() && r.Cause != Misconfigured && len(r.Prevention) == 0 {
				t.Errorf("no prevention for %s", r.Cause)
			}
			for _, s := range append(append([]string{r.Summary}, r.Mitigation...), r.Prevention...) {
				if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
					t.Errorf("unfilled template text: %q", s)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestReportJSON(t *testing.T) {
	f := base()
	f.API.Class, f.API.HTTPStatus, f.API.ErrorCode = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION"
	f.RateLimit = RateLimitFinding{}
	r, err := Diagnose(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"vendor", "cause", "severity", "summary", "request_id", "checks", "mitigation", "links"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, raw)
		}
	}
	if got["vendor"] != "hubspot" || got["cause"] != "auth_invalid" || got["severity"] != "P1" {
		t.Errorf("JSON = %s", raw)
	}
	checks := got["checks"].([]any)
	names := []string{}
	for _, c := range checks {
		m := c.(map[string]any)
		names = append(names, m["name"].(string))
		for _, k := range []string{"name", "result", "latency_ms", "detail"} {
			if _, ok := m[k]; !ok {
				t.Errorf("check lacks %q: %v", k, m)
			}
		}
	}
	if strings.Join(names, ",") != "status_page,api,rate_limit,health" {
		t.Errorf("check names = %v", names)
	}
	api := checks[1].(map[string]any)
	if api["http_status"] != float64(401) || api["result"] != "fail" {
		t.Errorf("api check = %v", api)
	}
	rl := checks[2].(map[string]any)
	if rl["result"] != "skipped" {
		t.Errorf("rate_limit check on a 401 without headers = %v, want skipped", rl)
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Findings)
		check  int // index in Checks
		result string
		detail string // substring
	}{
		{"status ok", func(f *Findings) {}, 0, ResultOK, "All Systems Operational"},
		{"status minor", func(f *Findings) { f.Status.Indicator = IndicatorMinor }, 0, ResultWarn, "minor"},
		{"status maintenance", func(f *Findings) { f.Status.Indicator = IndicatorMaintenance }, 0, ResultWarn, "maintenance"},
		{"status major", func(f *Findings) { f.Status.Indicator = IndicatorMajor }, 0, ResultFail, "major"},
		{"status critical", func(f *Findings) { f.Status.Indicator = IndicatorCritical }, 0, ResultFail, "critical"},
		{"status garbage", func(f *Findings) { f.Status = StatusFinding{Checked: true, Indicator: IndicatorUnknown} }, 0, ResultUnknown, "unrecognised"},
		{"status html", func(f *Findings) {
			f.Status = StatusFinding{Checked: true, Indicator: IndicatorUnknown, Err: "HTML instead of JSON"}
		}, 0, ResultUnknown, "status unknown: HTML instead of JSON"},
		{"status timeout", func(f *Findings) { f.Status = StatusFinding{Checked: true, TimedOut: true} }, 0, ResultTimeout, "did not answer"},
		{"status none", func(f *Findings) { f.Status = StatusFinding{} }, 0, ResultSkipped, "see https://status.hubspot.com"},
		{"api ok", func(f *Findings) {}, 1, ResultOK, "200; request id corr-1"},
		{"api slow", func(f *Findings) { f.API.Slow = true; f.API.Latency = 4 * time.Second }, 1, ResultWarn, "slow answer: 4s"},
		{"api refused", func(f *Findings) { f.API = APIFinding{Called: true, NetErr: "connection refused"} }, 1, ResultFail, "connection refused"},
		{"api timeout", func(f *Findings) { f.API = APIFinding{Called: true, TimedOut: true, Latency: 300 * time.Millisecond} }, 1, ResultTimeout, "no answer within 300ms"},
		{"api not called", func(f *Findings) { f.API = APIFinding{MissingEnv: "HUBSPOT_ACCESS_TOKEN"} }, 1, ResultSkipped, "not called: set HUBSPOT_ACCESS_TOKEN"},
		{"rate ok", func(f *Findings) {}, 2, ResultOK, "daily: 499000 of 500000 left"},
		{"rate low", func(f *Findings) { f.RateLimit.Windows[0].Remaining = 10 }, 2, ResultWarn, "under 10 % left"},
		{"rate limited", func(f *Findings) {
			f.API.Class, f.API.Policy = ClassRateLimited, "DAILY"
			f.RateLimit.RetryAfter = time.Minute
		}, 2, ResultFail, "rate limited; policy DAILY; Retry-After 1m0s"},
		{"rate none", func(f *Findings) { f.RateLimit = RateLimitFinding{} }, 2, ResultUnknown, "no rate-limit figures"},
		{"rate after network failure", func(f *Findings) { f.API = APIFinding{Called: true, TimedOut: true} }, 2, ResultSkipped, "no answer"},
		{"health ok", func(f *Findings) {}, 3, ResultOK, `services.hubspot.status is "ok"`},
		{"health unset", func(f *Findings) { f.Health = HealthFinding{} }, 3, ResultSkipped, "HEALTH_URL not set"},
		{"health 500", func(f *Findings) { f.Health = HealthFinding{Configured: true, HTTPStatus: 500} }, 3, ResultFail, "answered 500"},
		{"health timeout", func(f *Findings) { f.Health = HealthFinding{Configured: true, TimedOut: true} }, 3, ResultTimeout, "did not answer in time"},
		{"health no entry", func(f *Findings) { f.Health = HealthFinding{Configured: true, HTTPStatus: 200} }, 3, ResultUnknown, "no entry for services.hubspot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			c := Checks(f)[tt.check]
			if c.Result != tt.result || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("check %s = %s %q, want %s containing %q", c.Name, c.Result, c.Detail, tt.result, tt.detail)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	tests := []struct {
		r    Report
		want string
	}{
		{Report{Vendor: "hubspot", VendorName: "HubSpot", Cause: AuthInvalid, HTTPStatus: 401}, "HubSpot: token refused (401)"},
		{Report{Vendor: "hubspot", VendorName: "HubSpot", Cause: Blocked, HTTPStatus: 403, Edge: "Cloudflare"}, "HubSpot: blocked by Cloudflare (403)"},
		{Report{Vendor: "slack", VendorName: "Slack", Cause: VendorIncident, HTTPStatus: 503}, "Slack: vendor incident"},
		{Report{Vendor: "shopify", VendorName: "Shopify", Cause: Account, HTTPStatus: 402}, "Shopify: account refused (402)"},
		{Report{Vendor: "acme", Cause: Maintenance}, "acme: scheduled maintenance"},
		{Report{Vendor: "acme", Cause: Unreachable}, "acme: API unreachable"},
	}
	for _, tt := range tests {
		if got := tt.r.Title(); got != tt.want {
			t.Errorf("Title() = %q, want %q", got, tt.want)
		}
	}
	for _, c := range Causes {
		if w := CauseWords(c); w == "" || w == string(c) {
			t.Errorf("CauseWords(%s) = %q: every cause needs words", c, w)
		}
	}
}
