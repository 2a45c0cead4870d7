package vendors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// answers are one vendor's documented answers, as the stand-in sends them.
type answers struct {
	vendor       string
	ok           http.HandlerFunc // 200 with healthy rate-limit headers
	low          http.HandlerFunc // 200 with under 10 % budget left
	unauthorized http.HandlerFunc // 401
	forbidden    http.HandlerFunc // 403 naming missing scopes
	limited      http.HandlerFunc // 429
	serverError  http.HandlerFunc // 5xx JSON
	requestID    string           // the id every error answer carries
	scopes       string           // the scopes forbidden names
	unauthCode   string           // vendor code in the 401
}

func hubspotAnswers() answers {
	corr := "b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11"
	okHeaders := func(remaining, daily string) map[string]string {
		return map[string]string{
			"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": remaining,
			"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
			"X-HubSpot-RateLimit-Daily":                 "500000", "X-HubSpot-RateLimit-Daily-Remaining": daily,
			"X-HubSpot-Correlation-Id": corr,
		}
	}
	account := `{"portalId":123456,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","additionalCurrencies":[],"utcOffset":"-05:00","utcOffsetMilliseconds":-18000000,"uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`
	return answers{
		vendor: "hubspot",
		ok: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken {
				reply(401, nil, `{"status":"error","message":"wrong token in test","category":"INVALID_AUTHENTICATION"}`)(w, r)
				return
			}
			reply(200, okHeaders("99", "499000"), account)(w, r)
		},
		low: reply(200, okHeaders("97", "1200"), account),
		unauthorized: reply(401, map[string]string{"X-HubSpot-Correlation-Id": corr},
			`{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"`+corr+`","category":"INVALID_AUTHENTICATION"}`),
		forbidden: reply(403, map[string]string{"X-HubSpot-Correlation-Id": corr},
			`{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","correlationId":"`+corr+`","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.contacts.read","crm.objects.companies.read"]}}],"links":{"scopes":"https://developers.hubspot.com/scopes"},"category":"MISSING_SCOPES"}`),
		limited: reply(429, okHeaders("0", "0"),
			`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"`+corr+`","policyName":"DAILY","requestId":"3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd"}`),
		serverError: reply(500, map[string]string{"X-HubSpot-Correlation-Id": corr},
			`{"status":"error","message":"internal error","correlationId":"`+corr+`","category":"INTERNAL_ERROR"}`),
		requestID:  corr,
		scopes:     "crm.objects.contacts.read, crm.objects.companies.read",
		unauthCode: "INVALID_AUTHENTICATION",
	}
}

func intercomAnswers() answers {
	rid := "f93ecfa8-d08a-4325-8694-89aeb89c8f85"
	reset := "1777888830"
	okHeaders := func(remaining string) map[string]string {
		return map[string]string{"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset}
	}
	admin := `{"type":"admin","id":"1295","name":"Joe Example","email":"jdoe@example.com","job_title":"Associate","away_mode_enabled":false,"away_mode_reassign":false,"has_inbox_seat":true,"team_ids":[],"app":{"type":"app","id_code":"xyz789","name":"ACME"}}`
	return answers{
		vendor: "intercom",
		ok: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken || r.Header.Get("Intercom-Version") == "" {
				reply(401, nil, `{"type":"error.list","errors":[{"code":"unauthorized","message":"wrong token in test"}]}`)(w, r)
				return
			}
			reply(200, okHeaders("166"), admin)(w, r)
		},
		low: reply(200, okHeaders("9"), admin),
		// Rate-limit headers are not sent without valid credentials.
		unauthorized: reply(401, nil, `{"type":"error.list","request_id":"`+rid+`","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}`),
		forbidden: reply(403, okHeaders("165"),
			`{"type":"error.list","request_id":"`+rid+`","errors":[{"code":"action_forbidden","message":"You do not have permission to access this resource.","data":{"required_permissions":["read_admins"]}}]}`),
		limited: reply(429, okHeaders("0"),
			`{"type":"error.list","request_id":"`+rid+`","errors":[{"code":"rate_limit_exceeded","message":"Exceeded rate limit of 167 in 10_seconds"}]}`),
		serverError: reply(503, nil,
			`{"type":"error.list","request_id":"`+rid+`","errors":[{"code":"service_unavailable","message":"Sorry, the API service is temporarily unavailable"}]}`),
		requestID:  rid,
		scopes:     "read_admins",
		unauthCode: "unauthorized",
	}
}

