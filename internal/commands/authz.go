package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
)

// Who may change an incident is decided in one place, authorize, which
// every path that changes one asks first: the slash command, the mention
// in the thread, each button, the modal, and the thread's own messages.
// Its rules, in the order it applies them:
//
//  1. Workspace: the request comes from the incident's workspace. A
//     request from another one is answered as if the incident did not
//     exist.
//  2. Place: the request comes from the incident's own channel (its thread
//     is in it; with INCIDENT_CHANNELS=channel, its incident channel) or
//     the channel it was declared in. From another channel it is refused,
//     saying where to ask; an incident of a private channel is answered as
//     if it did not exist, so nothing of it shows outside its channel.
//     Adding a message to the timeline (opCapture, rule anyoneSeeing) is
//     also allowed wherever an incident of a public channel is visible.
//  3. The operation's rule (ops): RESOLVE_ALLOWED for resolving and the
//     severity; once an incident has a commander, the commander or someone
//     RESOLVE_ALLOWED allows for handing the role on; anyone in the
//     channel for the rest.
//
// A refusal is answered only to the person who asked, and recorded in the
// incident's timeline (KindRefused) with what they tried; messages in the
// thread that are refused are only logged, as nobody asked for anything.

// op is something a person asks to do to an incident. Its text is what a
// refusal records in the timeline.
type op string

// The operations; ops gives each its rule.
const (
	opResolve   op = "resolve"
	opSeverity  op = "change the severity"
	opCommander op = "hand on the commander role"
	opStatus    op = "change the status"
	opUpdate    op = "post a status update"
	opReopen    op = "reopen"
	opReminders op = "snooze or stop the reminders"
	opTimeline  op = "add to the timeline" // a message in the thread, its edit or deletion
	opFollowup  op = "add a follow-up"
)

// The operations of the roles and the customer status page.
const (
	opRole              op = "hand on a role"                // comms, scribe (the commander is opCommander)
	opStatuspageDraft   op = "draft the status page"         // draft or edit the customer-facing text
	opStatuspagePublish op = "publish to the status page"    // the company's Statuspage
	opCapture           op = "add a message to the timeline" // the message shortcut, the timeline reaction
	opAlert             op = "add an alert to"               // an alert of the incident's group, from the alert channel
)

// rule is who, in the incident's channel, may perform an operation.
type rule int

const (
	anyMember         rule = iota // anyone in the channel
	resolveAllowed                // whom RESOLVE_ALLOWED allows (anyone when it is empty)
	commanderHandover             // the commander, or whom RESOLVE_ALLOWED allows; anyone while there is no commander
	// anyoneSeeing: anyone in the channel, and, for an incident of a
	// public channel, anyone anywhere (a message captured from elsewhere).
	anyoneSeeing
	// statuspagePublisher: the commander, the comms role, or whom
	// RESOLVE_ALLOWED allows; anyone when none of them is set.
	statuspagePublisher
)

// ops is the table of operations: each one's rule and how a refusal says it.
var ops = map[op]struct {
	rule rule
	says string // completes "Only … may ___", with the incident's ref for %s
}{
	opResolve:   {resolveAllowed, "resolve %s"},
	opSeverity:  {resolveAllowed, "change the severity of %s"},
	opCommander: {commanderHandover, "hand on the commander role of %s"},
	opStatus:    {anyMember, "change the status of %s"},
	opUpdate:    {anyMember, "post a status update on %s"},
	opReopen:    {anyMember, "reopen %s"},
	opReminders: {anyMember, "snooze or stop the reminders of %s"},
	opTimeline:  {anyMember, "add to the timeline of %s"},
	opFollowup:  {anyMember, "add a follow-up to %s"},

	opRole:              {commanderHandover, "hand on the roles of %s"},
	opStatuspageDraft:   {anyMember, "draft the status page update of %s"},
	opStatuspagePublish: {statuspagePublisher, "publish %s to the company status page"},
	opCapture:           {anyoneSeeing, "add messages to the timeline of %s"},
	opAlert:             {anyMember, "add an alert to %s"},
}

// actor is who asks, and from where.
type actor struct {
	team, user string
	channel    string // where the request was made; for a form, where it was opened
	// named is the INC-n the person typed, 0 when none: an incident they
	// may not see is answered as the lookup answers one that does not exist.
	named int
}

// actor is the person who gave the command, where they gave it.
func (c Command) actor(named int) actor {
	return actor{team: c.TeamID, user: c.UserID, channel: c.ChannelID, named: named}
}

