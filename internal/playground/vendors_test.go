package playground

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/vendors"
)

// TestEveryModeThroughTheRealTriage switches each simulated vendor through
// every mode and runs the bot's own triage against it: each mode must be
// read as the cause the runbooks name for it, from the vendor's documented
// answer.
func TestEveryModeThroughTheRealTriage(t *testing.T) {
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	h = p.Handler(http.NotFoundHandler())
	t.Cleanup(func() { p.Close(context.Background()) })

	var yaml strings.Builder
	for _, v := range Simulated {
		api, status := p.VendorURLs(v.Key)
		yaml.WriteString(v.Key + ":\n  api_url: " + api + "\n  status_url: " + status + "\n  timeout: 500ms\n")
	}
	file := filepath.Join(t.TempDir(), "vendors.yaml")
	if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := vendors.LoadCatalog(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := &vendors.Triager{Catalog: cat, Getenv: func(k string) string {
		if strings.HasSuffix(k, "_ACCESS_TOKEN") {
			return p.VendorToken(false)
		}
		return ""
	}, HealthURL: p.HealthURL(), Deadline: 3 * time.Second}

	tests := []struct {
		mode     Mode
		health   Health
		cause    runbook.Cause
		severity runbook.Severity
		summary  map[string]string // vendor → a substring of the summary
	}{
		{Healthy, HealthOK, runbook.Healthy, "", map[string]string{"hubspot": "HubSpot answers normally", "intercom": "Intercom answers normally"}},
		{Revoked, HealthOK, runbook.AuthInvalid, runbook.P1, map[string]string{"hubspot": "401 INVALID_AUTHENTICATION", "intercom": "401 unauthorized"}},
		{Forbidden, HealthOK, runbook.AuthForbidden, runbook.P2, map[string]string{"hubspot": "crm.objects.contacts.read", "intercom": "read_admins"}},
		{RateLimited, HealthOK, runbook.RateLimited, runbook.P2, map[string]string{"hubspot": "TEN_SECONDLY_ROLLING", "intercom": "rate limited"}},
		{ServerError, HealthOK, runbook.VendorError, runbook.P2, nil},
		{Hanging, HealthOK, runbook.Unreachable, runbook.P1, nil},
		{Incident, HealthOK, runbook.VendorIncident, runbook.P1, map[string]string{"hubspot": "Elevated error rates on the HubSpot API", "intercom": "Elevated error rates on the Intercom API"}},
		{Maintenance, HealthOK, runbook.Maintenance, runbook.P3, map[string]string{"hubspot": "Database upgrade", "intercom": "Database upgrade"}},
		{Blocked, HealthOK, runbook.Blocked, runbook.P2, map[string]string{"hubspot": "Cloudflare", "intercom": "Cloudflare"}},
		{Account, HealthOK, runbook.Account, runbook.P1, map[string]string{"intercom": "api_plan_restricted"}},
		{Healthy, HealthDegraded, runbook.OurService, runbook.P2, map[string]string{"hubspot": `"degraded"`}},
		{Healthy, HealthDown, runbook.OurService, runbook.P2, map[string]string{"hubspot": "503"}},
	}
	for _, tt := range tests {
		for _, v := range Simulated {
			if !v.Offers(tt.mode) {
				continue
			}
			t.Run(string(tt.mode)+"/"+string(tt.health)+"/"+v.Key, func(t *testing.T) {
				if !p.sims.setMode(v.Key, tt.mode) || !p.sims.setHealth(tt.health) {
					t.Fatal("the mode was refused")
				}
				start := time.Now()
				r, err := tr.Triage(context.Background(), v.Key)
				if err != nil {
					t.Fatal(err)
				}
				if r.Cause != tt.cause || r.Severity != tt.severity {
					t.Fatalf("cause %s %s, want %s %s: %s\n%+v", r.Cause, r.Severity, tt.cause, tt.severity, r.Summary, r.Checks)
				}
				if want := tt.summary[v.Key]; want != "" && !strings.Contains(r.Summary, want) {
					t.Errorf("summary %q lacks %q", r.Summary, want)
				}
				switch tt.mode {
				case Revoked, Forbidden, RateLimited, ServerError, Account:
					if len(r.RequestID) != 36 {
						t.Errorf("request id %q: the vendors' error answers carry one", r.RequestID)
					}
				case Blocked:
					if !regexp.MustCompile(`^[0-9a-f]{16}-FRA$`).MatchString(r.RequestID) {
						t.Errorf("request id %q: Cloudflare's page carries its Ray ID", r.RequestID)
					}
				}
				if tt.mode == Hanging && time.Since(start) > 2*time.Second {
					t.Errorf("a hung vendor held the triage %s", time.Since(start))
				}
			})
		}
	}
	_, _, last := p.sims.state()
	if last["hubspot"].At.IsZero() || last["health"].At.IsZero() {
		t.Errorf("the calls were not recorded for the page: %+v", last)
	}
	if p.sims.setMode("hubspot", "exploded") || p.sims.setMode("stripe", Revoked) || p.sims.setHealth("meh") {
		t.Error("an unknown vendor or mode was taken")
	}
	if p.sims.setMode("hubspot", Account) {
		t.Error("HubSpot's account mode was taken: HubSpot documents no such answer")
	}
}

// TestAnswersAreTheCorpus: the answers the newer modes replay are the
// vendors' corpus, byte for byte, each with a fresh request id per answer;
// the components the simulated status pages name are the catalog's.
func TestAnswersAreTheCorpus(t *testing.T) {
	for copy, source := range answerSources {
		got, err := answerFiles.ReadFile(copy)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "vendors", "testdata", source))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from internal/vendors/testdata/%s: copy it again", copy, source)
		}
	}
	files, _ := fs.Glob(answerFiles, "answers/*")
	if len(files) != len(answerSources) {
		t.Errorf("answers/ holds %v; answerSources names %d", files, len(answerSources))
	}

	a, err := loadRecorded("answers/edge_cloudflare_1020.http")
	if err != nil {
		t.Fatal(err)
	}
	one, two := a.answer(), a.answer()
	if one.status != 403 || one.headers["Cf-Ray"] == two.headers["Cf-Ray"] || strings.Contains(one.body, "8a1b2c3d4e5f6789") ||
		!strings.Contains(one.body, strings.TrimSuffix(one.headers["Cf-Ray"], "-FRA")) {
		t.Errorf("the block page's Ray ID is not fresh and consistent: %q %q\n%s", one.headers["Cf-Ray"], two.headers["Cf-Ray"], one.body)
	}

	cat, err := vendors.LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Simulated {
		c, ok := cat.Lookup(v.Key)
		if !ok || !slices.Contains(c.StatusComponents, v.Component) {
			t.Errorf("%s: component %q is not among the catalog's %q", v.Key, v.Component, c.StatusComponents)
		}
	}
}
