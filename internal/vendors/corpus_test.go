package vendors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/runbook"
)

// The corpus: for every catalog vendor, its documented answers
// (testdata/answers/<vendor>/*.http), the CDN and firewall pages that can
// stand in front of any vendor (testdata/answers/_edge/*.http), and the
// status-page documents of every format in every state it tells apart
// (testdata/status/<kind>/*.json). Each answer file starts with comment
// lines naming its source, the cause a senior on-call engineer would name
// for it alone and the request id it carries, then the HTTP answer as
// sent. Where a vendor documents no answer for a cause, the folder's
// NOTES.md says so.

const answersDir = "testdata/answers"

// answerFixture is one answer of the corpus.
type answerFixture struct {
	file      string
	vendor    string // folder: a catalog key, or _edge
	source    string
	cause     runbook.Cause
	requestID string
	status    int
	header    http.Header
	body      []byte
}

func readAnswerFixture(t testing.TB, path string) answerFixture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := answerFixture{file: path, vendor: filepath.Base(filepath.Dir(path))}
	rest := raw
	for bytes.HasPrefix(rest, []byte("#")) {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(string(line), "#")), ":")
		if !ok {
			continue
		}
		switch v = strings.TrimSpace(v); strings.TrimSpace(k) {
		case "source":
			a.source = v
		case "cause":
			a.cause = runbook.Cause(v)
		case "request_id":
			a.requestID = v
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(rest)), nil)
	if err != nil {
		t.Fatalf("%s: not an HTTP answer after the comments: %v", path, err)
	}
	defer resp.Body.Close()
	if a.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	a.status, a.header = resp.StatusCode, resp.Header
	return a
}

func readAnswerFixtures(t testing.TB, vendor string) []answerFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(answersDir, vendor, "*.http"))
	if err != nil {
		t.Fatal(err)
	}
	var out []answerFixture
	for _, f := range files {
		out = append(out, readAnswerFixture(t, f))
	}
	return out
}

// replay sends the fixture's answer as the vendor sent it.
func (a answerFixture) replay() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range a.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	}
}

// answerCauses are the causes an answer alone can show.
var answerCauses = []runbook.Cause{runbook.Healthy, runbook.AuthInvalid, runbook.AuthForbidden,
	runbook.RateLimited, runbook.VendorError, runbook.Account}

// TestAnswerCorpus: every file names its source and an expected cause;
// every catalog vendor with an API call has a documented answer for every
// cause an answer can show, or its NOTES.md says the vendor documents
// none. A vendor watched by its status page only has no answers.
func TestAnswerCorpus(t *testing.T) {
	for _, vendor := range append(probedKeys(t), "_edge") {
		fixtures := readAnswerFixtures(t, vendor)
		if len(fixtures) == 0 {
			t.Errorf("%s/%s: no answers", answersDir, vendor)
			continue
		}
		have := map[runbook.Cause]bool{}
		for _, a := range fixtures {
			if !strings.HasPrefix(a.source, "https://") {
				t.Errorf("%s: the first lines must name the documentation page it was taken from (# source: https://…)", a.file)
			}
			if !slices.Contains(runbook.Causes, a.cause) {
				t.Errorf("%s: # cause: %q is not a cause", a.file, a.cause)
			}
			have[a.cause] = true
		}
		if vendor == "_edge" {
			continue
		}
		notes, _ := os.ReadFile(filepath.Join(answersDir, vendor, "NOTES.md"))
		for _, c := range answerCauses {
			if !have[c] && !bytes.Contains(notes, []byte("`"+string(c)+"`")) {
				t.Errorf("%s/%s: no answer for %s, and NOTES.md does not say the vendor documents none", answersDir, vendor, c)
			}
		}
	}
}

// scenario is a status page state the answers are combined with.
type scenario struct {
	state string // fixture name under testdata/status/<kind>/
}

// expectedCause is what a senior on-call engineer names for an answer
// whose cause alone is alone, with the status page in state.
func expectedCause(a answerFixture, state string) runbook.Cause {
	outage := a.status >= 500 || (a.status >= 200 && a.status < 300)
	switch {
	case a.cause == runbook.Healthy:
		switch state {
		case stateIncident, stateUnrelated, stateComponentOutage:
			return runbook.VendorIncident // reported, at P3
		case stateMaintenance:
			return runbook.Maintenance // at P3
		}
	case a.cause == runbook.VendorError && outage:
		switch state {
		case stateIncident, stateComponentOutage:
			return runbook.VendorIncident
		case stateMaintenance:
			return runbook.Maintenance
		}
	}
	// A documented answer about our token, permission, quota or account,
	// or a CDN's page, outranks anything on the status page.
	return a.cause
}

