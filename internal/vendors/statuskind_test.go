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

var (
	stateOperational = statusState{"operational", func(s runbook.StatusFinding) string {
		if s.Indicator != runbook.IndicatorNone || len(s.Incidents) > 0 || len(s.Degraded) > 0 || s.Active() {
			return "want indicator none, no incidents and no degraded components"
		}
		return ""
	}}
	stateIncident = statusState{"incident", func(s runbook.StatusFinding) string {
		switch s.Indicator {
		case runbook.IndicatorMinor, runbook.IndicatorMajor, runbook.IndicatorCritical:
		default:
			return "want indicator minor, major or critical"
		}
		if !s.Active() || (s.Description == "" && len(s.Incidents) == 0) {
			return "want an active finding with a description or an incident a person can read"
		}
		return ""
	}}
	stateMaintenance = statusState{"maintenance", func(s runbook.StatusFinding) string {
		if s.Indicator != runbook.IndicatorMaintenance || !s.Active() {
			return "want indicator maintenance"
		}
		return ""
	}}
)

// states lists what the format can report, so what it needs a fixture for.
func (f statusFormat) states() []statusState {
	s := []statusState{stateOperational, stateIncident}
	if f.maintenance {
		s = append(s, stateMaintenance)
	}
	return s
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

			// No fixture without a state to check it against.
			want, names := map[string]bool{}, []string{}
			for _, st := range f.states() {
				want[st.name+".json"] = true
				names = append(names, st.name+".json")
			}
			files, _ := os.ReadDir(filepath.Join(statusFixtureDir, f.kind))
			for _, e := range files {
				if !want[e.Name()] {
					t.Errorf("%s/%s/%s: not a state this format reports (want %s; set maintenance in its statusFormats entry if the page tells maintenance apart)",
						statusFixtureDir, f.kind, e.Name(), strings.Join(names, ", "))
				}
			}

			srv := newFixtureServer(t)
			c := mustCatalog(t, "acme:\n  api_url: "+srv.URL+"/api\n  status_kind: "+f.kind+"\n  status_url: "+srv.URL+"\n")
			v, _ := c.Lookup("acme")
			for _, st := range f.states() {
				t.Run(st.name, func(t *testing.T) {
					raw := readStatusFixture(t, f.kind, st.name)
					s := runbook.StatusFinding{Checked: true, Indicator: runbook.IndicatorUnknown}
					if err := f.parse(raw, &s); err != nil {
						t.Fatalf("parse: %v", err)
					}
					if msg := st.check(s); msg != "" {
						t.Errorf("%s: %+v", msg, s)
					}

					srv.serve(raw)
					got := probeStatus(context.Background(), srv.Client(), v)
					if p, want := srv.lastPath(), f.path; p != want && !(want == "" && p == "/") {
						t.Errorf("the probe asked for %q, want the registered path %q", p, want)
					}
					if !got.Checked || got.Err != "" || got.HTTPStatus != 200 {
						t.Fatalf("probe: %+v", got)
					}
					if msg := st.check(got); msg != "" {
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
