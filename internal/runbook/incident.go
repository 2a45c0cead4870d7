package runbook

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/incident"
)

// IncidentSeverity is the severity an incident opened from r starts at:
// the suggested one, else P4 for a healthy vendor (someone still saw a
// problem) and P3 for a report that could not tell (misconfigured).
func (r Report) IncidentSeverity() incident.Severity {
	if r.Severity != "" {
		return r.Severity
	}
	if r.Cause == Healthy {
		return incident.P4
	}
	return incident.P3
}

// maxCheckDetail bounds what an incident keeps of one check's detail and
// of one evidence line.
const maxCheckDetail = 160

// maxDiagnosisEvidence is how many evidence lines an incident keeps.
const maxDiagnosisEvidence = 5

// causeWords says each cause in a few words, for titles.
var causeWords = map[Cause]string{
	Healthy:        "looks healthy",
	VendorIncident: "vendor incident",
	AuthInvalid:    "token refused",
	AuthForbidden:  "permission missing",
	RateLimited:    "rate limited",
	VendorError:    "API errors",
	Unreachable:    "API unreachable",
	OurService:     "our integration unhealthy",
	Misconfigured:  "not configured",
	Maintenance:    "scheduled maintenance",
	Blocked:        "blocked by a firewall",
	Account:        "account refused",
}

// CauseWords says the cause in a few words, e.g. "token refused" for
// auth_invalid; an unknown cause is returned as it is.
func CauseWords(c Cause) string {
	if w, ok := causeWords[c]; ok {
		return w
	}
	return string(c)
}

// Title names the vendor and the cause in words, with the HTTP status
// where the vendor's answer decided it: "HubSpot: token refused (401)",
// "HubSpot: blocked by Cloudflare (403)", "Slack: vendor incident".
func (r Report) Title() string {
	name := r.VendorName
	if name == "" {
		name = r.Vendor
	}
	words := CauseWords(r.Cause)
	if r.Cause == Blocked && r.Edge != "" {
		words = "blocked by " + r.Edge
	}
	switch r.Cause {
	case AuthInvalid, AuthForbidden, RateLimited, VendorError, Blocked, Account:
		if r.HTTPStatus != 0 {
			words += fmt.Sprintf(" (%d)", r.HTTPStatus)
		}
	}
	return name + ": " + words
}

// Diagnosis is what an incident and its postmortem keep of r: the cause
// and summary, the request id, each check in one line, and what to do.
func (r Report) Diagnosis() *incident.Diagnosis {
	d := &incident.Diagnosis{Cause: string(r.Cause), Summary: r.Summary, HTTPStatus: r.HTTPStatus,
		Mitigation: r.Mitigation, Prevention: r.Prevention, Links: r.Links}
	if r.RequestID != "" {
		d.RequestIDs = []string{r.RequestID}
	}
	for i, e := range r.Evidence {
		if i == maxDiagnosisEvidence {
			break
		}
		d.Evidence = append(d.Evidence, cut(maxCheckDetail, e))
	}
	for _, c := range r.Checks {
		detail := c.Detail
		// A failing status says something; a 200 from a page or an
		// endpoint that answered is only noise in front of what it said.
		if c.HTTPStatus != 0 && (c.HTTPStatus < 200 || c.HTTPStatus > 299) && !strings.Contains(detail, fmt.Sprint(c.HTTPStatus)) {
			detail = strings.TrimSpace(fmt.Sprintf("HTTP %d %s", c.HTTPStatus, detail))
		}
		d.Checks = append(d.Checks, incident.Check{Name: c.Name, Result: c.Result, Detail: cut(maxCheckDetail, detail)})
	}
	return d
}

// cut shortens s to at most n characters, ending in an ellipsis when cut.
func cut(n int, s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
