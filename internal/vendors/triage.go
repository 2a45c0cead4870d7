package vendors

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// DefaultDeadline is the longest a triage report may take when the
// Triager does not say.
const DefaultDeadline = 8 * time.Second

// DefaultCacheFor is how long the bot keeps a vendor's report for the
// triages that follow (Triager.CacheFor): a storm of triages of one vendor
// costs the vendor one request per check every few seconds.
const DefaultCacheFor = 5 * time.Second

// Triager runs a vendor's checks concurrently and turns the findings into a
// report, always within Deadline.
//
// Triages of one vendor that overlap in time share one set of probes, and
// for CacheFor after the probes finish later triages of the vendor get the
// same report: however many ask, the vendor sees one request per check.
// Each caller still waits no longer than its own context allows.
//
// A Triager must not be copied after first use.
type Triager struct {
	Catalog   *Catalog
	Client    *http.Client        // nil: a client with sane dial and TLS timeouts
	Getenv    func(string) string // reads the token variables; nil: no tokens
	HealthURL string              // our own health endpoint; empty: check skipped
	Deadline  time.Duration       // zero: DefaultDeadline
	Now       func() time.Time    // nil: time.Now
	Book      *runbook.Book       // nil: the embedded runbook
	// CacheFor keeps a vendor's report for the triages of that vendor
	// which start within it after the probes finished. Zero: no cache
	// (triages that overlap in time still share their probes);
	// DefaultCacheFor is what the bot uses. Set it before first use.
	CacheFor time.Duration

	mu        sync.Mutex
	flights   map[string]*flight // by vendor key: probes running, or a report cached
	coalesced atomic.Uint64
}

// flight is one set of probes of a vendor and, once done is closed, its
// report, kept until expires.
type flight struct {
	done    chan struct{}
	report  runbook.Report
	err     error
	expires time.Time
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
// comes back with that check marked timed out.
//
// A triage of a vendor whose probes are already running waits for them
// instead of starting its own, and one that starts within CacheFor of
// their end gets their report (Coalesced counts both). The probes run
// under the Triager's deadline, not the caller's context: a caller whose
// context ends first gets its error at once, and the probes go on for
// the others.
//
// The error is the caller's context error, or for a vendor the catalog
// does not know (*UnknownVendorError), or a broken runbook.
func (t *Triager) Triage(ctx context.Context, vendor string) (runbook.Report, error) {
	if t.Catalog == nil {
		return runbook.Report{}, fmt.Errorf("vendors: triage %s: no catalog", vendor)
	}
	v, ok := t.Catalog.Lookup(vendor)
	if !ok {
		return runbook.Report{}, &UnknownVendorError{Name: vendor, Known: t.Catalog.Keys()}
	}
	if err := ctx.Err(); err != nil {
		return runbook.Report{}, fmt.Errorf("vendors: triage %s: %w", v.Key, err)
	}
	f, first := t.flight(v.Key)
	if first {
		// The probes keep the caller's values (a logger, a trace) but not
		// its cancellation: others may be waiting for them.
		go t.fly(context.WithoutCancel(ctx), f, v)
	} else {
		t.coalesced.Add(1)
	}
	select {
	case <-f.done:
		return cloneReport(f.report), f.err
	case <-ctx.Done():
		return runbook.Report{}, fmt.Errorf("vendors: triage %s: %w", v.Key, ctx.Err())
	}
}

// Coalesced counts the triages that got another triage's report, its
// probes running or its report cached, instead of probing the vendor: for
// a metric such as bot_triage_coalesced_total.
func (t *Triager) Coalesced() uint64 { return t.coalesced.Load() }

// flight returns the vendor's probes running or its report still cached,
// or a new flight that the caller must start (first).
func (t *Triager) flight(key string) (f *flight, first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.flights[key]; f != nil {
		select {
		case <-f.done:
			if time.Now().Before(f.expires) {
				return f, false
			}
		default:
			return f, false
		}
	}
	if t.flights == nil {
		t.flights = map[string]*flight{}
	}
	now := time.Now()
	for k, old := range t.flights { // forget expired reports: a handful of vendors
		select {
		case <-old.done:
			if !now.Before(old.expires) {
				delete(t.flights, k)
			}
		default:
		}
	}
	f = &flight{done: make(chan struct{})}
	t.flights[key] = f
	return f, true
}

// fly runs the probes of one flight and hands the report to everyone
// waiting for it, and to the cache.
func (t *Triager) fly(ctx context.Context, f *flight, v Vendor) {
	var r runbook.Report
	var err error
	defer func() {
		if p := recover(); p != nil {
			r, err = runbook.Report{}, fmt.Errorf("vendors: triage %s: panic: %v", v.Key, p)
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		f.report, f.err = r, err
		f.expires = time.Now().Add(t.CacheFor)
		if (err != nil || t.CacheFor <= 0) && t.flights[v.Key] == f {
			delete(t.flights, v.Key)
		}
		close(f.done)
	}()
	r, err = t.triage(ctx, v)
}

// triage runs the vendor's checks within the deadline and writes the
// report.
func (t *Triager) triage(ctx context.Context, v Vendor) (runbook.Report, error) {
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
		statusC <- probeStatus(cctx, t.client(), v, startedAt)
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

// cloneReport is a report that shares nothing with r, so that callers
// handed one flight's report cannot change each other's. A field added to
// runbook.Report that holds a slice, map or pointer is copied here too
// (TestCloneReportSharesNothing says when one is not).
func cloneReport(r runbook.Report) runbook.Report {
	r.Checks = slices.Clone(r.Checks)
	r.Evidence = slices.Clone(r.Evidence)
	r.VendorStatus = cloneVendorStatus(r.VendorStatus)
	r.Mitigation = slices.Clone(r.Mitigation)
	r.Prevention = slices.Clone(r.Prevention)
	r.Links = slices.Clone(r.Links)
	if r.RateLimit != nil {
		rl := *r.RateLimit
		rl.Windows = slices.Clone(rl.Windows)
		r.RateLimit = &rl
	}
	return r
}

func cloneVendorStatus(v runbook.VendorStatus) runbook.VendorStatus {
	v.Incidents = slices.Clone(v.Incidents)
	for i := range v.Incidents {
		v.Incidents[i].Components = slices.Clone(v.Incidents[i].Components)
	}
	v.Maintenances = slices.Clone(v.Maintenances)
	for i := range v.Maintenances {
		v.Maintenances[i].Components = slices.Clone(v.Maintenances[i].Components)
	}
	v.DegradedComponents = slices.Clone(v.DegradedComponents)
	return v
}

// missing says why the API cannot be called: no API in the catalog (a
// vendor watched by its status page only), an API base still holding a
// placeholder, or no token. Called is true when nothing is missing.
func missing(v Vendor, token string) runbook.APIFinding {
	var a runbook.APIFinding
	if v.StatusOnly() {
		// Nothing to call until VENDORS_FILE names an API and a probe; the
		// status page is still read.
		a.MissingField = v.Key + ".api_url and " + v.Key + ".probe"
		return a
	}
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
	r.Evidence = list(r.Evidence)
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
