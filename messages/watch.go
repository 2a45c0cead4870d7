package messages

import (
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// The kinds of change the vendor watch reports (WatchChange.Kind).
const (
	WatchIncidentOpened    = "incident_opened"
	WatchIncidentRerated   = "incident_rerated"
	WatchIncidentUpdated   = "incident_updated" // a new update or status: said only in an open incident's thread
	WatchIncidentResolved  = "incident_resolved"
	WatchMaintenanceStart  = "maintenance_started"
	WatchMaintenanceEnd    = "maintenance_ended"
	WatchComponentDegraded = "component_degraded"
	WatchComponentRecover  = "component_recovered"
	WatchProbeFailing      = "probe_failing"
	WatchProbeRecovered    = "probe_recovered"
	WatchAllClear          = "all_clear" // resolved on the page and our probe healthy for a few checks
	// WatchCauseChanged: the triage finds another problem than before (the
	// vendor still in trouble); said only in an open incident's thread,
	// whose message then shows the new cause.
	WatchCauseChanged = "cause_changed"
)

// WatchChange is one change of a watched vendor's state, as the watcher
// found it. The texts are the vendor's (or the probe's) raw words; this
// package escapes them.
type WatchChange struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject,omitempty"` // the incident's, maintenance's or component's name
	Impact  string    `json:"impact,omitempty"`  // an incident's impact now
	Was     string    `json:"was,omitempty"`     // the impact or status before, for re-ratings
	Status  string    `json:"status,omitempty"`  // the incident's or component's status now
	Words   string    `json:"words,omitempty"`   // the vendor's latest update
	At      time.Time `json:"at,omitzero"`       // when the vendor said it
	URL     string    `json:"url,omitempty"`
	Started time.Time `json:"started,omitzero"` // when the vendor's incident began, by its page
}

// Bad reports whether the change is the vendor going bad: what a
// Declare incident button is offered for.
func (c WatchChange) Bad() bool {
	switch c.Kind {
	case WatchIncidentOpened, WatchComponentDegraded, WatchProbeFailing:
		return true
	case WatchIncidentRerated:
		return impactRank(c.Impact) > impactRank(c.Was)
	}
	return false
}

func impactRank(s string) int {
	switch strings.ToLower(s) {
	case "minor":
		return 1
	case "major":
		return 2
	case "critical":
		return 3
	}
	return 0
}

// WatchPost is one message of the vendor watch: the changes one check of
// a vendor found, for one channel.
type WatchPost struct {
	Vendor, Name string // catalog key and display name
	Changes      []WatchChange
	// The triage's verdict on the check: cause, summary, evidence.
	Cause, Summary string
	Evidence       []string
	// Incident, when set, is the vendor's open incident in the channel:
	// the message goes into its thread.
	Incident *incident.Incident
	// Resolve offers the incident's Resolve button (the all-clear).
	Resolve bool
	// Lag says the vendor lag, when this check measured it.
	Lag string
}

type watchView struct {
	Text, Context string
	Vendor        string // set: the Declare incident button, carrying the vendor key
	Incident, Ref string // set: the Resolve button, carrying the incident id
}

// Watch renders a vendor watch message.
func Watch(p WatchPost) (Message, error) {
	name := Escape(p.Name)
	var b strings.Builder
	bad := false
	for i, c := range p.Changes {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(watchLine(name, c))
		if q := quoteAt(c.Words, c.At); q != "" {
			b.WriteString("\n" + q)
		}
		bad = bad || c.Bad()
	}
	v := watchView{Text: b.String()}
	if p.Incident != nil {
		v.Text = "*" + p.Incident.Ref() + "* · " + v.Text
	}
	var ctx []string
	if p.Cause != "" {
		ctx = append(ctx, "Triage: `"+Escape(p.Cause)+"` — "+Escape(p.Summary))
	}
	if w := why(p.Evidence); w != "" {
		ctx = append(ctx, w)
	}
	if p.Lag != "" {
		ctx = append(ctx, ":stopwatch: "+Escape(p.Lag))
	}
	v.Context = strings.Join(ctx, "\n")
	switch {
	case p.Incident != nil && p.Resolve && p.Incident.Open():
		v.Incident, v.Ref = p.Incident.ID.String(), p.Incident.Ref()
	case p.Incident == nil && bad:
		v.Vendor = p.Vendor
	}
	blocks, err := render("watch_change", v)
	if err != nil {
		return Message{}, err
	}
	fallback := p.Name + ": " + watchHeadline(p.Changes)
	if p.Incident != nil {
		fallback = p.Incident.Ref() + " · " + fallback
	}
	return Message{Text: Truncate(maxFallback, Escape(fallback)), Blocks: blocks}, nil
}

