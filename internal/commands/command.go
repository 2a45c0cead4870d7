package commands

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Command is a slash command, or the same words said to the bot in a mention.
type Command struct {
	TeamID, ChannelID, UserID string
	// ChannelType is the kind of channel, as the Events API names them:
	// "channel" (public), "group" (private), "im", "mpim"; empty when the
	// request did not say. Only "channel" counts as public.
	ChannelType            string
	Text                   string // what follows /incident (or the mention)
	ThreadTS               string // the thread a mention was said in
	ResponseURL, TriggerID string
	// DeliveryID identifies the request across Slack's redeliveries when
	// TriggerID does not: the event id of a mention.
	DeliveryID string
}

// maxTitle bounds what is stored of a title; messages cut further to fit Block Kit.
const maxTitle = 200

func notice(text string) messages.Message { return messages.Notice(text, "") }

// splitVerb returns the first word, lower-cased, and the rest trimmed.
func splitVerb(text string) (string, string) {
	text = strings.TrimSpace(clean(text))
	i := strings.IndexFunc(text, unicode.IsSpace)
	if i < 0 {
		return strings.ToLower(text), ""
	}
	return strings.ToLower(text[:i]), strings.TrimSpace(text[i:])
}

// clean makes text valid UTF-8 and drops control characters but newlines and tabs.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// takeRef finds an INC-n as the first or the last word of text and returns
// its number and the text without it.
func takeRef(text string) (int, string) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return 0, text
	}
	if n, ok := incident.ParseRef(f[0]); ok && strings.HasPrefix(strings.ToUpper(f[0]), "INC-") {
		return n, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), f[0]))
	}
	last := f[len(f)-1]
	if n, ok := incident.ParseRef(last); ok && strings.HasPrefix(strings.ToUpper(last), "INC-") {
		return n, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), last))
	}
	return 0, text
}

// target picks the incident a command is about: the named one, else the
// one whose thread the mention was said in, else the channel's only open one.
func (s *Service) target(ctx context.Context, cmd Command, n int) (*incident.Incident, error) {
	if n > 0 {
		inc, err := s.Store.IncidentByNumber(ctx, cmd.TeamID, n)
		if err != nil && incident.KindOf(err) == incident.NotFound {
			return nil, incident.Errorf(incident.NotFound, "%s", notFound(n))
		}
		return inc, err
	}
	if cmd.ThreadTS != "" {
		inc, err := s.Store.IncidentByMessage(ctx, cmd.ChannelID, cmd.ThreadTS)
		if err == nil {
			return inc, nil
		}
		if incident.KindOf(err) != incident.NotFound {
			return nil, err
		}
	}
	open, err := s.Store.Incidents(ctx, incident.Filter{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	switch len(open) {
	case 0:
		return nil, incident.Errorf(incident.NotFound, "This channel has no open incident. Name one (`INC-n`), or see `/incident list`.")
	case 1:
		return open[0], nil
	}
	refs := make([]string, len(open))
	for i, inc := range open {
		refs[i] = inc.Ref()
	}
	sort.Strings(refs)
	return nil, incident.Errorf(incident.Invalid, "This channel has %d open incidents: %s. Say which one, e.g. `%s`.",
		len(open), strings.Join(refs, ", "), refs[0])
}

var userMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(\|[^>]*)?>$`)

// parseUser accepts a Slack user mention as Slack sends it (<@U123|name>) or a bare user id.
func parseUser(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if m := userMention.FindStringSubmatch(s); m != nil {
		return m[1], true
	}
	if len(s) > 1 && (s[0] == 'U' || s[0] == 'W') && strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsUpper(r) && !unicode.IsDigit(r)
	}) < 0 {
		return s, true
	}
	return "", false
}
