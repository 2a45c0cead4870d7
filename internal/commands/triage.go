package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
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
	if err := s.later(ctx, jobTriage, jobArgs{Cmd: cmd, Vendor: vendor, Incident: s.NewID()}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Triaging %s… checking its status page, API, rate limits and our health. The incident will be posted in this channel.", name))
}

// runTriage runs the triage and opens the incident from its report. The
// incident's id is chosen when the command is taken, so that a retry of
// this job finds the incident an earlier attempt opened.
func (s *Service) runTriage(ctx context.Context, a jobArgs) error {
	if _, err := s.Store.Incident(ctx, a.Incident); err == nil {
		return s.then(ctx, jobPost, a.Incident.String(), jobArgs{Cmd: a.Cmd, Incident: a.Incident})
	}
	name, ok := s.Triage.VendorName(a.Vendor)
	if !ok {
		return incident.Errorf(incident.Invalid, "The vendor `%s` is no longer in the catalog.", messages.Escape(a.Vendor))
	}
	rep, err := s.Triage.Triage(ctx, a.Vendor)
	if err != nil {
		if ctx.Err() != nil {
			return err // cut short by shutdown: run it again after the restart
		}
		// A triage that could not run is told at once, not retried: the
		// person who asked can run it again, and a report minutes late
		// would describe a vendor that has moved on.
		s.tell(ctx, a.Cmd, s.userError(err, "triage "+name))
		return nil
	}
	inc := s.newIncident(a.Cmd, name+" Integration", rep.IncidentSeverity())
	inc.ID = a.Incident
	inc.Vendor, inc.VendorName = a.Vendor, name
	inc.Diagnosis = rep.Diagnosis()
	return s.open(ctx, a.Cmd, inc, fmt.Sprintf("%s: %s", rep.Cause, rep.Summary))
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