// watchHeadline is the first change in a few plain words, for notifications.
func watchHeadline(cs []WatchChange) string {
	if len(cs) == 0 {
		return "state changed"
	}
	s := strings.ReplaceAll(cs[0].Kind, "_", " ")
	if cs[0].Subject != "" {
		s += ": " + cs[0].Subject
	}
	if len(cs) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(cs)-1)
	}
	return s
}

// watchLine says one change in a sentence; name is escaped already.
func watchLine(name string, c WatchChange) string {
	subj := "“" + Escape(Truncate(120, c.Subject)) + "”"
	if c.URL != "" && linkable(c.URL) {
		subj = "<" + c.URL + "|" + Escape(Truncate(120, c.Subject)) + ">"
	}
	impact := ""
	if c.Impact != "" {
		impact = " (impact " + Escape(c.Impact) + ")"
	}
	switch c.Kind {
	case WatchIncidentOpened:
		return fmt.Sprintf(":rotating_light: *%s opened an incident:* %s%s", name, subj, impact)
	case WatchIncidentRerated:
		return fmt.Sprintf(":arrows_counterclockwise: *%s re-rated* %s: impact %s → %s", name, subj, Escape(c.Was), Escape(c.Impact))
	case WatchIncidentUpdated:
		return fmt.Sprintf(":memo: *%s updated* %s: %s", name, subj, Escape(c.Status))
	case WatchIncidentResolved:
		return fmt.Sprintf(":white_check_mark: *%s resolved* %s", name, subj)
	case WatchMaintenanceStart:
		return fmt.Sprintf(":construction: *%s started maintenance:* %s", name, subj)
	case WatchMaintenanceEnd:
		return fmt.Sprintf(":white_check_mark: *%s ended maintenance:* %s", name, subj)
	case WatchComponentDegraded:
		return fmt.Sprintf(":warning: *%s: component %s is %s*", name, subj, Escape(strings.ReplaceAll(c.Status, "_", " ")))
	case WatchComponentRecover:
		return fmt.Sprintf(":white_check_mark: *%s: component %s is operational again*", name, subj)
	case WatchProbeFailing:
		return fmt.Sprintf(":x: *Our calls to %s started failing:* %s", name, Escape(Truncate(300, c.Words)))
	case WatchProbeRecovered:
		return fmt.Sprintf(":white_check_mark: *Our calls to %s work again*", name)
	case WatchCauseChanged:
		return fmt.Sprintf(":mag: *The triage of %s finds another cause:* `%s` → `%s`", name, Escape(c.Was), Escape(c.Status))
	case WatchAllClear:
		return fmt.Sprintf(":large_green_circle: *%s looks healthy again:* nothing open on its status page and our checks pass.", name)
	}
	return fmt.Sprintf("*%s:* %s", name, Escape(c.Kind))
}

// quote is the vendor's own words as a mrkdwn quote, with when they were
// said; empty without words. Probe failures carry their words in the line.
func quoteAt(words string, at time.Time) string {
	words = strings.TrimSpace(words)
	if words == "" || at.IsZero() {
		return ""
	}
	lines := strings.Split(Escape(Truncate(600, words)), "\n")
	return ">" + strings.Join(lines, "\n>") + "\n> — " + slackDate(at)
}

