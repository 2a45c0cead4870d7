package commands

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// The declare form: /incident declare without a title, and the global
// shortcut, open it; its submission opens the incident as declare does,
// with the severity, impact and commander it names, and, when a vendor is
// chosen, that vendor's triage in it.

// Shortcut is a global shortcut: Slack sends no channel with it.
type Shortcut struct {
	TeamID, UserID, CallbackID, TriggerID string
}

// Shortcut opens what a global shortcut names. The trigger id lasts 3 s,
// so the form is opened in the request.
func (s *Service) Shortcut(ctx context.Context, sc Shortcut) {
	if sc.CallbackID != messages.ShortcutDeclare {
		s.Log.Warn().Str("callback_id", sc.CallbackID).Msg("unknown shortcut")
		return
	}
	if err := s.openDeclareForm(ctx, sc.TriggerID, "", false, sc.UserID); err != nil {
		s.Log.Warn().Err(err).Str("user", sc.UserID).Msg("open the declare form")
	}
}

// declareFormCommand answers /incident declare without a title: the form,
// when Slack gave a trigger to open it with (a mention gives none).
func (s *Service) declareFormCommand(ctx context.Context, cmd Command) messages.Message {
	if cmd.TriggerID == "" {
		return notice("Give the incident a title: `/incident declare Checkout emails are not sent`.")
	}
	if err := s.openDeclareForm(ctx, cmd.TriggerID, cmd.ChannelID, cmd.ChannelType == "channel", cmd.UserID); err != nil {
		s.Log.Warn().Err(err).Str("user", cmd.UserID).Msg("open the declare form")
		return notice("The declare form could not be opened: " + incident.Message(err) +
			" Declare with a title instead: `/incident declare Checkout emails are not sent`.")
	}
	return notice("Opening the declare form…")
}

func (s *Service) openDeclareForm(ctx context.Context, trigger, channel string, public bool, user string) error {
	keys := s.Triage.Vendors()
	vendors := make([]messages.VendorOption, 0, len(keys))
	for _, k := range keys {
		name, _ := s.Triage.VendorName(k)
		vendors = append(vendors, messages.VendorOption{Value: k, Label: name})
	}
	view, err := messages.DeclareModal(channel, public, user, vendors, incident.P3)
	if err != nil {
		return err
	}
	return s.Slack.OpenModal(ctx, trigger, view)
}

// submitDeclare checks the declare form and, when it is complete, accepts
// the incident as a job. The answer is the form's errors by block id,
// which Slack shows under the fields; nil closes the form.
func (s *Service) submitDeclare(ctx context.Context, sub Submission) map[string]string {
	md := messages.ParseFormMetadata(sub.PrivateMetadata)
	errs := map[string]string{}
	title := strings.Join(strings.Fields(clean(sub.Values["title"])), " ")
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		errs["title"] = "Give the incident a title."
	case n > messages.MaxDeclareTitle:
		errs["title"] = fmt.Sprintf("At most %d characters, please (this has %d).", messages.MaxDeclareTitle, n)
	}
	sev, err := incident.ParseSeverity(sub.Values["severity"])
	if err != nil {
		errs["severity"] = "Choose a severity, P1 to P4."
	}
	vendor := strings.TrimSpace(sub.Values["vendor"])
	name := ""
	if vendor != "" {
		var ok bool
		if name, ok = s.Triage.VendorName(vendor); !ok {
			errs["vendor"] = "That vendor is no longer in the catalog; choose another, or none."
		}
	}
	channel, public := md.Channel, md.Public
	if channel == "" {
		channel, public = strings.TrimSpace(sub.Values["channel"]), false
		if channel == "" {
			errs["channel"] = "Choose the channel the incident is posted in."
		}
	}
	commander := sub.UserID
	if c := strings.TrimSpace(sub.Values["commander"]); c != "" {
		if id, ok := parseUser(c); ok {
			commander = id
		} else {
			errs["commander"] = "Choose a person."
		}
	}
	impact := messages.Truncate(messages.MaxDeclareImpact, strings.TrimSpace(clean(sub.Values["impact"])))
	if len(errs) > 0 {
		return errs
	}
	cmd := Command{TeamID: sub.TeamID, ChannelID: channel, UserID: sub.UserID, DeliveryID: sub.DeliveryID}
	if public {
		cmd.ChannelType = "channel"
	}
	inc := s.newIncident(cmd, title, sev)
	inc.Commander, inc.Impact = commander, impact
	inc.Vendor, inc.VendorName = vendor, name
	if err := s.later(ctx, jobDeclareForm, jobArgs{Cmd: cmd, Open: inc, Vendor: vendor}); err != nil {
		return map[string]string{"title": strings.TrimPrefix(s.refuse(err).Text, ":hourglass_flowing_sand: ")}
	}
	return nil
}

// runDeclareForm opens the incident the form described, with the chosen
// vendor's triage in it. The incident's id was chosen when the form was
// accepted, so a retry finds what an earlier attempt opened.
func (s *Service) runDeclareForm(ctx context.Context, a jobArgs) error {
	inc := a.Open
	if inc == nil {
		return incident.Errorf(incident.Invalid, "The form was empty; declare the incident again.")
	}
	if _, err := s.Store.Incident(ctx, inc.ID); err == nil {
		return s.then(ctx, jobPost, inc.ID.String(), jobArgs{Cmd: a.Cmd, Incident: inc.ID})
	}
	triageText := ""
	if a.Vendor != "" {
		rep, err := s.Triage.Triage(ctx, a.Vendor)
		switch {
		case err != nil && ctx.Err() != nil:
			return err // cut short by shutdown: run it again after the restart
		case err != nil:
			// The incident opens all the same: the person asked for it.
			s.tell(ctx, a.Cmd, s.userError(err, "triage "+inc.VendorName)+
				fmt.Sprintf(" The incident opens without it; `/incident triage %s` runs it again.", a.Vendor))
		default:
			inc.Diagnosis = rep.Diagnosis()
			triageText = fmt.Sprintf("%s: %s", rep.Cause, rep.Summary)
		}
	}
	return s.open(ctx, a.Cmd, inc, triageText)
}
