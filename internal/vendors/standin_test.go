package vendors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

const testToken = "pat-na1-5ecret-t0ken-do-not-leak"

// standIn is a vendor stand-in on loopback: /api/… is the vendor API,
// /status/… its status page, /health our own health endpoint. Each part
// answers with what the test sets; the defaults are healthy.
type standIn struct {
	*httptest.Server
	mu       sync.Mutex
	api      http.HandlerFunc
	status   http.HandlerFunc
	health   http.HandlerFunc
	requests []*http.Request // API requests received
	release  chan struct{}   // closed at cleanup: hung handlers return
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	s := &standIn{release: make(chan struct{})}
	s.status = statuspageJSON("none", "All Systems Operational")
	s.health = jsonHandler(200, `{"services":{"hubspot":{"status":"ok"},"intercom":{"status":"ok"}}}`)
	s.api = jsonHandler(200, `{}`)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		// Keep the body: a test reads it after the handler is done.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		kept := r.Clone(context.Background())
		kept.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, kept)
		h := s.api
		s.mu.Unlock()
		h(w, r)
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) { s.get(&s.status)(w, r) })
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { s.get(&s.health)(w, r) })
	s.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func (s *standIn) get(h *http.HandlerFunc) http.HandlerFunc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *h
}

func (s *standIn) set(h *http.HandlerFunc, v http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*h = v
}

func (s *standIn) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("the vendor API was not called")
	}
	return s.requests[len(s.requests)-1]
}

func (s *standIn) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// hang answers only when the client gives up or the test ends.
func (s *standIn) hang() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	}
}

// reply answers with a status, headers and a body.
func reply(status int, headers map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func jsonHandler(status int, body string) http.HandlerFunc { return reply(status, nil, body) }

const htmlPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>`

func htmlHandler(status int) http.HandlerFunc {
	return reply(status, map[string]string{"Content-Type": "text/html; charset=utf-8"}, htmlPage)
}

// statuspageJSON is an Atlassian Statuspage summary.json.
func statuspageJSON(indicator, description string, incidents ...runbook.StatusIncident) http.HandlerFunc {
	type inc struct {
		Name      string `json:"name"`
		Status    string `json:"status"`
		Impact    string `json:"impact"`
		Shortlink string `json:"shortlink"`
	}
	doc := map[string]any{
		"page":   map[string]any{"id": "abc", "name": "Vendor", "url": "https://status.example.test", "updated_at": "2026-05-04T10:00:00Z"},
		"status": map[string]any{"indicator": indicator, "description": description},
		"components": []map[string]any{
			{"id": "c1", "name": "API", "status": "operational", "group": false},
		},
		"incidents":              []inc{},
		"scheduled_maintenances": []any{},
	}
	list := []inc{}
	for _, i := range incidents {
		list = append(list, inc{Name: i.Name, Status: i.Status, Impact: i.Impact, Shortlink: i.Link})
	}
	doc["incidents"] = list
	if indicator == "major" || indicator == "critical" {
		doc["components"] = []map[string]any{{"id": "c1", "name": "API", "status": "major_outage", "group": false}}
	}
	raw, _ := json.Marshal(doc)
	return jsonHandler(200, string(raw))
}

// refusedURL is a loopback address nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// catalogFor points the built-in vendors at the stand-in through a
// VENDORS_FILE, as an operator would.
func catalogFor(t *testing.T, s *standIn, extra string) *Catalog {
	t.Helper()
	var b strings.Builder
	for _, k := range catalogKeys(t) {
		fmt.Fprintf(&b, "%s:\n  api_url: %s/api\n  status_url: %s/status\n", k, s.URL, s.URL)
	}
	b.WriteString(extra)
	c, err := LoadCatalog(writeFile(t, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testTokenShapes are the tokens whose shape a test checks. Every other
// vendor gets testToken, as user:secret where its auth scheme is basic.
var testTokenShapes = map[string]string{
	"twilio":  "AC123:" + testToken,
	"zendesk": "me@example.com/token:" + testToken,
	"jira":    "me@example.com:" + testToken,
}

// testTokens sets each vendor's token variable, as the catalog names it.
func testTokens(c *Catalog) map[string]string {
	out := map[string]string{}
	for _, k := range c.Keys() {
		v, _ := c.Lookup(k)
		tok := testToken
		if v.Auth.Scheme == "basic" {
			tok = "me@example.com:" + testToken
		}
		if shaped, ok := testTokenShapes[k]; ok {
			tok = shaped
		}
		out[v.TokenEnv] = tok
	}
	return out
}

// triager is a Triager against the stand-in with every token set; extra,
// when given, is added to its catalog (catalogFor).
func triager(t *testing.T, s *standIn, extra ...string) *Triager {
	t.Helper()
	c := catalogFor(t, s, strings.Join(extra, ""))
	return &Triager{
		Catalog:   c,
		Getenv:    env(testTokens(c)),
		HealthURL: s.URL + "/health",
		Deadline:  5 * time.Second,
		Now:       func() time.Time { return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) },
	}
}
