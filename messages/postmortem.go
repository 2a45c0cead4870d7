package messages

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// PostmortemData is what the postmortem is written from.
type PostmortemData struct {
	Incident *incident.Incident
	Timeline []incident.Entry
	Names    map[string]string // Slack user id → name to show
	Note     string            // said at the top when the thread could not be read
	// Followups are the incident's follow-ups: those said with the command
	// become action items, those from `action:` replies add their issue's
	// link to the reply's item.
	Followups []incident.Followup
}

type pmRow struct{ Time, Who, What string }

type pmDay struct {
	Date string
	Rows []pmRow
}

type pmView struct {
	Title, Date, Start, End, Duration, Severity, Status, Commander, Participants string
	RequestIDs                                                                   []string
	Note, Summary, RootCause, Impact                                             string
	Days                                                                         []pmDay
	MultiDay                                                                     bool
	ToAck, ToMitigate, ToResolve                                                 string
	Actions, Resources, Evidence                                                 []string
	VendorWindow, VendorLag                                                      string // from the vendor watch's timeline entries
	Comms, Scribe                                                                string // the other roles, when held
}

// Postmortem renders the postmortem in markdown. Every piece of user text
// goes through one escaper (inlineMD, or mrkdwnMD for text written in
// Slack, which also turns Slack's *bold*, _italics_, ~strike~ and `code`
// into markdown's), so a reply cannot add a heading, break the timeline
// table or inject HTML, and the raw file still reads as what was written.
func Postmortem(d PostmortemData) (string, error) {
	inc := d.Incident
	r := &slackText{names: d.Names}
	end := inc.ResolvedAt
	if end.IsZero() {
		end = inc.UpdatedAt
	}
	v := pmView{
		Title: inlineMD(inc.Ref() + ": " + inc.Title), Date: inc.DeclaredAt.UTC().Format("2006-01-02"),
		Start: inc.DeclaredAt.UTC().Format("2006-01-02 15:04:05"), End: "— (still open)",
		Duration: Duration(end.Sub(inc.DeclaredAt)), Severity: string(inc.Severity) + " (" + inc.Severity.Impact() + ")",
		Status: inc.Status.Label(), Commander: r.who(inc.Commander), Note: inlineMD(d.Note),
		ToAck: since(inc.DeclaredAt, inc.AcknowledgedAt), ToMitigate: since(inc.DeclaredAt, inc.MitigatedAt),
		ToResolve: since(inc.DeclaredAt, inc.ResolvedAt),
	}
	if !inc.ResolvedAt.IsZero() {
		v.End = inc.ResolvedAt.UTC().Format("2006-01-02 15:04:05")
	}
	if inc.Impact != "" { // as the declare form described it
		v.Impact = inlineMD(strings.Join(strings.Fields(inc.Impact), " "))
	}
	if inc.Comms != "" {
		v.Comms = r.who(inc.Comms)
	}
	if inc.Scribe != "" {
		v.Scribe = r.who(inc.Scribe)
	}
	v.Summary = mrkdwnMD(r.plain(inc.Summary))
	diag := inc.Diagnosis
	switch {
	case v.Summary != "":
	case diag != nil && diag.Summary != "":
		v.Summary = inlineMD(diag.Summary)
	default:
		v.Summary = inlineMD(inc.Title)
	}
	if diag != nil {
		v.RootCause = inlineMD(diag.Summary)
		if diag.HTTPStatus != 0 {
			v.RootCause += fmt.Sprintf(" (HTTP %d)", diag.HTTPStatus)
		}
		v.RootCause += ". Cause: " + codeMD(diag.Cause) + "."
		for _, e := range diag.Evidence {
			v.Evidence = append(v.Evidence, inlineMD(e))
		}
		for _, id := range diag.RequestIDs {
			v.RequestIDs = append(v.RequestIDs, codeMD(id))
		}
		for _, l := range diag.Links {
			v.Resources = append(v.Resources, linkMD(l))
		}
	}
	participants := map[string]bool{}
	var items []pmItem
	byReply := map[string]incident.Followup{}
	for _, f := range d.Followups {
		if ts, ok := strings.CutPrefix(f.Source, "msg:"); ok {
			byReply[ts] = f
			continue
		}
		items = append(items, pmItem{f.CreatedAt, mrkdwnMD(r.plain(f.Text)) + " — " + r.who(f.Author) + issueMD(f)})
	}
	var dayOf string
	for _, e := range d.Timeline {
		if e.Author != "" {
			participants[r.who(e.Author)] = true
		}
		row, ok := r.row(e)
		if !ok {
			continue
		}
		date := e.At.UTC().Format("2006-01-02 (Monday)")
		if date != dayOf || len(v.Days) == 0 {
			v.Days = append(v.Days, pmDay{Date: date})
			dayOf = date
		}
		day := &v.Days[len(v.Days)-1]
		day.Rows = append(day.Rows, row)
		if e.Kind == incident.KindMessage && !e.Deleted {
			if item, ok := actionItem(e.Text); ok {
				item = mrkdwnMD(r.plain(item)) + " — " + r.who(e.Author)
				if f, ok := byReply[e.SlackTS]; ok {
					item += issueMD(f)
				}
				items = append(items, pmItem{e.At, item})
			}
		}
	}
	v.MultiDay = len(v.Days) > 1
	v.VendorWindow, v.VendorLag = vendorWindow(d.Timeline)
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
	for _, it := range items {
		v.Actions = append(v.Actions, it.text)
	}
	if diag != nil {
		for _, p := range diag.Prevention {
			v.Actions = append(v.Actions, inlineMD(p))
		}
	}
	people := make([]string, 0, len(participants))
	for p := range participants {
		people = append(people, p)
	}
	sort.Strings(people)
	v.Participants = strings.Join(people, ", ")
	doc, err := renderText("postmortem", v)
	if err != nil {
		return "", err
	}
	return doc + "\n", nil
}