func expectedSeverity(kind StatusKind, a answerFixture, cause runbook.Cause) runbook.Severity {
	failing := a.cause != runbook.Healthy
	switch cause {
	case runbook.Healthy:
		return ""
	case runbook.AuthInvalid, runbook.Account:
		return runbook.P1
	case runbook.Maintenance:
		if failing {
			return runbook.P2
		}
		return runbook.P3
	case runbook.VendorIncident:
		switch {
		case !failing:
			return runbook.P3
		case kind == StatusStatuspage:
			return runbook.P1 // the fixture's incident is major, the component a major outage
		}
		return runbook.P2
	}
	return runbook.P2
}

// statusDoc is the format's fixture for state, with the API component
// named as the vendor's page names it.
func statusDoc(t *testing.T, v Vendor, state string) []byte {
	t.Helper()
	raw := readStatusFixture(t, v.StatusKind, state)
	if v.StatusKind == StatusStatuspage && len(v.StatusComponents) > 0 {
		raw = bytes.ReplaceAll(raw, []byte(`"name": "API"`), []byte(`"name": "`+v.StatusComponents[0]+`"`))
	}
	return raw
}

// TestTriageCorpus runs the whole triage over loopback for every
// documented answer of every catalog vendor, and every CDN page in front
// of every vendor, alone and with the status page in every state its
// format tells apart: an unrelated incident, an incident covering the API,
// maintenance in progress or to come, a component outage under an
// overall indicator of none, a resolved incident. Each yields the cause,
// the severity and the request id a senior on-call engineer would name,
// and the evidence says why.
func TestTriageCorpus(t *testing.T) {
	edge := readAnswerFixtures(t, "_edge")
	for _, vendor := range catalogKeys(t) {
		t.Run(vendor, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			tr := triager(t, s)
			v, _ := tr.Catalog.Lookup(vendor)
			states := []string{""}
			if f, ok := statusFormatOf(v.StatusKind); ok {
				states = f.stateNames()
			}
			for _, a := range append(readAnswerFixtures(t, vendor), edge...) {
				for _, state := range states {
					name := strings.TrimSuffix(filepath.Base(a.file), ".http")
					if a.vendor == "_edge" {
						name = "edge_" + name
					}
					t.Run(name+"/"+firstNonEmptyStr(state, "no_status_page"), func(t *testing.T) {
						s.set(&s.api, a.replay())
						if state != "" {
							s.set(&s.status, jsonHandler(200, string(statusDoc(t, v, state))))
						}
						r, err := tr.Triage(context.Background(), vendor)
						if err != nil {
							t.Fatal(err)
						}
						want := expectedCause(a, state)
						if state == "" {
							want = a.cause
						}
						sev := expectedSeverity(v.StatusKind, a, want)
						if r.Cause != want || r.Severity != sev {
							t.Fatalf("%s with the status page %s: cause %s %s, want %s %s\nsummary: %s\nevidence: %q\nchecks: %+v",
								a.file, firstNonEmptyStr(state, "absent"), r.Cause, r.Severity, want, sev, r.Summary, r.Evidence, r.Checks)
						}
						checkCorpusReport(t, v, a, state, r)
					})
				}
			}
		})
	}
}

func firstNonEmptyStr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// checkCorpusReport: the request id of the failing answer, evidence that
// starts with the deciding finding, and the JSON carrying both.
func checkCorpusReport(t *testing.T, v Vendor, a answerFixture, state string, r runbook.Report) {
	t.Helper()
	if a.cause == runbook.Healthy {
		if r.RequestID != "" {
			t.Errorf("request_id %q on a healthy answer", r.RequestID)
		}
	} else if r.RequestID != a.requestID {
		t.Errorf("request_id = %q, want %q (the id the failing answer carries)", r.RequestID, a.requestID)
	}
	if len(r.Evidence) == 0 {
		t.Fatal("no evidence")
	}
	first := r.Evidence[0]
	switch r.Cause {
	case runbook.VendorIncident, runbook.Maintenance:
		if !strings.Contains(first, v.Name) || !containsAnyStr(first, "incident", "maintenance", "shows", "status page") {
			t.Errorf("evidence[0] = %q: want the status page's item that explains it", first)
		}
	default:
		if !strings.Contains(first, fmt.Sprint(a.status)) {
			t.Errorf("evidence[0] = %q: want the answer (%d) that decided it", first, a.status)
		}
	}
	if state == stateUnrelated && r.Cause != runbook.Healthy && r.Cause != runbook.VendorIncident {
		if !containsAnyStr(strings.Join(r.Evidence, "\n"), "does not cover", "operational", "our ") {
			t.Errorf("evidence %q: want the unrelated incident named as context", r.Evidence)
		}
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"evidence", "vendor_status"} {
		if len(doc[k]) == 0 || string(doc[k]) == "null" {
			t.Errorf("the JSON report lacks %s: %s", k, raw)
		}
	}
	assertNoToken(t, r)
}

func containsAnyStr(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
