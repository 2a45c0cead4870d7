package vendors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		if !touches(s, "API", "api", "Apps/Integrations/APIs", "Support") {
			return "want the incident (or a degraded component) on the API the fixtures' vendors probe"
		}
		return ""
	},
	stateUnrelated: func(s runbook.StatusFinding) string {
		if !s.Active() {
			return "want an active finding"
		}
		if touches(s, "API", "api", "Apps/Integrations/APIs", "Support") {
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

func readStatusFixture(t *testing.T, kind StatusKind, state string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(statusFixtureDir, kind, state+".json"))
	if err != nil {
		t.Fatalf("no fixture for %s pages in the %s state: add %s/%s/%s.json, the document such a page serves (%v)",
			kind, state, statusFixtureDir, kind, state, err)
	}
	return raw
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
				want[st+".json"] = true
				names = append(names, st+".json")
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

					srv.serve(raw)
					got := probeStatus(context.Background(), srv.Client(), v, statusNow)
					if p, want := srv.lastPath(), f.path; p != want && !(want == "" && p == "/") {
						t.Errorf("the probe asked for %q, want the registered path %q", p, want)
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
	if len(got) != len(statusFormats)+1 || got[len(got)-1] != StatusNone {
		t.Fatalf("StatusKinds() = %v: want every registered kind, then %s", got, StatusNone)
	}
	for i, f := range statusFormats {
		if got[i] != f.kind {
			t.Errorf("StatusKinds()[%d] = %s, want %s", i, got[i], f.kind)
		}
	}
	if _, ok := statusFormatOf(StatusNone); ok {
		t.Errorf("%s has a format", StatusNone)
	}
	if _, ok := statusFormatOf("rss-someday"); ok {
		t.Error("an unregistered kind has a format")
	}
}

// fixtureServer serves the document set last at any path and records the
// path asked for.
type fixtureServer struct {
	*httptest.Server
	mu    sync.Mutex
	body  []byte
	asked string
}

func newFixtureServer(t *testing.T) *fixtureServer {
	t.Helper()
	s := &fixtureServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.asked = r.URL.Path
		body := s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fixtureServer) serve(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.asked = body, ""
}

func (s *fixtureServer) lastPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked
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