// expectation is what a report must show.
type expectation struct {
	cause      runbook.Cause
	severity   runbook.Severity
	requestID  string
	httpStatus int
	summary    []string // substrings
	mitigation []string // substrings of some step
	checks     map[string]string
}

func assertReport(t *testing.T, r runbook.Report, want expectation) {
	t.Helper()
	if r.Cause != want.cause || r.Severity != want.severity {
		t.Fatalf("cause %s %q, want %s %q; summary %q; checks %+v", r.Cause, r.Severity, want.cause, want.severity, r.Summary, r.Checks)
	}
	if want.requestID != "" && r.RequestID != want.requestID {
		t.Errorf("request_id = %q, want %q", r.RequestID, want.requestID)
	}
	if want.httpStatus != 0 && r.HTTPStatus != want.httpStatus {
		t.Errorf("http_status = %d, want %d", r.HTTPStatus, want.httpStatus)
	}
	for _, s := range want.summary {
		if !strings.Contains(r.Summary, s) {
			t.Errorf("summary %q lacks %q", r.Summary, s)
		}
	}
	all := strings.Join(r.Mitigation, "\n")
	for _, s := range want.mitigation {
		if !strings.Contains(all, s) {
			t.Errorf("mitigation lacks %q:\n%s", s, all)
		}
	}
	for name, result := range want.checks {
		found := false
		for _, c := range r.Checks {
			if c.Name == name {
				found = true
				if c.Result != result {
					t.Errorf("check %s = %s (%s), want %s", name, c.Result, c.Detail, result)
				}
			}
		}
		if !found {
			t.Errorf("no check %s", name)
		}
	}
	assertNoToken(t, r)
}

// assertNoToken renders the report both ways and looks for the token.
func assertNoToken(t *testing.T, r runbook.Report) {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := runbook.WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(raw), text.String()} {
		if strings.Contains(out, testToken) || strings.Contains(out, "5ecret-t0ken") {
			t.Fatalf("token in output:\n%s", out)
		}
	}
}

