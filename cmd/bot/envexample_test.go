package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/vendors"
)

// contractVariables are the settings ../shared/CONTRACT.md names, both
// halves; the vendors' token variables come from the catalog.
var contractVariables = []string{
	"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "BOT_ADDR", "PORT",
	"DATABASE_URL", "VENDORS_FILE", "HEALTH_URL", "REMINDER_INTERVALS", "TRIAGE_DEADLINE", "RESOLVE_ALLOWED",
	"LOG_LEVEL", "LOG_FORMAT", "WORKERS", "WATCH_INTERVAL", "HOOK_TOKEN", "ALERT_CHANNEL",
	"FOLLOWUP_TRACKER", "GITHUB_REPO", "GITHUB_TOKEN", "GITHUB_API_URL",
	"JIRA_URL", "JIRA_PROJECT", "JIRA_EMAIL", "JIRA_TOKEN", "LINEAR_API_KEY", "LINEAR_TEAM_ID", "LINEAR_API_URL",
	"INCIDENT_CHANNELS", "ARCHIVE_AFTER", "TIMELINE_REACTION",
	"STATUSPAGE_PAGE_ID", "STATUSPAGE_API_KEY", "STATUSPAGE_API_URL",
	"ALERT_SEVERITY", "PAGERDUTY_WEBHOOK_SECRET",
}

const notUsedYet = "(not used yet by this version)"

// TestEnvExample: .env.example lists every variable of the contract and
// every vendor token, each under one comment line; it loads as a .env as
// it is; and a variable the code reads is never marked "not used yet",
// while one it does not read always is.
func TestEnvExample(t *testing.T) {
	path := filepath.Join("..", "..", ".env.example")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withDotEnv(func(string) string { return "" }, path); err != nil {
		t.Fatalf(".env.example does not load as a .env: %v", err)
	}
	comment := map[string]string{} // variable → the comment line above it
	lines := strings.Split(string(raw), "\n")
	assign := regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=`)
	for i, l := range lines {
		m := assign.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if _, dup := comment[m[1]]; dup {
			t.Errorf("%s is listed twice", m[1])
		}
		if i == 0 || !strings.HasPrefix(lines[i-1], "# ") {
			t.Errorf("%s has no comment line above it", m[1])
			continue
		}
		comment[m[1]] = lines[i-1]
	}

	want := append([]string(nil), contractVariables...)
	cat, err := vendors.LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cat.Keys() {
		if v, _ := cat.Lookup(k); v.TokenEnv != "" { // a vendor watched by its page has none
			want = append(want, v.TokenEnv)
		}
	}
	for _, name := range want {
		if _, ok := comment[name]; !ok {
			t.Errorf(".env.example lacks %s", name)
		}
	}

	read := readVariables(t)
	for name, c := range comment {
		used := read[name] || strings.HasSuffix(name, "_ACCESS_TOKEN") // the catalog names those
		switch {
		case used && strings.Contains(c, notUsedYet):
			t.Errorf("%s is read by this version but marked %q", name, notUsedYet)
		case !used && !strings.Contains(c, notUsedYet):
			t.Errorf("%s is not read by this version: its comment must say %q", name, notUsedYet)
		}
	}
}

// readVariables are the settings cmd/bot reads: each getenv("NAME") in its
// source.
func readVariables(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`getenv\("([A-Z][A-Z0-9_]*)"\)`)
	read := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			read[m[1]] = true
		}
	}
	if !read["SLACK_BOT_TOKEN"] || !read["WORKERS"] {
		t.Fatalf("found only %v: the scan for getenv calls is broken", read)
	}
	return read
}
