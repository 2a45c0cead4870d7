package runbook

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The diagnosis weighs evidence. Every finding adds weight for a cause
// (or against one, or is context only), each with the line a person reads:
//
//   - The API answer is the strongest witness about our own calls: a
//     documented invalid-token, missing-scope, quota or account error in
//     the vendor's own words weighs 80 to 90, the same status without the
//     vendor's code 60, a CDN or firewall page 90, a 5xx 50, no answer 50
//     (timeout) or 70 (refused, DNS, TLS: the network between us).
//   - The status page explains failures only where it plausibly covers
//     them: an incident or maintenance whose components include the API
//     we probe (the catalog names them) or, lacking components, whose
//     title names the API, or one the vendor rates major or critical,
//     weighs 60 to 75 for answers that look like an outage (5xx, an
//     unreadable answer, a timeout). Against an answer that names our
//     token or quota it weighs 30 at most, so the vendor's own words win
//     and the incident is named as context, unless the incident itself
//     is about authentication or rate limits.
//   - A component that is degraded or down counts even when the page's
//     overall indicator says none.
//   - Resolved incidents, finished or future maintenance and notices that
//     are not ongoing are not active: they are context, never weight.
//
// The cause with the most weight wins; ties go to the cause earlier in
// tieOrder. The report lists the winner's evidence strongest first, then
// the evidence that speaks against the alternatives.

// Weights of the evidence, in one place so the scale is visible.
const (
	wDecisive      = 1000 // the API was not called
	wEdge          = 90   // a CDN or firewall answered, not the vendor
	wAccount       = 90   // the vendor refuses the account
	wDocumented    = 80   // the vendor's documented code for our token or quota
	wStatusOnly    = 60   // the same class from the HTTP status alone
	wNetwork       = 70   // refused, DNS, TLS
	wTimeout       = 50   // no answer in time
	wServerError   = 50   // 5xx
	wUnreadable    = 40   // an answer that is not the vendor's
	wOddStatus     = 45   // a status the call does not document
	wMaintenance   = 75   // maintenance covering the API, calls failing
	wCovers        = 70   // incident or major outage on the API's component
	wSevere        = 65   // incident rated major or critical
	wNamed         = 60   // incident without components whose title names the API
	wUnscoped      = 55   // incident without components
	wAboutUs       = 90   // incident about authentication or rate limits, with that answer
	wCoversOurs    = 30   // covering incident, but the answer names our token
	wCalm          = 25   // maintenance while calls work
	wNoticed       = 20   // incident while calls work
	wHealthyAPI    = 10   // the API answered normally
	wOurHealth     = 15   // our health endpoint says unhealthy
	wStatusQuiet   = 5    // the page reports nothing
	wNotExplaining = -10  // the API's own component is operational
)

// tieOrder breaks ties: the more specific cause first.
var tieOrder = []Cause{Misconfigured, Blocked, Account, AuthInvalid, AuthForbidden, RateLimited,
	Maintenance, VendorIncident, Unreachable, VendorError, OurService, Healthy}

// evidence is one reason for (weight > 0) or against (weight < 0) a
// cause, or context (0).
type evidence struct {
	cause  Cause
	weight int
	severe bool // the vendor rates what this line is about major or critical
	text   string
}

// failure is what kind of failure the API call met.
type failure int

const (
	failNone       failure = iota
	failTimeout            // no answer in time
	failNetwork            // refused, DNS, TLS
	failOutage             // 5xx or an unreadable answer: what an outage looks like
	failOdd                // another status the call does not document
	failOurs               // invalid token, missing permission, quota: about us
	failBlocked            // a CDN or firewall refused us
	failAccount            // the vendor refuses the account
	failSkipped            // not called
	failStatusOnly         // no API to call: the status page alone speaks
)

func failureOf(a APIFinding) failure {
	switch {
	case a.StatusOnly:
		return failStatusOnly
	case !a.Called:
		return failSkipped
	case a.TimedOut:
		return failTimeout
	case a.NetErr != "":
		return failNetwork
	}
	switch a.Class {
	case ClassOK:
		return failNone
	case ClassAuthInvalid, ClassAuthForbidden, ClassRateLimited:
		return failOurs
	case ClassBlocked:
		return failBlocked
	case ClassAccount:
		return failAccount
	}
	if a.HTTPStatus >= 500 || a.Unparseable || (a.HTTPStatus >= 200 && a.HTTPStatus < 300) {
		return failOutage
	}
	return failOdd
}

// outageShaped reports whether an outage on the vendor's side would
// explain the failure.
func (k failure) outageShaped() bool { return k == failOutage || k == failTimeout }