// TestTriageEveryCause runs every cause of the runbooks against HubSpot and
// Intercom stand-ins speaking real HTTP on loopback.
func TestTriageEveryCause(t *testing.T) {
	for _, a := range []answers{hubspotAnswers(), intercomAnswers()} {
		name := map[string]string{"hubspot": "HubSpot", "intercom": "Intercom"}[a.vendor]
		tokenEnv := strings.ToUpper(a.vendor) + "_ACCESS_TOKEN"
		tests := []struct {
			name  string
			setup func(t *testing.T, s *standIn, tr *Triager)
			want  expectation
		}{
			{"healthy", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.ok) },
				expectation{cause: runbook.Healthy, httpStatus: 200, summary: []string{name + " answers normally"},
					checks: map[string]string{"status_page": "ok", "api": "ok", "rate_limit": "ok", "health": "ok"}}},
			{"low budget still healthy", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.low) },
				expectation{cause: runbook.Healthy, summary: []string{"rate-limit budget is low"}, mitigation: []string{"Slow down"},
					checks: map[string]string{"rate_limit": "warn"}}},
			{"401", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.unauthorized) },
				expectation{cause: runbook.AuthInvalid, severity: runbook.P1, requestID: a.requestID, httpStatus: 401,
					summary:    []string{name + " answers 401 " + a.unauthCode + ": the token is invalid or revoked"},
					mitigation: []string{"Regenerate the token", "kubectl rollout restart deployment/" + a.vendor + "-integration", a.requestID},
					checks:     map[string]string{"api": "fail", "rate_limit": "skipped"}}},
			{"403 missing scopes", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.forbidden) },
				expectation{cause: runbook.AuthForbidden, severity: runbook.P2, requestID: a.requestID, httpStatus: 403,
					summary: []string{"missing scopes: " + a.scopes}, mitigation: []string{"Grant the missing scopes " + a.scopes}}},
			{"429", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.limited) },
				expectation{cause: runbook.RateLimited, severity: runbook.P2, requestID: a.requestID, httpStatus: 429,
					summary: []string{"rate limited"}, checks: map[string]string{"rate_limit": "fail"}}},
			{"5xx", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, a.serverError) },
				expectation{cause: runbook.VendorError, severity: runbook.P2, requestID: a.requestID,
					mitigation: []string{"support case with " + name + " and quote request id " + a.requestID}}},
			{"HTML error page", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, htmlHandler(502)) },
				expectation{cause: runbook.VendorError, severity: runbook.P2, httpStatus: 502,
					summary: []string{"502 with a body that is not its JSON answer"}}},
			{"HTML on 200", func(t *testing.T, s *standIn, tr *Triager) { s.set(&s.api, htmlHandler(200)) },
				expectation{cause: runbook.VendorError, severity: runbook.P2, httpStatus: 200}},
			{"5xx during major incident", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.serverError)
				s.set(&s.status, statuspageJSON("major", "Partial System Outage",
					runbook.StatusIncident{Name: "Elevated API errors", Status: "investigating", Impact: "major", Link: "https://stspg.io/abc"}))
			}, expectation{cause: runbook.VendorIncident, severity: runbook.P1, requestID: a.requestID,
				summary: []string{"Elevated API errors", "our calls fail (5"}, mitigation: []string{"https://stspg.io/abc"}}},
			{"5xx during minor incident", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.serverError)
				s.set(&s.status, statuspageJSON("minor", "Minor Service Outage",
					runbook.StatusIncident{Name: "Elevated API error rates", Status: "investigating", Impact: "minor"}))
			}, expectation{cause: runbook.VendorIncident, severity: runbook.P2}},
			// The page's overall indicator names nothing, and the API's own
			// component is operational: our 5xx is the vendor's error, not
			// explained by that indicator. (HubSpot's page here has no
			// "CRM API" component, so the indicator may still cover it.)
			{"5xx under a minor indicator, API operational", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.serverError)
				s.set(&s.status, statuspageJSON("minor", "Minor Service Outage"))
			}, expectation{cause: map[string]runbook.Cause{"hubspot": runbook.VendorIncident, "intercom": runbook.VendorError}[a.vendor], severity: runbook.P2}},
			{"api fine, vendor incident", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.ok)
				s.set(&s.status, statuspageJSON("minor", "Webhook delays",
					runbook.StatusIncident{Name: "Webhook delivery delays", Status: "monitoring", Impact: "minor"}))
			}, expectation{cause: runbook.VendorIncident, severity: runbook.P3, summary: []string{"while our calls still work"},
				checks: map[string]string{"status_page": "warn", "api": "ok"}}},
			{"refused", func(t *testing.T, s *standIn, tr *Triager) {
				tr.Catalog = catalogFor(t, s, a.vendor+":\n  api_url: "+refusedURL(t)+"\n")
			}, expectation{cause: runbook.Unreachable, severity: runbook.P1, summary: []string{"refused"},
				checks: map[string]string{"api": "fail", "rate_limit": "skipped"}}},
			{"our service says unhealthy", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.ok)
				s.set(&s.health, jsonHandler(200, `{"services":{"`+a.vendor+`":{"status":"degraded"}}}`))
			}, expectation{cause: runbook.OurService, severity: runbook.P2, summary: []string{`services.` + a.vendor + `.status is "degraded"`},
				checks: map[string]string{"health": "fail"}}},
			{"our service down", func(t *testing.T, s *standIn, tr *Triager) {
				s.set(&s.api, a.ok)
				s.set(&s.health, jsonHandler(503, `{"status":"down"}`))
			}, expectation{cause: runbook.OurService, severity: runbook.P2, summary: []string{"answered 503"}}},
			{"no token", func(t *testing.T, s *standIn, tr *Triager) {
				tr.Getenv = env(nil)
			}, expectation{cause: runbook.Misconfigured, summary: []string{"set " + tokenEnv}, mitigation: []string{"Set " + tokenEnv},
				checks: map[string]string{"api": "skipped", "status_page": "ok"}}},
		}
		for _, tt := range tests {
			t.Run(a.vendor+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				s := newStandIn(t)
				tr := triager(t, s)
				tt.setup(t, s, tr)
				r, err := tr.Triage(context.Background(), a.vendor)
				if err != nil {
					t.Fatal(err)
				}
				assertReport(t, r, tt.want)
				if r.Vendor != a.vendor || r.VendorName != name {
					t.Errorf("vendor %s %s", r.Vendor, r.VendorName)
				}
				if tt.want.cause == runbook.Misconfigured && s.calls() != 0 {
					t.Errorf("API called %d times without a token", s.calls())
				}
			})
		}
	}
}