// pmItem is an action item and when it was said.
type pmItem struct {
	at   time.Time
	text string
}

// issueMD is what an action item says of its tracker issue: a link once
// filed, else where it stands.
func issueMD(f incident.Followup) string {
	tracker := trackerLabel(f.Tracker)
	switch f.State {
	case incident.FollowupCreated:
		key := inlineMD(f.IssueKey)
		switch {
		case !safeURL.MatchString(f.IssueURL):
		case !strings.ContainsAny(f.IssueURL, "()"):
			return " ([" + key + "](" + f.IssueURL + "))"
		default: // CommonMark's form for a destination with parentheses
			return " ([" + key + "](<" + f.IssueURL + ">))"
		}
		return " (" + tracker + " " + key + ")"
	case incident.FollowupPending:
		return " _(" + tracker + " issue being filed)_"
	case incident.FollowupFailed:
		return " _(not filed in " + tracker + ": see the incident thread)_"
	}
	return ""
}

func trackerLabel(kind string) string { return inlineMD(TrackerName(kind)) }

// since is the time from start to t, or a dash when t never happened.
func since(start, t time.Time) string {
	if t.IsZero() {
		return "— (not recorded)"
	}
	return Duration(t.Sub(start))
}

// Duration writes d the way people say it: 1h 15m, 2d 3h, 45s.
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	h, d := d/time.Hour, d%time.Hour
	m, d := d/time.Minute, d%time.Minute
	sec := d / time.Second
	var parts []string
	for _, p := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {h, "h"}, {m, "m"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d%s", p.n, p.unit))
		}
	}
	if len(parts) == 0 || (days == 0 && h == 0 && sec > 0) {
		parts = append(parts, fmt.Sprintf("%ds", sec))
	}
	return strings.Join(parts, " ")
}

var actionPrefix = regexp.MustCompile(`(?i)^\s*(action|todo|to-do|follow-up|followup|follow up)\s*:\s*`)

// actionItem reports whether a reply is an action item, and its text.
func actionItem(text string) (string, bool) {
	loc := actionPrefix.FindStringIndex(text)
	if loc == nil {
		return "", false
	}
	item := strings.TrimSpace(text[loc[1]:])
	return item, item != ""
}

// slackText turns Slack's message markup into readable markdown.
type slackText struct{ names map[string]string }

var slackMarkup = regexp.MustCompile(`<([@#!])([^>|]+)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>`)

