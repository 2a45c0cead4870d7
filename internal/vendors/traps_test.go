package vendors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/runbook"
)

// TestVendorTraps: answers whose HTTP status says one thing and whose body
// or headers say another, classified by the catalog's per-vendor rules.
func TestVendorTraps(t *testing.T) {
	tests := []struct {
		name      string
		vendor    string
		extra     string // VENDORS_FILE additions
		api       http.HandlerFunc
		cause     runbook.Cause
		sev       runbook.Severity
		requestID string
		detail    string // in the api check
	}{
		{"slack invalid_auth on 200", "slack", "",
			reply(200, map[string]string{"X-Slack-Req-Id": "req-slack-1"}, `{"ok":false,"error":"invalid_auth"}`),
			runbook.AuthInvalid, runbook.P1, "req-slack-1", "200 invalid_auth (auth_invalid)"},
		{"slack missing_scope on 200", "slack", "",
			reply(200, nil, `{"ok":false,"error":"missing_scope","needed":"users:read","provided":"chat:write"}`),
			runbook.AuthForbidden, runbook.P2, "", "missing scopes: users:read"},
		{"slack ok", "slack", "",
			reply(200, nil, `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"bot","team_id":"T1","user_id":"U1"}`),
			runbook.Healthy, "", "", "200"},
		{"slack 429", "slack", "",
			reply(429, map[string]string{"Retry-After": "30"}, `{"ok":false,"error":"ratelimited"}`),
			runbook.RateLimited, runbook.P2, "", "429 ratelimited"},
		{"github 403 primary rate limit", "github", "",
			reply(403, map[string]string{"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1777888830", "X-GitHub-Request-Id": "CAFE:1234"},
				`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`),
			runbook.RateLimited, runbook.P2, "CAFE:1234", "x-ratelimit-remaining is 0"},
		{"github 403 secondary rate limit", "github", "",
			reply(403, map[string]string{"x-ratelimit-remaining": "4000", "x-ratelimit-limit": "5000"},
				`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`),
			runbook.RateLimited, runbook.P2, "", "secondary rate limit"},
		{"github 403 forbidden", "github", "",
			reply(403, map[string]string{"x-ratelimit-remaining": "4999", "x-ratelimit-limit": "5000"}, `{"message":"Resource not accessible by personal access token"}`),
			runbook.AuthForbidden, runbook.P2, "", "Resource not accessible"},
		{"github 401", "github", "",
			reply(401, nil, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`),
			runbook.AuthInvalid, runbook.P1, "", "Bad credentials"},
		{"salesforce REQUEST_LIMIT_EXCEEDED on 403", "salesforce", "",
			reply(403, map[string]string{"Sforce-Limit-Info": "api-usage=100020/100000"}, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`),
			runbook.RateLimited, runbook.P2, "", "REQUEST_LIMIT_EXCEEDED"},
		{"salesforce 401", "salesforce", "",
			reply(401, nil, `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`),
			runbook.AuthInvalid, runbook.P1, "", "INVALID_SESSION_ID"},
		{"datadog 403 is a bad key", "datadog", "",
			reply(403, nil, `{"errors":["Forbidden"]}`),
			runbook.AuthInvalid, runbook.P1, "", "Datadog answers 403 for an invalid API key"},
		{"shopify THROTTLED on 200", "shopify", "",
			reply(200, map[string]string{"X-Request-Id": "shop-req-9"},
				`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":6,"restoreRate":50.0}}}}`),
			runbook.RateLimited, runbook.P2, "shop-req-9", "THROTTLED"},
		{"shopify ok", "shopify", "",
			reply(200, nil, `{"data":{"shop":{"name":"Acme"}},"extensions":{"cost":{"requestedQueryCost":1,"actualQueryCost":1,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1999,"restoreRate":100.0}}}}`),
			runbook.Healthy, "", "", "200"},
		{"stripe 429 lock_timeout is not a rate limit", "stripe", "",
			reply(429, map[string]string{"Request-Id": "req_lock1"},
				`{"error":{"code":"lock_timeout","message":"This object cannot be accessed right now because another API request or Stripe process is currently accessing it.","type":"invalid_request_error"}}`),
			runbook.VendorError, runbook.P2, "req_lock1", "not a rate limit"},
		{"stripe 429 rate limit", "stripe", "",
			reply(429, map[string]string{"Request-Id": "req_rl1"}, `{"error":{"message":"Too many requests","type":"rate_limit_error"}}`),
			runbook.RateLimited, runbook.P2, "req_rl1", "rate_limit_error"},
		{"stripe 401", "stripe", "",
			reply(401, map[string]string{"Request-Id": "req_auth1"}, `{"error":{"message":"Invalid API Key provided: sk_live_****","type":"invalid_request_error"}}`),
			runbook.AuthInvalid, runbook.P1, "req_auth1", "Invalid API Key"},
		{"twilio 401", "twilio", "",
			reply(401, map[string]string{"Twilio-Request-Id": "RQ123"}, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`),
			runbook.AuthInvalid, runbook.P1, "RQ123", "20003"},
		{"twilio 429", "twilio", "",
			reply(429, nil, `{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}`),
			runbook.RateLimited, runbook.P2, "", "20429"},
		{"sendgrid 429", "sendgrid", "",
			reply(429, map[string]string{"X-RateLimit-Limit": "150", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1777888830"}, `{"errors":[{"field":null,"message":"too many requests"}]}`),
			runbook.RateLimited, runbook.P2, "", "too many requests"},
		{"zendesk 401", "zendesk", "",
			reply(401, map[string]string{"X-Zendesk-Request-Id": "zd-1"}, `{"error":"Couldn't authenticate you"}`),
			runbook.AuthInvalid, runbook.P1, "zd-1", "Couldn't authenticate you"},
		{"jira 401", "jira", "",
			reply(401, map[string]string{"X-AREQUESTID": "areq-1"}, `{"errorMessages":["Client must be authenticated to access this resource."],"errors":{}}`),
			runbook.AuthInvalid, runbook.P1, "areq-1", "must be authenticated"},
		{"pagerduty 401", "pagerduty", "",
			reply(401, nil, `{"error":{"message":"Authentication failed","code":2006}}`),
			runbook.AuthInvalid, runbook.P1, "", "2006"},
		{"operator rule wins", "hubspot", "hubspot:\n  rules:\n    - status: [418]\n      class: rate_limited\n      note: teapot means slow down\n",
			reply(418, nil, `{"status":"error","message":"short and stout"}`),
			runbook.RateLimited, runbook.P2, "", "teapot means slow down"},
		{"unexpected 404", "hubspot", "",
			reply(404, nil, `{"status":"error","message":"not found"}`),
			runbook.VendorError, runbook.P2, "", "check hubspot.api_url and probe.path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			s.set(&s.api, tt.api)
			tr := triager(t, s, tt.extra)
			r, err := tr.Triage(context.Background(), tt.vendor)
			if err != nil {
				t.Fatal(err)
			}
			assertReport(t, r, expectation{cause: tt.cause, severity: tt.sev, requestID: tt.requestID})
			if c := r.Checks[1]; !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("api check detail %q lacks %q", c.Detail, tt.detail)
			}
		})
	}
}

// TestProbeRequests checks how each vendor's probe is sent: method, path,
// auth and headers.
func TestProbeRequests(t *testing.T) {
	tests := []struct {
		vendor, method, path string
		check                func(*http.Request) string
	}{
		{"hubspot", "GET", "/api/account-info/v3/details", bearer},
		{"intercom", "GET", "/api/me", func(r *http.Request) string {
			if r.Header.Get("Intercom-Version") == "" {
				return "no Intercom-Version"
			}
			return bearer(r)
		}},
		{"github", "GET", "/api/user", func(r *http.Request) string {
			if r.Header.Get("X-GitHub-Api-Version") == "" || r.Header.Get("Accept") != "application/vnd.github+json" {
				return "GitHub headers missing"
			}
			return bearer(r)
		}},
		{"stripe", "GET", "/api/v1/balance", bearer},
		{"slack", "POST", "/api/auth.test", bearer},
		{"twilio", "GET", "/api/2010-04-01/Accounts.json", func(r *http.Request) string {
			if u, p, ok := r.BasicAuth(); !ok || u != "AC123" || p != testToken {
				return "basic auth wrong"
			}
			if r.URL.Query().Get("PageSize") != "1" {
				return "query lost"
			}
			return ""
		}},
		{"sendgrid", "GET", "/api/v3/scopes", bearer},
		{"shopify", "POST", "/api/admin/api/2025-01/graphql.json", func(r *http.Request) string {
			if r.Header.Get("X-Shopify-Access-Token") != testToken || r.Header.Get("Authorization") != "" {
				return "Shopify token header wrong"
			}
			return ""
		}},
		{"zendesk", "GET", "/api/api/v2/users/me.json", func(r *http.Request) string {
			if u, p, ok := r.BasicAuth(); !ok || u != "me@example.com/token" || p != testToken {
				return "basic auth wrong"
			}
			return ""
		}},
		{"salesforce", "GET", "/api/services/data/v62.0/", bearer},
		{"jira", "GET", "/api/rest/api/3/myself", func(r *http.Request) string {
			if u, _, ok := r.BasicAuth(); !ok || u != "me@example.com" {
				return "basic auth wrong"
			}
			return ""
		}},
		{"datadog", "GET", "/api/api/v1/validate", func(r *http.Request) string {
			if r.Header.Get("DD-API-KEY") != testToken {
				return "DD-API-KEY wrong"
			}
			return ""
		}},
		{"pagerduty", "GET", "/api/abilities", func(r *http.Request) string {
			if r.Header.Get("Authorization") != "Token token="+testToken {
				return "PagerDuty auth wrong"
			}
			return ""
		}},
		{"anthropic", "GET", "/api/v1/models", func(r *http.Request) string {
			if r.Header.Get("x-api-key") != testToken || r.Header.Get("Authorization") != "" {
				return "Anthropic x-api-key wrong"
			}
			if r.Header.Get("anthropic-version") != "2023-06-01" || r.URL.Query().Get("limit") != "1" {
				return "anthropic-version or limit missing"
			}
			return ""
		}},
		{"asana", "GET", "/api/users/me", bearer},
		{"airtable", "GET", "/api/v0/meta/whoami", bearer},
		{"auth0", "GET", "/api/api/v2/users", func(r *http.Request) string {
			if r.URL.Query().Get("per_page") != "1" {
				return "per_page lost"
			}
			return bearer(r)
		}},
		{"box", "GET", "/api/2.0/users/me", bearer},
		{"circleci", "GET", "/api/me", func(r *http.Request) string {
			if r.Header.Get("Circle-Token") != testToken || r.Header.Get("Authorization") != "" {
				return "Circle-Token wrong"
			}
			return ""
		}},
		{"cloudflare", "GET", "/api/user/tokens/verify", bearer},
		{"confluence", "GET", "/api/wiki/rest/api/user/current", func(r *http.Request) string {
			if u, p, ok := r.BasicAuth(); !ok || u != "me@example.com" || p != testToken {
				return "basic auth wrong"
			}
			return ""
		}},
		{"digitalocean", "GET", "/api/v2/account", bearer},
		{"discord", "GET", "/api/users/@me", func(r *http.Request) string {
			if r.Header.Get("Authorization") != "Bot "+testToken {
				return "Discord bot auth wrong"
			}
			return ""
		}},
		{"dropbox", "POST", "/api/2/users/get_current_account", func(r *http.Request) string {
			if r.Header.Get("Content-Type") != "application/json" {
				return "Dropbox body is not JSON"
			}
			return bearer(r)
		}},
		{"gitlab", "GET", "/api/user", func(r *http.Request) string {
			if r.Header.Get("PRIVATE-TOKEN") != testToken {
				return "PRIVATE-TOKEN wrong"
			}
			return ""
		}},
		{"launchdarkly", "GET", "/api/api/v2/caller-identity", func(r *http.Request) string {
			if r.Header.Get("Authorization") != testToken {
				return "LaunchDarkly auth wrong (the token, without a scheme)"
			}
			return ""
		}},
		{"linear", "POST", "/api/graphql", func(r *http.Request) string {
			if r.Header.Get("Authorization") != testToken || r.Header.Get("Content-Type") != "application/json" {
				return "Linear auth or content type wrong"
			}
			return ""
		}},
		{"openai", "GET", "/api/v1/models", bearer},
		{"okta", "GET", "/api/api/v1/users/me", headerIs("Authorization", "SSWS "+testToken)},
		{"mailchimp", "GET", "/api/3.0/ping", func(r *http.Request) string {
			// Any user name, the API key as the password.
			if _, p, ok := r.BasicAuth(); !ok || p != testToken {
				return "basic auth wrong"
			}
			return ""
		}},
		{"notion", "GET", "/api/v1/users/me", func(r *http.Request) string {
			if r.Header.Get("Notion-Version") == "" {
				return "no Notion-Version"
			}
			return bearer(r)
		}},
		{"sentry", "GET", "/api/api/0/organizations/", bearer},
		{"vercel", "GET", "/api/v2/user", bearer},
		{"render", "GET", "/api/v1/owners", bearer},
		{"new-relic", "POST", "/api/graphql", func(r *http.Request) string {
			if msg := headerIs("API-Key", testToken)(r); msg != "" {
				return msg
			}
			return jsonBodyHas(r, "query", "actor")
		}},
		{"square", "GET", "/api/v2/merchants/me", func(r *http.Request) string {
			if r.Header.Get("Square-Version") == "" {
				return "no Square-Version"
			}
			return bearer(r)
		}},
		{"zoom", "GET", "/api/v2/users/me", bearer},
		{"xero", "GET", "/api/connections", bearer},
		{"twitch", "GET", "/api/oauth2/validate", headerIs("Authorization", "OAuth "+testToken)},
		{"monday", "POST", "/api/v2", func(r *http.Request) string {
			// The token as is, without "Bearer".
			if msg := headerIs("Authorization", testToken)(r); msg != "" {
				return msg
			}
			return jsonBodyHas(r, "query", "me")
		}},
		{"segment", "GET", "/api/", bearer},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.vendor] = true
	}
	for _, k := range probedKeys(t) {
		if !covered[k] {
			t.Errorf("catalog/%s.yaml has no TestProbeRequests case: add one with the method, path and auth its probe must send", k)
		}
	}
	for _, tt := range tests {
		t.Run(tt.vendor, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			if _, err := triager(t, s).Triage(context.Background(), tt.vendor); err != nil {
				t.Fatal(err)
			}
			req := s.lastRequest(t)
			if req.Method != tt.method || req.URL.Path != tt.path {
				t.Errorf("probe %s %s, want %s %s", req.Method, req.URL.Path, tt.method, tt.path)
			}
			if msg := tt.check(req); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// headerIs checks that the probe sent header name with exactly want.
func headerIs(name, want string) func(*http.Request) string {
	return func(r *http.Request) string {
		if got := r.Header.Get(name); got != want {
			return fmt.Sprintf("%s = %q, want %q", name, got, want)
		}
		return ""
	}
}

// jsonBodyHas checks that the probe sent a JSON body whose field holds a
// string containing sub (a GraphQL query, say).
func jsonBodyHas(r *http.Request, field, sub string) string {
	var doc map[string]any
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		return "body is not JSON: " + err.Error()
	}
	if s, _ := doc[field].(string); !strings.Contains(s, sub) {
		return fmt.Sprintf("body %s = %v, want it to contain %q", field, doc[field], sub)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return "Content-Type " + ct
	}
	return ""
}

func bearer(r *http.Request) string {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		return "bearer token wrong"
	}
	return ""
}

func TestRateLimitSources(t *testing.T) {
	tests := []struct {
		name, vendor string
		api          http.HandlerFunc
		window       runbook.RateWindow
	}{
		{"salesforce usage header", "salesforce", reply(200, map[string]string{"Sforce-Limit-Info": "api-usage=18/5000"}, `{"limits":"/services/data/v62.0/limits"}`),
			runbook.RateWindow{Name: "daily API requests", Limit: 5000, Remaining: 4982, Interval: "24 hours"}},
		{"shopify body cost", "shopify", reply(200, nil, `{"data":{"shop":{"name":"A"}},"extensions":{"cost":{"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":50.5,"restoreRate":50.0}}}}`),
			runbook.RateWindow{Name: "query cost", Limit: 1000, Remaining: 50}},
		{"pagerduty ratelimit headers", "pagerduty", reply(200, map[string]string{"ratelimit-limit": "960", "ratelimit-remaining": "950", "ratelimit-reset": "41"}, `{"abilities":["teams"]}`),
			runbook.RateWindow{Name: "per minute", Limit: 960, Remaining: 950, Reset: "in 41s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStandIn(t)
			s.set(&s.api, tt.api)
			r, err := triager(t, s).Triage(context.Background(), tt.vendor)
			if err != nil {
				t.Fatal(err)
			}
			if r.RateLimit == nil || len(r.RateLimit.Windows) != 1 || r.RateLimit.Windows[0] != tt.window {
				t.Errorf("rate_limit = %+v, want %+v", r.RateLimit, tt.window)
			}
		})
	}
}

// TestStatusFormats covers the status pages that are not Statuspage.
func TestStatusFormats(t *testing.T) {
	tests := []struct {
		name, vendor, body string
		indicator          runbook.Indicator
		result             string
	}{
		{"slack ok", "slack", `{"status":"ok","date_created":"2026-05-04T10:00:00-07:00","date_updated":"2026-05-04T10:00:00-07:00","active_incidents":[]}`, runbook.IndicatorNone, "ok"},
		{"slack incident", "slack", `{"status":"active","active_incidents":[{"id":1,"title":"Trouble with notifications","type":"incident","status":"active","url":"https://slack-status.com/x","services":["Notifications"]}]}`, runbook.IndicatorMinor, "warn"},
		{"slack outage", "slack", `{"status":"active","active_incidents":[{"id":2,"title":"Slack is down","type":"outage","status":"active","url":"https://slack-status.com/y"}]}`, runbook.IndicatorMajor, "fail"},
		// Was maintenance/warn: a notice still to come is not live.
		{"slack notice scheduled", "slack", `{"status":"active","active_incidents":[{"id":3,"title":"Maintenance","type":"notice","status":"scheduled"}]}`, runbook.IndicatorNone, "ok"},
		{"slack notice active", "slack", `{"status":"active","active_incidents":[{"id":3,"title":"Maintenance","type":"notice","status":"active","date_created":"2026-05-04T09:00:00Z"}]}`, runbook.IndicatorMaintenance, "warn"},
		{"slack notice created later", "slack", `{"status":"active","active_incidents":[{"id":3,"title":"Maintenance","type":"notice","status":"active","date_created":"2026-05-07T09:00:00Z"}]}`, runbook.IndicatorNone, "ok"},
		{"slack resolved incident", "slack", `{"status":"active","active_incidents":[{"id":4,"title":"Trouble","type":"incident","status":"resolved"}]}`, runbook.IndicatorNone, "ok"},
		{"slack garbage", "slack", `{"status":"purple","active_incidents":[]}`, runbook.IndicatorUnknown, "unknown"},
		{"slack wrong shape", "slack", `{"page":{}}`, runbook.IndicatorUnknown, "unknown"},
		{"stripe up", "stripe", `{"statuses":{"api":"up"},"largestatus":"up","message":"All services are online.","time":"2026-05-04 10:00:00 UTC"}`, runbook.IndicatorNone, "ok"},
		{"stripe degraded", "stripe", `{"largestatus":"degraded","message":"Elevated error rates on API."}`, runbook.IndicatorMinor, "warn"},
		{"stripe down", "stripe", `{"largestatus":"down","message":"API is down."}`, runbook.IndicatorMajor, "fail"},
		{"stripe unknown", "stripe", `{"largestatus":"sideways"}`, runbook.IndicatorUnknown, "unknown"},
		{"zendesk none", "zendesk", `{"data":[],"included":[]}`, runbook.IndicatorNone, "ok"},
		{"zendesk minor", "zendesk", `{"data":[{"id":"1","type":"incident","attributes":{"title":"Slow ticket views","impact":"minor","outage":false}}],"included":[]}`, runbook.IndicatorMinor, "warn"},
		{"zendesk outage", "zendesk", `{"data":[{"id":"2","type":"incident","attributes":{"title":"Support unavailable","impact":"minor","outage":true}}]}`, runbook.IndicatorMajor, "fail"},
		{"zendesk wrong shape", "zendesk", `{"incidents":[]}`, runbook.IndicatorUnknown, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			s.set(&s.status, jsonHandler(200, tt.body))
			tr := triager(t, s)
			v, _ := tr.Catalog.Lookup(tt.vendor)
			f := probeStatus(context.Background(), http.DefaultClient, v, statusNow)
			if f.Indicator != tt.indicator {
				t.Errorf("indicator = %s (err %q), want %s", f.Indicator, f.Err, tt.indicator)
			}
			r, err := tr.Triage(context.Background(), tt.vendor)
			if err != nil {
				t.Fatal(err)
			}
			if c := r.Checks[0]; c.Result != tt.result {
				t.Errorf("status check %+v, want %s", c, tt.result)
			}
		})
	}
}

func TestStatusNone(t *testing.T) {
	s := newStandIn(t)
	tr := triager(t, s)
	tr.Catalog = mustCatalog(t, "pagerduty:\n  api_url: "+s.URL+"/api\n")
	r, err := tr.Triage(context.Background(), "pagerduty")
	if err != nil {
		t.Fatal(err)
	}
	c := r.Checks[0]
	if c.Result != "skipped" || !strings.Contains(c.Detail, "https://status.pagerduty.com") {
		t.Errorf("status check = %+v", c)
	}
}
