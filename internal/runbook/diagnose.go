package runbook

import (
	"fmt"
	"strings"
	"time"
)

// Decide weighs the evidence of every finding (see evidence.go) and
// returns the cause with the most weight and its suggested severity:
//
//   - misconfigured when the API was not called;
//   - the answer's own class (auth_invalid P1, auth_forbidden P2,
//     rate_limited P2, account P1, blocked P2) when the vendor's words or a
//     CDN's page say so, whatever unrelated incident the vendor reports;
//   - maintenance (P2 with failing calls, P3 without) or vendor_incident
//     (P1 when the vendor rates it major or critical, P2 otherwise, P3 while
//     our calls still work) when the status page covers the failure;
//   - unreachable P1, vendor_error P2 otherwise;
//   - our_service P2 when only our health endpoint complains; healthy.
func Decide(f Findings) (Cause, Severity) {
	ev := weigh(f)
	c := decide(ev)
	return c, severityOf(f, c, ev)
}

// Diagnose decides the cause and writes the report with the default runbook.
func Diagnose(f Findings) (Report, error) {
	b, err := Default()
	if err != nil {
		return Report{}, err
	}
	return b.Diagnose(f)
}

// Diagnose decides the cause and writes the report with this runbook.
func (b *Book) Diagnose(f Findings) (Report, error) {
	ev := weigh(f)
	cause := decide(ev)
	sev := severityOf(f, cause, ev)
	r := Report{
		Vendor:     f.Vendor.Key,
		VendorName: f.Vendor.Name,
		Cause:      cause,
		Severity:   sev,
		HTTPStatus: f.API.HTTPStatus,
		RateLimit:  rateLimit(f),
		Checks:     Checks(f),
		StartedAt:  f.StartedAt,
		DurationMS: f.Duration.Milliseconds(),
		Edge:       f.API.Edge,

		VendorStatus: vendorStatus(f.Status),
		Evidence:     evidenceLines(cause, ev),
	}
	// The request id to give support comes from a failing answer; a healthy
	// answer's id stays in the api check's detail.
	if f.API.Failed() {
		r.RequestID = f.API.RequestID
	}
	if err := b.write(&r, cause, f); err != nil {
		return Report{}, err
	}
	return r, nil
}

func rateLimit(f Findings) *RateLimit {
	rl := f.RateLimit
	if len(rl.Windows) == 0 && rl.RetryAfter == 0 && f.API.Policy == "" {
		return nil
	}
	_, low := rl.Low()
	return &RateLimit{
		Windows:        rl.Windows,
		RetryAfterSecs: int64(rl.RetryAfter.Round(time.Second) / time.Second),
		Policy:         f.API.Policy,
		Low:            low,
	}
}

// Checks describes each check for the report, in report order.
func Checks(f Findings) []Check {
	return []Check{statusCheck(f), apiCheck(f), rateLimitCheck(f), healthCheck(f)}
}

func statusCheck(f Findings) Check {
	s := f.Status
	c := Check{Name: CheckStatusPage, HTTPStatus: s.HTTPStatus, LatencyMS: s.Latency.Milliseconds()}
	switch {
	case !s.Checked:
		c.Result = ResultSkipped
		c.Detail = "no machine-readable status page"
		if f.Vendor.Links.Status != "" {
			c.Detail += "; see " + f.Vendor.Links.Status
		}
	case s.TimedOut:
		c.Result, c.TimedOut = ResultTimeout, true
		c.Detail = "status page did not answer in time: status unknown"
	case s.Err != "":
		c.Result = ResultUnknown
		c.Detail = "status unknown: " + s.Err
	case s.Indicator == IndicatorUnknown:
		c.Result = ResultUnknown
		c.Detail = "status unknown: unrecognised indicator"
	default:
		c.Result = ResultOK
		if s.Active() {
			c.Result = ResultWarn
			if s.Severe() {
				c.Result = ResultFail
			}
		}
		c.Detail = statusText(s)
	}
	return c
}

