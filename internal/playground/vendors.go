package playground

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Mode is how a simulated vendor answers.
type Mode string

// The modes every simulated vendor can be switched to from the page.
const (
	Healthy     Mode = "healthy"
	Revoked     Mode = "revoked"      // 401: the token is invalid or revoked
	Forbidden   Mode = "forbidden"    // 403: a scope is missing
	RateLimited Mode = "rate_limited" // 429
	ServerError Mode = "server_error" // 5xx
	Hanging     Mode = "hanging"      // accepts the connection, never answers
	Incident    Mode = "incident"     // a declared incident on the status page, API failing
	Maintenance Mode = "maintenance"  // a scheduled maintenance in progress on the status page, API answering
	Blocked     Mode = "blocked"      // a CDN in front of the API refuses us: Cloudflare's error 1020 page
	Account     Mode = "account"      // the vendor refuses the account itself (where the vendor documents it)
)

// ModeOption is a mode as the page offers it.
type ModeOption struct {
	Mode  Mode
	Label string
}

// Modes lists the modes in the order the page offers them, with labels.
var Modes = []ModeOption{
	{Healthy, "Healthy"},
	{Revoked, "401 — token revoked"},
	{Forbidden, "403 — missing scope"},
	{RateLimited, "429 — rate limited"},
	{ServerError, "5xx — server error"},
	{Hanging, "Hanging — no answer"},
	{Incident, "Incident on status page"},
	{Maintenance, "Maintenance in progress"},
	{Blocked, "Blocked by Cloudflare"},
	{Account, "Account refused"},
}

func validMode(m Mode) bool {
	for _, x := range Modes {
		if x.Mode == m {
			return true
		}
	}
	return false
}

// Sim is a vendor the playground simulates.
type Sim struct {
	Key, Name string
	// Component is the status page's component that carries the API the
	// triage probes, as the catalog names it (status_components).
	Component string
	// Account: the vendor documents an answer for an account it refuses,
	// so the Account mode is offered (HubSpot documents none; see
	// internal/vendors/testdata/answers/hubspot/NOTES.md).
	Account bool
}

// Offers reports whether the page offers mode m for the vendor.
func (v Sim) Offers(m Mode) bool { return validMode(m) && (m != Account || v.Account) }

// Modes are the modes the page offers for the vendor, with labels.
func (v Sim) Modes() []ModeOption {
	var out []ModeOption
	for _, m := range Modes {
		if v.Offers(m.Mode) {
			out = append(out, m)
		}
	}
	return out
}

// Health is how our own service's simulated HEALTH_URL answers.
type Health string

// The HEALTH_URL modes.
const (
	HealthOK       Health = "ok"
	HealthDegraded Health = "degraded" // 200, every vendor's integration "degraded"
	HealthDown     Health = "down"     // 503
)

// HealthModes lists the HEALTH_URL modes with labels.
var HealthModes = []struct {
	Mode  Health
	Label string
}{
	{HealthOK, "Healthy"},
	{HealthDegraded, "Integration degraded"},
	{HealthDown, "Down (503)"},
}

// Simulated are the vendors whose documented answers the playground
// speaks; the rest of the catalog answers as a healthy generic API.
var Simulated = []Sim{
	{Key: "hubspot", Name: "HubSpot", Component: "CRM API"},
	{Key: "intercom", Name: "Intercom", Component: "API", Account: true},
}

// simulated is the vendor key's simulation, if it has one.
func simulated(key string) (Sim, bool) {
	for _, v := range Simulated {
		if v.Key == key {
			return v, true
		}
	}
	return Sim{}, false
}

// sims holds the vendors' modes and what they were last asked.
type sims struct {
	mu     sync.Mutex
	modes  map[string]Mode
	since  map[string]time.Time // when each vendor was put in its mode: its incident's times stay put
	health Health
	last   map[string]probe // vendor (or "health") → the last API call
	token  string
	now    func() time.Time
	// release ends hung answers when the playground closes.
	release <-chan struct{}
	changed func()
	// The corpus's answers the newer modes replay.
	blocked, account recorded
	maintenance      []byte
}

