package vendors

// Hostile input from vendors: status pages and API error bodies in every
// shape a broken, hostile or changed vendor could send, through the
// parsers on their own and through the probes and the Triager over
// loopback. The Fuzz targets run their seed corpus as ordinary tests;
// `make fuzz` explores further.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/runbook"
)

const fzToken = "pat-na1-fuzz-5ecret-t0ken"

var fzNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

var fzIndicators = map[runbook.Indicator]bool{
	runbook.IndicatorNone: true, runbook.IndicatorMinor: true, runbook.IndicatorMajor: true,
	runbook.IndicatorCritical: true, runbook.IndicatorMaintenance: true, runbook.IndicatorUnknown: true,
}

var fzClasses = map[runbook.Class]bool{
	runbook.ClassOK: true, runbook.ClassAuthInvalid: true, runbook.ClassAuthForbidden: true,
	runbook.ClassRateLimited: true, runbook.ClassVendorError: true, runbook.ClassBlocked: true, runbook.ClassAccount: true,
}

// fzBodies are answers seen from real vendors, and ones no vendor should send.
var fzBodies = []string{
	`{"status":{"indicator":"none","description":"All Systems Operational"},"components":[{"name":"API","status":"operational"}],"incidents":[]}`,
	`{"status":{"indicator":"major","description":"Partial outage"},"components":[{"name":"API","status":"major_outage","group":false},{"name":"G","status":"degraded_performance","group":true}],"incidents":[{"name":"Elevated errors <!channel>","status":"investigating","impact":"major","shortlink":"https://stspg.io/x"}]}`,
	`{"status":{"indicator":"` + strings.Repeat("x", 5000) + `","description":"` + strings.Repeat("<!here>", 1000) + `"}}`,
	`{"status":null}`, `{"status":{"indicator":5}}`, `{"components":"none"}`, `{"incidents":[null,{},{"name":null}]}`,
	`{"status":"ok","active_incidents":[]}`,
	`{"status":"active","active_incidents":[{"title":"Trouble","type":"outage","status":"active","url":"https://slack-status.com/x"}]}`,
	`{"status":null,"active_incidents":[]}`, `{"status":"purple"}`,
	`{"largestatus":"up","message":"All services are online."}`, `{"largestatus":"DOWN","message":"` + strings.Repeat("m", 3000) + `"}`,
	`{"largestatus":"sideways"}`, `{"largestatus":["up"]}`,
	`{"data":[]}`, `{"data":null}`, `{"data":[{"attributes":{"title":"Slow","impact":"critical","outage":true}},{"attributes":null}]}`,
	`{"category":"INVALID_AUTHENTICATION","message":"Authentication credentials not found.","correlationId":"5ee2e0f6-4e1f-4a43-9d3e-0c8b8e1f2a11"}`,
	`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c1","policyName":"DAILY"}`,
	`{"category":"MISSING_SCOPES","errors":[{"context":{"requiredGranularScopes":["crm.objects.contacts.read",5,null,true,{"x":1}]}}],"context":{"requiredScopes":"crm.lists.read"}}`,
	`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`,
	`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"throttleStatus":{"maximumAvailable":"1e309","currentlyAvailable":-5}}}}`,
	`{"message":"token ` + fzToken + ` is invalid","correlationId":"` + fzToken + `","category":"` + base64.StdEncoding.EncodeToString([]byte(fzToken)) + `"}`,
	`{"message":"\u0000\u001b[31m\ud800","correlationId":"\u2028\u2029"}`,
	"{\"message\":\"\xff\xfe\"}",
	`<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>`,
	`<html>` + strings.Repeat("<div>", 2000),
	``, ` `, `null`, `true`, `"string"`, `1e999`, `{`, `{"a":`, `{"a":1}{"b":2}`, `{"a":1} trailing`,
	strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001),
	strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000),
}

// ---------------------------------------------------------------------------
// Status pages, parser by parser

