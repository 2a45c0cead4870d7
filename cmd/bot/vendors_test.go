package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/vendors"
)

// builtInKeys are the keys of the built-in catalog.
func builtInKeys(t *testing.T) []string {
	t.Helper()
	c, err := vendors.LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	return c.Keys()
}

// vendorsConfig is a configuration with one vendor added by VENDORS_FILE
// (acme, with an API and a status page), one watched by its status page
// alone (pagesonly), and HubSpot's token set.
func vendorsConfig(t *testing.T) config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "vendors.yaml")
	os.WriteFile(file, []byte("acme:\n  name: Acme Billing\n  api_url: https://api.acme.test\n"+
		"pagesonly:\n  name: Pages Only\n  status_url: https://status.pagesonly.test\n"), 0o600)
	getenv := func(k string) string {
		return map[string]string{"VENDORS_FILE": file, "HUBSPOT_ACCESS_TOKEN": triageTestToken}[k]
	}
	return loadConfig(getenv)
}

func runVendors(t *testing.T, cfg config, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = cmdVendors(context.Background(), args, cfg, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestVendorsTable: bot vendors prints every vendor once, in two groups
// (the vendors whose API triage calls, then those watched by their status
// page alone), each group under its own header with its count, and never
// a token.
func TestVendorsTable(t *testing.T) {
	cfg := vendorsConfig(t)
	text, _, err := runVendors(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, triageTestToken) {
		t.Fatal("token printed")
	}
	probeAt := strings.Index(text, "API PROBE AND STATUS PAGE (")
	pageAt := strings.Index(text, "STATUS PAGE ONLY (")
	if probeAt < 0 || pageAt < probeAt {
		t.Fatalf("want the probed group, then the status-page group:\n%s", text)
	}
	probed, paged := text[probeAt:pageAt], text[pageAt:]
	for _, want := range []string{"KEY", "TOKEN", "acme", "Acme Billing", "HUBSPOT_ACCESS_TOKEN (set)", "INTERCOM_ACCESS_TOKEN (unset)",
		"set zendesk.api_url in VENDORS_FILE", "statuspage https://status.hubspot.com", "not read: https://status.pagerduty.com"} {
		if !strings.Contains(probed, want) {
			t.Errorf("the probed group lacks %q:\n%s", want, probed)
		}
	}
	for _, want := range []string{"pagesonly", "Pages Only", "auto https://status.pagesonly.test"} {
		if !strings.Contains(paged, want) {
			t.Errorf("the status-page group lacks %q:\n%s", want, paged)
		}
	}
	if strings.Contains(paged, "TOKEN") || strings.Contains(paged, "PAGESONLY_ACCESS_TOKEN") {
		t.Errorf("the status-page group speaks of tokens:\n%s", paged)
	}
	// Every vendor has exactly one row.
	want := append(builtInKeys(t), "acme", "pagesonly")
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		for _, k := range want {
			if f[0] == k {
				rows++
			}
		}
	}
	if rows != len(want) {
		t.Errorf("%d vendor rows, want %d:\n%s", rows, len(want), text)
	}
	if !strings.Contains(text, "vendors. bot vendors WORD") {
		t.Errorf("no footer on how to search:\n%s", text)
	}
}

// TestVendorsJSON: bot vendors --json is the contract's array, every key
// present on every row, status_kind empty where the bot reads no page,
// api_url and token_env empty for a vendor watched by its page alone.
func TestVendorsJSON(t *testing.T) {
	cfg := vendorsConfig(t)
	out, _, err := runVendors(t, cfg, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(raw) != len(builtInKeys(t))+2 {
		t.Fatalf("%d rows, want every vendor", len(raw))
	}
	byKey := map[string]map[string]any{}
	for _, r := range raw {
		for _, k := range []string{"key", "name", "status_kind", "status_url", "api_url", "token_env"} {
			if _, ok := r[k].(string); !ok {
				t.Errorf("row %v: %s missing or not a string", r["key"], k)
			}
		}
		byKey[r["key"].(string)] = r
	}
	tests := []struct {
		key                                     string
		statusKind, statusURL, apiURL, tokenEnv string
	}{
		{"hubspot", "statuspage", "https://status.hubspot.com", "https://api.hubapi.com", "HUBSPOT_ACCESS_TOKEN"},
		{"stripe", "stripe", "https://status.stripe.com", "https://api.stripe.com", "STRIPE_ACCESS_TOKEN"},
		// A page the bot does not read: known, but no kind.
		{"pagerduty", "", "https://status.pagerduty.com", "https://api.pagerduty.com", "PAGERDUTY_ACCESS_TOKEN"},
		// An operator's vendor without a status page.
		{"acme", "", "", "https://api.acme.test", "ACME_ACCESS_TOKEN"},
		// Watched by its status page alone.
		{"pagesonly", "auto", "https://status.pagesonly.test", "", ""},
	}
	for _, tt := range tests {
		r := byKey[tt.key]
		if r == nil {
			t.Errorf("no row for %s", tt.key)
			continue
		}
		got := []any{r["status_kind"], r["status_url"], r["api_url"], r["token_env"]}
		want := []any{tt.statusKind, tt.statusURL, tt.apiURL, tt.tokenEnv}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: status_kind, status_url, api_url, token_env = %q, want %q", tt.key, got, want)
				break
			}
		}
	}
	if byKey["hubspot"]["token_set"] != true || strings.Contains(out, triageTestToken) {
		t.Errorf("hubspot token_set %v, or the token printed", byKey["hubspot"]["token_set"])
	}
	// The built-in vendors watched by their status page alone: no API, no token.
	c, _ := vendors.LoadCatalog("")
	for _, k := range c.Keys() {
		if v, _ := c.Lookup(k); v.APIURL == "" && (byKey[k]["api_url"] != "" || byKey[k]["token_env"] != "") {
			t.Errorf("%s has no API, but its row says api_url %v token_env %v", k, byKey[k]["api_url"], byKey[k]["token_env"])
		}
	}
}

