package messages

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

func prettyView(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		t.Fatalf("view is not JSON: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestHomeGolden: App Home as a person sees it; user text escaped.
func TestHomeGolden(t *testing.T) {
	inc := vendorIncident()
	inc.Title = "HubSpot <!channel> & friends"
	quiet := vendorIncident()
	quiet.Number, quiet.Title, quiet.Severity, quiet.Commander, quiet.NextUpdateAt = 43, "Search slow", incident.P3, "", time.Time{}
	quiet.DeclaredAt = t0.Add(50 * time.Minute)
	view, err := Home(HomeData{
		Incidents: []HomeIncident{{Inc: inc, Link: "https://slack.com/archives/C0INC/p1773480413000100"}, {Inc: quiet}},
		Vendors: []HomeVendor{
			{Name: "HubSpot <&>", State: incident.VendorState{Checked: t0, Indicator: "major", Probe: "failing", Bad: true,
				Incidents: []incident.VendorItem{{Name: "Elevated <!channel> errors", Status: "investigating", Impact: "major"}}}, Checked: t0},
			{Name: "Stripe", State: incident.VendorState{Checked: t0, Indicator: "none"}, Checked: t0},
			{Name: "Zendesk"},
		},
		Now: t0.Add(95 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "home.golden", prettyView(t, view))
}

// TestHomeLimits: many incidents and vendors stay within a view's 100
// blocks, and the count says how many there are.
func TestHomeLimits(t *testing.T) {
	var d HomeData
	for i := range 500 {
		inc := vendorIncident()
		inc.Number = i + 1
		inc.Title = strings.Repeat("long title ", 40)
		d.Incidents = append(d.Incidents, HomeIncident{Inc: inc})
		d.Vendors = append(d.Vendors, HomeVendor{Name: strings.Repeat("v", 200), Checked: t0,
			State: incident.VendorState{Checked: t0, PageError: strings.Repeat("s", 500)}})
	}
	d.IncidentsTotal, d.Now = 700, t0
	view, err := Home(d)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Blocks []struct {
			Text *struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Blocks) > maxViewBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(v.Blocks), maxViewBlocks)
	}
	for i, b := range v.Blocks {
		if b.Text != nil && len([]rune(b.Text.Text)) > maxSectionText {
			t.Errorf("block %d: %d characters", i, len([]rune(b.Text.Text)))
		}
	}
	if !strings.Contains(string(view), "Open incidents (700)") || !strings.Contains(string(view), "and 660 more") {
		t.Errorf("the count: %.300s", view)
	}
}

// TestCaptureModalGolden: the form that chooses the incident.
func TestCaptureModalGolden(t *testing.T) {
	view, err := CaptureModal([]CaptureChoice{{ID: "01890a5d-ac96-774b-bcce-b302099a8057", Label: "INC-42: HubSpot: token refused (401)"}},
		`{"ChannelID":"C0DEPLOYS","TS":"1773480413.000100"}`)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "capture_modal.golden", prettyView(t, view))
}
