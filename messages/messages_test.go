package messages

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./messages -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./messages -update and review the diff.\ngot:\n%s", name, got)
	}
}

func pretty(t *testing.T, m Message) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(map[string]any{"text": m.Text, "blocks": v})
	return b.Bytes()
}

func vendorIncident() *incident.Incident {
	return &incident.Incident{
		ID: uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057"), TeamID: "T1", Number: 42,
		Title: "HubSpot: token refused (401)", Vendor: "hubspot", VendorName: "HubSpot",
		Severity: incident.P1, Status: incident.Investigating, Commander: "U0ALICE", CreatedBy: "U0ALICE",
		ChannelID: "C0INC", MessageTS: "1773480413.000100", DeclaredAt: t0, NextUpdateAt: t0.Add(15 * time.Minute),
		Diagnosis: &incident.Diagnosis{
			Cause: "auth_invalid", HTTPStatus: 401, RequestIDs: []string{"b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11"},
			Summary: "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked",
			Evidence: []string{
				"HubSpot answered 401 INVALID_AUTHENTICATION: the token is refused",
				"HubSpot's open incident \"Webhooks delayed\" does not cover the CRM API",
				"HubSpot's status page reports a minor incident",
				"a fourth line the message leaves out",
			},
			Checks: []incident.Check{
				{Name: "status_page", Result: "ok", Detail: "All Systems Operational"},
				{Name: "api", Result: "fail", Detail: "HTTP 401 in 132 ms"},
				{Name: "rate_limit", Result: "skipped", Detail: "no headers on a 401"},
				{Name: "health", Result: "skipped", Detail: "HEALTH_URL not set"},
			},
			Mitigation: []string{
				"Regenerate the token: Settings > Integrations > Private Apps > your app > Auth > Rotate",
				"Update the secret: `kubectl create secret generic hubspot --from-literal=token=… --dry-run=client -o yaml | kubectl apply -f -`",
				"Restart: `kubectl rollout restart deployment/integrations`",
			},
			Prevention: []string{"Alert on 401s from HubSpot before customers notice"},
			Links:      []string{"https://status.hubspot.com", "https://developers.hubspot.com/docs/api/error-handling"},
		},
	}
}

// validBlocks checks that slack-go can decode what we send.
func validBlocks(t *testing.T, m Message) {
	t.Helper()
	var b slack.Blocks
	if err := json.Unmarshal(m.Blocks, &b); err != nil {
		t.Fatalf("slack-go cannot decode the blocks: %v", err)
	}
	if len(b.BlockSet) == 0 || len(b.BlockSet) > 50 {
		t.Fatalf("%d blocks", len(b.BlockSet))
	}
}

func TestIncidentGolden(t *testing.T) {
	resolved := vendorIncident()
	resolved.Status, resolved.ResolvedAt, resolved.Severity = incident.Resolved, t0.Add(75*time.Minute), incident.P2
	declared := vendorIncident()
	declared.Vendor, declared.VendorName, declared.Diagnosis = "", "", nil
	declared.Title, declared.Severity, declared.Status = "Checkout emails are not sent", incident.P3, incident.Identified
	declared.Commander = ""
	hostile := vendorIncident()
	hostile.Title = "<!channel> & <@U999> " + strings.Repeat("x", 300)
	hostile.Diagnosis.Summary = "*bold* <http://evil|click> " + strings.Repeat("é", 4000)
	tests := []struct {
		name string
		inc  *incident.Incident
	}{
		{"incident_triaged_p1", vendorIncident()},
		{"incident_declared", declared},
		{"incident_resolved", resolved},
		{"incident_hostile", hostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Incident(tt.inc)
			if err != nil {
				t.Fatal(err)
			}
			validBlocks(t, m)
			golden(t, tt.name+".golden", pretty(t, m))
		})
	}
}

func TestIncidentEscapesAndFits(t *testing.T) {
	inc := vendorIncident()
	inc.Title = "<!channel> " + strings.Repeat("y", 500)
	inc.Diagnosis.Summary = "<!here> " + strings.Repeat("z", 5000)
	m, err := Incident(inc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(m.Blocks)
	if strings.Contains(s, "<!here>") || strings.Contains(m.Text, "<!channel>") {
		t.Error("user text reached mrkdwn unescaped")
	}
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type, Text string
		} `json:"text"`
	}
	json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		if b.Text == nil {
			continue
		}
		n := len([]rune(b.Text.Text))
		if (b.Type == "header" && n > 150) || n > 3000 {
			t.Errorf("%s text has %d characters", b.Type, n)
		}
	}
}

func TestUpdateGolden(t *testing.T) {
	m, err := Update(vendorIncident(), "U0BOB", "Token rotated; calls recovering. <!channel>")
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "update.golden", pretty(t, m))
}

func TestHelpListsEveryLine(t *testing.T) {
	lines := []HelpLine{{Usage: "triage VENDOR", Text: "check <the> vendor"}, {Usage: "status TEXT", Also: "update TEXT", Text: "post"}}
	m := Help(lines)
	// The mention is the bot's name everywhere else too (README, the
	// playground, the manifest's display_name).
	for _, want := range []string{"• `/incident triage VENDOR` — check <the> vendor\n", "• `/incident status TEXT` (or `update TEXT`) — post\n",
		"(`@incident-bot resolve`)"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("help = %q, want a line %q", m.Text, want)
		}
	}
	validBlocks(t, m)
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		n        int
		in, want string
	}{
		{5, "abc", "abc"},
		{5, "abcdef", "abcd…"},
		{3, "ééé", "ééé"},
		{3, "éééé", "éé…"},
		{6, "ab&amp;cd", "ab…"},
		{6, "a & b c d", "a & b…"},
		{4, "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := Truncate(tt.n, tt.in); got != tt.want {
			t.Errorf("Truncate(%d, %q) = %q, want %q", tt.n, tt.in, got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 75 * time.Minute: "1h 15m", 90*time.Second + 1: "1m 30s",
		(51*time.Hour + 3*time.Minute): "2d 3h 3m", -time.Second: "0s",
	}
	for d, want := range tests {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTriageAnswers(t *testing.T) {
	d := &incident.Diagnosis{Cause: "healthy", Summary: "Every check passed <!channel>", HTTPStatus: 200, // not said: a 200 is no news
		Checks: []incident.Check{{Name: "status_page", Result: "ok", Detail: "All Systems Operational"}, {Name: "api", Result: "ok", Detail: "200 in 80 ms"}}}
	m, err := Healthy("HubSpot", "hubspot", d)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "triage_healthy.golden", pretty(t, m))
	if strings.Contains(string(m.Blocks), "HTTP 200") {
		t.Errorf("the healthy answer says HTTP 200: %s", m.Blocks)
	}
	changed := &incident.Diagnosis{Cause: "auth_invalid", Summary: "HubSpot answers 401 INVALID_AUTHENTICATION", HTTPStatus: 401,
		RequestIDs: []string{"b7e2c1d0"}, Mitigation: []string{"Regenerate the token", "Update HUBSPOT_ACCESS_TOKEN"}}
	m, err = Retriage(vendorIncident(), "HubSpot", changed, true)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "triage_changed.golden", pretty(t, m))
}
