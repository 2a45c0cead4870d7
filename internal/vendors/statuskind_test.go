package vendors

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// statusFixtureDir holds one folder per status-page format, named by its
// kind, with one document per state the format can report.
const statusFixtureDir = "testdata/status"

// statusState is a state a status page can be in and what a parser must
// make of the page's document in that state.
type statusState struct {
	name  string // the fixture is <name>.json
	check func(runbook.StatusFinding) string
}

// statusNow is the time the fixtures are read at: they are dated around it.
var statusNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// statusStates are the checks of every state a fixture can stand for.
var statusStates = map[string]func(runbook.StatusFinding) string{
	stateOperational: func(s runbook.StatusFinding) string {
		if s.Indicator != runbook.IndicatorNone || len(s.Incidents) > 0 || len(s.Degraded()) > 0 || len(s.Maintenances) > 0 || s.Active() {
			return "want indicator none, no incidents, maintenance or degraded components"
		}
		return ""
	},
	stateIncident: func(s runbook.StatusFinding) string {
		switch s.Indicator {
		case runbook.IndicatorMinor, runbook.IndicatorMajor, runbook.IndicatorCritical:
		default:
			return "want indicator minor, major or critical"
		}
		if !s.Active() || (s.Description == "" && len(s.Incidents) == 0) {
			return "want an active finding with a description or an incident a person can read"
		}
		if !touchesAPI(s) {
			return "want the incident (or a degraded component) on the API the fixtures' vendors probe"
		}
		return ""
	},
	stateUnrelated: func(s runbook.StatusFinding) string {
		if !s.Active() {
			return "want an active finding"
		}
		if touchesAPI(s) {
			return "want the incident on another component than the API"
		}
		return ""
	},
	stateMaintenance: func(s runbook.StatusFinding) string {
		now := s.MaintenanceNow()
		if !s.Active() || len(now) == 0 || now[0].Name == "" {
			return "want a maintenance in progress, with its name"
		}
		return ""
	},
	stateScheduled: func(s runbook.StatusFinding) string {
		if s.Active() || len(s.Maintenances) == 0 || s.Maintenances[0].Status != runbook.MaintenanceScheduled {
			return "want maintenance still to come, and nothing active"
		}
		return ""
	},
	stateResolved: func(s runbook.StatusFinding) string {
		if s.Active() || len(s.Incidents) > 0 || s.Indicator != runbook.IndicatorNone {
			return "want nothing active: the page lists only what is over"
		}
		return ""
	},
	stateComponentOutage: func(s runbook.StatusFinding) string {
		if !s.Active() || len(s.Degraded()) == 0 || len(s.Incidents) > 0 {
			return "want a degraded component, no incident, and an active finding all the same"
		}
		return ""
	},
}

// apiName is how the runbook tells, for a vendor that lists no
// components of its own, a component or an untagged incident about the API.
var apiName = regexp.MustCompile(`(?i)\bAPIs?\b`)

// touchesAPI reports whether the finding is about the API the fixtures'
// vendors probe, as the runbook would judge it: an incident or degraded
// component named as the catalog's vendors name theirs, or called API,
// or an incident that lists no components and names the API.
func touchesAPI(s runbook.StatusFinding) bool {
	if touches(s, "API", "api", "Apps/Integrations/APIs", "Support") {
		return true
	}
	for _, in := range s.Incidents {
		if len(in.Components) == 0 && apiName.MatchString(in.Name) {
			return true
		}
		for _, c := range in.Components {
			if apiName.MatchString(c) {
				return true
			}
		}
	}
	for _, c := range s.Degraded() {
		if apiName.MatchString(c.Name) {
			return true
		}
	}
	return false
}

// touches reports whether an incident or degraded component names one of
// the components.
func touches(s runbook.StatusFinding, names ...string) bool {
	for _, n := range names {
		for _, in := range s.Incidents {
			for _, c := range in.Components {
				if c == n {
					return true
				}
			}
		}
		for _, c := range s.Degraded() {
			if c.Name == n {
				return true
			}
		}
	}
	return false
}

