package vendors

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// DefaultDeadline is the longest a triage report may take when the
// Triager does not say.
const DefaultDeadline = 8 * time.Second

// Triager runs a vendor's checks concurrently and turns the findings into a
// report, always within Deadline.
type Triager struct {
	Catalog   *Catalog
	Client    *http.Client        // nil: a client with sane dial and TLS timeouts
	Getenv    func(string) string // reads the token variables; nil: no tokens
	HealthURL string              // our own health endpoint; empty: check skipped
	Deadline  time.Duration       // zero: DefaultDeadline
	Now       func() time.Time    // nil: time.Now
	Book      *runbook.Book       // nil: the embedded runbook
}

// UnknownVendorError is returned for a vendor key the catalog does not have.
type UnknownVendorError struct {
	Name  string
	Known []string
}

func (e *UnknownVendorError) Error() string {
	return fmt.Sprintf("unknown vendor %q; known vendors: %s", e.Name, strings.Join(e.Known, ", "))
}

// defaultClient has no overall timeout (each check has its own context) but
// bounds dialing and TLS so a black-holed address cannot linger.
var defaultClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0,
		MaxIdleConns:          20,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	},
}

func (t *Triager) client() *http.Client {
	if t.Client != nil {
		return t.Client
	}
	return defaultClient
}

func (t *Triager) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Triager) deadline() time.Duration {
	if t.Deadline > 0 {
		return t.Deadline
	}
	return DefaultDeadline
}

// Triage checks the vendor's status page, makes one authenticated API
// call, reads its rate limits and asks our health endpoint, all at once, and
// writes the report. A hung vendor costs the deadline, not more: the report
// comes back with that check marked timed out. The error is only for a
// vendor the catalog does not know (*UnknownVendorError) or a broken runbook.
func (t *Triager) Triage(ctx context.Context, vendor string) (runbook.Report, error) {
	if t.Catalog == nil {
		return runbook.Report{}, fmt.Errorf("vendors: triage %s: no catalog", vendor)
	}
	v, ok := t.Catalog.Lookup(vendor)
	if !ok {
		return runbook.Report{}, &UnknownVendorError{Name: vendor, Known: t.Catalog.Keys()}
	}
	startedAt := t.now()
	start := time.Now()
	deadline := t.deadline()
	// Leave a little of the deadline for writing the report.
	ctx, cancel := context.WithTimeout(ctx, deadline-margin(deadline))
	defer cancel()

	token := ""
	if t.Getenv != nil {
		token = strings.TrimSpace(t.Getenv(v.TokenEnv))
	}
	f := runbook.Findings{Vendor: v.runbookVendor(), StartedAt: startedAt}

	statusC := make(chan runbook.StatusFinding, 1)
	healthC := make(chan runbook.HealthFinding, 1)
	type apiResult struct {
		api runbook.APIFinding
		rl  runbook.RateLimitFinding
	}
	apiC := make(chan apiResult, 1)

	go func() {
		cctx, ccancel := context.WithTimeout(ctx, time.Duration(v.Timeout))
		defer ccancel()
		statusC <- probeStatus(cctx, t.client(), v)
	}()
	go func() {
		cctx, ccancel := context.WithTimeout(ctx, time.Duration(v.Timeout))
		defer ccancel()
		healthC <- checkHealth(cctx, t.client(), t.HealthURL, v.Key)
	}()
	if miss := missing(v, token); miss.Called {
		go func() {
			cctx, ccancel := context.WithTimeout(ctx, time.Duration(v.Timeout))
			defer ccancel()
			a, rl := probeAPI(cctx, t.client(), v, token, startedAt)
			apiC <- apiResult{a, rl}
		}()
	} else {
		apiC <- apiResult{api: miss}
	}

	f.Status = wait(ctx, statusC, runbook.StatusFinding{
		Checked: v.StatusKind != StatusNone, TimedOut: true, Indicator: runbook.IndicatorUnknown,
	})
	f.Health = wait(ctx, healthC, runbook.HealthFinding{Configured: t.HealthURL != "", TimedOut: true})
	res := wait(ctx, apiC, apiResult{api: runbook.APIFinding{Called: true, TimedOut: true}})
	f.API, f.RateLimit = res.api, res.rl
	if f.API.TimedOut && f.API.Latency == 0 {
		f.API.Latency = time.Since(start)
	}
	f.Duration = time.Since(start)

	book := t.Book
	if book == nil {
		var err error
		if book, err = runbook.Default(); err != nil {
			return runbook.Report{}, err
		}
	}
	r, err := book.Diagnose(f)
	if err != nil {
		return runbook.Report{}, fmt.Errorf("vendors: triage %s: %w", v.Key, err)
	}
	return scrubReport(r, secretsOf(token)), nil
}

// missing says why the API cannot be called: an API base still holding a
// placeholder, or no token. Called is true when nothing is missing.
func missing(v Vendor, token string) runbook.APIFinding {
	var a runbook.APIFinding
	if v.NeedsAPIURL() {
		a.MissingField = v.Key + ".api_url"
		a.FieldExample = v.APIURLExample
	}
	if token == "" {
		a.MissingEnv = v.TokenEnv
	}
	a.Called = a.MissingField == "" && a.MissingEnv == ""
	return a
}

// wait returns the check's result, or fallback when the deadline passes
// first. A result that arrived together with the deadline still counts.
func wait[T any](ctx context.Context, c <-chan T, fallback T) T {
	select {
	case v := <-c:
		return v
	case <-ctx.Done():
		select {
		case v := <-c:
			return v
		default:
			return fallback
		}
	}
}

// margin is the part of the deadline kept for writing the report.
func margin(d time.Duration) time.Duration {
	return min(d/20, 250*time.Millisecond)
}

// scrubReport removes every form of the token from every text of the report.
func scrubReport(r runbook.Report, secrets []string) runbook.Report {
	if len(secrets) == 0 {
		return r
	}
	s := func(v string) string { return scrub(v, secrets) }
	list := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = s(v)
		}
		return out
	}
	r.Summary = s(r.Summary)
	r.RequestID = s(r.RequestID)
	r.Mitigation = list(r.Mitigation)
	r.Prevention = list(r.Prevention)
	r.Links = list(r.Links)
	checks := make([]runbook.Check, len(r.Checks))
	for i, c := range r.Checks {
		c.Detail = s(c.Detail)
		checks[i] = c
	}
	r.Checks = checks
	if r.RateLimit != nil {
		rl := *r.RateLimit
		rl.Policy = s(rl.Policy)
		ws := make([]runbook.RateWindow, len(rl.Windows))
		for i, w := range rl.Windows {
			w.Name, w.Reset, w.Interval = s(w.Name), s(w.Reset), s(w.Interval)
			ws[i] = w
		}
		rl.Windows = ws
		r.RateLimit = &rl
	}
	return r
}

// scrub replaces each secret in text. Very short secrets are replaced too:
// garbled text is better than a leaked token.
func scrub(text string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			text = strings.ReplaceAll(text, sec, "[redacted]")
		}
	}
	return text
}
