package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// role: /incident role ROLE @user [INC-n] — commander, comms or scribe.
// Handing on any role follows the commander-handover rule (opRole); the
// commander role is the same as /incident commander.
func (s *Service) role(ctx context.Context, cmd Command, rest string) messages.Message {
	word, rest := splitVerb(rest)
	usage := "Say which role and who: `/incident role comms @alice` (roles: " + strings.Join(incident.Roles, ", ") + ")."
	switch word {
	case incident.RoleCommander, "lead":
		return s.commander(ctx, cmd, rest)
	case incident.RoleComms, incident.RoleScribe:
	case "":
		return notice(usage)
	default:
		return notice(fmt.Sprintf("There is no role `%s`. %s", messages.Escape(messages.Truncate(40, word)), usage))
	}
	n, rest := takeRef(rest)
	user, ok := parseUser(rest)
	if !ok {
		return notice(fmt.Sprintf("Mention who takes the role: `/incident role %s @alice`.", word))
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opRole, inc); !ok {
		return notice(msg)
	}
	if err := s.later(ctx, jobRole, jobArgs{Cmd: cmd, Incident: inc.ID, User: user, Text: word}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Making <@%s> the %s of %s…", user, word, inc.Ref()))
}

// runRole hands the role a.Text to a.User.
func (s *Service) runRole(ctx context.Context, a jobArgs) error {
	role := a.Text
	if role == incident.RoleCommander {
		return s.runCommander(ctx, a)
	}
	var from string
	inc, changed, err := s.modify(ctx, a.Incident, func(inc *incident.Incident) (bool, error) {
		if inc.Role(role) == a.User {
			return false, nil
		}
		from = inc.Role(role)
		if !inc.SetRole(role, a.User) {
			return false, incident.Errorf(incident.Invalid, "There is no role `%s`.", messages.Escape(role))
		}
		s.acknowledge(inc)
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	text := role + ": <@" + a.User + ">"
	if from != "" {
		text = role + ": <@" + from + "> → <@" + a.User + ">"
	}
	s.record(ctx, inc, incident.KindRole, a.Cmd.UserID, text)
	s.refresh(ctx, inc)
	return nil
}