// coverage is how well a status-page item covers the API we probe.
type coverage int

const (
	coverNone      coverage = iota // lists components, none of them ours
	coverUnknown                   // lists no component
	coverName                      // lists no component, its title names the API
	coverComponent                 // lists one of our components
)

var apiWord = regexp.MustCompile(`(?i)\bAPIs?\b`)

// isAPIComponent reports whether a component (or its group) carries the
// API we probe: one the catalog names, or, where it names none, one
// called API.
func (v Vendor) isAPIComponent(name, group string) bool {
	if len(v.Components) == 0 {
		return apiWord.MatchString(name) || (group != "" && apiWord.MatchString(group))
	}
	for _, c := range v.Components {
		if strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(name)) ||
			(group != "" && strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(group))) {
			return true
		}
	}
	return false
}

// covers says how a status-page item with these components and this
// title covers the API we probe.
func (v Vendor) covers(components []string, title string, all []Component) coverage {
	if len(components) == 0 {
		if apiWord.MatchString(title) || v.namesComponent(title) {
			return coverName
		}
		return coverUnknown
	}
	for _, name := range components {
		group := ""
		for _, c := range all {
			if c.Name == name {
				group = c.Group
				break
			}
		}
		if v.isAPIComponent(name, group) {
			return coverComponent
		}
	}
	return coverNone
}

func (v Vendor) namesComponent(title string) bool {
	t := strings.ToLower(title)
	for _, c := range v.Components {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && strings.Contains(t, c) {
			return true
		}
	}
	return false
}

// apiName is the probed API in words: "the CRM API", "API Requests".
func (v Vendor) apiName() string {
	if len(v.Components) == 0 {
		return "the API we call"
	}
	names := make([]string, 0, len(v.Components))
	for _, c := range v.Components {
		if f := strings.Fields(c); len(f) > 0 && strings.EqualFold(f[len(f)-1], "API") {
			c = "the " + c
		}
		names = append(names, c)
	}
	return strings.Join(names, " or ")
}

// authWords and rateWords: an incident about our kind of failure.
var (
	authWords = regexp.MustCompile(`(?i)\b(auth\w*|log ?in|sign[- ]?in|tokens?|oauth|credentials?|api keys?|permissions?|scopes?|sso)\b`)
	rateWords = regexp.MustCompile(`(?i)\b(rate[- ]limit\w*|throttl\w*|quotas?|429s?)\b`)
)

// aboutOurFailure reports whether an incident's title is about the kind
// of failure our answer shows, so it explains even a documented answer.
func aboutOurFailure(a APIFinding, title string) bool {
	switch a.Class {
	case ClassAuthInvalid, ClassAuthForbidden:
		return authWords.MatchString(title)
	case ClassRateLimited:
		return rateWords.MatchString(title)
	}
	return false
}

// weigh lists the evidence of every finding.
func weigh(f Findings) []evidence {
	v, a := f.Vendor, f.API
	kind := failureOf(a)
	ev := answerEvidence(f, kind)
	ev = append(ev, statusEvidence(f, kind)...)
	switch h := f.Health.State(); {
	case h == HealthUnhealthy && (kind == failNone || kind == failStatusOnly):
		ev = append(ev, evidence{cause: OurService, weight: wOurHealth,
			text: "our health endpoint says we are unhealthy: " + healthText(f)})
	case h == HealthUnhealthy:
		ev = append(ev, evidence{cause: OurService, text: "our health endpoint also says we are unhealthy (" +
			healthText(f) + "), which follows from the failing calls to " + v.Name})
	}
	return ev
}

