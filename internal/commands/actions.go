package commands

import (
	"context"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Action is a click on one of the incident message's buttons.
type Action struct {
	TeamID, ChannelID, UserID string
	MessageTS                 string // the message the button is on
	ActionID, Value           string // action_id; value is the incident id
	TriggerID, ResponseURL    string
	// DeliveryID identifies this action across Slack's redeliveries: the
	// payload's trigger id and the action's place in it.
	DeliveryID string
}

// Action applies a button click. It returns once the click is a job in the
// store; the change and the in-place update of the message happen after
// the ack.
func (s *Service) Action(ctx context.Context, a Action) {
	kind, _, ok := messages.ParseActionID(a.ActionID)
	if !ok {
		s.Log.Warn().Str("action", a.ActionID).Msg("unknown action")
		return
	}
	cmd := Command{TeamID: a.TeamID, ChannelID: a.ChannelID, UserID: a.UserID, ResponseURL: a.ResponseURL,
		TriggerID: a.TriggerID, DeliveryID: a.DeliveryID}
	args := jobArgs{Cmd: cmd, Action: &a}
	if kind == messages.ActionDeclareAnyway || kind == messages.ActionWatchDeclare {
		// The button carries the vendor; the incident's id is chosen now,
		// so that a retry of the job finds what an earlier attempt opened.
		if _, ok := s.Triage.VendorName(a.Value); !ok {
			s.Log.Warn().Str("action", a.ActionID).Msg("declare anyway without a known vendor")
			return
		}
		args.Vendor, args.Incident, args.Force = a.Value, s.NewID(), true
	} else if _, err := uuid.Parse(a.Value); err != nil {
		s.Log.Warn().Str("action", a.ActionID).Msg("button without an incident id")
		return
	}
	if err := s.later(ctx, jobAction, args); err != nil {
		s.tell(ctx, cmd, s.refuse(err).Text)
	}
}

// runAction applies a click: it reads the incident, asks authorize for
// the button's operation, and applies it.
func (s *Service) runAction(ctx context.Context, j jobArgs) error {
	a := j.Action
	if a == nil {
		return incident.Errorf(incident.Invalid, "The click carried nothing to apply.")
	}
	kind, arg, _ := messages.ParseActionID(a.ActionID)
	if kind == messages.ActionDeclareAnyway {
		return s.runTriage(ctx, jobArgs{Cmd: j.Cmd, Vendor: j.Vendor, Incident: j.Incident, Force: true})
	}
	if kind == messages.ActionWatchDeclare {
		return s.runWatchDeclare(ctx, j)
	}
	id, err := uuid.Parse(a.Value)
	if err != nil {
		return incident.Errorf(incident.Invalid, "The button carried no incident.")
	}
	o, ok := actionOp(kind, arg)
	if !ok {
		return incident.Errorf(incident.Invalid, "That button does nothing any more.")
	}
	inc, err := s.Store.Incident(ctx, id)
	if incident.KindOf(err) == incident.NotFound {
		return incident.Errorf(incident.NotFound, "That incident does not exist here.")
	}
	if err != nil {
		return err
	}
	if ok, msg := s.authorize(ctx, a.actor(), o, inc); !ok {
		s.tell(ctx, j.Cmd, msg)
		return nil
	}
	switch kind {
	case messages.ActionSeverity:
		sev, err := incident.ParseSeverity(arg)
		if err != nil {
			return err
		}
		return s.setSeverity(ctx, id, a.UserID, sev)
	case messages.ActionStatus:
		st, err := incident.ParseStatus(arg)
		if err != nil {
			return err
		}
		return s.setStatus(ctx, id, a.UserID, st)
	case messages.ActionResolve:
		return s.resolve(ctx, j.Cmd, id, "")
	case messages.ActionReopen:
		return s.runReopen(ctx, jobArgs{Cmd: j.Cmd, Incident: id})
	case messages.ActionReminder:
		return s.reminderAction(ctx, *a, id, arg)
	case messages.ActionStatuspage:
		return s.statuspageAction(ctx, *a, inc, arg)
	}
	return incident.Errorf(incident.Invalid, "That button does nothing any more.")
}

// actionOp is the operation a button asks for; Declare anyway acts on no
// incident (it opens one, as declare does) and asks for none.
func actionOp(kind messages.ActionKind, arg string) (op, bool) {
	switch kind {
	case messages.ActionDeclareAnyway, messages.ActionWatchDeclare:
		return "", true
	case messages.ActionSeverity:
		return opSeverity, true
	case messages.ActionStatus:
		return opStatus, true
	case messages.ActionResolve:
		return opResolve, true
	case messages.ActionReopen:
		return opReopen, true
	case messages.ActionReminder:
		if arg == messages.ReminderUpdate {
			return opUpdate, true // opens the form that posts the update
		}
		return opReminders, true
	case messages.ActionStatuspage:
		if arg == messages.StatuspagePublish {
			return opStatuspagePublish, true
		}
		return opStatuspageDraft, true // opens the form that edits the draft
	}
	return "", false
}

// actor is the person who clicked, where they clicked.
func (a Action) actor() actor {
	return actor{team: a.TeamID, user: a.UserID, channel: a.ChannelID}
}