func TestTriageHubSpotPolicies(t *testing.T) {
	corr := "c033cdaa-2c40-4a64-ae48-b4cec88dad24"
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		policy     string
		retryAfter int64
		mitigation string
	}{
		{"daily", reply(429, map[string]string{"X-HubSpot-RateLimit-Daily": "500000", "X-HubSpot-RateLimit-Daily-Remaining": "0"},
			`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"`+corr+`","policyName":"DAILY"}`),
			"DAILY", 0, "resets at midnight in the HubSpot account's time zone"},
		{"ten-secondly", reply(429, map[string]string{"Retry-After": "3", "X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
			`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"`+corr+`","policyName":"TEN_SECONDLY_ROLLING"}`),
			"TEN_SECONDLY_ROLLING", 3, "back off for a few seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStandIn(t)
			s.set(&s.api, tt.handler)
			r, err := triager(t, s).Triage(context.Background(), "hubspot")
			if err != nil {
				t.Fatal(err)
			}
			assertReport(t, r, expectation{cause: runbook.RateLimited, severity: runbook.P2, requestID: corr, httpStatus: 429,
				summary: []string{"by the " + tt.policy + " limit"}, mitigation: []string{tt.mitigation}})
			if r.RateLimit == nil || r.RateLimit.Policy != tt.policy || r.RateLimit.RetryAfterSecs != tt.retryAfter {
				t.Errorf("rate_limit = %+v", r.RateLimit)
			}
			if len(r.RateLimit.Windows) != 1 || r.RateLimit.Windows[0].Remaining != 0 {
				t.Errorf("windows = %+v", r.RateLimit.Windows)
			}
		})
	}
}

func TestTriageRateLimitFigures(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, hubspotAnswers().ok)
	r, err := triager(t, s).Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if r.RateLimit == nil || len(r.RateLimit.Windows) != 2 {
		t.Fatalf("rate_limit = %+v", r.RateLimit)
	}
	burst, daily := r.RateLimit.Windows[0], r.RateLimit.Windows[1]
	if burst.Limit != 100 || burst.Remaining != 99 || burst.Interval != "10s" || daily.Limit != 500000 || daily.Remaining != 499000 {
		t.Errorf("windows = %+v", r.RateLimit.Windows)
	}
	if r.RequestID != "" || !strings.Contains(r.Checks[1].Detail, "request id b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11") {
		t.Errorf("request id on a 200: report %q, api check %q", r.RequestID, r.Checks[1].Detail)
	}
	req := s.lastRequest(t)
	if req.URL.Path != "/api/account-info/v3/details" || req.Header.Get("User-Agent") == "" {
		t.Errorf("probe %s %s", req.Method, req.URL)
	}
}

// TestTriageDeadline: a hung vendor costs the deadline, not more, and the
// report still comes back, with the API marked timed out.
func TestTriageDeadline(t *testing.T) {
	for _, vendor := range []string{"hubspot", "intercom"} {
		t.Run(vendor, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			s.set(&s.api, s.hang())
			s.set(&s.status, s.hang())
			s.set(&s.health, s.hang())
			tr := triager(t, s)
			tr.Deadline = 300 * time.Millisecond
			start := time.Now()
			r, err := tr.Triage(context.Background(), vendor)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if elapsed > tr.Deadline+1500*time.Millisecond {
				t.Errorf("triage took %s with a %s deadline", elapsed, tr.Deadline)
			}
			assertReport(t, r, expectation{cause: runbook.Unreachable, severity: runbook.P1, summary: []string{"no answer within"},
				checks: map[string]string{"api": "timeout", "status_page": "timeout", "health": "timeout"}})
			for _, c := range r.Checks {
				if c.Name == "api" && !c.TimedOut {
					t.Errorf("api check not marked timed out: %+v", c)
				}
			}
		})
	}
}

// TestTriageVendorTimeout: the per-check timeout from the catalog wins when
// it is shorter than the deadline.
func TestTriageVendorTimeout(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, s.hang())
	tr := triager(t, s, "hubspot:\n  timeout: 200ms\n")
	tr.Deadline = 5 * time.Second
	start := time.Now()
	r, err := tr.Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s with a 200ms vendor timeout", elapsed)
	}
	assertReport(t, r, expectation{cause: runbook.Unreachable, severity: runbook.P1,
		checks: map[string]string{"api": "timeout", "status_page": "ok", "health": "ok"}})
}

// TestTriageCallerCancel: a caller whose context ends before the report
// gets its context's error then, not at the triage deadline.
func TestTriageCallerCancel(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, s.hang())
	// The triager first: loading the catalog is not what is timed.
	tr := triager(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tr.Triage(ctx, "hubspot")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("returned after %s; the caller's context ended at 100ms", took)
	}
	if _, err := triager(t, s).Triage(ctx, "hubspot"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a context already ended: err = %v", err)
	}
}

