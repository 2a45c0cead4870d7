package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
)

func prettyJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return b.Bytes()
}

func TestDeclareModalGolden(t *testing.T) {
	vendors := []VendorOption{{"stripe", "Stripe"}, {"hubspot", "HubSpot"}, {"intercom", "Intercom"}}
	view, err := DeclareModal("C0INC", true, "U0ALICE", vendors, incident.P3)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "declare_modal.golden", prettyJSON(t, view))
	view, err = DeclareModal("", false, "U0ALICE", vendors, incident.P3)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "declare_modal_shortcut.golden", prettyJSON(t, view))
}

// TestDeclareModalManyVendors: a catalog past a select menu's 100 options
// is cut into groups of at most 100, each labelled by its initials, and
// no vendor is lost.
func TestDeclareModalManyVendors(t *testing.T) {
	var vendors []VendorOption
	for i := range 131 {
		vendors = append(vendors, VendorOption{Value: fmt.Sprintf("v%03d", i), Label: fmt.Sprintf("%c vendor %d", 'A'+i%26, i)})
	}
	view, err := DeclareModal("C0INC", false, "U0ALICE", vendors, incident.P1)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Blocks []struct {
			BlockID string `json:"block_id"`
			Element struct {
				OptionGroups []struct {
					Label   struct{ Text string }
					Options []struct{ Value string }
				} `json:"option_groups"`
				InitialOption struct{ Value string } `json:"initial_option"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, b := range v.Blocks {
		switch b.BlockID {
		case "vendor":
			if len(b.Element.OptionGroups) > 100 {
				t.Errorf("%d groups", len(b.Element.OptionGroups))
			}
			for _, g := range b.Element.OptionGroups {
				if len(g.Options) > 100 || len(g.Options) == 0 || g.Label.Text == "" || len([]rune(g.Label.Text)) > 75 {
					t.Errorf("group %q has %d options", g.Label.Text, len(g.Options))
				}
				seen += len(g.Options)
			}
		case "severity":
			if b.Element.InitialOption.Value != "P1" {
				t.Errorf("initial severity = %q", b.Element.InitialOption.Value)
			}
		}
	}
	if seen != 131 {
		t.Errorf("vendors shown = %d, want 131", seen)
	}
}

func TestStatuspageGolden(t *testing.T) {
	inc := vendorIncident()
	d, err := DraftStatuspage(inc, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Issues with our HubSpot integration" || strings.Contains(d.Body, "401") {
		t.Errorf("draft = %+v", d)
	}
	m, err := Statuspage(inc, d, true, "")
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "statuspage_draft.golden", pretty(t, m))
	inc.StatuspageID = "p0qjfl4qcbkl"
	d, _ = DraftStatuspage(inc, "Syncs are catching up <!channel>")
	m, err = Statuspage(inc, d, true, "https://stspg.io/p0qjfl4qcbkl")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "statuspage_published.golden", pretty(t, m))
	view, err := StatuspageModal(inc, d.Body, "C0INC")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "statuspage_modal.golden", prettyJSON(t, view))
}

// TestStatuspageWords: the template's words for each status, with and
// without a vendor.
func TestStatuspageWords(t *testing.T) {
	for _, vendor := range []string{"HubSpot", ""} {
		for _, st := range incident.Statuses {
			inc := &incident.Incident{VendorName: vendor, Status: st}
			d, err := DraftStatuspage(inc, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Name == "" || d.Body == "" || strings.Contains(d.Body, "  ") || (vendor != "" && !strings.Contains(d.Body+d.Name, vendor)) {
				t.Errorf("%s %s: %+v", vendor, st, d)
			}
		}
	}
}

func TestIncidentRolesGolden(t *testing.T) {
	inc := vendorIncident()
	inc.Comms, inc.Scribe, inc.Impact = "U0BOB", "U0CAROL", "EU deals not synced <!here>"
	m, err := Incident(inc)
	if err != nil {
		t.Fatal(err)
	}
	validBlocks(t, m)
	golden(t, "incident_roles.golden", pretty(t, m))
}

// TestPostmortemRolesAndImpact: the roles held and the declarer's impact
// are in the postmortem, escaped for markdown.
func TestPostmortemRolesAndImpact(t *testing.T) {
	inc := vendorIncident()
	inc.Comms, inc.Scribe, inc.Impact = "U0BOB", "U0CAROL", "EU deals\nnot synced | <b>"
	doc, err := Postmortem(PostmortemData{Incident: inc, Names: map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| Commander | @alice |\n| Comms | @bob |\n| Scribe | @carol |", "- Affected: EU deals not synced \\| "} {
		if !strings.Contains(doc, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(strings.ReplaceAll(doc, "\\<b>", ""), "<b>") {
		t.Errorf("HTML from the impact reached the postmortem unescaped:\n%s", doc)
	}
}