// authorize decides whether a may perform o on inc. When not, it records
// the refusal and returns the answer for a, which says who may, or where;
// or, for an incident a may not see, what is said of one that does not
// exist.
func (s *Service) authorize(ctx context.Context, a actor, o op, inc *incident.Incident) (bool, string) {
	here := inPlace(a, inc) || (ops[o].rule == anyoneSeeing && inc.Public)
	switch {
	case a.team != inc.TeamID:
		return false, s.refused(ctx, a, o, inc, "from another workspace", s.hidden(a))
	case !here && !inc.Public:
		return false, s.refused(ctx, a, o, inc, "from another channel", s.hidden(a))
	case !here:
		return false, s.refused(ctx, a, o, inc, "from another channel", fmt.Sprintf(
			":no_entry: %s is changed only in <#%s>, the channel it was declared in, or in its thread there.",
			inc.Ref(), inc.ChannelID))
	}
	rule := s.Config.ResolveAllowed
	r, known := ops[o]
	switch {
	case !known: // an operation without a rule is nobody's
		s.Log.Error().Str("op", string(o)).Msg("authorize: an operation without a rule")
		return false, s.refused(ctx, a, o, inc, "", ":warning: That cannot be done here.")
	case r.rule == anyMember, r.rule == anyoneSeeing:
		return true, ""
	}
	switch r.rule {
	case resolveAllowed:
		if len(rule) == 0 || s.permits(ctx, inc, a.user, rule) {
			return true, ""
		}
	case commanderHandover:
		if inc.Commander == "" || a.user == inc.Commander || len(rule) == 0 || s.permits(ctx, inc, a.user, rule) {
			return true, ""
		}
	case statuspagePublisher:
		if (inc.Commander == "" && inc.Comms == "" && len(rule) == 0) || a.user == inc.Commander || a.user == inc.Comms ||
			(len(rule) > 0 && s.permits(ctx, inc, a.user, rule)) {
			return true, ""
		}
	}
	ask := "Ask them."
	if o != opCommander && o != opRole && slices.ContainsFunc(rule, isCommanderRule) {
		ask = "Ask them to, or to make you the commander."
	}
	return false, s.refused(ctx, a, o, inc, "", fmt.Sprintf(":no_entry: Only %s may %s. %s",
		s.who(inc, o), fmt.Sprintf(r.says, inc.Ref()), ask))
}

// inPlace reports whether a asks from inc's own place: its channel, which
// holds its message and thread (with INCIDENT_CHANNELS=channel, the
// incident channel), or the channel it was declared in.
func inPlace(a actor, inc *incident.Incident) bool {
	return a.channel != "" && (a.channel == inc.ChannelID || a.channel == inc.DeclaredIn)
}

// refused records and logs a refusal, and returns answer.
func (s *Service) refused(ctx context.Context, a actor, o op, inc *incident.Incident, where, answer string) string {
	text := string(o)
	if where != "" {
		text += " (" + where + ")"
	}
	log := s.Log.Info()
	if where != "" {
		log = s.Log.Warn()
	}
	log.Str("incident", inc.Ref()).Str("team", a.team).Str("user", a.user).Str("channel", a.channel).
		Str("refused", text).Msg("refused")
	if o != opTimeline {
		s.record(ctx, inc, incident.KindRefused, a.user, text)
	}
	return answer
}

// hidden is the answer about an incident a may not see: what the lookup
// says when there is no such incident.
func (s *Service) hidden(a actor) string {
	if a.named > 0 {
		return ":warning: " + notFound(a.named)
	}
	return ":warning: That incident does not exist here."
}

// notFound is the answer to INC-n that does not exist.
func notFound(n int) string {
	return incident.Ref(n) + " does not exist. `/incident list` shows the open incidents."
}

// who says who may perform o on inc: the commander and the users and user
// groups RESOLVE_ALLOWED lists.
func (s *Service) who(inc *incident.Incident, o op) string {
	var names []string
	if o == opCommander || o == opRole || o == opStatuspagePublish || slices.ContainsFunc(s.Config.ResolveAllowed, isCommanderRule) {
		names = append(names, "the commander ("+mention(inc.Commander)+")")
	}
	if o == opStatuspagePublish && inc.Comms != "" {
		names = append(names, "the comms role ("+mention(inc.Comms)+")")
	}
	for _, r := range s.Config.ResolveAllowed {
		switch {
		case isCommanderRule(r):
		case strings.HasPrefix(r, "S"):
			names = append(names, "the members of <!subteam^"+r+">")
		case parseUserOK(r):
			names = append(names, "<@"+r+">")
		}
	}
	switch len(names) {
	case 0:
		return "the people listed in RESOLVE_ALLOWED"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func isCommanderRule(r string) bool { return strings.EqualFold(r, "commander") }

func parseUserOK(s string) bool {
	id, ok := parseUser(s)
	return ok && id == s
}

// permits reports whether RESOLVE_ALLOWED's rule lets user act on inc.
func (s *Service) permits(ctx context.Context, inc *incident.Incident, user string, rule []string) bool {
	for _, r := range rule {
		switch {
		case isCommanderRule(r):
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