// probe is one call the bot made to a simulated vendor.
type probe struct {
	At     time.Time
	Status int // 0: left hanging
	Mode   string
}

func newSims(token string, release <-chan struct{}, changed func()) (*sims, error) {
	s := &sims{modes: map[string]Mode{}, since: map[string]time.Time{}, health: HealthOK, last: map[string]probe{}, token: token,
		now: time.Now, release: release, changed: changed}
	for _, v := range Simulated {
		s.modes[v.Key] = Healthy
	}
	var err error
	if s.blocked, err = loadRecorded("answers/edge_cloudflare_1020.http"); err != nil {
		return nil, err
	}
	if s.account, err = loadRecorded("answers/intercom_account_plan.http"); err != nil {
		return nil, err
	}
	if s.maintenance, err = answerFiles.ReadFile("answers/statuspage_maintenance.json"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sims) mode(vendor string) Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.modes[vendor]; ok {
		return m
	}
	return Healthy
}

func (s *sims) setMode(vendor string, m Mode) bool {
	v, ok := simulated(vendor)
	if !ok || !v.Offers(m) {
		return false
	}
	s.mu.Lock()
	if s.modes[vendor] != m {
		s.since[vendor] = s.now()
	}
	s.modes[vendor] = m
	s.mu.Unlock()
	s.changed()
	return true
}

func (s *sims) setHealth(h Health) bool {
	switch h {
	case HealthOK, HealthDegraded, HealthDown:
	default:
		return false
	}
	s.mu.Lock()
	s.health = h
	s.mu.Unlock()
	s.changed()
	return true
}

func (s *sims) record(key string, status int, mode string) {
	s.mu.Lock()
	s.last[key] = probe{At: s.now(), Status: status, Mode: mode}
	s.mu.Unlock()
	s.changed()
}

// state is a copy of the modes and the last calls, for the page.
func (s *sims) state() (map[string]Mode, Health, map[string]probe) {
	s.mu.Lock()
	defer s.mu.Unlock()
	modes := make(map[string]Mode, len(s.modes))
	for k, v := range s.modes {
		modes[k] = v
	}
	last := make(map[string]probe, len(s.last))
	for k, v := range s.last {
		last[k] = v
	}
	return modes, s.health, last
}

// answer is one HTTP answer of a stand-in.
type answer struct {
	status  int
	headers map[string]string
	body    string
}