// statusText says what the status page reports, incidents included, in
// the page's own words: its description ("All Systems Operational"), with
// the indicator only where the description does not already say it
// ("Partial System Outage, rated major").
func statusText(s StatusFinding) string {
	var b strings.Builder
	desc, ind := strings.TrimSpace(s.Description), string(s.Indicator)
	switch {
	case desc == "" && s.Indicator == IndicatorNone:
		b.WriteString("operational")
	case desc == "":
		b.WriteString("rated " + ind)
	case s.Indicator == IndicatorNone || strings.Contains(strings.ToLower(desc), ind):
		b.WriteString(desc)
	default:
		b.WriteString(desc + ", rated " + ind)
	}
	if n := len(s.Incidents); n > 0 {
		b.WriteString("; " + incidentsText(s.Incidents))
	}
	if m := maintenanceText(s); m != "" {
		b.WriteString("; maintenance in progress: " + m)
	}
	if d := s.Degraded(); len(d) > 0 {
		parts := make([]string, 0, len(d))
		for _, c := range d {
			parts = append(parts, fmt.Sprintf("%s (%s)", c.Name, c.Status))
		}
		b.WriteString("; degraded: " + strings.Join(parts, ", "))
	}
	return b.String()
}

func incidentsText(ins []StatusIncident) string {
	parts := make([]string, 0, len(ins))
	for _, in := range ins {
		p := fmt.Sprintf("%q", in.Name)
		var meta []string
		if in.Impact != "" {
			meta = append(meta, "impact "+in.Impact)
		}
		if in.Status != "" {
			meta = append(meta, in.Status)
		}
		if len(in.Components) > 0 {
			meta = append(meta, strings.Join(in.Components, ", "))
		}
		if len(meta) > 0 {
			p += " (" + strings.Join(meta, ", ") + ")"
		}
		if in.Link != "" {
			p += " " + in.Link
		}
		parts = append(parts, p)
	}
	noun := "incident"
	if len(ins) > 1 {
		noun = "incidents"
	}
	return noun + " " + strings.Join(parts, "; ")
}

func apiCheck(f Findings) Check {
	a := f.API
	c := Check{Name: CheckAPI, HTTPStatus: a.HTTPStatus, LatencyMS: a.Latency.Milliseconds()}
	switch {
	case a.StatusOnly:
		c.Result = ResultSkipped
		c.Detail = "no API call in the catalog: " + f.Vendor.Name + " is watched by its status page alone"
	case !a.Called:
		c.Result = ResultSkipped
		c.Detail = "not called: " + misconfigText(f)
	case a.TimedOut:
		c.Result, c.TimedOut = ResultTimeout, true
		c.Detail = fmt.Sprintf("no answer within %s", roundDuration(a.Latency))
	case a.NetErr != "":
		c.Result = ResultFail
		c.Detail = a.NetErr
	default:
		c.Result = ResultOK
		if a.Class != ClassOK {
			c.Result = ResultFail
		} else if a.Slow {
			c.Result = ResultWarn
		}
		c.Detail = answerDetail(a)
	}
	return c
}

// answerDetail describes an HTTP answer: status, code, message, request id.
func answerDetail(a APIFinding) string {
	parts := []string{answer(a)}
	if a.Class != ClassOK {
		parts[0] += " (" + string(a.Class) + ")"
	}
	if a.Unparseable {
		parts = append(parts, "the body is not the vendor's JSON answer")
	}
	if a.ErrorMessage != "" {
		parts = append(parts, a.ErrorMessage)
	}
	if len(a.Scopes) > 0 {
		parts = append(parts, "missing scopes: "+strings.Join(a.Scopes, ", "))
	}
	if a.Note != "" {
		parts = append(parts, a.Note)
	}
	if a.Slow {
		parts = append(parts, "slow answer: "+roundDuration(a.Latency))
	}
	if a.RequestID != "" {
		parts = append(parts, "request id "+a.RequestID)
	}
	return strings.Join(parts, "; ")
}

// answer is the HTTP status with the vendor's code, e.g. "401 INVALID_AUTHENTICATION".
func answer(a APIFinding) string {
	s := fmt.Sprint(a.HTTPStatus)
	if a.ErrorCode != "" {
		s += " " + a.ErrorCode
	}
	return s
}

