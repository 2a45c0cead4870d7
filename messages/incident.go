package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

type button struct {
	Value, Label string
	Current      bool
}

type incidentView struct {
	ID, Ref, Header, Status, Severity, Impact, Commander string
	Cause, Why, Action, Checks, ResolvedNote             string
	Declared, NextUpdate, ResolvedAt                     time.Time
	Resolved                                             bool
	Severities, Statuses                                 []button
	Comms, Scribe                                        string // the other roles, when held
}

// Incident renders the incident message: header, fields, cause, the
// mitigation as a numbered list, the checks, and the buttons: severity,
// status and Resolve while it is open, Reopen once resolved.
func Incident(inc *incident.Incident) (Message, error) {
	v := incidentView{
		ID: inc.ID.String(), Ref: inc.Ref(), Status: inc.Status.Label(), Severity: string(inc.Severity),
		Impact: inc.Severity.Impact(), Commander: inc.Commander, Declared: inc.DeclaredAt,
		NextUpdate: inc.NextUpdateAt, ResolvedAt: inc.ResolvedAt, Resolved: !inc.Open(),
		Cause: "Not diagnosed yet: declared by hand.",
	}
	v.Comms, v.Scribe = inc.Comms, inc.Scribe
	v.Impact = Escape(impactOf(inc))
	tag := "[" + string(inc.Severity) + "]"
	if v.Resolved {
		tag = "[RESOLVED]"
	}
	v.Header = fmt.Sprintf("%s INCIDENT %s: %s", tag, inc.Ref(), inc.Title)
	if d := inc.Diagnosis; d != nil {
		v.Cause = Cause(d)
		v.Why = why(d.Evidence)
		v.Action = numbered(d.Mitigation)
		v.Checks = checks(d.Checks)
	}
	for _, s := range incident.Severities {
		v.Severities = append(v.Severities, button{Value: string(s), Label: string(s), Current: s == inc.Severity})
	}
	for _, s := range incident.Statuses[:3] {
		v.Statuses = append(v.Statuses, button{Value: string(s), Label: s.Label(), Current: s == inc.Status})
	}
	if v.Resolved {
		v.ResolvedNote = "Resolved " + slackDate(inc.ResolvedAt) + "."
		if inc.PostmortemLink != "" {
			v.ResolvedNote += " <" + inc.PostmortemLink + "|Postmortem>"
		}
	}
	blocks, err := render("incident", v)
	if err != nil {
		return Message{}, err
	}
	// The fallback text is mrkdwn to Slack (notifications, old clients).
	fallback := Escape(v.Header + ": " + v.Status + ", " + v.Severity)
	return Message{Text: Truncate(maxFallback, fallback), Blocks: blocks}, nil
}

