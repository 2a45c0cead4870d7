package messages

import (
	"fmt"
	"strings"

	"github.com/incident-bot/bot/internal/incident"
)

// TrackerName is how a person reads a FOLLOWUP_TRACKER value.
func TrackerName(kind string) string {
	switch kind {
	case "github":
		return "GitHub"
	case "jira":
		return "Jira"
	case "linear":
		return "Linear"
	}
	return kind
}

// FollowupFiled is the thread's reply once a follow-up is an issue: its
// link, and what it says.
func FollowupFiled(ref string, f incident.Followup) Message {
	link := Escape(f.IssueKey)
	if safeURL.MatchString(f.IssueURL) {
		link = "<" + f.IssueURL + "|" + Escape(Truncate(80, f.IssueKey)) + ">"
	}
	return Notice(fmt.Sprintf(":ticket: %s follow-up filed in %s as %s: %s", ref, TrackerName(f.Tracker), link,
		Escape(Truncate(500, f.Text))), followupBy(f))
}

// FollowupRecorded is the thread's reply to `/incident followup` when no
// tracker is configured: it is kept for the postmortem.
func FollowupRecorded(ref string, f incident.Followup) Message {
	return Notice(fmt.Sprintf(":memo: %s follow-up recorded: %s", ref, Escape(Truncate(500, f.Text))),
		followupBy(f)+" It will be listed in the postmortem's action items.")
}

// FollowupFailed is the thread's reply when a follow-up could not be filed:
// the tracker refused it, or every attempt failed. reason says what to fix.
func FollowupFailed(ref string, f incident.Followup, reason string) Message {
	return Notice(fmt.Sprintf(":warning: %s follow-up could not be filed in %s: %s", ref, TrackerName(f.Tracker),
		Escape(Truncate(500, f.Text))),
		Escape(Truncate(600, strings.TrimSuffix(reason, ".")))+". It stays in the postmortem's action items; file it by hand, or fix the setting and say it again.")
}

func followupBy(f incident.Followup) string {
	if f.Author == "" {
		return "Added by the bot."
	}
	if strings.HasPrefix(f.Source, "msg:") {
		return "From <@" + f.Author + ">'s `action:` reply."
	}
	return "Added by <@" + f.Author + ">."
}

// IssueDraft is the tracker issue a follow-up becomes: its title, a body
// that says where it came from, and the link back to the incident thread.
// names maps Slack user ids to names (mentions in the text are written as
// @name); link is the thread's permalink, empty when there is none yet.
func IssueDraft(inc *incident.Incident, f incident.Followup, names map[string]string, link, marker string) incident.IssueDraft {
	r := &slackText{names: names}
	text := strings.TrimSpace(strings.Join(strings.Fields(r.plain(f.Text)), " "))
	body := []string{r.plain(f.Text)}
	from := fmt.Sprintf("A follow-up of %s (%s), declared %s", inc.Ref(), r.plain(inc.Title),
		inc.DeclaredAt.UTC().Format("2006-01-02 15:04 UTC"))
	if f.Author != "" {
		from += ", added by " + r.person(f.Author)
	}
	body = append(body, from+". Filed by the incident bot.")
	return incident.IssueDraft{
		Title:  Truncate(250, inc.Ref()+" follow-up: "+text),
		Body:   body,
		Labels: []string{"incident", inc.Ref()},
		Link:   link, Marker: marker, Since: f.CreatedAt,
	}
}
