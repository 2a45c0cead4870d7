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

// maxCheckDetail bounds what an incident keeps of one check's detail.
const maxCheckDetail = 160

// Diagnosis is what an incident and its postmortem keep of r: the cause
// and summary, the request id, each check in one line, and what to do.
func (r Report) Diagnosis() *incident.Diagnosis {
	d := &incident.Diagnosis{Cause: string(r.Cause), Summary: r.Summary, HTTPStatus: r.HTTPStatus,
		Mitigation: r.Mitigation, Prevention: r.Prevention, Links: r.Links}
	if r.RequestID != "" {
		d.RequestIDs = []string{r.RequestID}
	}
	for _, c := range r.Checks {
		detail := c.Detail
		if c.HTTPStatus != 0 && !strings.Contains(detail, fmt.Sprint(c.HTTPStatus)) {
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