// plain rewrites mentions, channel references and links and decodes
// Slack's entities; the result is raw text for inlineMD.
func (r *slackText) plain(s string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		g := slackMarkup.FindStringSubmatch(m)
		switch {
		case g[1] == "@":
			return r.person(g[2])
		case g[1] == "#":
			if g[3] != "" {
				return "#" + g[3]
			}
			return "#" + g[2]
		case g[1] == "!":
			if g[3] != "" {
				return g[3] // <!subteam^S1|@oncall>, <!date^…|fallback>
			}
			name, _, _ := strings.Cut(g[2], "^")
			return "@" + name
		case g[5] != "":
			return g[5] + " (" + g[4] + ")"
		}
		return g[4]
	})
	return slackEntities.Replace(s)
}

// slackEntities decodes the three entities Slack escapes in message text.
// A Replacer is safe for concurrent use; building one per entry cost 12 %
// of rendering a postmortem.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// who is a person, escaped, for a place of its own in the document.
func (r *slackText) who(id string) string { return inlineMD(r.person(id)) }

// person is "@name" as raw text, for plain to put inside text that is
// escaped as a whole.
func (r *slackText) person(id string) string {
	if id == "" {
		return "bot"
	}
	if n := r.names[id]; n != "" {
		return "@" + n
	}
	return "@" + id
}

// row is one line of the timeline table; edits and deletions show in the
// message they changed, so they have no row of their own.
func (r *slackText) row(e incident.Entry) (pmRow, bool) {
	row := pmRow{Time: e.At.UTC().Format("15:04:05"), Who: r.who(e.Author)}
	switch {
	case e.Kind == incident.KindEdit, e.Kind == incident.KindDeletion:
		return row, false
	case e.Kind == incident.KindReminder && e.Author == "":
		return row, false // the bot's own reminders; a person's snooze or stop stays
	case e.Kind == incident.KindMessage:
		row.What = mrkdwnMD(r.plain(e.Text))
		if e.Edited {
			row.What += " _(edited)_"
		}
		if e.Deleted {
			row.What = "~~" + row.What + "~~ _(deleted)_"
		}
	default:
		row.What = "**" + kindLabel(e.Kind) + "**"
		switch {
		case e.Text == "":
		case e.Kind == incident.KindUpdate, e.Kind == incident.KindResolved, e.Kind == incident.KindCaptured:
			row.What += ": " + mrkdwnMD(r.plain(e.Text)) // what people wrote in Slack
		default:
			row.What += ": " + inlineMD(r.plain(e.Text))
		}
	}
	return row, true
}

func kindLabel(k incident.EntryKind) string {
	switch k {
	case incident.KindUpdate:
		return "Status update"
	case incident.KindRefused:
		return "Refused"
	case incident.KindVendorOpened:
		return "Vendor incident opened"
	case incident.KindVendorResolved:
		return "Vendor incident resolved"
	case incident.KindVendorLag:
		return "Vendor lag"
	case incident.KindFollowup:
		return "Follow-up"
	}
	return strings.ToUpper(string(k[:1])) + string(k[1:])
}

// inlineMD makes plain text (a title, a vendor's words, a name) safe on one
// line of markdown, in a paragraph or a table cell, and readable as it is:
// it cannot start a heading, list or quote, end a table cell, open a link,
// code span or emphasis, or carry HTML. Characters markdown would read are
// escaped with a backslash (\<, \*, \|), not turned into HTML entities, so
// the raw file reads as the text that was written.
func inlineMD(s string) string {
	return lineStart(strings.TrimSpace(escapeMD(strings.ToValidUTF8(s, "\uFFFD"))))
}

// mrkdwnMD is inlineMD for text written in Slack (replies, summaries,
// status updates, after slackText.plain): Slack's own formatting becomes
// markdown's, *bold* → **bold**, _italics_ → *italics*, ~strike~ →
// ~~strike~~, `code` and ```code``` → a code span; everything else is
// escaped as inlineMD escapes it.
func mrkdwnMD(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	return lineStart(strings.TrimSpace(mrkdwnSpans(s)))
}

