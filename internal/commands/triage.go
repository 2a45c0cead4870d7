package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/messages"
)

// triage: /incident triage VENDOR — runs the checks after the ack, then
// opens an incident from the report.
func (s *Service) triage(ctx context.Context, cmd Command, rest string) messages.Message {
	vendor := strings.ToLower(firstWord(rest))
	if vendor == "" {
		return notice("Say which vendor: `/incident triage hubspot`. Known vendors: " + knownVendors(s.Triage) + ".")
	}
	name, ok := s.Triage.VendorName(vendor)
	if !ok {
		return notice(fmt.Sprintf("I don't know the vendor `%s`. Known vendors: %s. Operators add vendors with VENDORS_FILE.",
			messages.Escape(messages.Truncate(40, vendor)), knownVendors(s.Triage)))
	}
	s.goBackground("triage", func(ctx context.Context) {
		rep, err := s.Triage.Triage(ctx, vendor)
		if err != nil {
			s.tell(ctx, cmd, s.userError(err, "triage "+name))
			return
		}
		inc := s.newIncident(cmd, name+" Integration", severityOf(rep))
		inc.Vendor, inc.VendorName = vendor, name
		inc.Diagnosis = diagnosis(rep)
		s.open(ctx, cmd, inc, fmt.Sprintf("%s: %s", rep.Cause, rep.Summary))
	})
	return notice(fmt.Sprintf("Triaging %s… checking its status page, API, rate limits and our health. The incident will be posted in this channel.", name))
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func knownVendors(t Triager) string {
	keys := t.Vendors()
	for i, k := range keys {
		keys[i] = "`" + messages.Escape(k) + "`"
	}
	return strings.Join(keys, ", ")
}

// severityOf is the report's suggested severity; a healthy or unverifiable
// vendor still opens an incident (someone saw a problem), at P4 or P3.
func severityOf(r runbook.Report) incident.Severity {
	if sev, err := incident.ParseSeverity(string(r.Severity)); err == nil {
		return sev
	}
	if r.Cause == runbook.Healthy {
		return incident.P4
	}
	return incident.P3
}

// diagnosis keeps what the incident and its postmortem need of the report.
func diagnosis(r runbook.Report) *incident.Diagnosis {
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
		d.Checks = append(d.Checks, incident.Check{Name: c.Name, Result: c.Result, Detail: messages.Truncate(160, detail)})
	}
	return d
}
