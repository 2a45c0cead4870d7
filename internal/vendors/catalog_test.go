package vendors

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vendors.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// catalogKeys are the keys of the vendor files in catalog/, sorted: the
// vendors a test that covers every built-in vendor walks, so a new file is
// covered without editing the test.
func catalogKeys(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("catalog", "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no vendor files in catalog/ (%v)", err)
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strings.TrimSuffix(filepath.Base(n), ".yaml")
	}
	sort.Strings(keys)
	return keys
}

// probedKeys are the catalog keys whose built-in entry has an API to
// probe (an api_url), sorted: the vendors that need a TestProbeRequests
// case and documented answers. The others are watched by their status
// page alone.
func probedKeys(t testing.TB) []string {
	t.Helper()
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range catalogKeys(t) {
		if v, ok := c.Lookup(k); ok && v.APIURL != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func TestBuiltInCatalog(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	want := catalogKeys(t)
	if got := strings.Join(c.Keys(), ","); got != strings.Join(want, ",") {
		t.Fatalf("Keys = %s, want one vendor per file in catalog/: %s", got, strings.Join(want, ","))
	}
	for _, k := range c.Keys() {
		v, _ := c.Lookup(k)
		t.Run(k, func(t *testing.T) {
			if v.Key != k || v.Name == "" || v.Name == k {
				t.Errorf("key %q name %q: want a display name", v.Key, v.Name)
			}
			if len(v.Sources) == 0 {
				t.Error("no sources for the facts")
			}
			if v.APIURL == "" {
				// Watched by its status page alone: a page, and no more.
				if v.StatusURL == "" && v.Links.Status == "" {
					t.Error("no api_url and no status page: nothing to watch")
				}
				return
			}
			if hasPlaceholder(v.APIURL) && v.APIURLExample == "" {
				t.Error("placeholder api_url without api_url_example")
			}
			if v.TokenEnv == "" || v.TokenHint == "" {
				t.Error("no token_env or token_hint")
			}
			if v.Links.Status == "" || v.Links.RateLimits == "" || v.Links.Auth == "" {
				t.Errorf("links incomplete: %+v", v.Links)
			}
			if v.Runbook.TokenConsole == "" {
				t.Error("no runbook.token_console")
			}
			if v.Probe.Path == "" {
				t.Error("no probe.path")
			}
		})
	}
	for _, k := range []string{"HubSpot", " intercom "} {
		if _, ok := c.Lookup(k); !ok {
			t.Errorf("Lookup(%q) failed", k)
		}
	}
	if _, ok := c.Lookup("nope"); ok {
		t.Error("Lookup(nope) succeeded")
	}
}

// TestBuiltInFacts pins the facts the issue names, so an edit to a catalog
// file cannot lose them silently.
func TestBuiltInFacts(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := c.Lookup("hubspot")
	if hs.probeURL() != "https://api.hubapi.com/account-info/v3/details" || hs.TokenEnv != "HUBSPOT_ACCESS_TOKEN" {
		t.Errorf("hubspot probe %s, env %s", hs.probeURL(), hs.TokenEnv)
	}
	if hs.statusEndpoint() != "https://status.hubspot.com/api/v2/summary.json" {
		t.Errorf("hubspot status %s", hs.statusEndpoint())
	}
	ic, _ := c.Lookup("intercom")
	if ic.probeURL() != "https://api.intercom.io/me" || ic.Probe.Headers["Intercom-Version"] == "" || ic.TokenEnv != "INTERCOM_ACCESS_TOKEN" {
		t.Errorf("intercom probe %s headers %v env %s", ic.probeURL(), ic.Probe.Headers, ic.TokenEnv)
	}
	sl, _ := c.Lookup("slack")
	if sl.statusEndpoint() != "https://slack-status.com/api/v2.0.0/current" {
		t.Errorf("slack status %s", sl.statusEndpoint())
	}
	st, _ := c.Lookup("stripe")
	if st.statusEndpoint() != "https://status.stripe.com/current" {
		t.Errorf("stripe status %s", st.statusEndpoint())
	}
	zd, _ := c.Lookup("zendesk")
	if zd.statusEndpoint() != "https://status.zendesk.com/api/incidents/active" || !hasPlaceholder(zd.APIURL) {
		t.Errorf("zendesk status %s api %s", zd.statusEndpoint(), zd.APIURL)
	}
	for _, k := range []string{"zendesk", "salesforce", "jira", "shopify"} {
		v, _ := c.Lookup(k)
		if !hasPlaceholder(v.APIURL) {
			t.Errorf("%s: api_url %s should be a placeholder that VENDORS_FILE sets", k, v.APIURL)
		}
	}
}

func TestOverrideMergesFieldByField(t *testing.T) {
	p := writeFile(t, `
hubspot:
  api_url: http://127.0.0.1:9/hs
  probe:
    headers: {X-Extra: "1"}
  runbook:
    secret_id: prod/hubspot
intercom:
  status_url: http://127.0.0.1:9/ic-status
acme:
  name: Acme Billing
  api_url: https://api.acme.test
  probe: {path: /v1/ping}
  status_url: https://status.acme.test
shopify:
  api_url: https://shop.example.com
  status_url: http://127.0.0.1:9/shopify-status
zendesk:
  status_url: ""
`)
	c, err := LoadCatalog(p)
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := c.Lookup("hubspot")
	if hs.APIURL != "http://127.0.0.1:9/hs" {
		t.Errorf("api_url = %s", hs.APIURL)
	}
	if hs.Probe.Path != "/account-info/v3/details" || hs.Probe.Headers["X-Extra"] != "1" {
		t.Errorf("probe not merged: %+v", hs.Probe)
	}
	if hs.Runbook.SecretID != "prod/hubspot" || hs.Runbook.TokenConsole == "" {
		t.Errorf("runbook not merged: %+v", hs.Runbook)
	}
	if hs.StatusURL != "https://status.hubspot.com" || hs.TokenEnv != "HUBSPOT_ACCESS_TOKEN" || len(hs.RateLimits) != 2 {
		t.Errorf("untouched fields changed: %+v", hs)
	}
	ic, _ := c.Lookup("intercom")
	if ic.statusEndpoint() != "http://127.0.0.1:9/ic-status/api/v2/summary.json" || ic.APIURL != "https://api.intercom.io" {
		t.Errorf("intercom status %s api %s", ic.statusEndpoint(), ic.APIURL)
	}
	acme, ok := c.Lookup("acme")
	if !ok {
		t.Fatal("new vendor acme not added")
	}
	if acme.Name != "Acme Billing" || acme.TokenEnv != "ACME_ACCESS_TOKEN" || acme.StatusKind != StatusAuto ||
		acme.Auth.Scheme != "bearer" || acme.Probe.Method != "GET" || time.Duration(acme.Timeout) != defaultTimeout {
		t.Errorf("acme defaults: %+v", acme)
	}
	sh, _ := c.Lookup("shopify")
	if sh.StatusKind != StatusStatuspage {
		t.Errorf("shopify with another status_url: kind %s, want its built-in statuspage kept", sh.StatusKind)
	}
	zd, _ := c.Lookup("zendesk")
	if zd.StatusKind != StatusNone {
		t.Errorf("zendesk with status_url emptied: kind %s, want none", zd.StatusKind)
	}
	if got := c.Keys(); got[0] != "acme" {
		t.Errorf("Keys not sorted: %v", got)
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown field", "hubspot:\n  api_ur: https://x.test\n", []string{"line 2", "hubspot.api_ur: unknown field", "api_url"}},
		{"unknown nested field", "hubspot:\n  probe:\n    pth: /x\n", []string{"line 3", "hubspot.probe.pth: unknown field"}},
		{"unknown rule field", "hubspot:\n  rules:\n    - stauts: [403]\n", []string{"hubspot.rules[0].stauts: unknown field"}},
		{"bad api_url", "hubspot:\n  api_url: not a url\n", []string{"hubspot.api_url", "not an http(s) URL"}},
		{"bad status kind", "hubspot:\n  status_kind: semaphore\n", []string{"hubspot.status_kind", `"semaphore": use one of ` + strings.Join(StatusKinds(), ", ")}},
		{"bad scheme", "hubspot:\n  auth: {scheme: digest}\n", []string{"hubspot.auth.scheme"}},
		{"header without name", "acme:\n  api_url: https://a.test\n  auth: {scheme: header}\n", []string{"acme.auth.header"}},
		{"bad class", "hubspot:\n  rules: [{status: [403], class: sad}]\n", []string{"hubspot.rules[0].class"}},
		{"bad status code", "hubspot:\n  rules: [{status: [1000], class: ok}]\n", []string{"hubspot.rules[0].status"}},
		{"bad timeout", "hubspot:\n  timeout: soon\n", []string{"hubspot", "not a duration like 5s"}},
		{"bad key", "Hub Spot:\n  name: x\n", []string{`vendor key "Hub Spot"`}},
		{"not a mapping", "- hubspot\n", []string{"want a mapping from vendor key"}},
		{"vendor not a mapping", "hubspot: yes\n", []string{"hubspot: want a mapping of fields"}},
		{"bad yaml", "hubspot: [\n", []string{"vendors file"}},
		{"status kind without url", "acme:\n  api_url: https://a.test\n  status_kind: slack\n", []string{"acme.status_url: required"}},
		{"bad token env", "hubspot:\n  token_env: 'MY TOKEN'\n", []string{"hubspot.token_env"}},
		{"bad value type", "hubspot:\n  rules:\n    - status: [abc]\n", []string{"hubspot: line 3: cannot unmarshal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.yaml)
			_, err := LoadCatalog(p)
			if err == nil {
				t.Fatal("LoadCatalog succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, p) {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestOverrideFileMissing(t *testing.T) {
	_, err := LoadCatalog(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestOverrideEmptyFile(t *testing.T) {
	c, err := LoadCatalog(writeFile(t, "# nothing yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) != len(catalogKeys(t)) {
		t.Errorf("keys = %v", c.Keys())
	}
}

func TestRunbookVendor(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := c.Lookup("hubspot")
	rv := hs.runbookVendor()
	if rv.Name != "HubSpot" || rv.SecretID != "hubspot-api-token" || rv.Deployment != "hubspot-integration" ||
		rv.Policies["DAILY"] == "" || rv.Links.Status != "https://status.hubspot.com" {
		t.Errorf("runbook vendor = %+v", rv)
	}
	if !rv.SecretIDPlaceholder || !rv.DeploymentPlaceholder {
		t.Errorf("the built-in names are not marked as placeholders: %+v", rv)
	}
	var _ runbook.Vendor = rv
}

// TestStatusOnlyVendor: a vendor with a status page and no API needs no
// token and no api_url; naming an API later makes it an ordinary vendor.
func TestStatusOnlyVendor(t *testing.T) {
	c, err := LoadCatalog(writeFile(t, `
watched:
  name: Watched
  status_url: https://status.watched.test
probed:
  name: Probed
  status_url: https://status.probed.test
  api_url: https://api.probed.test
`))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := c.Lookup("watched")
	if !w.StatusOnly() || w.NeedsAPIURL() || w.TokenEnv != "" || w.StatusKind != StatusAuto {
		t.Errorf("watched: status only %v, needs api_url %v, token_env %q, kind %s", w.StatusOnly(), w.NeedsAPIURL(), w.TokenEnv, w.StatusKind)
	}
	p, _ := c.Lookup("probed")
	if p.StatusOnly() || p.TokenEnv != "PROBED_ACCESS_TOKEN" {
		t.Errorf("probed: status only %v, token_env %q", p.StatusOnly(), p.TokenEnv)
	}
	if _, err := LoadCatalog(writeFile(t, "watched:\n  status_url: https://s.test\n  token_env: 'NOT A VAR'\n")); err == nil {
		t.Error("a bad token_env on a status-only vendor was accepted")
	}
}

// TestRunbookNamesConfigured: names set in VENDORS_FILE are the
// operator's, not placeholders; a command of one's own that does not name
// the default leaves nothing to replace either.
func TestRunbookNamesConfigured(t *testing.T) {
	c, err := LoadCatalog(writeFile(t, `hubspot:
  runbook:
    secret_id: prod/hubspot
intercom:
  runbook:
    deployment: support-sync
    secret_command: vault kv put secret/intercom token=$NEW_TOKEN
`))
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := c.Lookup("hubspot")
	if rv := hs.runbookVendor(); rv.SecretIDPlaceholder || !rv.DeploymentPlaceholder || rv.SecretID != "prod/hubspot" {
		t.Errorf("hubspot: %+v, want the secret configured and the deployment a placeholder", rv)
	}
	ic, _ := c.Lookup("intercom")
	if rv := ic.runbookVendor(); rv.SecretIDPlaceholder || rv.DeploymentPlaceholder {
		t.Errorf("intercom: %+v, want no placeholder", rv)
	}
}
