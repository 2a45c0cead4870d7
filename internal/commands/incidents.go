package commands

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// declare opens an incident that is not about a vendor.
func (s *Service) declare(ctx context.Context, cmd Command, title string) messages.Message {
	title = strings.TrimSpace(title)
	if title == "" {
		return s.declareFormCommand(ctx, cmd)
	}
	inc := s.newIncident(cmd, messages.Truncate(maxTitle, title), incident.P3)
	if err := s.later(ctx, jobDeclare, jobArgs{Cmd: cmd, Open: inc}); err != nil {
		return s.refuse(err)
	}
	where := "in this channel"
	if s.Config.Channels {
		where = "in a channel of its own, with a pointer here"
	}
	return notice(fmt.Sprintf("Declaring *%s*… the incident will be posted %s.", messages.Escape(inc.Title), where))
}

func (s *Service) newIncident(cmd Command, title string, sev incident.Severity) *incident.Incident {
	now := s.Now()
	return &incident.Incident{
		ID: s.NewID(), TeamID: cmd.TeamID, Title: title, Severity: sev, Status: incident.Investigating,
		Commander: cmd.UserID, CreatedBy: cmd.UserID, ChannelID: cmd.ChannelID, Public: cmd.ChannelType == "channel",
		DeclaredAt: now, UpdatedAt: now, NextUpdateAt: s.nextUpdate(sev),
	}
}

// runDeclare opens the incident the command described.
func (s *Service) runDeclare(ctx context.Context, a jobArgs) error {
	if a.Open == nil {
		return incident.Errorf(incident.Invalid, "The declaration was empty; declare the incident again.")
	}
	return s.open(ctx, a.Cmd, a.Open, "")
}

// open stores a new incident and queues the posting of its message: the
// thread under it is the incident's timeline. A retry finds the incident
// an earlier attempt stored and only makes sure the message is on its way.
func (s *Service) open(ctx context.Context, cmd Command, inc *incident.Incident, triageText string) error {
	_, err := s.Store.Incident(ctx, inc.ID)
	switch {
	case incident.KindOf(err) == incident.NotFound:
		if err := s.Store.CreateIncident(ctx, inc); err != nil {
			return err
		}
		s.record(ctx, inc, incident.KindDeclared, cmd.UserID, inc.Title)
		if triageText != "" {
			s.record(ctx, inc, incident.KindTriage, "", triageText)
		}
		s.Log.Info().Str("incident", inc.Ref()).Str("vendor", inc.Vendor).Str("severity", string(inc.Severity)).Msg("incident opened")
	case err != nil:
		return err
	}
	return s.then(ctx, jobPost, inc.ID.String(), jobArgs{Cmd: cmd, Incident: inc.ID})
}

// runPost posts the incident's message, once: the job's key is the
// incident, so opening, retries and recovery all ask for the same job.
func (s *Service) runPost(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	if inc.MessageTS != "" {
		return nil
	}
	var note string
	if s.Config.Channels {
		if inc, note, err = s.ownChannel(ctx, inc); err != nil {
			return err
		}
	}
	if err := s.postIncident(ctx, inc); err != nil {
		if incident.KindOf(err) == incident.Internal {
			return err // Slack failed: try again
		}
		s.tell(ctx, a.Cmd, fmt.Sprintf("%s is open, but its message could not be posted here: %s",
			inc.Ref(), incident.Message(err)))
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post the incident message")
		return nil
	}
	if note != "" {
		s.channelNote(ctx, inc, note)
	}
	s.homeChanged(ctx, inc.TeamID)
	return nil
}

// postIncident posts the incident message and remembers its ts: the thread
// under it is the incident's timeline.
func (s *Service) postIncident(ctx context.Context, inc *incident.Incident) error {
	m, err := messages.Incident(inc)
	if err != nil {
		return err
	}
	ts, err := s.Slack.Post(ctx, inc.ChannelID, "", m)
	if err != nil {
		return err
	}
	if _, _, err := s.modify(ctx, inc.ID, func(i *incident.Incident) (bool, error) {
		i.MessageTS = ts
		return true, nil
	}); err != nil {
		return fmt.Errorf("remember the message of %s: %w", inc.Ref(), err)
	}
	return nil
}

// tell shows text to the user who gave cmd, only to them. Work nobody
// asked for (recovery, reminders) has nobody to tell.
func (s *Service) tell(ctx context.Context, cmd Command, text string) {
	if cmd.UserID == "" {
		return
	}
	if err := s.Slack.Ephemeral(ctx, cmd.ChannelID, cmd.UserID, cmd.ThreadTS, cmd.ResponseURL, notice(text)); err != nil {
		s.Log.Warn().Err(err).Msg("ephemeral reply")
	}
}