// linkable admits http(s) links without the characters that would end a
// mrkdwn link early.
func linkable(u string) bool {
	return (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && !strings.ContainsAny(u, "<>| \n")
}

// WatchingLine is one watched vendor in the answer to /incident watching.
type WatchingLine struct {
	Name    string
	State   incident.VendorState
	Checked time.Time // zero: not checked yet
}

// Watching answers /incident watching: the channel's watched vendors and
// their state now.
func Watching(lines []WatchingLine, interval time.Duration) Message {
	if len(lines) == 0 {
		return Notice("This channel watches no vendor. `/incident watch VENDOR` tells it whenever the vendor's state changes.", "")
	}
	var b strings.Builder
	b.WriteString("*Vendors watched here:*\n")
	for _, l := range lines {
		b.WriteString("• " + VendorStateLine(l.Name, l.State, l.Checked) + "\n")
	}
	return Notice(strings.TrimSuffix(b.String(), "\n"),
		fmt.Sprintf("Each is checked every %s. `/incident unwatch VENDOR` stops it.", Duration(interval)))
}

// VendorStateLine says a watched vendor's state in one line of mrkdwn:
// for /incident watching and App Home.
func VendorStateLine(name string, s incident.VendorState, checked time.Time) string {
	n := "*" + Escape(name) + "*"
	if checked.IsZero() {
		return n + ": not checked yet"
	}
	var parts []string
	switch {
	case s.PageError != "":
		parts = append(parts, "status page unreadable ("+Escape(Truncate(100, s.PageError))+")")
	case s.Indicator == "":
	case s.Indicator == "none" && len(s.Incidents) == 0 && len(s.Degraded) == 0:
		parts = append(parts, "status page all clear")
	}
	for _, in := range s.Incidents {
		parts = append(parts, "incident “"+Escape(Truncate(80, in.Name))+"” ("+Escape(in.Impact+", "+in.Status)+")")
	}
	for _, m := range s.Maintenances {
		parts = append(parts, "maintenance “"+Escape(Truncate(80, m.Name))+"”")
	}
	for _, c := range s.Degraded {
		parts = append(parts, Escape(c.Name)+" "+Escape(strings.ReplaceAll(c.Status, "_", " ")))
	}
	switch s.Probe {
	case "failing":
		parts = append(parts, "our calls fail")
	case "ok":
		parts = append(parts, "our calls work")
	}
	icon := ":large_green_circle:"
	if s.Bad {
		icon = ":red_circle:"
	} else if len(s.Maintenances) > 0 || s.PageError != "" {
		icon = ":large_yellow_circle:"
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to report")
	}
	return icon + " " + n + ": " + strings.Join(parts, "; ") + " · checked " + slackDate(checked)
}

// VendorLag says the vendor lag for the timeline and the watch message:
// the time from our first failing probe to the vendor's first post.
func VendorLag(name string, firstFailing, posted time.Time) string {
	if posted.Before(firstFailing) {
		return fmt.Sprintf("Vendor lag: %s posted %s before our first failing probe (%s).", name,
			Duration(firstFailing.Sub(posted)), firstFailing.UTC().Format("15:04:05 UTC"))
	}
	return fmt.Sprintf("Vendor lag: %s posted %s after our first failing probe (%s).", name,
		Duration(posted.Sub(firstFailing)), firstFailing.UTC().Format("15:04:05 UTC"))
}

// vendorWindow is the vendor's own incident window, from the watch's
// timeline entries (the vendor's first post to its last resolve, at the
// vendor's times), and the vendor lag the watch recorded; empty without them.
func vendorWindow(tl []incident.Entry) (window, lag string) {
	var from, to time.Time
	for _, e := range tl {
		switch e.Kind {
		case incident.KindVendorOpened:
			if from.IsZero() || e.At.Before(from) {
				from = e.At
			}
		case incident.KindVendorResolved:
			if e.At.After(to) {
				to = e.At
			}
		case incident.KindVendorLag:
			lag = inlineMD(e.Text)
		}
	}
	switch {
	case from.IsZero():
	case to.IsZero() || to.Before(from):
		window = from.UTC().Format("2006-01-02 15:04:05") + " UTC – still open when this was written"
	default:
		window = fmt.Sprintf("%s – %s UTC (%s)", from.UTC().Format("2006-01-02 15:04:05"), to.UTC().Format("15:04:05"), Duration(to.Sub(from)))
	}
	return window, lag
}