// Cause is the diagnosis in one line of mrkdwn: the summary, the HTTP
// status when it is a failure (a healthy vendor's 200 says nothing) and the
// vendor's request ids.
func Cause(d *incident.Diagnosis) string {
	var b strings.Builder
	b.WriteString(Escape(d.Summary))
	var extra []string
	if d.HTTPStatus != 0 && (d.HTTPStatus < 200 || d.HTTPStatus > 299) {
		extra = append(extra, fmt.Sprintf("HTTP %d", d.HTTPStatus))
	}
	for _, id := range d.RequestIDs {
		extra = append(extra, "request id `"+Escape(id)+"`")
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// maxWhy is how many evidence lines a message shows: the strongest.
const maxWhy = 3

// why lists the strongest evidence lines, one bullet each.
func why(evidence []string) string {
	var b strings.Builder
	for _, e := range evidence[:min(len(evidence), maxWhy)] {
		b.WriteString("• " + Escape(e) + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func numbered(steps []string) string {
	var b strings.Builder
	for i, s := range steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, Escape(s))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func checks(cs []incident.Check) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		p := "*" + Escape(c.Name) + "*: " + Escape(c.Result)
		if c.Detail != "" {
			p += " (" + Escape(c.Detail) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

type updateView struct {
	Ref, Title, Severity, Status, Impact, Text, Author, Body string
	NextUpdate                                               time.Time
}

// Update renders a status update for the incident thread.
func Update(inc *incident.Incident, author, text string) (Message, error) {
	v := updateView{Ref: inc.Ref(), Title: inc.Title, Severity: string(inc.Severity), Status: inc.Status.Label(),
		Impact: Escape(impactOf(inc)), Text: text, Author: author, NextUpdate: inc.NextUpdateAt}
	var err error
	if v.Body, err = renderText("update_body", v); err != nil {
		return Message{}, err
	}
	blocks, err := render("update", v)
	if err != nil {
		return Message{}, err
	}
	fallback, err := renderText("update_text", v)
	if err != nil {
		return Message{}, err
	}
	return Message{Text: Truncate(maxFallback, fallback), Blocks: blocks}, nil
}

type noticeView struct{ Text, Context string }

// Notice renders a short message. text is mrkdwn the caller built (user
// parts already escaped with Escape); context is an optional grey line.
func Notice(text, context string) Message {
	blocks, err := render("notice", noticeView{Text: text, Context: context})
	if err != nil {
		// The notice template has no optional keys; this cannot fail on
		// any input, but a plain-text message is still better than none.
		return Message{Text: Truncate(maxFallback, text)}
	}
	return Message{Text: Truncate(maxFallback, text), Blocks: blocks}
}

// HelpLine is one subcommand in /incident help: the words after /incident,
// another way to say it (optional), and what it does.
type HelpLine struct{ Usage, Also, Text string }

// Help is the answer to /incident help, one line per subcommand.
func Help(lines []HelpLine) Message {
	t, err := renderText("help", lines)
	if err != nil {
		words := make([]string, len(lines))
		for i, l := range lines {
			words[i] = l.Usage
		}
		return Message{Text: "Try /incident " + strings.Join(words, ", ")}
	}
	return Notice(t, "")
}

type triageView struct{ Text, Checks, Vendor, Name string }

// Healthy is the answer to a triage that found nothing wrong: the vendor
// looks healthy, the checks, and a button to declare an incident anyway.
// vendor is the catalog key the button carries.
func Healthy(name, vendor string, d *incident.Diagnosis) (Message, error) {
	text := fmt.Sprintf(":white_check_mark: *%s looks healthy:* %s.\nNo incident was opened. If you still see a problem, declare one.",
		Escape(name), strings.TrimSuffix(Cause(d), "."))
	if w := why(d.Evidence); w != "" {
		text += "\n" + w
	}
	blocks, err := render("triage_report", triageView{Text: text, Checks: checks(d.Checks), Vendor: vendor, Name: name})
	if err != nil {
		return Message{}, err
	}
	return Message{Text: Truncate(maxFallback, Escape(name)+" looks healthy"), Blocks: blocks}, nil
}

// Retriage is a new triage's report in the thread of the vendor's open
// incident; changed says whether the cause differs from the incident's.
func Retriage(inc *incident.Incident, name string, d *incident.Diagnosis, changed bool) (Message, error) {
	lead := fmt.Sprintf(":mag: *New triage of %s:* ", Escape(name))
	switch {
	case inc.Diagnosis == nil:
		// An incident opened without a triage (an alert, the declare
		// form): this is its first, not a change.
		lead = fmt.Sprintf(":mag: *Triage of %s:* ", Escape(name))
	case changed:
		lead = fmt.Sprintf(":mag: *New triage of %s: the cause changed.* ", Escape(name))
	}
	text := lead + Cause(d)
	if w := why(d.Evidence); w != "" {
		text += "\n" + w
	}
	if changed && len(d.Mitigation) > 0 {
		text += "\n*Action:*\n" + numbered(d.Mitigation)
	}
	blocks, err := render("triage_report", triageView{Text: text, Checks: checks(d.Checks)})
	if err != nil {
		return Message{}, err
	}
	return Message{Text: Truncate(maxFallback, Escape(inc.Ref()+": new triage of "+name)), Blocks: blocks}, nil
}
