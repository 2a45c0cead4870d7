package vendors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// maxBody is the most of an answer the probes read.
const maxBody = 1 << 20

const userAgent = "incident-bot-triage/1"

// probeURL is the API base with the probe path appended.
func (v Vendor) probeURL() string {
	p := v.Probe.Path
	if p != "" && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "?") {
		p = "/" + p
	}
	return strings.TrimRight(v.APIURL, "/") + p
}

// authorize puts the token on the request as the vendor expects it.
func (v Vendor) authorize(req *http.Request, token string) {
	switch v.Auth.Scheme {
	case "basic":
		user, pass, _ := strings.Cut(token, ":")
		req.SetBasicAuth(user, pass)
	case "header":
		req.Header.Set(v.Auth.Header, v.Auth.Prefix+token)
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
}

// probeAPI makes the vendor's one authenticated call and reads what the
// answer says: classification, error details, request id, rate limits.
func probeAPI(ctx context.Context, client *http.Client, v Vendor, token string, now time.Time) (runbook.APIFinding, runbook.RateLimitFinding) {
	a := runbook.APIFinding{Called: true}
	var body io.Reader
	if v.Probe.Body != "" {
		body = strings.NewReader(v.Probe.Body)
	}
	req, err := http.NewRequestWithContext(ctx, v.Probe.Method, v.probeURL(), body)
	if err != nil {
		a.NetErr = "cannot build the request: " + err.Error()
		return a, runbook.RateLimitFinding{}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if v.Probe.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, val := range v.Probe.Headers {
		req.Header.Set(k, val)
	}
	v.authorize(req, token)

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		a.TimedOut, a.NetErr = netFailure(ctx, err, req.URL.Host)
		return a, runbook.RateLimitFinding{}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a.Latency = time.Since(start)
	if err != nil {
		a.TimedOut, a.NetErr = netFailure(ctx, err, req.URL.Host)
		if !a.TimedOut {
			a.NetErr = "the answer broke off: " + a.NetErr
		}
		return a, runbook.RateLimitFinding{}
	}
	a.HTTPStatus = resp.StatusCode
	a.Slow = resp.StatusCode < 300 && a.Latency > time.Duration(v.SlowAfter)
	doc, isJSON := parseJSON(raw)
	readAnswer(&a, v, resp.Header, doc)
	if v.Probe.Answer == "json" && !isJSON && (len(strings.TrimSpace(string(raw))) > 0 || resp.StatusCode < 300) {
		a.Unparseable = true
		if a.ErrorMessage == "" {
			a.ErrorMessage = notJSON(resp.Header.Get("Content-Type"), raw)
		}
	}
	a.Class, a.Note, a.Documented = classify(v, resp.StatusCode, resp.Header, doc, raw, a.Unparseable)
	if e, ok := edgeAnswer(resp.StatusCode, resp.Header, raw, isJSON); ok {
		// A page the CDN or firewall wrote: say whose. Its id (CF-RAY,
		// X-Amz-Cf-Id, Akamai's reference) is the one to quote when the
		// vendor's own is missing.
		a.Edge = e.edge
		if e.what != "" {
			a.ErrorMessage = e.what
		}
		if a.RequestID == "" {
			a.RequestID = shorten(e.requestID, 128)
		}
	}
	return a, rateLimits(v, resp.Header, doc, now)
}

// readAnswer extracts the vendor's request id and error details.
func readAnswer(a *runbook.APIFinding, v Vendor, h http.Header, doc any) {
	a.RequestID = firstString(doc, v.RequestID.Body)
	for _, name := range v.RequestID.Headers {
		if a.RequestID != "" {
			break
		}
		a.RequestID = strings.TrimSpace(h.Get(name))
	}
	a.RequestID = shorten(a.RequestID, 128)
	a.ErrorCode = shorten(firstString(doc, v.Errors.Code), 80)
	a.ErrorMessage = shorten(firstString(doc, v.Errors.Message), 240)
	a.Scopes = allStrings(doc, v.Errors.Scopes)
	a.Policy = shorten(firstString(doc, v.Errors.Policy), 60)
}

// classify reads an answer: a CDN's or firewall's challenge or block page
// first (no vendor rule can speak for a page the vendor did not write),
// then the vendor's rules in order, then the HTTP status. documented
// says whether the vendor's own words decided: a rule, or the vendor's
// error code in the body.
func classify(v Vendor, status int, h http.Header, doc any, raw []byte, unparseable bool) (class runbook.Class, note string, documented bool) {
	if e, ok := edgeAnswer(status, h, raw, doc != nil); ok && e.class != "" {
		return e.class, e.note, true
	}
	for _, r := range v.Rules {
		if r.matches(status, h, doc, raw) {
			return r.Class, r.Note, true
		}
	}
	documented = firstString(doc, v.Errors.Code) != ""
	switch {
	case status == http.StatusUnauthorized:
		return runbook.ClassAuthInvalid, "", documented
	case status == http.StatusForbidden:
		return runbook.ClassAuthForbidden, "", documented
	case status == http.StatusTooManyRequests:
		return runbook.ClassRateLimited, "", documented
	case status == http.StatusPaymentRequired:
		return runbook.ClassAccount, "402 Payment Required: the account's billing or plan", documented
	case status == http.StatusLocked:
		return runbook.ClassAccount, "423 Locked: the account is locked", documented
	case status >= 500:
		return runbook.ClassVendorError, "", documented
	case status >= 200 && status < 300:
		if unparseable {
			return runbook.ClassVendorError, "a success status with a body that is not the API's answer", false
		}
		return runbook.ClassOK, "", false
	}
	return runbook.ClassVendorError, fmt.Sprintf("unexpected HTTP %d from the probe; check %s.api_url and probe.path", status, v.Key), documented
}

func (r Rule) matches(status int, h http.Header, doc any, raw []byte) bool {
	if len(r.Status) > 0 {
		found := false
		for _, s := range r.Status {
			found = found || s == status
		}
		if !found {
			return false
		}
	}
	for name, want := range r.Headers {
		got := strings.TrimSpace(h.Get(name))
		if want == "*" && got != "" {
			continue
		}
		if !strings.EqualFold(got, want) {
			return false
		}
	}
	for path, values := range r.Body {
		if !bodyHas(doc, path, values) {
			return false
		}
	}
	if r.BodyContains != "" && !strings.Contains(strings.ToLower(string(raw)), strings.ToLower(r.BodyContains)) {
		return false
	}
	return true
}

func bodyHas(doc any, path string, values []string) bool {
	for _, got := range lookup(doc, path) {
		s, ok := scalar(got)
		if !ok {
			continue
		}
		for _, want := range values {
			if want == "*" || strings.EqualFold(s, want) {
				return true
			}
		}
	}
	return false
}

// rateLimits reads the vendor's rate-limit figures and Retry-After.
func rateLimits(v Vendor, h http.Header, doc any, now time.Time) runbook.RateLimitFinding {
	var rl runbook.RateLimitFinding
	for _, spec := range v.RateLimits {
		if w, ok := spec.read(h, doc, now); ok {
			rl.Windows = append(rl.Windows, w)
		}
	}
	rl.RetryAfter = retryAfter(h.Get("Retry-After"), now)
	return rl
}

func (s RateSpec) read(h http.Header, doc any, now time.Time) (runbook.RateWindow, bool) {
	w := runbook.RateWindow{Name: s.Name, Interval: s.Interval}
	limit, lok := headerInt(h, s.LimitHeader)
	remaining, rok := headerInt(h, s.RemainingHeader)
	if s.UsageHeader != "" {
		if used, lim, ok := usage(h.Get(s.UsageHeader), s.UsageKey); ok {
			limit, remaining, lok, rok = lim, lim-used, true, true
		}
	}
	if s.LimitPath != "" {
		if vals := lookup(doc, s.LimitPath); len(vals) > 0 {
			if f, ok := number(vals[0]); ok {
				limit, lok = int64(f), true
			}
		}
	}
	if s.RemainingPath != "" {
		if vals := lookup(doc, s.RemainingPath); len(vals) > 0 {
			if f, ok := number(vals[0]); ok {
				remaining, rok = int64(f), true
			}
		}
	}
	if !lok || !rok {
		return w, false
	}
	w.Limit, w.Remaining = limit, max(remaining, 0)
	if s.IntervalHeader != "" {
		if ms, ok := headerInt(h, s.IntervalHeader); ok && ms > 0 {
			w.Interval = (time.Duration(ms) * time.Millisecond).String()
		}
	}
	if s.ResetHeader != "" {
		w.Reset = resetText(h.Get(s.ResetHeader), now)
	}
	return w, true
}

func headerInt(h http.Header, name string) (int64, bool) {
	if name == "" {
		return 0, false
	}
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	// Some vendors send "limit;w=window": the number comes first.
	if i := strings.IndexAny(v, ";, "); i > 0 {
		v = v[:i]
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	return int64(f), true
}

// usage reads "key=used/limit" out of a header like Salesforce's
// "api-usage=18/5000; per-app-api-usage=17/250(appName=x)".
func usage(header, key string) (used, limit int64, ok bool) {
	for _, part := range strings.Split(header, ";") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || (key != "" && !strings.EqualFold(k, key)) {
			continue
		}
		u, l, found := strings.Cut(val, "/")
		if !found {
			continue
		}
		if i := strings.IndexAny(l, "( "); i > 0 {
			l = l[:i]
		}
		un, err1 := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
		ln, err2 := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
		if err1 == nil && err2 == nil {
			return un, ln, true
		}
	}
	return 0, 0, false
}

// resetText says when a budget refills: unix times become a UTC time and
// the wait, small numbers are seconds to go, anything else is kept.
func resetText(v string, now time.Time) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return shorten(v, 40)
	}
	if n > 1e9 {
		at := time.Unix(int64(n), 0).UTC()
		wait := at.Sub(now).Round(time.Second)
		if wait < 0 {
			wait = 0
		}
		return fmt.Sprintf("at %s (in %s)", at.Format("15:04:05 MST"), wait)
	}
	return fmt.Sprintf("in %s", seconds(n).Round(time.Second))
}

