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
}

// Action applies a button click. It returns at once; the change and the
// in-place update of the message happen after the ack.
func (s *Service) Action(ctx context.Context, a Action) {
	id, err := uuid.Parse(a.Value)
	if err != nil {
		s.Log.Warn().Str("action", a.ActionID).Msg("button without an incident id")
		return
	}
	cmd := Command{TeamID: a.TeamID, ChannelID: a.ChannelID, UserID: a.UserID, ResponseURL: a.ResponseURL}
	kind, arg, ok := messages.ParseActionID(a.ActionID)
	if !ok {
		s.Log.Warn().Str("action", a.ActionID).Msg("unknown action")
		return
	}
	s.goBackground("action "+string(kind), func(ctx context.Context) {
		var err error
		switch kind {
		case messages.ActionSeverity:
			var sev incident.Severity
			if sev, err = incident.ParseSeverity(arg); err == nil {
				err = s.clickSeverity(ctx, cmd, id, sev)
			}
		case messages.ActionStatus:
			var st incident.Status
			if st, err = incident.ParseStatus(arg); err == nil {
				err = s.setStatus(ctx, id, a.UserID, st)
			}
		case messages.ActionResolve:
			err = s.clickResolve(ctx, cmd, id)
		case messages.ActionReminder:
			err = s.reminderAction(ctx, a, id, arg)
		}
		if err != nil {
			s.tell(ctx, cmd, s.userError(err, "apply that"))
		}
	})
}

func (s *Service) clickSeverity(ctx context.Context, cmd Command, id uuid.UUID, sev incident.Severity) error {
	inc, err := s.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	if msg, ok := s.allowed(ctx, inc, cmd.UserID, "change the severity"); !ok {
		s.tell(ctx, cmd, msg)
		return nil
	}
	return s.setSeverity(ctx, id, cmd.UserID, sev)
}

// clickResolve applies RESOLVE_ALLOWED to the Resolve button as
// resolveCommand does to the command: an incident already resolved with
// its postmortem is only answered so.
func (s *Service) clickResolve(ctx context.Context, cmd Command, id uuid.UUID) error {
	inc, err := s.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	if inc.Open() || inc.Postmortem == "" {
		if msg, ok := s.allowed(ctx, inc, cmd.UserID, "resolve"); !ok {
			s.tell(ctx, cmd, msg)
			return nil
		}
	}
	return s.resolve(ctx, cmd, id, "")
}