func TestTriageStatusPageStates(t *testing.T) {
	tests := []struct {
		name    string
		status  func(s *standIn) http.HandlerFunc
		result  string
		cause   runbook.Cause
		sev     runbook.Severity
		contain string
	}{
		{"none", func(*standIn) http.HandlerFunc { return statuspageJSON("none", "All Systems Operational") }, "ok", runbook.Healthy, "", "All Systems Operational"},
		{"minor", func(*standIn) http.HandlerFunc { return statuspageJSON("minor", "Minor Service Outage") }, "warn", runbook.VendorIncident, runbook.P3, "minor"},
		{"major", func(*standIn) http.HandlerFunc { return statuspageJSON("major", "Partial System Outage") }, "fail", runbook.VendorIncident, runbook.P3, "API (major_outage)"},
		{"critical", func(*standIn) http.HandlerFunc { return statuspageJSON("critical", "Major System Outage") }, "fail", runbook.VendorIncident, runbook.P3, "critical"},
		// Was vendor_incident P3: maintenance is its own cause now.
		{"maintenance", func(*standIn) http.HandlerFunc { return statuspageJSON("maintenance", "Service Under Maintenance") }, "warn", runbook.Maintenance, runbook.P3, "maintenance"},
		{"unknown indicator", func(*standIn) http.HandlerFunc { return statuspageJSON("purple", "?") }, "unknown", runbook.Healthy, "", "unrecognised"},
		{"html", func(*standIn) http.HandlerFunc { return htmlHandler(200) }, "unknown", runbook.Healthy, "", "HTML page instead of JSON"},
		{"garbage", func(*standIn) http.HandlerFunc {
			return reply(200, map[string]string{"Content-Type": "text/plain"}, "ok!")
		}, "unknown", runbook.Healthy, "", "not JSON"},
		{"json without indicator", func(*standIn) http.HandlerFunc { return jsonHandler(200, `{"page":{}}`) }, "unknown", runbook.Healthy, "", "no status.indicator"},
		{"500", func(*standIn) http.HandlerFunc { return htmlHandler(500) }, "unknown", runbook.Healthy, "", "answered 500"},
		{"hung", func(s *standIn) http.HandlerFunc { return s.hang() }, "timeout", runbook.Healthy, "", "did not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			s.set(&s.api, hubspotAnswers().ok)
			s.set(&s.status, tt.status(s))
			tr := triager(t, s, "hubspot:\n  timeout: 1s\n")
			r, err := tr.Triage(context.Background(), "hubspot")
			if err != nil {
				t.Fatal(err)
			}
			if r.Cause != tt.cause || r.Severity != tt.sev {
				t.Errorf("cause %s %s, want %s %s", r.Cause, r.Severity, tt.cause, tt.sev)
			}
			c := r.Checks[0]
			// The page's own words ("Minor Service Outage") carry the indicator.
			if c.Name != "status_page" || c.Result != tt.result || !strings.Contains(strings.ToLower(c.Detail), strings.ToLower(tt.contain)) {
				t.Errorf("status check = %+v, want %s containing %q", c, tt.result, tt.contain)
			}
		})
	}
}

func TestTriageStatusRefused(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, hubspotAnswers().ok)
	tr := triager(t, s, "hubspot:\n  status_url: "+refusedURL(t)+"\n")
	r, err := tr.Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, r, expectation{cause: runbook.Healthy, checks: map[string]string{"status_page": "unknown"}})
}

