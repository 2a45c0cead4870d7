// Package trackertest is the issue trackers' stand-ins: loopback HTTP
// servers that speak the documented APIs of GitHub (REST issues), Jira
// Cloud (REST v3) and Linear (GraphQL) as far as the bot uses them, check
// the credentials they were given, record what they received, and fail the
// next N calls on request (500, or 429 with Retry-After). The trackers'
// unit tests, the cmd/bot end-to-end tests and the playground use them.
//
// The shapes come from the vendors' documentation pages, named next to
// each handler; where a vendor documents nothing (the exact body of a
// GitHub 5xx), the stand-in says so in a comment.
package trackertest

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issue is an issue a stand-in holds.
type Issue struct {
	Key, URL, Title, Body string
	Labels                []string
	Created               time.Time
	// Raw is the request body that created it.
	Raw json.RawMessage
}

// Request is a request a stand-in received.
type Request struct {
	Method, Path, Query string
	Body                []byte
	// Status is what the stand-in answered (200 until it writes another,
	// and for an answer it hung up on).
	Status int
}

// Server is one tracker's stand-in.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	issues   []Issue
	requests []Request
	fails    []failure
	// Refuse answers every call with this status (401, 403, 404) as the
	// tracker documents it, until set back to 0.
	refuse int
	// lose, when set, makes the next creation succeed at the tracker but
	// drops the answer (the connection is closed): the bot cannot know.
	lose int
	// hold, when set, makes the next creation succeed at the tracker and
	// keep its answer until the caller hangs up (a process killed mid-call).
	hold int
	// pages: the issues' URLs are the stand-in's own, and it serves each
	// as a small page (the playground links to them).
	pages bool
}

// ServeIssuePages makes the issues' URLs point at the stand-in, which
// serves each issue as a page: for the playground, whose links must open.
func (s *Server) ServeIssuePages() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages = true
}

// web is where the issues' pages are: the tracker's site, or the stand-in.
func (s *Server) web(site string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pages {
		return s.URL
	}
	return site
}

// page serves the issue whose URL r asks for, when pages are on.
func (s *Server) page(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	url := s.web("") + r.URL.Path
	for _, is := range s.Issues() {
		if s.web("") != "" && is.URL == url {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><title>%s</title><p><em>A simulated tracker issue (bot play)</em></p><h1>%s: %s</h1><pre>%s</pre>",
				html.EscapeString(is.Key), html.EscapeString(is.Key), html.EscapeString(is.Title), html.EscapeString(is.Body))
			return true
		}
	}
	return false
}

type failure struct {
	status     int
	retryAfter string
}

// FailNext makes the next n calls answer status (500, 502, 503, 429);
// retryAfter, when set, is sent as Retry-After.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{status, retryAfter})
	}
}

// Refuse makes every call answer status (401, 403, 404) until Refuse(0).
func (s *Server) Refuse(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = status
}

// LoseNextCreate makes the next n creations happen but their answers be
// lost: the tracker has the issue, the bot sees a broken connection.
func (s *Server) LoseNextCreate(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose = n
}

// HoldNextCreate makes the next creation happen at the tracker while its
// answer waits until the caller hangs up (or the stand-in closes): the
// tracker has the issue, and the caller never learns it.
func (s *Server) HoldNextCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold++
}

// Issues returns the issues created so far.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Issue(nil), s.issues...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Creates counts the requests that asked to create an issue.
func (s *Server) Creates(isCreate func(Request) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if isCreate(r) {
			n++
		}
	}
	return n
}

// vendor is what a stand-in does for its tracker.
type vendor struct {
	authorized func(r *http.Request) bool
	// refusal writes the documented answer for a 401/403/404.
	refusal func(w http.ResponseWriter, status int)
	// failure writes the answer for an injected 5xx or 429.
	failure func(w http.ResponseWriter, f failure)
	serve   func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) (creates bool)
}

func newServer(v vendor) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		// Recorded before it is answered, its status as it is written: a
		// caller that sees its answer (or a hang-up) finds it here.
		s.mu.Lock()
		i := len(s.requests)
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Status: 200})
		s.mu.Unlock()
		rec := &statusRecorder{ResponseWriter: w, status: func(code int) {
			s.mu.Lock()
			s.requests[i].Status = code
			s.mu.Unlock()
		}}
		if s.page(rec, r) {
			return
		}
		s.mu.Lock()
		refuse := s.refuse
		var f *failure
		if len(s.fails) > 0 {
			f = &s.fails[0]
			s.fails = s.fails[1:]
		}
		s.mu.Unlock()
		switch {
		case f != nil:
			v.failure(rec, *f)
			return
		case !v.authorized(r):
			v.refusal(rec, http.StatusUnauthorized)
			return
		case refuse != 0:
			v.refusal(rec, refuse)
			return
		}
		v.serve(s, rec, r, body)
	}))
	return s
}

// add stores an issue; it reports false when the answer is to be lost
// (after holding it until the caller hangs up, when asked to).
func (s *Server) add(r *http.Request, is Issue) bool {
	s.mu.Lock()
	s.issues = append(s.issues, is)
	hold := s.hold > 0
	if hold {
		s.hold--
	}
	lose := s.lose > 0
	if lose {
		s.lose--
	}
	s.mu.Unlock()
	if hold {
		<-r.Context().Done()
		return false
	}
	return !lose
}

// find returns the issues whose body contains text.
func (s *Server) find(text string) []Issue {
	var out []Issue
	for _, is := range s.Issues() {
		if strings.Contains(is.Body, text) {
			out = append(out, is)
		}
	}
	return out
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if sr, ok := w.(*statusRecorder); ok {
		w = sr.ResponseWriter
	}
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// statusRecorder tells status the answer's code before writing it.
type statusRecorder struct {
	http.ResponseWriter
	status func(code int)
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status(code)
	r.ResponseWriter.WriteHeader(code)
}

func itoa(n int) string { return strconv.Itoa(n) }