// escapeMD escapes every character of s that markdown could read as
// markup: backslash, the table pipe, < (HTML, autolinks), backticks,
// brackets, *, ~, an _ that could open or close emphasis (not one inside a
// word, as in snake_case), and an & that would start an entity. Line
// breaks and tabs become spaces.
func escapeMD(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '|', '<', '`', '[', ']', '*', '~':
			b.WriteByte('\\')
		case '_':
			if i == 0 || i == len(s)-1 || !isWordByte(s[i-1]) || !isWordByte(s[i+1]) {
				b.WriteByte('\\')
			}
		case '&':
			if mdEntity.MatchString(s[i:]) {
				b.WriteByte('\\')
			}
		case '\r', '\n', '\t':
			if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mdEntity is what markdown reads as an HTML entity after an &.
var mdEntity = regexp.MustCompile(`^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});`)

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// blockStart is what would start a heading, list, quote or rule at the
// start of a line; * and _ never reach it unescaped from text, and the
// emphasis mrkdwnMD writes is never followed by a space.
var blockStart = regexp.MustCompile(`^(#|[-+>=]|\d+[.)])`)

// lineStart escapes what would make s a block rather than a line of text.
func lineStart(s string) string {
	if m := blockStart.FindStringIndex(s); m != nil {
		s = s[:m[1]-1] + "\\" + s[m[1]-1:]
	}
	return s
}

// mrkdwnSpans converts s, Slack text, to markdown: the code spans and
// emphasis Slack would show become markdown's, the text between them is
// escaped. Emphasis follows Slack's rule: the opening mark starts a word
// (after the start, a space or punctuation) and is followed by a
// non-space; the closing one, on the same line, follows a non-space and
// ends a word.
func mrkdwnSpans(s string) string {
	var b strings.Builder
	text := 0         // start of the text not written yet
	var dead [256]int // mark → the line end before which it has no closing mark
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '`' {
			fence := "`"
			if strings.HasPrefix(s[i:], "```") {
				fence = "```"
			}
			end := strings.Index(s[i+len(fence):], fence)
			if end < 0 || (fence == "`" && strings.Contains(s[i+1:i+1+end], "\n")) {
				continue
			}
			code := s[i+len(fence) : i+len(fence)+end]
			if strings.TrimSpace(code) == "" {
				continue
			}
			b.WriteString(escapeMD(s[text:i]))
			b.WriteString(codeMD(code))
			i += 2*len(fence) + end - 1
			text = i + 1
			continue
		}
		md, ok := emphasis[c]
		if !ok || i < dead[c] || (i > 0 && (isWordByte(s[i-1]) || s[i-1] == c)) || i+1 >= len(s) || isSpace(s[i+1]) || s[i+1] == c {
			continue
		}
		end := closing(s, i+1, c)
		if end < 0 {
			// No later mark on this line closes one either: a line of
			// unclosed marks costs one pass, not one per mark.
			dead[c] = len(s)
			if nl := strings.IndexByte(s[i:], '\n'); nl >= 0 {
				dead[c] = i + nl
			}
			continue
		}
		b.WriteString(escapeMD(s[text:i]))
		b.WriteString(md + mrkdwnSpans(s[i+1:end]) + md)
		i = end
		text = end + 1
	}
	b.WriteString(escapeMD(s[text:]))
	return b.String()
}

// emphasis maps Slack's marks to markdown's.
var emphasis = map[byte]string{'*': "**", '_': "*", '~': "~~"}

// closing is the index of the mark c that closes the emphasis opened just
// before from, or -1: on the same line, after a non-space, and not followed
// by a letter or digit.
func closing(s string, from int, c byte) int {
	for j := from + 1; j < len(s); j++ {
		switch {
		case s[j] == '\n':
			return -1
		case s[j] == c && !isSpace(s[j-1]) && (j+1 == len(s) || !isWordByte(s[j+1]) && s[j+1] != c):
			return j
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// codeMD is text for inside a code span, where backslashes are literal:
// no backticks, no line breaks, and table pipes escaped (GFM tables).
func codeMD(s string) string {
	s = codeSpecial.Replace(strings.ToValidUTF8(s, "\uFFFD"))
	return "`" + strings.TrimSpace(s) + "`"
}

var codeSpecial = strings.NewReplacer("`", "'", "\r", " ", "\n", " ", "|", "\\|")

var safeURL = regexp.MustCompile(`^https?://[^\s<>]+$`)

// linkMD writes a URL as a markdown autolink, or as text when it is not one.
func linkMD(s string) string {
	if safeURL.MatchString(s) {
		return "<" + s + ">"
	}
	return inlineMD(s)
}
