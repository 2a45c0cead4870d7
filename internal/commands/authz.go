package commands

import (
	"context"
	"slices"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
)

// allowed applies RESOLVE_ALLOWED to resolve and severity changes. A refusal
// is recorded in the timeline and answered with what the user can do.
func (s *Service) allowed(ctx context.Context, inc *incident.Incident, user, what string) (string, bool) {
	rule := s.Config.ResolveAllowed
	if len(rule) == 0 || s.permits(ctx, inc, user, rule) {
		return "", true
	}
	s.record(ctx, inc, incident.KindRefused, user, what)
	who := "the people listed in RESOLVE_ALLOWED"
	if len(rule) == 1 && strings.EqualFold(rule[0], "commander") {
		who = "the commander (" + mention(inc.Commander) + ")"
	}
	return ":no_entry: Only " + who + " may " + what + " on " + inc.Ref() +
		". Ask them, or ask for the commander role with `/incident commander @you`.", false
}

func (s *Service) permits(ctx context.Context, inc *incident.Incident, user string, rule []string) bool {
	for _, r := range rule {
		switch {
		case strings.EqualFold(r, "commander"):
			if user == inc.Commander || inc.Commander == "" {
				return true
			}
		case r == user:
			return true
		case strings.HasPrefix(r, "S"):
			members, err := s.Slack.GroupMembers(ctx, r)
			if err != nil {
				s.Log.Warn().Err(err).Str("group", r).Msg("read user group for RESOLVE_ALLOWED")
				continue
			}
			if slices.Contains(members, user) {
				return true
			}
		}
	}
	return false
}