func TestTriageHealthStates(t *testing.T) {
	tests := []struct {
		name   string
		health func(s *standIn) http.HandlerFunc
		url    func(s *standIn, t *testing.T) string
		result string
		cause  runbook.Cause
	}{
		{"ok", func(*standIn) http.HandlerFunc { return jsonHandler(200, `{"services":{"hubspot":{"status":"OK"}}}`) }, nil, "ok", runbook.Healthy},
		{"pass", func(*standIn) http.HandlerFunc { return jsonHandler(200, `{"services":{"HubSpot":{"status":"pass"}}}`) }, nil, "ok", runbook.Healthy},
		{"unhealthy value", func(*standIn) http.HandlerFunc {
			return jsonHandler(200, `{"services":{"hubspot":{"status":"timeout"}}}`)
		}, nil, "fail", runbook.OurService},
		{"no entry", func(*standIn) http.HandlerFunc { return jsonHandler(200, `{"services":{"stripe":{"status":"ok"}}}`) }, nil, "unknown", runbook.Healthy},
		{"not json", func(*standIn) http.HandlerFunc {
			return reply(200, map[string]string{"Content-Type": "text/plain"}, "OK")
		}, nil, "unknown", runbook.Healthy},
		{"non-2xx", func(*standIn) http.HandlerFunc { return jsonHandler(500, `{"services":{"hubspot":{"status":"ok"}}}`) }, nil, "fail", runbook.OurService},
		{"hung", func(s *standIn) http.HandlerFunc { return s.hang() }, nil, "timeout", runbook.OurService},
		{"refused", nil, func(s *standIn, t *testing.T) string { return refusedURL(t) + "/health" }, "fail", runbook.OurService},
		{"unset", nil, func(*standIn, *testing.T) string { return "" }, "skipped", runbook.Healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			s.set(&s.api, hubspotAnswers().ok)
			if tt.health != nil {
				s.set(&s.health, tt.health(s))
			}
			tr := triager(t, s, "hubspot:\n  timeout: 1s\n")
			if tt.url != nil {
				tr.HealthURL = tt.url(s, t)
			}
			r, err := tr.Triage(context.Background(), "hubspot")
			if err != nil {
				t.Fatal(err)
			}
			assertReport(t, r, expectation{cause: r.Cause, severity: r.Severity, checks: map[string]string{"health": tt.result}})
			if r.Cause != tt.cause {
				t.Errorf("cause = %s, want %s", r.Cause, tt.cause)
			}
		})
	}
}

func TestTriageUnknownVendor(t *testing.T) {
	s := newStandIn(t)
	_, err := triager(t, s).Triage(context.Background(), "myspace")
	var uv *UnknownVendorError
	if !errors.As(err, &uv) {
		t.Fatalf("err = %v, want *UnknownVendorError", err)
	}
	if uv.Name != "myspace" || len(uv.Known) != len(catalogKeys(t)) || !strings.Contains(err.Error(), "hubspot, ") || !strings.Contains(err.Error(), "intercom") {
		t.Errorf("err = %v", err)
	}
}

func TestTriageMissingAPIBase(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	tr := &Triager{Catalog: c, Getenv: env(nil), Deadline: time.Second}
	// No network: the status page of the built-in Zendesk entry is pointed
	// at a refused port; the API must not be called at all.
	tr.Catalog = mustCatalog(t, "zendesk:\n  status_url: "+refusedURL(t)+"\n")
	r, err := tr.Triage(context.Background(), "zendesk")
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, r, expectation{cause: runbook.Misconfigured,
		summary:    []string{"set zendesk.api_url in VENDORS_FILE (e.g. https://yourcompany.zendesk.com)", "ZENDESK_ACCESS_TOKEN"},
		mitigation: []string{"Set zendesk.api_url in the file named by VENDORS_FILE"},
		checks:     map[string]string{"api": "skipped"}})
}

func mustCatalog(t *testing.T, yaml string) *Catalog {
	t.Helper()
	c, err := LoadCatalog(writeFile(t, yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTriageScrubsToken: a vendor that echoes the token back in its error
// body, headers and request id must not get it into the report.
func TestTriageScrubsToken(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("X-HubSpot-Correlation-Id", auth)
		reply(401, nil, `{"status":"error","message":"Token `+testToken+` is not valid (`+auth+`)","category":"INVALID `+testToken+`"}`)(w, r)
	})
	r, err := triager(t, s).Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, r, expectation{cause: runbook.AuthInvalid, severity: runbook.P1})
	raw, _ := json.Marshal(r)
	if !strings.Contains(string(raw), "[redacted]") {
		t.Errorf("expected a redaction mark in %s", raw)
	}
}

// TestTriageBasicAuthScrub: the secret half of user:secret and the base64
// form must not leak either.
func TestTriageBasicAuthScrub(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, func(w http.ResponseWriter, r *http.Request) {
		reply(401, map[string]string{"X-AREQUESTID": r.Header.Get("Authorization")},
			`{"errorMessages":["Basic auth `+r.Header.Get("Authorization")+` refused"],"errors":{}}`)(w, r)
	})
	tr := triager(t, s, "jira:\n  api_url: "+s.URL+"/api\n")
	r, err := tr.Triage(context.Background(), "jira")
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, r, expectation{cause: runbook.AuthInvalid, severity: runbook.P1})
	req := s.lastRequest(t)
	if u, p, ok := req.BasicAuth(); !ok || u != "me@example.com" || p != testToken {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
}