// FuzzStatusParsers runs every parser of the statusFormats registry over
// every body and every format's fixtures.
func FuzzStatusParsers(f *testing.F) {
	seeds := make([][]byte, 0, len(fzBodies))
	for _, b := range fzBodies {
		seeds = append(seeds, []byte(b))
	}
	fixtures, _ := filepath.Glob(filepath.Join(statusFixtureDir, "*", "*.json"))
	feeds, _ := filepath.Glob(filepath.Join(statusFixtureDir, "*", "*.xml"))
	fixtures = append(fixtures, feeds...)
	for _, name := range fixtures {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, raw)
	}
	for i := range statusFormats {
		for _, raw := range seeds {
			f.Add(uint8(i), raw)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		p := statusFormats[int(which)%len(statusFormats)]
		s := runbook.StatusFinding{Checked: true, Indicator: runbook.IndicatorUnknown}
		err := p.parse(raw, fzNow, &s)
		if err != nil {
			if msg := err.Error(); utf8.RuneCountInString(msg) > 200 || strings.Contains(msg, "\n") {
				t.Fatalf("%s: error of %d characters, or on several lines: %q", p.kind, utf8.RuneCountInString(msg), msg)
			}
			return
		}
		if !fzIndicators[s.Indicator] {
			t.Fatalf("%s: indicator %q", p.kind, s.Indicator)
		}
		// Each parser shortens what a person reads: the page's words to
		// 120 characters, incident names to 120.
		if n := utf8.RuneCountInString(s.Description); n > 120 {
			t.Errorf("%s: description of %d characters kept", p.kind, n)
		}
		for _, in := range s.Incidents {
			if n := utf8.RuneCountInString(in.Name); n > 120 {
				t.Errorf("%s: incident name of %d characters kept", p.kind, n)
			}
			if len(in.Components) > maxItemComps {
				t.Errorf("%s: %d components kept for one incident", p.kind, len(in.Components))
			}
		}
		for _, m := range s.Maintenances {
			if n := utf8.RuneCountInString(m.Name); n > 120 {
				t.Errorf("%s: maintenance name of %d characters kept", p.kind, n)
			}
		}
		if len(s.Components) > maxComponents || len(s.Incidents) > maxStatusItems || len(s.Maintenances) > 2*maxStatusItems {
			t.Errorf("%s: %d components, %d incidents, %d maintenances kept", p.kind, len(s.Components), len(s.Incidents), len(s.Maintenances))
		}
		for _, c := range s.Components {
			if n := utf8.RuneCountInString(c.Name); n > maxStatusCompNm {
				t.Errorf("%s: component name of %d characters kept", p.kind, n)
			}
		}
	})
}