// answerEvidence is what the API answer says.
func answerEvidence(f Findings, kind failure) []evidence {
	v, a := f.Vendor, f.API
	name := v.Name
	note := ""
	if a.Note != "" {
		note = " (" + a.Note + ")"
	}
	weight := func(documented int) int {
		if a.Documented {
			return documented
		}
		return wStatusOnly
	}
	switch kind {
	case failStatusOnly:
		return nil
	case failSkipped:
		return []evidence{{cause: Misconfigured, weight: wDecisive, text: name + "'s API was not called: " + misconfigText(f)}}
	case failTimeout:
		return []evidence{{cause: Unreachable, weight: wTimeout,
			text: fmt.Sprintf("%s's API did not answer within %s", name, roundDuration(a.Latency))}}
	case failNetwork:
		return []evidence{{cause: Unreachable, weight: wNetwork, text: name + "'s API could not be reached: " + a.NetErr}}
	case failNone:
		return []evidence{{cause: Healthy, weight: wHealthyAPI,
			text: fmt.Sprintf("%s's API answered %d in %d ms", name, a.HTTPStatus, a.Latency.Milliseconds())}}
	case failBlocked:
		edge := a.Edge
		if edge == "" {
			edge = "a CDN or firewall"
		}
		return []evidence{{cause: Blocked, weight: wEdge,
			text: fmt.Sprintf("%s in front of %s answered %d%s, not %s's API: our token was never judged", edge, name, a.HTTPStatus, note, name)}}
	case failAccount:
		return []evidence{{cause: Account, weight: wAccount,
			text: fmt.Sprintf("%s answered %s: it refuses the account itself%s", name, answer(a), note)}}
	case failOutage:
		w, what := wServerError, "its API is failing"
		if a.Unparseable {
			w, what = wUnreadable, "the body is not its API's answer"
		}
		return []evidence{{cause: VendorError, weight: w, text: fmt.Sprintf("%s answered %s: %s%s", name, answer(a), what, note)}}
	case failOdd:
		if a.Note != "" {
			return []evidence{{cause: VendorError, weight: wOddStatus,
				text: fmt.Sprintf("%s answered %s: %s", name, answer(a), a.Note)}}
		}
		return []evidence{{cause: VendorError, weight: wOddStatus,
			text: fmt.Sprintf("%s answered %s, which this call does not document", name, answer(a))}}
	}
	// failOurs
	switch a.Class {
	case ClassAuthInvalid:
		return []evidence{{cause: AuthInvalid, weight: weight(wDocumented),
			text: fmt.Sprintf("%s answered %s: the token is refused%s", name, answer(a), note)}}
	case ClassAuthForbidden:
		s := fmt.Sprintf("%s answered %s: the token is valid but not allowed to do this", name, answer(a))
		if len(a.Scopes) > 0 {
			s += " (missing scopes: " + strings.Join(a.Scopes, ", ") + ")"
		}
		return []evidence{{cause: AuthForbidden, weight: weight(wDocumented), text: s + note}}
	default:
		s := fmt.Sprintf("%s answered %s: we are over its rate limit", name, answer(a))
		if a.Policy != "" {
			s += " (" + a.Policy + ")"
		}
		if f.RateLimit.RetryAfter > 0 {
			s += ", retry after " + roundDuration(f.RateLimit.RetryAfter)
		}
		return []evidence{{cause: RateLimited, weight: weight(wDocumented), text: s + note}}
	}
}

// statusEvidence is what the status page says, item by item.
func statusEvidence(f Findings, kind failure) []evidence {
	v, s := f.Vendor, f.Status
	name := v.Name
	if kind == failStatusOnly {
		// With no API to call, the page is read as if our calls worked: it
		// is all there is. A page that says nothing leaves the state unknown.
		if s.Checked && !s.Usable() {
			why := "did not answer in time"
			if !s.TimedOut {
				why = "could not be read (" + firstNonEmpty(s.Err, "unrecognised indicator") + ")"
			}
			return []evidence{{cause: Unreachable, weight: wStatusQuiet, text: fmt.Sprintf(
				"%s's status page %s, and the catalog has no API call for %s: its state is unknown", name, why, name)}}
		}
		kind = failNone
	}
	if kind == failSkipped {
		if s.Active() {
			return []evidence{{cause: VendorIncident, text: name + " reports: " + statusText(s)}}
		}
		return nil
	}
	if !s.Usable() {
		if !s.Checked || kind == failNone {
			return nil
		}
		why := "did not answer in time"
		if !s.TimedOut {
			why = "could not be read (" + firstNonEmpty(s.Err, "unrecognised indicator") + ")"
		}
		return []evidence{{cause: VendorIncident, text: fmt.Sprintf("%s's status page %s: it says nothing either way", name, why)}}
	}
	var ev []evidence
	failing := kind != failNone
	listed := false

	for _, in := range s.Incidents {
		listed = true
		ev = append(ev, incidentEvidence(f, kind, in))
	}
	for _, m := range s.Maintenances {
		listed = true
		ev = append(ev, maintenanceEvidence(f, kind, m))
	}
	apiOperational := false
	for _, c := range s.Components {
		isAPI := v.isAPIComponent(c.Name, c.Group)
		if isAPI && !c.Degraded() {
			apiOperational = true
		}
		if !c.Degraded() {
			continue
		}
		listed = true
		ev = append(ev, componentEvidence(f, kind, c, isAPI))
	}
	if apiOperational && kind.outageShaped() && len(v.Components) > 0 {
		// Against an overall indicator that names nothing, the API's own
		// component counts; against a listed incident it is context.
		e := evidence{cause: VendorIncident, text: fmt.Sprintf("%s's status page shows %s operational", name, v.apiName())}
		if !listed {
			e.weight = wNotExplaining
		}
		ev = append(ev, e)
	}
	if !listed {
		switch s.Indicator {
		case IndicatorNone:
			ev = append(ev, evidence{cause: Healthy, weight: wStatusQuiet, text: name + "'s status page reports no incident" + descSuffix(s)})
		case IndicatorMaintenance:
			// Maintenance the page announces without saying what it covers.
			e := evidence{cause: Maintenance, text: fmt.Sprintf("%s's status page says maintenance is in progress%s", name, descSuffix(s))}
			switch {
			case failing && kind != failOurs && kind != failBlocked && kind != failAccount:
				e.weight = wMaintenance
			case !failing:
				e.weight = wCalm
			}
			ev = append(ev, e)
		default:
			// An indicator without incidents (Stripe's page says no more).
			severe := s.Indicator == IndicatorMajor || s.Indicator == IndicatorCritical
			e := evidence{cause: VendorIncident, severe: severe,
				text: fmt.Sprintf("%s's status page says %s%s", name, s.Indicator, descSuffix(s))}
			switch {
			case !failing:
				e.weight = wNoticed
			case kind.outageShaped() && severe:
				e.weight = wSevere
			case kind.outageShaped():
				e.weight = wUnscoped
			}
			ev = append(ev, e)
		}
	}
	return ev
}