func (a answer) write(w http.ResponseWriter) {
	for k, v := range a.headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

// serveAPI answers /play/sim/{vendor}/api/…: the vendor's API as the probe
// meets it in the current mode.
func (s *sims) serveAPI(w http.ResponseWriter, r *http.Request) {
	vendor := r.PathValue("vendor")
	mode := s.mode(vendor)
	if mode == Hanging {
		s.record(vendor, 0, string(mode))
		select { // until the client gives up or the playground stops
		case <-r.Context().Done():
		case <-s.release:
		}
		return
	}
	var a answer
	switch {
	case mode == Blocked:
		a = s.blocked.answer() // the CDN answers, whatever the vendor would say
	case mode == Account && vendor == "intercom":
		a = s.account.answer()
	case vendor == "hubspot":
		a = hubspot(mode, r, s.token)
	case vendor == "intercom":
		a = intercom(mode, r, s.token)
	default:
		a = answer{status: http.StatusOK, body: `{"ok":true}`}
	}
	if _, simulated := s.modesHas(vendor); simulated {
		s.record(vendor, a.status, string(mode))
	}
	a.write(w)
}

func (s *sims) modesHas(vendor string) (Mode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.modes[vendor]
	return m, ok
}

func bearer(r *http.Request, token string) bool {
	return r.Header.Get("Authorization") == "Bearer "+token
}

// hubspot answers as HubSpot's API documents: error bodies with a category
// and correlationId, X-HubSpot-Correlation-Id, the X-HubSpot-RateLimit-*
// headers (see internal/vendors/triage_test.go for the same shapes).
func hubspot(mode Mode, r *http.Request, token string) answer {
	corr := uuid.NewString()
	rate := func(remaining, daily string) map[string]string {
		return map[string]string{
			"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": remaining,
			"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
			"X-HubSpot-RateLimit-Daily":                 "500000", "X-HubSpot-RateLimit-Daily-Remaining": daily,
			"X-HubSpot-Correlation-Id": corr,
		}
	}
	errBody := func(fields map[string]any) string {
		fields["status"] = "error"
		fields["correlationId"] = corr
		raw, _ := json.Marshal(fields)
		return string(raw)
	}
	unauthorized := answer{http.StatusUnauthorized, map[string]string{"X-HubSpot-Correlation-Id": corr}, errBody(map[string]any{
		"message":  "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
		"category": "INVALID_AUTHENTICATION",
	})}
	switch mode {
	case Revoked:
		return unauthorized
	case Forbidden:
		return answer{http.StatusForbidden, map[string]string{"X-HubSpot-Correlation-Id": corr}, errBody(map[string]any{
			"message":  "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
			"category": "MISSING_SCOPES",
			"errors": []any{map[string]any{"message": "One or more of the following scopes are required.",
				"context": map[string]any{"requiredGranularScopes": []string{"crm.objects.contacts.read", "crm.objects.companies.read"}}}},
			"links": map[string]string{"scopes": "https://developers.hubspot.com/scopes"},
		})}
	case RateLimited:
		h := rate("0", "431207")
		h["Retry-After"] = "3"
		return answer{http.StatusTooManyRequests, h, errBody(map[string]any{
			"message":    "You have reached your ten_secondly_rolling limit.",
			"errorType":  "RATE_LIMIT",
			"policyName": "TEN_SECONDLY_ROLLING",
		})}
	case ServerError, Incident:
		return answer{http.StatusInternalServerError, map[string]string{"X-HubSpot-Correlation-Id": corr}, errBody(map[string]any{
			"message":  "internal error",
			"category": "INTERNAL_ERROR",
		})}
	}
	if !bearer(r, token) {
		return unauthorized
	}
	return answer{http.StatusOK, rate("99", "499000"),
		`{"portalId":4242424,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","additionalCurrencies":[],"utcOffset":"-05:00","utcOffsetMilliseconds":-18000000,"uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`}
}

// intercom answers as Intercom's API documents: {"type":"error.list",
// "request_id":…,"errors":[{"code":…,"message":…}]}, X-RateLimit-* headers
// on authenticated answers only.
func intercom(mode Mode, r *http.Request, token string) answer {
	rid := uuid.NewString()
	reset := strconv.FormatInt(time.Now().Add(10*time.Second).Unix(), 10)
	rate := func(remaining string) map[string]string {
		return map[string]string{"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset}
	}
	errList := func(code, message string, data map[string]any) string {
		e := map[string]any{"code": code, "message": message}
		if data != nil {
			e["data"] = data
		}
		raw, _ := json.Marshal(map[string]any{"type": "error.list", "request_id": rid, "errors": []any{e}})
		return string(raw)
	}
	unauthorized := answer{http.StatusUnauthorized, nil, errList("unauthorized", "Access Token Invalid", nil)}
	switch mode {
	case Revoked:
		return unauthorized
	case Forbidden:
		return answer{http.StatusForbidden, rate("165"), errList("action_forbidden",
			"You do not have permission to access this resource.", map[string]any{"required_permissions": []string{"read_admins"}})}
	case RateLimited:
		return answer{http.StatusTooManyRequests, rate("0"), errList("rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds", nil)}
	case ServerError, Incident:
		return answer{http.StatusServiceUnavailable, nil, errList("service_unavailable", "Sorry, the API service is temporarily unavailable", nil)}
	}
	if !bearer(r, token) || r.Header.Get("Intercom-Version") == "" {
		return unauthorized
	}
	return answer{http.StatusOK, rate("166"),
		`{"type":"admin","id":"1295","name":"Alex Kim","email":"alex@example.com","job_title":"Support lead","away_mode_enabled":false,"away_mode_reassign":false,"has_inbox_seat":true,"team_ids":[],"app":{"type":"app","id_code":"pl4yg0","name":"Playground"}}`}
}

// serveStatus answers /play/sim/{vendor}/status/…: an Atlassian Statuspage
// summary.json for the machine, a small page for a person following the
// incident's link.
func (s *sims) serveStatus(w http.ResponseWriter, r *http.Request) {
	vendor := r.PathValue("vendor")
	v, ok := simulated(vendor)
	if !ok {
		v = Sim{Key: vendor, Name: vendor, Component: "API"}
	}
	name := v.Name
	mode := s.mode(vendor)
	incident := mode == Incident
	if !strings.HasSuffix(r.URL.Path, "/summary.json") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		state := "All Systems Operational"
		switch mode {
		case Incident:
			state = "Partial System Outage: Elevated error rates on the API (investigating)"
		case Maintenance:
			state = "Service Under Maintenance: Database upgrade (in progress, " + v.Component + " under maintenance)"
		}
		fmt.Fprintf(w, "<!doctype html><title>%s status (simulated)</title><h1>%s status — simulated by the playground</h1><p>%s</p>",
			html.EscapeString(name), html.EscapeString(name), html.EscapeString(state))
		return
	}
	now := time.Now().UTC()
	if mode == Maintenance {
		raw, err := maintenanceDoc(s.maintenance, v, statusPageURL(r), now)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(raw)
		return
	}
	doc := map[string]any{
		"page":                   map[string]any{"id": "play" + vendor, "name": name, "url": statusPageURL(r), "time_zone": "Etc/UTC", "updated_at": now.Format(time.RFC3339)},
		"status":                 map[string]any{"indicator": "none", "description": "All Systems Operational"},
		"components":             []any{map[string]any{"id": "api", "name": v.Component, "status": "operational", "group": false}},
		"incidents":              []any{},
		"scheduled_maintenances": []any{},
	}
	if incident {
		// The page says the incident began when the vendor was flipped,
		// and keeps saying so: the watch sees one incident, not a new
		// update at every look.
		s.mu.Lock()
		since := s.since[vendor]
		s.mu.Unlock()
		if since.IsZero() {
			since = now
		}
		started := since.UTC().Format(time.RFC3339)
		doc["status"] = map[string]any{"indicator": "major", "description": "Partial System Outage"}
		doc["components"] = []any{map[string]any{"id": "api", "name": v.Component, "status": "major_outage", "group": false}}
		doc["incidents"] = []any{map[string]any{
			"id": "pl4y1nc1d3nt", "name": "Elevated error rates on the " + name + " API", "status": "investigating",
			"impact": "major", "created_at": started, "updated_at": started, "started_at": started,
			"shortlink": statusPageURL(r),
			"incident_updates": []any{map[string]any{"status": "investigating", "created_at": started,
				"body": "We are investigating elevated error rates on API requests."}},
		}}
	}
	raw, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(raw)
}

// statusPageURL is the simulated status page's own address, for links.
func statusPageURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/play/sim/" + r.PathValue("vendor") + "/status/"
}

// serveHealth answers the simulated HEALTH_URL of our own service.
func (s *sims) serveHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.health
	s.mu.Unlock()
	status := "ok"
	if h == HealthDegraded {
		status = "degraded"
	}
	services := map[string]any{}
	for _, v := range Simulated {
		services[v.Key] = map[string]string{"status": status}
	}
	a := answer{status: http.StatusOK}
	if h == HealthDown {
		a = answer{status: http.StatusServiceUnavailable, body: `{"status":"down"}`}
	} else {
		raw, _ := json.Marshal(map[string]any{"status": status, "services": services})
		a.body = string(raw)
	}
	s.record("health", a.status, string(h))
	a.write(w)
}