// maxWait bounds waits read from headers: a vendor's figure beyond a year
// is nonsense, and beyond ~292 years it would overflow a Duration.
const maxWait = 365 * 24 * time.Hour

// seconds converts a header's count of seconds, clamped to [0, maxWait].
func seconds(n float64) time.Duration {
	switch {
	case n != n || n <= 0: // NaN or nothing to wait
		return 0
	case n >= maxWait.Seconds():
		return maxWait
	}
	return time.Duration(n * float64(time.Second))
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
		return seconds(n)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// netFailure says how a request failed below HTTP: timedOut when the
// deadline or the caller stopped it, otherwise a short description.
func netFailure(ctx context.Context, err error, host string) (timedOut bool, msg string) {
	var ne net.Error
	switch {
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true, ""
	case errors.As(err, &ne) && ne.Timeout():
		return true, ""
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &dnsErr):
		return false, fmt.Sprintf("DNS lookup of %s failed (%s)", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return false, fmt.Sprintf("connection to %s refused", host)
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return false, fmt.Sprintf("TLS certificate of %s not accepted (%s)", host, rootCause(err))
	case errors.As(err, &recErr), errors.As(err, &alert):
		return false, fmt.Sprintf("TLS handshake with %s failed (%s)", host, rootCause(err))
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return false, fmt.Sprintf("connection to %s closed without an answer", host)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return false, fmt.Sprintf("no route to %s", host)
	}
	return false, fmt.Sprintf("request to %s failed (%s)", host, rootCause(err))
}

// rootCause is the innermost error text, without the URL that url.Error
// adds.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return shorten(err.Error(), 160)
}

// secretsOf lists every form of the token that could leak into text: the
// token, the secret half of user:secret, and their base64 encodings.
func secretsOf(token string) []string {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil
	}
	out := []string{token, base64.StdEncoding.EncodeToString([]byte(token))}
	if _, pass, ok := strings.Cut(token, ":"); ok && pass != "" {
		out = append(out, pass)
	}
	return out
}