func descSuffix(s StatusFinding) string {
	if s.Description == "" {
		return ""
	}
	return " (" + s.Description + ")"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func incidentEvidence(f Findings, kind failure, in StatusIncident) evidence {
	v, a := f.Vendor, f.API
	cov := v.covers(in.Components, in.Name, f.Status.Components)
	head := fmt.Sprintf("%s's open incident %q", v.Name, in.Name)
	rated := ""
	if in.Severe() {
		rated = ", rated " + strings.ToLower(in.Impact)
	}
	e := evidence{cause: VendorIncident, severe: in.Severe()}
	switch cov {
	case coverComponent:
		e.text = head + " covers " + v.apiName() + rated
	case coverName:
		e.text = head + " lists no component, but its title names the API" + rated
	case coverUnknown:
		e.text = head + " lists no component" + rated
	default:
		e.text = head + " does not cover " + v.apiName() + rated
	}
	switch {
	case kind == failNone:
		e.weight = wNoticed
		e.text += "; our calls still work"
	case kind.outageShaped():
		switch {
		case cov == coverComponent:
			e.weight = wCovers
		case in.Severe():
			e.weight = wSevere
		case cov == coverName:
			e.weight = wNamed
		case cov == coverUnknown:
			e.weight = wUnscoped
			e.text += ", so it may cover our calls"
		default:
			e.weight = 0
		}
	case kind == failOurs && aboutOurFailure(a, in.Name) && cov != coverNone:
		e.weight = wAboutUs
		e.text += fmt.Sprintf(", and is about the same kind of failure as our %s", answer(a))
	case kind == failOurs || kind == failAccount || kind == failBlocked:
		if cov == coverComponent || cov == coverName {
			e.weight = wCoversOurs
		}
		if cov != coverNone {
			e.text += fmt.Sprintf(", but our %s is about us, not an outage", answer(a))
		}
	}
	return e
}

func maintenanceEvidence(f Findings, kind failure, m StatusMaintenance) evidence {
	v := f.Vendor
	head := fmt.Sprintf("%s's maintenance %q", v.Name, m.Name)
	if !m.InProgress() {
		when := ""
		if !m.ScheduledFor.IsZero() {
			when = " for " + m.ScheduledFor.UTC().Format("2006-01-02 15:04 MST")
		}
		return evidence{cause: Maintenance, text: head + " is scheduled" + when + ", not in progress"}
	}
	cov := v.covers(m.Components, m.Name, f.Status.Components)
	e := evidence{cause: Maintenance, text: head + " is in progress"}
	if !m.ScheduledUntil.IsZero() {
		e.text += " until " + m.ScheduledUntil.UTC().Format("2006-01-02 15:04 MST")
	}
	switch cov {
	case coverComponent:
		e.text += " and covers " + v.apiName()
	case coverNone:
		e.text += " but does not cover " + v.apiName()
	}
	switch {
	case kind == failNone && cov == coverNone:
		e.weight = wNoticed
	case kind == failNone:
		e.weight = wCalm
	case kind == failOurs || kind == failBlocked || kind == failAccount:
		e.text += fmt.Sprintf(", but our %s is about us", answer(f.API))
	case cov != coverNone && (kind.outageShaped() || kind == failNetwork):
		e.weight = wMaintenance
	}
	return e
}

func componentEvidence(f Findings, kind failure, c Component, isAPI bool) evidence {
	v := f.Vendor
	text := fmt.Sprintf("%s's status page shows %s as %s", v.Name, c.Name, c.Status)
	if f.Status.Indicator == IndicatorNone {
		text += " although its overall indicator says none"
	}
	if c.Status == ComponentUnderMaintenance {
		e := evidence{cause: Maintenance, text: text}
		switch {
		case kind == failNone:
			e.weight = wCalm
		case isAPI && kind != failOurs && kind != failBlocked && kind != failAccount:
			e.weight = wMaintenance
		}
		return e
	}
	e := evidence{cause: VendorIncident, severe: c.Status == ComponentMajorOutage, text: text}
	switch {
	case kind == failNone:
		e.weight = wNoticed
	case isAPI && kind.outageShaped():
		switch c.Status {
		case ComponentMajorOutage:
			e.weight = wCovers
		case ComponentPartialOutage:
			e.weight = wSevere
		default:
			e.weight = wUnscoped
		}
	case isAPI && (kind == failOurs || kind == failAccount || kind == failBlocked):
		e.text += fmt.Sprintf(", but our %s is about us", answer(f.API))
	case !isAPI && len(v.Components) > 0:
		e.text += ", which does not cover " + v.apiName()
	}
	return e
}

// decide picks the cause with the most weight.
func decide(ev []evidence) Cause {
	score := map[Cause]int{}
	seen := map[Cause]bool{}
	for _, e := range ev {
		score[e.cause] += e.weight
		if e.weight > 0 {
			seen[e.cause] = true
		}
	}
	best, bestScore := Healthy, 0
	first := true
	for _, c := range tieOrder {
		if !seen[c] {
			continue
		}
		if first || score[c] > bestScore {
			best, bestScore, first = c, score[c], false
		}
	}
	return best
}

// severityOf suggests the severity of the chosen cause.
func severityOf(f Findings, cause Cause, ev []evidence) Severity {
	failing := f.API.Failed()
	switch cause {
	case Healthy, Misconfigured:
		return ""
	case Unreachable:
		if f.API.StatusOnly {
			return P3 // only the status page did not answer
		}
		return P1
	case AuthInvalid, Account:
		return P1
	case Maintenance:
		if failing {
			return P2
		}
		return P3
	case VendorIncident:
		if !failing {
			return P3
		}
		for _, e := range ev {
			if e.cause == VendorIncident && e.weight > 0 && e.severe {
				return P1
			}
		}
		return P2
	}
	return P2
}

// evidenceLines orders the evidence for the report: the winner's first,
// strongest first, then what speaks against the alternatives and the
// context, strongest first; at most maxEvidence lines.
func evidenceLines(cause Cause, ev []evidence) []string {
	type line struct {
		rank int // 0: for the winner; 1: the rest
		w    int
		text string
	}
	lines := make([]line, 0, len(ev))
	for _, e := range ev {
		l := line{rank: 1, w: abs(e.weight), text: e.text}
		if e.cause == cause && e.weight > 0 {
			l.rank = 0
		}
		lines = append(lines, l)
	}
	slices.SortStableFunc(lines, func(x, y line) int {
		if c := cmp.Compare(x.rank, y.rank); c != 0 {
			return c
		}
		return cmp.Compare(y.w, x.w)
	})
	out := make([]string, 0, min(len(lines), maxEvidence))
	for _, l := range lines {
		if len(out) == maxEvidence {
			break
		}
		out = append(out, l.text)
	}
	return out
}

// maxEvidence bounds the evidence lines of a report.
const maxEvidence = 8

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// maintenanceText describes the maintenance in progress, for the texts.
func maintenanceText(s StatusFinding) string {
	var parts []string
	for _, m := range s.MaintenanceNow() {
		p := fmt.Sprintf("%q", m.Name)
		if !m.ScheduledUntil.IsZero() {
			p += " until " + m.ScheduledUntil.UTC().Format("2006-01-02 15:04 MST")
		}
		if m.Link != "" {
			p += " " + m.Link
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// maintenanceEnd is when the last maintenance in progress is due to end.
func maintenanceEnd(s StatusFinding) time.Time {
	var end time.Time
	for _, m := range s.MaintenanceNow() {
		if m.ScheduledUntil.After(end) {
			end = m.ScheduledUntil
		}
	}
	return end
}
