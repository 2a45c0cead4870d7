package runbook

import (
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
)

func TestReportToIncident(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want incident.Severity
	}{
		{"suggested", Report{Cause: AuthInvalid, Severity: P1}, incident.P1},
		{"healthy opens at P4", Report{Cause: Healthy}, incident.P4},
		{"misconfigured opens at P3", Report{Cause: Misconfigured}, incident.P3},
	}
	for _, tt := range tests {
		if got := tt.r.IncidentSeverity(); got != tt.want {
			t.Errorf("%s: IncidentSeverity() = %s, want %s", tt.name, got, tt.want)
		}
	}

	r := Report{Cause: AuthInvalid, Summary: "token refused", RequestID: "req-1", HTTPStatus: 401,
		Checks: []Check{
			{Name: CheckAPI, Result: "fail", HTTPStatus: 401, Detail: "INVALID_AUTHENTICATION"},
			{Name: CheckStatusPage, Result: "ok", HTTPStatus: 200, Detail: "answered 200: " + strings.Repeat("é", 300)},
			{Name: CheckStatusPage, Result: "ok", HTTPStatus: 200, Detail: "All Systems Operational"},
			{Name: CheckHealth, Result: "fail", HTTPStatus: 503, Detail: "our service is down"},
		},
		Mitigation: []string{"rotate"}, Links: []string{"https://example.com"},
		Evidence: []string{"one", "two", "three", "four", "five", "six", strings.Repeat("x", 300)}}
	d := r.Diagnosis()
	if d.Cause != "auth_invalid" || d.Summary != "token refused" || d.HTTPStatus != 401 ||
		len(d.RequestIDs) != 1 || d.RequestIDs[0] != "req-1" || d.Mitigation[0] != "rotate" {
		t.Fatalf("Diagnosis() = %+v", d)
	}
	if got := d.Checks[0].Detail; got != "HTTP 401 INVALID_AUTHENTICATION" {
		t.Errorf("check detail = %q, want the status in front", got)
	}
	if got := d.Checks[1].Detail; len([]rune(got)) != maxCheckDetail || !strings.HasSuffix(got, "…") || strings.Contains(got, "HTTP 200") {
		t.Errorf("long detail = %q (%d runes), want it cut to %d with an ellipsis and no second status", got, len([]rune(got)), maxCheckDetail)
	}
	// The diagnostics line reads "status_page: ok (All Systems Operational)",
	// not "HTTP 200 none: …": a 2xx says nothing, a failing status does.
	if got := d.Checks[2].Detail; got != "All Systems Operational" {
		t.Errorf("status page detail = %q, want the page's words alone", got)
	}
	if got := d.Checks[3].Detail; got != "HTTP 503 our service is down" {
		t.Errorf("health detail = %q, want the failing status in front", got)
	}
	if len(d.Evidence) != maxDiagnosisEvidence || d.Evidence[0] != "one" {
		t.Errorf("evidence = %q, want the first %d lines", d.Evidence, maxDiagnosisEvidence)
	}
	if (Report{Cause: Healthy}).Diagnosis().RequestIDs != nil {
		t.Error("a report without a request id gave one")
	}
}
