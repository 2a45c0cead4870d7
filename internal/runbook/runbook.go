// Package runbook is the vendor triage domain: what the checks found about a
// vendor integration (Findings), the decision tree that turns findings into a
// cause and a suggested severity (Diagnose), and the report people and scripts
// read (Report), with the mitigation and prevention texts filled in from the
// runbook files embedded under runbooks/.
//
// It does no I/O of its own and imports only the standard library and the
// YAML parser for its runbook files. The probes that gather findings live in
// the vendors package.
package runbook

import (
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// Cause is what the decision tree concluded.
type Cause string

// The causes, as the contract names them.
const (
	Healthy        Cause = "healthy"
	VendorIncident Cause = "vendor_incident"
	AuthInvalid    Cause = "auth_invalid"
	AuthForbidden  Cause = "auth_forbidden"
	RateLimited    Cause = "rate_limited"
	VendorError    Cause = "vendor_error"
	Unreachable    Cause = "unreachable"
	OurService     Cause = "our_service"
	Misconfigured  Cause = "misconfigured"
	// Maintenance: the vendor's scheduled maintenance is in progress now.
	Maintenance Cause = "maintenance"
	// Blocked: a CDN or firewall in front of the vendor refused us.
	Blocked Cause = "blocked"
	// Account: the vendor refuses the account itself (billing, trial,
	// frozen or locked).
	Account Cause = "account"
)

// Causes lists every cause.
var Causes = []Cause{Healthy, VendorIncident, AuthInvalid, AuthForbidden, RateLimited, VendorError, Unreachable, OurService, Misconfigured, Maintenance, Blocked, Account}

// Severity is the incident's severity, the domain's one type: a report
// suggests one, P1 (all calls failing) to P4 (no user impact), or none for
// healthy and misconfigured.
type Severity = incident.Severity

// The severities, as the domain names them.
const (
	P1 = incident.P1
	P2 = incident.P2
	P3 = incident.P3
	P4 = incident.P4
)

// Class is how one API answer was classified, by the vendor's rules first and
// the HTTP status second.
type Class string

// The classes of an API answer.
const (
	ClassOK            Class = "ok"
	ClassAuthInvalid   Class = "auth_invalid"
	ClassAuthForbidden Class = "auth_forbidden"
	ClassRateLimited   Class = "rate_limited"
	ClassVendorError   Class = "vendor_error"
	// ClassBlocked: a CDN or firewall in front of the vendor answered (a
	// challenge or block page), not the vendor's API.
	ClassBlocked Class = "blocked"
	// ClassAccount: the vendor refuses the account (402, 423, or the
	// vendor's documented equivalent).
	ClassAccount Class = "account"
)

// Classes lists every class, in the order catalog errors name them.
var Classes = []Class{ClassOK, ClassAuthInvalid, ClassAuthForbidden, ClassRateLimited, ClassVendorError, ClassBlocked, ClassAccount}

// Indicator is a status page's overall state, in Atlassian Statuspage terms.
type Indicator string

// The indicator values. Unknown covers errors, HTML and values we do not know:
// it never means the vendor is down.
const (
	IndicatorNone        Indicator = "none"
	IndicatorMinor       Indicator = "minor"
	IndicatorMajor       Indicator = "major"
	IndicatorCritical    Indicator = "critical"
	IndicatorMaintenance Indicator = "maintenance"
	IndicatorUnknown     Indicator = "unknown"
)

// ParseIndicator maps a Statuspage indicator onto the known values.
func ParseIndicator(s string) Indicator {
	switch v := Indicator(strings.ToLower(strings.TrimSpace(s))); v {
	case IndicatorNone, IndicatorMinor, IndicatorMajor, IndicatorCritical, IndicatorMaintenance:
		return v
	}
	return IndicatorUnknown
}

// Results of one check.
const (
	ResultOK      = "ok"
	ResultWarn    = "warn"
	ResultFail    = "fail"
	ResultUnknown = "unknown"
	ResultSkipped = "skipped"
	ResultTimeout = "timeout"
)

// Names of the checks, in report order.
const (
	CheckStatusPage = "status_page"
	CheckAPI        = "api"
	CheckRateLimit  = "rate_limit"
	CheckHealth     = "health"
)

// Links are the vendor's documentation pages the runbook points to.
type Links struct {
	Status     string `yaml:"status" json:"status,omitempty"`           // human status page
	Errors     string `yaml:"errors" json:"errors,omitempty"`           // error codes
	RateLimits string `yaml:"rate_limits" json:"rate_limits,omitempty"` // rate-limit policy
	Auth       string `yaml:"auth" json:"auth,omitempty"`               // tokens and scopes
	Support    string `yaml:"support" json:"support,omitempty"`         // how to reach support
	API        string `yaml:"api" json:"api,omitempty"`                 // the probed endpoint's reference
}

// Vendor is what the runbook texts need to know about a vendor.
type Vendor struct {
	Key            string
	Name           string
	TokenEnv       string            // variable that holds the token
	TokenHint      string            // what kind of token, e.g. "a private app access token (pat-…)"
	TokenConsole   string            // where to regenerate it
	ScopesConsole  string            // where to grant scopes
	SecretID       string            // id of the secret in the secret manager
	Deployment     string            // deployment that uses the token
	SecretCommand  string            // template over Vendor: store a new token
	RestartCommand string            // template over Vendor: restart the deployment
	Degrade        string            // vendor-specific graceful-degradation advice
	Policies       map[string]string // rate-limit policy name → what to do
	// Components are the status-page components that carry the API we
	// probe, as the vendor's page names them (e.g. HubSpot's "CRM API").
	// An incident or maintenance on one of them covers our calls.
	Components []string
	Links      Links
	// SecretIDPlaceholder and DeploymentPlaceholder: the catalog made the
	// name up (<key>-api-token, <key>-integration) because the operator did
	// not configure it (runbook.secret_id, runbook.deployment), so the texts
	// say it is a placeholder.
	SecretIDPlaceholder, DeploymentPlaceholder bool
}

// APIFinding is what the authenticated probe call found.
type APIFinding struct {
	Called bool // false: not called, see StatusOnly, MissingEnv and MissingField
	// StatusOnly: the catalog has no API call for this vendor; it is
	// watched by its status page alone, and nothing is missing.
	StatusOnly   bool
	MissingEnv   string // the token variable that is not set
	MissingField string // the catalog field that must be set, e.g. "zendesk.api_url"
	FieldExample string // an example value for MissingField
	TimedOut     bool
	NetErr       string // DNS, TLS, refused… in words, without secrets
	HTTPStatus   int
	Latency      time.Duration
	Slow         bool // answered, but slower than the vendor's threshold
	Class        Class
	Unparseable  bool   // the body could not be read as the vendor's answer
	ErrorCode    string // vendor's error category or code from the body
	ErrorMessage string // vendor's message, shortened
	Note         string // why a vendor rule classified the answer as it did
	RequestID    string
	Scopes       []string // scopes the vendor says are missing
	Policy       string   // the rate-limit policy the vendor names, e.g. DAILY
	// Documented: the class comes from the vendor's own documented words
	// (an error code in the body, or a catalog rule), not only from the
	// HTTP status.
	Documented bool
	// Edge names the CDN or firewall that answered instead of the vendor
	// (Cloudflare, Akamai, AWS WAF, Fastly), when one did.
	Edge string
}

// Failed reports whether the call did not get a usable answer.
func (a APIFinding) Failed() bool {
	return a.Called && (a.TimedOut || a.NetErr != "" || a.Class != ClassOK)
}

// Network reports whether the call failed below HTTP: no answer at all.
func (a APIFinding) Network() bool { return a.Called && (a.TimedOut || a.NetErr != "") }

// RateWindow is one rate-limit budget the vendor reports.
type RateWindow struct {
	Name      string `json:"name"`
	Limit     int64  `json:"limit"`
	Remaining int64  `json:"remaining"`
	Reset     string `json:"reset,omitempty"`    // when it refills, as the vendor says it
	Interval  string `json:"interval,omitempty"` // the window length
}

// Low reports whether under 10 % of the budget remains.
func (w RateWindow) Low() bool {
	return w.Limit > 0 && w.Remaining*10 < w.Limit
}

// RateLimitFinding is what the probe's answer said about rate limits.
type RateLimitFinding struct {
	Windows    []RateWindow
	RetryAfter time.Duration // from Retry-After, zero when absent
}

// Low returns the first window with under 10 % left.
func (r RateLimitFinding) Low() (RateWindow, bool) {
	for _, w := range r.Windows {
		if w.Low() {
			return w, true
		}
	}
	return RateWindow{}, false
}

// HealthState is what our own health endpoint says about the vendor.
type HealthState string

// The health states.
const (
	HealthSkipped   HealthState = "skipped"   // HEALTH_URL unset
	HealthOK        HealthState = "ok"        // entry says ok, healthy, up, operational or pass
	HealthUnhealthy HealthState = "unhealthy" // entry says something else, or our service is down
	HealthUnknown   HealthState = "unknown"   // 2xx without an entry for the vendor
)

// HealthFinding is what HEALTH_URL answered.
type HealthFinding struct {
	Configured bool
	TimedOut   bool
	Err        string // no answer, in words
	HTTPStatus int
	Latency    time.Duration
	Entry      bool   // services.<vendor> was present
	Status     string // its status value
}

// healthyWords are the values of services.<vendor>.status that mean healthy.
var healthyWords = []string{"ok", "healthy", "up", "operational", "pass"}

// State applies the contract: a healthy word means ok, any other value
// unhealthy; a non-2xx answer or no answer means our service is unhealthy; a
// 2xx answer without the vendor says nothing.
func (h HealthFinding) State() HealthState {
	switch {
	case !h.Configured:
		return HealthSkipped
	case h.TimedOut || h.Err != "" || h.HTTPStatus < 200 || h.HTTPStatus > 299:
		return HealthUnhealthy
	case !h.Entry:
		return HealthUnknown
	}
	for _, w := range healthyWords {
		if strings.EqualFold(strings.TrimSpace(h.Status), w) {
			return HealthOK
		}
	}
	return HealthUnhealthy
}

// Findings is everything the checks found, the input of Diagnose.
type Findings struct {
	Vendor    Vendor
	Status    StatusFinding
	API       APIFinding
	RateLimit RateLimitFinding
	Health    HealthFinding
	StartedAt time.Time
	Duration  time.Duration
}

// Check is one check as the report shows it.
type Check struct {
	Name       string `json:"name"`
	Result     string `json:"result"`
	HTTPStatus int    `json:"http_status,omitempty"`
	LatencyMS  int64  `json:"latency_ms"`
	Detail     string `json:"detail"`
	TimedOut   bool   `json:"timed_out,omitempty"`
}

// RateLimit is the rate-limit figures as the report shows them.
type RateLimit struct {
	Windows        []RateWindow `json:"windows,omitempty"`
	RetryAfterSecs int64        `json:"retry_after_seconds,omitempty"`
	Policy         string       `json:"policy,omitempty"`
	Low            bool         `json:"low,omitempty"` // under 10 % left in some window
}

// Report is the triage report: the contract's JSON plus a few extras.
type Report struct {
	Vendor     string     `json:"vendor"`
	VendorName string     `json:"vendor_name"`
	Cause      Cause      `json:"cause"`
	Severity   Severity   `json:"severity"`
	Summary    string     `json:"summary"`
	RequestID  string     `json:"request_id"`
	HTTPStatus int        `json:"http_status,omitempty"`
	RateLimit  *RateLimit `json:"rate_limit,omitempty"`
	Checks     []Check    `json:"checks"`
	Mitigation []string   `json:"mitigation"`
	Prevention []string   `json:"prevention"`
	Links      []string   `json:"links"`
	StartedAt  time.Time  `json:"started_at"`
	DurationMS int64      `json:"duration_ms"`
	// Edge is the CDN or firewall that answered instead of the vendor.
	Edge string `json:"edge,omitempty"`
	// VendorStatus is what the vendor's status page says now.
	VendorStatus VendorStatus `json:"vendor_status"`
	// Evidence lists, strongest first, one line per reason for the cause.
	Evidence []string `json:"evidence"`
}

// Problem reports whether the cause is anything but healthy.
func (r Report) Problem() bool { return r.Cause != Healthy }