// states lists what the format can report, so what it needs a fixture for.
func (f statusFormat) stateNames() []string {
	return append([]string{stateOperational, stateIncident}, f.states...)
}

// fixtureExt is the extension of the format's fixtures: .xml for feeds.
func (f statusFormat) fixtureExt() string {
	if f.feed {
		return ".xml"
	}
	return ".json"
}

func readStatusFixture(t *testing.T, kind StatusKind, state string) []byte {
	t.Helper()
	f, _ := statusFormatOf(kind)
	raw, err := os.ReadFile(filepath.Join(statusFixtureDir, kind, state+f.fixtureExt()))
	if err != nil {
		t.Fatalf("no fixture for %s pages in the %s state: add %s/%s/%s%s, the document such a page serves (%v)",
			kind, state, statusFixtureDir, kind, state, f.fixtureExt(), err)
	}
	return raw
}

// fixtureDocs splits a fixture into the documents the probe asks for, by
// path. A format of several documents (also) keeps them in one fixture, a
// JSON array in the order of documents(), as the probe hands them to the
// parser.
func fixtureDocs(t *testing.T, f statusFormat, raw []byte) map[string][]byte {
	t.Helper()
	if len(f.also) == 0 {
		return map[string][]byte{f.path: raw}
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 1+len(f.also) {
		t.Fatalf("a %s fixture is a JSON array of %d documents (%s then %s): %v", f.kind, 1+len(f.also), f.path, strings.Join(f.also, ", "), err)
	}
	out := map[string][]byte{f.path: parts[0]}
	for i, p := range f.also {
		out[p] = parts[i+1]
	}
	return out
}

// TestStatusRegistry walks statusFormats: every kind has a path (or none),
// a parser and a description, and a fixture for each state it can report that the
// parser reads as that state, directly and through the probe of a vendor
// the catalog accepts with that kind.
func TestStatusRegistry(t *testing.T) {
	if len(statusFormats) == 0 {
		t.Fatal("no status-page formats registered")
	}
	seen := map[StatusKind]bool{}
	for _, f := range statusFormats {
		t.Run(f.kind, func(t *testing.T) {
			switch {
			case f.kind == "" || f.kind == StatusNone || !keyPattern.MatchString(f.kind):
				t.Fatalf("kind %q: want a lower-case name other than %q", f.kind, StatusNone)
			case seen[f.kind]:
				t.Fatalf("kind %q registered twice", f.kind)
			}
			seen[f.kind] = true
			if f.path != "" && !strings.HasPrefix(f.path, "/") {
				t.Errorf("path %q: want the path appended to status_url, starting with /, or none", f.path)
			}
			if f.parse == nil {
				t.Fatal("no parser")
			}
			if strings.TrimSpace(f.about) == "" {
				t.Error("no description")
			}
			if got, ok := statusFormatOf(f.kind); !ok || got.path != f.path {
				t.Errorf("statusFormatOf(%q) = %+v, %v", f.kind, got, ok)
			}

			// No fixture without a state to check it against, and none
			// without the page it was taken from.
			want, names := map[string]bool{}, []string{}
			for _, st := range f.stateNames() {
				if statusStates[st] == nil {
					t.Fatalf("state %q has no check in statusStates", st)
				}
				want[st+f.fixtureExt()] = true
				names = append(names, st+f.fixtureExt())
			}
			files, _ := os.ReadDir(filepath.Join(statusFixtureDir, f.kind))
			for _, e := range files {
				if e.Name() == sourcesFile {
					continue
				}
				if !want[e.Name()] {
					t.Errorf("%s/%s/%s: not a state this format reports (want %s; add the state to its statusFormats entry if the page tells it apart)",
						statusFixtureDir, f.kind, e.Name(), strings.Join(names, ", "))
				}
			}
			checkSources(t, filepath.Join(statusFixtureDir, f.kind), names)

			srv := newFixtureServer(t)
			c := mustCatalog(t, "acme:\n  api_url: "+srv.URL+"/api\n  status_kind: "+f.kind+"\n  status_url: "+srv.URL+"\n")
			v, _ := c.Lookup("acme")
			for _, name := range f.stateNames() {
				check := statusStates[name]
				t.Run(name, func(t *testing.T) {
					raw := readStatusFixture(t, f.kind, name)
					s := runbook.StatusFinding{Checked: true, Indicator: runbook.IndicatorUnknown}
					if err := f.parse(raw, statusNow, &s); err != nil {
						t.Fatalf("parse: %v", err)
					}
					if msg := check(s); msg != "" {
						t.Errorf("%s: %+v", msg, s)
					}

					srv.serveDocs(fixtureDocs(t, f, raw))
					got := probeStatus(context.Background(), srv.Client(), v, statusNow)
					want := append([]string{f.path}, f.also...)
					if want[0] == "" {
						want[0] = "/"
					}
					if p := srv.paths(); !slices.Equal(p, want) {
						t.Errorf("the probe asked for %q, want the registered paths %q", p, want)
					}
					if !got.Checked || got.Err != "" || got.HTTPStatus != 200 {
						t.Fatalf("probe: %+v", got)
					}
					if msg := check(got); msg != "" {
						t.Errorf("probe: %s: %+v", msg, got)
					}
				})
			}
		})
	}
	dirs, err := os.ReadDir(statusFixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !seen[d.Name()] {
			t.Errorf("%s/%s: fixtures of a kind with no statusFormats entry", statusFixtureDir, d.Name())
		}
	}
}

func TestStatusKinds(t *testing.T) {
	got := StatusKinds()
	if len(got) != len(statusFormats)+2 || got[len(got)-2] != StatusAuto || got[len(got)-1] != StatusNone {
		t.Fatalf("StatusKinds() = %v: want every registered kind, then %s and %s", got, StatusAuto, StatusNone)
	}
	for i, f := range statusFormats {
		if got[i] != f.kind {
			t.Errorf("StatusKinds()[%d] = %s, want %s", i, got[i], f.kind)
		}
	}
	for _, k := range []StatusKind{StatusNone, StatusAuto} {
		if _, ok := statusFormatOf(k); ok {
			t.Errorf("%s has a format", k)
		}
	}
	if _, ok := statusFormatOf("rss-someday"); ok {
		t.Error("an unregistered kind has a format")
	}
}

// fixtureServer serves the documents set last, by path (a single
// document at any path), and records the paths asked for.
type fixtureServer struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string][]byte
	asked []string
}

func newFixtureServer(t *testing.T) *fixtureServer {
	t.Helper()
	s := &fixtureServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.asked = append(s.asked, r.URL.Path)
		body, ok := s.docs[r.URL.Path]
		if !ok && len(s.docs) == 1 {
			for _, b := range s.docs {
				body, ok = b, true
			}
		}
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			w.Header().Set("Content-Type", "application/rss+xml")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fixtureServer) serveDocs(docs map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs, s.asked = docs, nil
}

func (s *fixtureServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// sourcesFile sits beside the fixtures of a folder and names, for each
// file, the documentation page it was taken from.
const sourcesFile = "SOURCES.md"

// checkSources fails unless every file of names has a line in the
// folder's SOURCES.md that names it and an http(s) address.
func checkSources(t *testing.T, dir string, names []string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, sourcesFile))
	if err != nil {
		t.Errorf("%s: every fixture folder needs a %s naming each file's source: %v", dir, sourcesFile, err)
		return
	}
	for _, n := range names {
		found := false
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.Contains(line, "`"+n+"`") && strings.Contains(line, "http") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s/%s: name %s and the page it was taken from on one line", dir, sourcesFile, n)
		}
	}
}
