// Package statuspagetest is a loopback stand-in for Atlassian Statuspage's
// REST API, for tests and the playground: it serves the three calls the
// bot makes (POST /pages/{page_id}/incidents, PATCH
// /pages/{page_id}/incidents/{incident_id}, GET /pages/{page_id}), checks
// "Authorization: OAuth <key>", keeps the incidents, and records every
// request. The answers carry the fields of Statuspage's incident and page
// objects as developer.statuspage.io documents them that the bot reads
// (id, name, status, shortlink, incident_updates; id, name, url); the
// error bodies are its own, as Statuspage documents the statuses but not
// one body.
package statuspagetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is one request the stand-in received.
type Request struct {
	Method, Path, Authorization string
	Name, Status, Body          string // the incident fields sent
}

// Incident is an incident on the stand-in's page.
type Incident struct {
	ID, Name, Status string
	Updates          []string // the bodies, oldest first
}

// Server is the stand-in. Start one with New; its URL is the API base
// (STATUSPAGE_API_URL).
type Server struct {
	*httptest.Server
	PageID, Key string

	mu        sync.Mutex
	requests  []Request
	incidents map[string]*Incident
	order     []string
	fail      []int // statuses answered to the next requests
}

// New starts a stand-in for the page pageID that accepts key.
func New(pageID, key string) *Server {
	s := &Server{PageID: pageID, Key: key, incidents: map[string]*Incident{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Handler serves the stand-in's API, for mounting inside another server
// (the playground); URL is then where it is mounted.
func NewHandler(pageID, key string) (*Server, http.Handler) {
	s := &Server{PageID: pageID, Key: key, incidents: map[string]*Incident{}}
	return s, http.HandlerFunc(s.serve)
}

// FailNext makes the next requests answer these HTTP statuses, in order.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, statuses...)
}

// Requests returns what was received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Incidents returns the page's incidents, oldest first.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, 0, len(s.order))
	for _, id := range s.order {
		i := *s.incidents[id]
		i.Updates = append([]string(nil), i.Updates...)
		out = append(out, i)
	}
	return out
}

var statuses = map[string]bool{"investigating": true, "identified": true, "monitoring": true, "resolved": true}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Incident struct{ Name, Status, Body string } `json:"incident"`
	}
	if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPatch) {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
			answer(w, http.StatusBadRequest, map[string]any{"error": "malformed JSON body"})
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
		Name: in.Incident.Name, Status: in.Incident.Status, Body: in.Incident.Body})
	if len(s.fail) > 0 {
		st := s.fail[0]
		s.fail = s.fail[1:]
		answer(w, st, map[string]any{"error": http.StatusText(st)})
		return
	}
	if r.Header.Get("Authorization") != "OAuth "+s.Key {
		answer(w, http.StatusUnauthorized, map[string]any{"error": "Could not authenticate"})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "pages" || parts[1] != s.PageID {
		answer(w, http.StatusNotFound, map[string]any{"error": "Not found"})
		return
	}
	now := time.Now().UTC().Format(time.RFC3339)
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		answer(w, http.StatusOK, map[string]any{"id": s.PageID, "name": "Acme status", "url": "https://status.acme.example",
			"subdomain": "acme", "time_zone": "UTC", "created_at": now, "updated_at": now})
	case len(parts) == 3 && parts[2] == "incidents" && r.Method == http.MethodPost:
		if in.Incident.Name == "" || !statuses[in.Incident.Status] {
			answer(w, http.StatusUnprocessableEntity, map[string]any{"error": "name and a realtime status are required"})
			return
		}
		id := fmt.Sprintf("sp%010d", len(s.order)+1)
		s.incidents[id] = &Incident{ID: id, Name: in.Incident.Name, Status: in.Incident.Status, Updates: []string{in.Incident.Body}}
		s.order = append(s.order, id)
		answer(w, http.StatusCreated, s.object(id, now))
	case len(parts) == 4 && parts[2] == "incidents" && r.Method == http.MethodPatch:
		inc := s.incidents[parts[3]]
		if inc == nil {
			answer(w, http.StatusNotFound, map[string]any{"error": "Not found"})
			return
		}
		if in.Incident.Status != "" {
			if !statuses[in.Incident.Status] {
				answer(w, http.StatusUnprocessableEntity, map[string]any{"error": "unknown status"})
				return
			}
			inc.Status = in.Incident.Status
		}
		if in.Incident.Name != "" {
			inc.Name = in.Incident.Name
		}
		inc.Updates = append(inc.Updates, in.Incident.Body)
		answer(w, http.StatusOK, s.object(inc.ID, now))
	default:
		answer(w, http.StatusNotFound, map[string]any{"error": "Not found"})
	}
}

// object is an incident as Statuspage answers it.
func (s *Server) object(id, now string) map[string]any {
	inc := s.incidents[id]
	updates := make([]map[string]any, 0, len(inc.Updates))
	for i := len(inc.Updates) - 1; i >= 0; i-- { // newest first
		updates = append(updates, map[string]any{"id": fmt.Sprintf("%s-u%d", id, i+1), "incident_id": id,
			"status": inc.Status, "body": inc.Updates[i], "created_at": now})
	}
	return map[string]any{"id": id, "page_id": s.PageID, "name": inc.Name, "status": inc.Status, "impact": "none",
		"shortlink": "https://stspg.io/" + id, "created_at": now, "updated_at": now, "incident_updates": updates}
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