// severityCommand: /incident severity P1…P4 [INC-n]
func (s *Service) severityCommand(ctx context.Context, cmd Command, rest string) messages.Message {
	n, rest := takeRef(rest)
	sev, err := incident.ParseSeverity(rest)
	if err != nil {
		return notice("Say which severity: `/incident severity P2` (P1 all calls failing … P4 no user impact).")
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opSeverity, inc); !ok {
		return notice(msg)
	}
	if err := s.later(ctx, jobSeverity, jobArgs{Cmd: cmd, Incident: inc.ID, Severity: sev}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Setting %s to %s…", inc.Ref(), sev))
}

// setSeverity changes the severity, moves the next update, records who did
// it and updates the message. The value it already has changes nothing.
func (s *Service) setSeverity(ctx context.Context, id incidentID, user string, sev incident.Severity) error {
	var from incident.Severity
	inc, changed, err := s.modify(ctx, id, func(inc *incident.Incident) (bool, error) {
		if !inc.Open() {
			return false, incident.Errorf(incident.Conflict, "%s is resolved; `/incident reopen %s` first.", inc.Ref(), inc.Ref())
		}
		if inc.Severity == sev {
			return false, nil
		}
		from = inc.Severity
		inc.Severity = sev
		inc.NextUpdateAt = s.nextUpdate(sev)
		s.acknowledge(inc)
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	s.record(ctx, inc, incident.KindSeverity, user, fmt.Sprintf("%s → %s", from, sev))
	s.refresh(ctx, inc)
	return nil
}

// setStatus moves the incident to investigating, identified or monitoring.
func (s *Service) setStatus(ctx context.Context, id incidentID, user string, st incident.Status) error {
	var from incident.Status
	inc, changed, err := s.modify(ctx, id, func(inc *incident.Incident) (bool, error) {
		if !inc.Open() {
			return false, incident.Errorf(incident.Conflict, "%s is resolved; `/incident reopen %s` first.", inc.Ref(), inc.Ref())
		}
		if inc.Status == st {
			return false, nil
		}
		from = inc.Status
		inc.Status = st
		s.acknowledge(inc)
		if st == incident.Monitoring && inc.MitigatedAt.IsZero() {
			inc.MitigatedAt = s.Now()
		}
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	s.record(ctx, inc, incident.KindStatus, user, fmt.Sprintf("%s → %s", from.Label(), st.Label()))
	s.refresh(ctx, inc)
	s.followStatuspage(ctx, inc, "")
	return nil
}

// statusUpdate: /incident status TEXT [INC-n] — a status update in the thread.
func (s *Service) statusUpdate(ctx context.Context, cmd Command, rest string) messages.Message {
	n, text := takeRef(rest)
	if text == "" {
		return notice("Say what changed: `/incident status Token rotated, calls recovering`.")
	}
	// A bare status name moves the status; anything else is an update.
	if st, err := incident.ParseStatus(text); err == nil && st != incident.Resolved {
		inc, err := s.target(ctx, cmd, n)
		if err != nil {
			return notice(s.userError(err, "find the incident"))
		}
		if ok, msg := s.authorize(ctx, cmd.actor(n), opStatus, inc); !ok {
			return notice(msg)
		}
		if err := s.later(ctx, jobStatus, jobArgs{Cmd: cmd, Incident: inc.ID, Status: st}); err != nil {
			return s.refuse(err)
		}
		return notice(fmt.Sprintf("Setting %s to %s…", inc.Ref(), st.Label()))
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opUpdate, inc); !ok {
		return notice(msg)
	}
	text = messages.Truncate(2000, text)
	if err := s.later(ctx, jobUpdate, jobArgs{Cmd: cmd, Incident: inc.ID, Text: text}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Posting the update in the %s thread…", inc.Ref()))
}

// postUpdate records a status update, moves the next update and posts the
// update in the incident thread from the comms template.
func (s *Service) postUpdate(ctx context.Context, id incidentID, user, text string) error {
	inc, _, err := s.modify(ctx, id, func(inc *incident.Incident) (bool, error) {
		if !inc.Open() {
			return false, incident.Errorf(incident.Conflict, "%s is resolved; `/incident reopen %s` first.", inc.Ref(), inc.Ref())
		}
		inc.NextUpdateAt = s.nextUpdate(inc.Severity)
		s.acknowledge(inc)
		return true, nil
	})
	if err != nil {
		return err
	}
	s.record(ctx, inc, incident.KindUpdate, user, text)
	m, err := messages.Update(inc, user, text)
	if err != nil {
		return err
	}
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, m); err != nil {
		return err
	}
	s.refresh(ctx, inc)
	s.followStatuspage(ctx, inc, text)
	return nil
}

// commander: /incident commander @user [INC-n]
func (s *Service) commander(ctx context.Context, cmd Command, rest string) messages.Message {
	n, rest := takeRef(rest)
	user, ok := parseUser(rest)
	if !ok {
		return notice("Mention the new commander: `/incident commander @alice`. (If Slack sends the name as plain text, enable “Escape channels, users, and links” for the /incident command in the app settings.)")
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opCommander, inc); !ok {
		return notice(msg)
	}
	if err := s.later(ctx, jobCommander, jobArgs{Cmd: cmd, Incident: inc.ID, User: user}); err != nil {
		return s.refuse(err)
	}
	return notice(fmt.Sprintf("Making <@%s> the commander of %s…", user, inc.Ref()))
}

// runCommander hands the commander role to a.User.
func (s *Service) runCommander(ctx context.Context, a jobArgs) error {
	var from string
	inc, changed, err := s.modify(ctx, a.Incident, func(inc *incident.Incident) (bool, error) {
		if inc.Commander == a.User {
			return false, nil
		}
		from = inc.Commander
		inc.Commander = a.User
		s.acknowledge(inc)
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	text := "<@" + a.User + ">"
	if from != "" {
		text = "<@" + from + "> → <@" + a.User + ">"
	}
	s.record(ctx, inc, incident.KindCommander, a.Cmd.UserID, text)
	s.refresh(ctx, inc)
	return nil
}

// listShown is the most incidents list reads; it shows those that fit in
// listText characters, and the count is of all of them.
const (
	listShown = 40
	listText  = 2800 // a notice holds 3000; the rest is for the last line
)

// list: the open incidents of this channel; with "all", of the workspace,
// but for those of private channels other than this one. Each links to its
// message.
func (s *Service) list(ctx context.Context, cmd Command, rest string) messages.Message {
	f := incident.Filter{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID, OpenOnly: true}
	where := " in this channel"
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "":
	case "all":
		f.ChannelID, f.VisibleIn, where = "", cmd.ChannelID, ""
	default:
		return notice("`/incident list` shows this channel's open incidents; `/incident list all` those of every channel you may see.")
	}
	if cmd.ChannelID == "" {
		return notice("`/incident list` works in a channel.")
	}
	f.Limit = listShown
	open, err := s.Store.Incidents(ctx, f)
	if err != nil {
		return notice(s.userError(err, "list the incidents"))
	}
	if len(open) == 0 {
		return notice("No open incidents" + where + ". :tada:")
	}
	total := len(open)
	if total == listShown { // there may be more: count them
		if total, err = s.Store.CountIncidents(ctx, f); err != nil {
			return notice(s.userError(err, "count the incidents"))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Open incidents%s (%d)*\n", where, total)
	shown := 0
	for _, inc := range open {
		name := messages.Escape(inc.Ref() + ": " + messages.Truncate(80, inc.Title))
		if link := permalink(inc); link != "" {
			name = "<" + link + "|" + name + ">"
		}
		line := fmt.Sprintf("• [%s] %s — %s, in <#%s>, commander %s\n", inc.Severity, name, inc.Status.Label(),
			inc.ChannelID, mention(inc.Commander))
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line) > listText {
			break
		}
		b.WriteString(line)
		shown++
	}
	if more := total - shown; more > 0 {
		fmt.Fprintf(&b, "…and %d more, older; name one with `INC-n`.\n", more)
	}
	return notice(b.String())
}

func mention(user string) string {
	if user == "" {
		return "unassigned"
	}
	return "<@" + user + ">"
}

// permalink is the archive link of the incident message.
func permalink(inc *incident.Incident) string {
	if inc.MessageTS == "" || inc.ChannelID == "" {
		return ""
	}
	return "https://slack.com/archives/" + inc.ChannelID + "/p" + strings.ReplaceAll(inc.MessageTS, ".", "")
}

// reopen: /incident reopen INC-n
func (s *Service) reopen(ctx context.Context, cmd Command, rest string) messages.Message {
	n, _ := takeRef(rest)
	if n == 0 && cmd.ThreadTS == "" {
		return notice("Say which incident: `/incident reopen INC-3`.")
	}
	inc, err := s.target(ctx, cmd, n)
	if err != nil {
		return notice(s.userError(err, "find the incident"))
	}
	if ok, msg := s.authorize(ctx, cmd.actor(n), opReopen, inc); !ok {
		return notice(msg)
	}
	if inc.Open() {
		return notice(inc.Ref() + " is not resolved.")
	}
	if err := s.later(ctx, jobReopen, jobArgs{Cmd: cmd, Incident: inc.ID}); err != nil {
		return s.refuse(err)
	}
	return notice("Reopening " + inc.Ref() + "…")
}

// runReopen moves a resolved incident back to investigating.
func (s *Service) runReopen(ctx context.Context, a jobArgs) error {
	inc, changed, err := s.modify(ctx, a.Incident, func(inc *incident.Incident) (bool, error) {
		if inc.Open() {
			return false, nil
		}
		inc.Status = incident.Investigating
		inc.ResolvedAt = timeZero
		inc.NextUpdateAt = s.nextUpdate(inc.Severity)
		// The next resolve writes a new postmortem; the old file stays in the thread.
		inc.Postmortem, inc.PostmortemFileID, inc.PostmortemLink = "", "", ""
		return true, nil
	})
	if err != nil || !changed {
		return err
	}
	s.record(ctx, inc, incident.KindReopened, a.Cmd.UserID, "")
	s.refresh(ctx, inc)
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS,
		notice(fmt.Sprintf(":rotating_light: %s reopened by <@%s>.", inc.Ref(), a.Cmd.UserID))); err != nil {
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("post reopen notice")
	}
	return nil
}