// TestVendorsSearch: bot vendors WORD… shows the vendors whose key, name
// or status page host contains a word, in any case, as a table or JSON;
// no match says so and exits 1; detect is a sub-verb, not a word.
func TestVendorsSearch(t *testing.T) {
	cfg := vendorsConfig(t)
	keys := func(out string) []string {
		var rows []vendorRow
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		var ks []string
		for _, r := range rows {
			ks = append(ks, r.Key)
		}
		return ks
	}
	tests := []struct {
		name  string
		words []string
		want  []string
	}{
		{"by key", []string{"stripe"}, []string{"stripe"}},
		{"any case", []string{"STRIPE"}, []string{"stripe"}},
		{"by name", []string{"billing"}, []string{"acme"}},
		{"by status host", []string{"pagesonly.test"}, []string{"pagesonly"}},
		{"host shared by several", []string{"status.atlassian.com"}, []string{"jira"}},
		{"several words", []string{"stripe", "hubspot"}, []string{"hubspot", "stripe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runVendors(t, cfg, append(tt.words, "--json")...)
			if err != nil {
				t.Fatal(err)
			}
			got := keys(out)
			for _, w := range tt.want {
				if !strings.Contains(","+strings.Join(got, ",")+",", ","+w+",") {
					t.Errorf("%v found %v, want %s among them", tt.words, got, w)
				}
			}
			if tt.name != "host shared by several" && len(got) != len(tt.want) {
				t.Errorf("%v found %v, want %v", tt.words, got, tt.want)
			}
		})
	}

	text, _, err := runVendors(t, cfg, "stripe")
	if err != nil || !strings.Contains(text, "stripe") || strings.Contains(text, "hubspot") || strings.Contains(text, "bot vendors WORD") {
		t.Errorf("bot vendors stripe: err %v\n%s", err, text)
	}

	out, errOut, err := runVendors(t, cfg, "no-such-vendor")
	if exitCode(err) != 1 || out != "" || !strings.Contains(errOut, `"no-such-vendor"`) {
		t.Errorf("no match: exit %d, stdout %q, stderr %q", exitCode(err), out, errOut)
	}
	out, _, err = runVendors(t, cfg, "no-such-vendor", "--json")
	if exitCode(err) != 1 || strings.TrimSpace(out) != "[]" {
		t.Errorf("no match as JSON: exit %d, stdout %q", exitCode(err), out)
	}

	// detect is the sub-verb of cmd/bot/detect.go where that is built in;
	// either way it is never searched for. A loopback address that refuses.
	out, errOut, _ = runVendors(t, cfg, "detect", "http://127.0.0.1:9/")
	if strings.Contains(errOut, "no vendor's key") || strings.Contains(out, "STATUS PAGE ONLY") {
		t.Errorf("detect was taken as a search word: stdout %q, stderr %q", out, errOut)
	}
	if _, _, err := runVendors(t, cfg, "--bogus"); exitCode(err) != 2 {
		t.Errorf("unknown flag: %v", err)
	}
	help, _, err := runVendors(t, cfg, "--help")
	if err != nil || !strings.Contains(help, "Usage: bot vendors [WORD") {
		t.Errorf("help: %v %q", err, help)
	}
}
