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
		guess := ""
		if near := closeMatches(vendor, s.Triage.Vendors()); len(near) > 0 {
			guess = " Did you mean " + orList(near) + "?"
		}
		return notice(fmt.Sprintf("I don't know the vendor `%s`.%s Known vendors: %s. Operators add vendors with VENDORS_FILE.",
			messages.Escape(messages.Truncate(40, vendor)), guess, knownVendors(s.Triage)))
	}
	if err := s.later(ctx, jobTriage, jobArgs{Cmd: cmd, Vendor: vendor, Incident: s.NewID()}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Triaging %s… checking its status page, API, rate limits and our health. The result will be posted in this channel.", name))
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
	if !a.Force {
		open, err := s.openIncidentOf(ctx, a.Cmd, a.Vendor)
		if err != nil {
			return err
		}
		if open != nil {
			return s.retriage(ctx, a.Cmd, open, name, rep)
		}
		if rep.Cause == runbook.Healthy {
			// Nothing to open an incident about: say so where it was
			// asked, with the checks and a way to declare one anyway.
			m, err := messages.Healthy(name, a.Vendor, rep.Diagnosis())
			if err != nil {
				return err
			}
			_, err = s.Slack.Post(ctx, a.Cmd.ChannelID, a.Cmd.ThreadTS, m)
			return err
		}
	}
	if rep.VendorName == "" {
		rep.VendorName = name
	}
	inc := s.newIncident(a.Cmd, messages.Truncate(maxTitle, rep.Title()), rep.IncidentSeverity())
	inc.ID = a.Incident
	inc.Vendor, inc.VendorName = a.Vendor, name
	inc.Diagnosis = rep.Diagnosis()
	return s.open(ctx, a.Cmd, inc, fmt.Sprintf("%s: %s", rep.Cause, rep.Summary))
}

// openIncidentOf is the open incident about vendor in the command's
// channel, if there is one.
func (s *Service) openIncidentOf(ctx context.Context, cmd Command, vendor string) (*incident.Incident, error) {
	open, err := s.Store.Incidents(ctx, incident.Filter{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	for _, inc := range open {
		if inc.Vendor == vendor {
			return inc, nil
		}
	}
	return nil, nil
}

// retriage puts a new report into the thread of the vendor's open
// incident instead of opening a second one, and updates the incident
// message when the cause changed.
func (s *Service) retriage(ctx context.Context, cmd Command, inc *incident.Incident, name string, rep runbook.Report) error {
	d := rep.Diagnosis()
	changed := inc.Diagnosis == nil || inc.Diagnosis.Cause != d.Cause
	m, err := messages.Retriage(inc, name, d, changed)
	if err != nil {
		return err
	}
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m); err != nil {
		return err
	}
	s.record(ctx, inc, incident.KindTriage, cmd.UserID, fmt.Sprintf("%s: %s", rep.Cause, rep.Summary))
	if !changed {
		return nil
	}
	inc, _, err = s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.Diagnosis = d
		return true, nil
	})
	if err != nil {
		return err
	}
	s.refresh(ctx, inc)
	return nil
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
