package commands

import (
	"context"
	"fmt"
	"strings"

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
		inc := s.newIncident(cmd, name+" Integration", rep.IncidentSeverity())
		inc.Vendor, inc.VendorName = vendor, name
		inc.Diagnosis = rep.Diagnosis()
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