func rateLimitCheck(f Findings) Check {
	a, rl := f.API, f.RateLimit
	c := Check{Name: CheckRateLimit}
	switch {
	case !a.Called || a.Network():
		c.Result = ResultSkipped
		c.Detail = "no answer to read rate limits from"
		return c
	case a.Class == ClassRateLimited:
		c.Result = ResultFail
		parts := []string{"rate limited"}
		if a.Policy != "" {
			parts = append(parts, "policy "+a.Policy)
		}
		if rl.RetryAfter > 0 {
			parts = append(parts, "Retry-After "+roundDuration(rl.RetryAfter))
		}
		if len(rl.Windows) > 0 {
			parts = append(parts, windowsText(rl.Windows))
		}
		c.Detail = strings.Join(parts, "; ")
		return c
	case len(rl.Windows) == 0 && a.Class == ClassAuthInvalid:
		c.Result = ResultSkipped
		c.Detail = "no figures: not sent on unauthenticated answers"
		return c
	case len(rl.Windows) == 0:
		c.Result = ResultUnknown
		c.Detail = "no rate-limit figures in the answer"
		return c
	}
	c.Result = ResultOK
	if _, low := rl.Low(); low {
		c.Result = ResultWarn
	}
	c.Detail = windowsText(rl.Windows)
	if rl.RetryAfter > 0 {
		c.Detail += "; Retry-After " + roundDuration(rl.RetryAfter)
	}
	return c
}

func windowsText(ws []RateWindow) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, windowText(w))
	}
	return strings.Join(parts, "; ")
}

func windowText(w RateWindow) string {
	s := fmt.Sprintf("%s: %d of %d left", w.Name, w.Remaining, w.Limit)
	if w.Limit > 0 {
		s += fmt.Sprintf(" (%s)", percent(w.Remaining, w.Limit))
	}
	if w.Interval != "" {
		s += " per " + w.Interval
	}
	if w.Reset != "" {
		s += ", resets " + w.Reset
	}
	if w.Low() {
		s += ", under 10 % left"
	}
	return s
}

func percent(n, of int64) string {
	p := float64(n) * 100 / float64(of)
	if p >= 1 || p == 0 {
		return fmt.Sprintf("%.0f %%", p)
	}
	return fmt.Sprintf("%.2f %%", p)
}

func healthCheck(f Findings) Check {
	h := f.Health
	c := Check{Name: CheckHealth, HTTPStatus: h.HTTPStatus, LatencyMS: h.Latency.Milliseconds()}
	c.Detail = healthText(f)
	switch h.State() {
	case HealthSkipped:
		c.Result = ResultSkipped
	case HealthOK:
		c.Result = ResultOK
	case HealthUnknown:
		c.Result = ResultUnknown
	default:
		c.Result = ResultFail
		if h.TimedOut {
			c.Result, c.TimedOut = ResultTimeout, true
		}
	}
	return c
}

// healthText says what HEALTH_URL answered.
func healthText(f Findings) string {
	h := f.Health
	key := f.Vendor.Key
	switch {
	case !h.Configured:
		return "HEALTH_URL not set"
	case h.TimedOut:
		return "our health endpoint did not answer in time"
	case h.Err != "":
		return "our health endpoint did not answer: " + h.Err
	case h.HTTPStatus < 200 || h.HTTPStatus > 299:
		return fmt.Sprintf("our health endpoint answered %d", h.HTTPStatus)
	case !h.Entry:
		return fmt.Sprintf("our health endpoint has no entry for services.%s", key)
	}
	return fmt.Sprintf("services.%s.status is %q", key, h.Status)
}

// misconfigText says what to set before the API can be called.
func misconfigText(f Findings) string {
	a := f.API
	var parts []string
	if a.MissingField != "" {
		s := fmt.Sprintf("set %s in VENDORS_FILE", a.MissingField)
		if a.FieldExample != "" {
			s += fmt.Sprintf(" (e.g. %s)", a.FieldExample)
		}
		parts = append(parts, s)
	}
	if a.MissingEnv != "" || a.MissingField == "" {
		env := a.MissingEnv
		if env == "" {
			env = f.Vendor.TokenEnv
		}
		s := fmt.Sprintf("set %s", env)
		if f.Vendor.TokenHint != "" {
			s += " to " + f.Vendor.TokenHint
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", and ")
}

// networkText says how the call failed below HTTP.
func networkText(a APIFinding) string {
	if a.TimedOut {
		return fmt.Sprintf("no answer within %s", roundDuration(a.Latency))
	}
	return a.NetErr
}

func roundDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}