// TestStatusDescriptionsAreShortened is FuzzStatusParsers's bound as a
// table: one description of 3,000 characters per status page format.
func TestStatusDescriptionsAreShortened(t *testing.T) {
	long := strings.Repeat("ü", 3000)
	bodies := map[string]string{
		StatusStatuspage: `{"status":{"indicator":"minor","description":"` + long + `"}}`,
		StatusSlack:      `{"status":"` + long + `","active_incidents":[{"title":"x","type":"incident"}]}`,
		StatusStripe:     `{"largestatus":"degraded","message":"` + long + `"}`,
	}
	for _, p := range statusFormats {
		body, ok := bodies[p.kind]
		if !ok {
			continue
		}
		t.Run(p.kind, func(t *testing.T) {
			var s runbook.StatusFinding
			if err := p.parse([]byte(body), fzNow, &s); err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(s.Description); n > 120 {
				t.Errorf("description of %d characters kept, want at most 120", n)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// The body helpers

func FuzzLookup(f *testing.F) {
	for _, b := range fzBodies {
		f.Add([]byte(b), "errors.*.context.requiredGranularScopes")
	}
	for _, p := range []string{"", ".", "*", "*.*.*.*", "0", "-1", "99999999999999999999", "a..b", "status.indicator", "0.errorCode"} {
		f.Add([]byte(fzBodies[20]), p)
	}
	f.Fuzz(func(t *testing.T, raw []byte, path string) {
		doc, ok := parseJSON(raw)
		if !ok {
			if doc != nil {
				t.Fatal("parseJSON refused the body but returned a document")
			}
			if got := notJSON("application/json", raw); got == "" || utf8.RuneCountInString(got) > 80 {
				t.Fatalf("notJSON = %q", got)
			}
			return
		}
		vals := lookup(doc, path)
		if n := fzCount(doc); len(vals) > n {
			t.Fatalf("lookup(%q) found %d values in a document of %d", path, len(vals), n)
		}
		first := firstString(doc, []string{path})
		if first != strings.TrimSpace(first) {
			t.Fatalf("firstString untrimmed: %q", first)
		}
		all := allStrings(doc, []string{path, path})
		seen := map[string]bool{}
		for _, s := range all {
			if s == "" || seen[s] {
				t.Fatalf("allStrings repeated or kept an empty value: %q", all)
			}
			seen[s] = true
		}
	})
}

// fzCount is how many values a JSON document holds.
func fzCount(v any) int {
	n := 1
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			n += fzCount(e)
		}
	case []any:
		for _, e := range t {
			n += fzCount(e)
		}
	}
	return n
}

func FuzzShorten(f *testing.F) {
	for i, b := range fzBodies {
		f.Add(b, 1+i*7)
	}
	f.Add("a\nb\r\nc\td", 3)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 1 || n > 10000 {
			t.Skip("shorten is called with small positive constants")
		}
		got := shorten(s, n)
		if utf8.RuneCountInString(got) > n {
			t.Fatalf("shorten(%d) kept %d characters", n, utf8.RuneCountInString(got))
		}
		if strings.ContainsAny(got, "\n\r\t\v\f") {
			t.Fatalf("shorten(%q) = %q: not on one line", s, got)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	// The values that overflow time.Duration are TestRetryAfterNeverNegative's.
	for _, s := range []string{"", "30", "0", "-5", "1.5", "1e-300", "9223372036", "-Inf", "NaN", "0x10", "Mon, 04 May 2026 10:02:00 GMT", "Mon, 04 May 2026 09:00:00 GMT",
		"Fri, 31 Dec 9999 23:59:59 GMT", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got := retryAfter(v, fzNow); got < 0 {
			t.Fatalf("retryAfter(%q) = %v: negative", v, got)
		}
		if got := resetText(v, fzNow); utf8.RuneCountInString(got) > 80 {
			t.Fatalf("resetText(%q) = %q", v, got)
		}
	})
}

// TestRetryAfterNeverNegative is FuzzRetryAfter's property for the values
// that overflow time.Duration (about 292 years, or infinity).
func TestRetryAfterNeverNegative(t *testing.T) {
	for _, v := range []string{"9223372037", "1e10", "1e300", "Inf", "+Inf"} {
		if got := retryAfter(v, fzNow); got < 0 {
			t.Errorf("retryAfter(%q) = %v, want 0 or a positive wait", v, got)
		}
	}
}

func FuzzUsage(f *testing.F) {
	for _, s := range []string{"api-usage=18/5000", "api-usage=25/5000; per-app-api-usage=17/250(appName=x)", "=/", ";;;",
		"api-usage=-1/-1", "api-usage=9223372036854775807/1", "api-usage=1/99999999999999999999", "api-usage=1/ 5", "a=b=c/d"} {
		f.Add(s, "api-usage")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, header, key string) {
		used, limit, ok := usage(header, key)
		if !ok && (used != 0 || limit != 0) {
			t.Fatalf("usage(%q) refused with %d/%d", header, used, limit)
		}
		h := http.Header{}
		h.Set("X-Limit", header)
		headerInt(h, "X-Limit")
	})
}

// ---------------------------------------------------------------------------
// The probes over loopback

// fzVendorServer answers every request with the answer set last.
type fzVendorServer struct {
	*httptest.Server
	mu                  sync.Mutex
	status              int
	headerName, headerV string
	contentType         string
	body                []byte
}

func (s *fzVendorServer) set(status int, name, value, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.headerName, s.headerV, s.contentType, s.body = status, name, value, contentType, body
}

func newFzVendorServer(tb testing.TB) *fzVendorServer {
	s := &fzVendorServer{status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, name, value, ct, body := s.status, s.headerName, s.headerV, s.contentType, s.body
		s.mu.Unlock()
		if r.URL.Path == "/health" {
			status, ct = 200, "application/json"
		}
		if name != "" {
			w.Header().Set(name, value)
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// fzCatalog points every built-in vendor at the server, as an operator's
// VENDORS_FILE would.
func fzCatalog(tb testing.TB, url string) *Catalog {
	tb.Helper()
	base, err := LoadCatalog("")
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, k := range base.Keys() {
		fmt.Fprintf(&b, "%s:\n  api_url: %s/api\n  status_url: %s/status\n", k, url, url)
	}
	path := filepath.Join(tb.TempDir(), "vendors.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	c, err := LoadCatalog(path)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// fzHeaders are the headers vendors put their request ids and rate limits in.
var fzHeaders = []string{"", "Retry-After", "X-HubSpot-Correlation-Id", "X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
	"X-HubSpot-RateLimit-Interval-Milliseconds", "Sforce-Limit-Info", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id", "X-GitHub-Request-Id", "Www-Authenticate"}

func fzStatus(s uint16) int { return 100 + int(s)%500 }

func FuzzAPIAnswer(f *testing.F) {
	for i, b := range fzBodies {
		f.Add(uint8(i), uint16(i*37), uint8(i), "120", []byte(b))
	}
	f.Add(uint8(0), uint16(329), uint8(1), "Mon, 04 May 2026 10:02:00 GMT", []byte(`{}`))
	f.Add(uint8(1), uint16(100), uint8(6), "api-usage=99999999999999999999/1", []byte(`{}`))
	f.Add(uint8(2), uint16(101), uint8(2), fzToken, []byte(`{}`))
	srv := newFzVendorServer(f)
	cat := fzCatalog(f, srv.URL)
	keys := cat.Keys()
	f.Fuzz(func(t *testing.T, vendor uint8, status uint16, header uint8, value string, body []byte) {
		v, _ := cat.Lookup(keys[int(vendor)%len(keys)])
		code := fzStatus(status)
		if code < 200 {
			code += 100 // 1xx are interim answers: the client waits for the real one
		}
		name := fzHeaders[int(header)%len(fzHeaders)]
		srv.set(code, name, value, "application/json", body)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a, rl := probeAPI(ctx, srv.Client(), v, fzToken, fzNow)
		if a.NetErr != "" || a.TimedOut {
			t.Skipf("no answer over loopback (%s): the server refused the header?", a.NetErr)
		}
		if a.HTTPStatus != code || !fzClasses[a.Class] {
			t.Fatalf("%s: status %d class %q for an answer %d", v.Key, a.HTTPStatus, a.Class, code)
		}
		for _, c := range []struct {
			what, s string
			max     int
		}{{"request id", a.RequestID, 128}, {"error code", a.ErrorCode, 80}, {"error message", a.ErrorMessage, 240}, {"policy", a.Policy, 60}} {
			if n := utf8.RuneCountInString(c.s); n > c.max {
				t.Errorf("%s: %s of %d characters kept", v.Key, c.what, n)
			}
		}
		if rl.RetryAfter < 0 {
			t.Errorf("%s: Retry-After %q read as %v", v.Key, value, rl.RetryAfter)
		}
		for _, w := range rl.Windows {
			if w.Remaining < 0 {
				t.Errorf("%s: window %+v", v.Key, w)
			}
		}
	})
}

func FuzzStatusPage(f *testing.F) {
	for i, b := range fzBodies {
		f.Add(uint8(i), uint16(100), "application/json", []byte(b))
	}
	f.Add(uint8(0), uint16(403), "text/html", []byte(`<html>`))
	f.Add(uint8(1), uint16(100), "text/html; charset=utf-8", []byte(`{"status":"ok","active_incidents":[]}`))
	f.Add(uint8(2), uint16(100), "\x00", []byte(`{}`))
	srv := newFzVendorServer(f)
	cat := fzCatalog(f, srv.URL)
	var vendors []Vendor
	for _, k := range cat.Keys() {
		if v, _ := cat.Lookup(k); v.StatusKind != StatusNone {
			vendors = append(vendors, v)
		}
	}
	f.Fuzz(func(t *testing.T, vendor uint8, status uint16, contentType string, body []byte) {
		v := vendors[int(vendor)%len(vendors)]
		code := fzStatus(status)
		if code < 200 {
			code += 100
		}
		if strings.ContainsAny(contentType, "\r\n") {
			contentType = "text/plain"
		}
		srv.set(code, "", "", contentType, body)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s := probeStatus(ctx, srv.Client(), v, fzNow)
		if s.TimedOut || s.HTTPStatus == 0 {
			// A content type the transport refuses ("\x00") is no answer.
			t.Skipf("no answer over loopback: %s", s.Err)
		}
		if !s.Checked || !fzIndicators[s.Indicator] || s.HTTPStatus != code {
			t.Fatalf("%s: %+v for an answer %d", v.Key, s, code)
		}
		if (code < 200 || code > 299) && (s.Err == "" || s.Indicator != runbook.IndicatorUnknown) {
			t.Fatalf("%s: a %d status page read as %s (%q)", v.Key, code, s.Indicator, s.Err)
		}
		if s.Err != "" && s.Indicator != runbook.IndicatorUnknown {
			t.Fatalf("%s: error %q with indicator %s: an unreadable page must say unknown, never down", v.Key, s.Err, s.Indicator)
		}
		if n := utf8.RuneCountInString(s.Err); n > 200 {
			t.Errorf("%s: error of %d characters", v.Key, n)
		}
	})
}

// FuzzTriage runs the whole triage against a vendor whose status page and
// API give the same hostile answer, the token echoed back included: the
// report never fails, names a known cause, renders as text, and never
// carries the token.
func FuzzTriage(f *testing.F) {
	for i, b := range fzBodies {
		f.Add(uint8(i), uint16(i*53), uint8(i), fzToken, []byte(b))
	}
	srv := newFzVendorServer(f)
	cat := fzCatalog(f, srv.URL)
	keys := cat.Keys()
	tr := &Triager{Catalog: cat, Client: srv.Client(), Getenv: func(string) string { return fzToken },
		HealthURL: srv.URL + "/health", Deadline: 5 * time.Second, Now: func() time.Time { return fzNow }}
	secrets := secretsOf(fzToken)
	causes := map[runbook.Cause]bool{}
	for _, c := range runbook.Causes {
		causes[c] = true
	}
	f.Fuzz(func(t *testing.T, vendor uint8, status uint16, header uint8, value string, body []byte) {
		key := keys[int(vendor)%len(keys)]
		code := fzStatus(status)
		if code < 200 {
			code += 100
		}
		srv.set(code, fzHeaders[int(header)%len(fzHeaders)], value, "application/json", body)
		r, err := tr.Triage(context.Background(), key)
		if err != nil {
			t.Fatalf("Triage(%s): %v", key, err)
		}
		if !causes[r.Cause] {
			t.Fatalf("cause %q", r.Cause)
		}
		if err := runbook.WriteText(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(out), s) {
				t.Fatalf("the report carries the token (%q): %s", s, out)
			}
		}
	})
}
