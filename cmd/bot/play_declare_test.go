package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/playground"
)

type playModal struct {
	Modal   string `json:"modal"`
	ModalID string `json:"modal_id"`
}

func (p *played) modal(t *testing.T) playModal {
	t.Helper()
	resp, err := http.Get(p.url + "/play/view")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m playModal
	json.NewDecoder(resp.Body).Decode(&m)
	return m
}

var draftTS = regexp.MustCompile(`data-ts="([0-9.]+)" data-block-id="statuspage" data-action-id="statuspage_publish"`)

// TestPlayDeclareFormAndStatuspage: in the playground, the composer's
// shortcut opens the declare form (vendors in groups, people, the channel
// you are in), a form without a title shows the error under it, a full one
// opens the incident with the vendor's triage; roles and the status page
// draft work, and the draft publishes to the playground's own status page.
func TestPlayDeclareFormAndStatuspage(t *testing.T) {
	p := startPlay(t)
	p.post(t, "/play/mode", map[string]string{"vendor": "hubspot", "mode": "revoked"})
	p.post(t, "/play/shortcut", map[string]string{"callback_id": "declare"})
	m := p.modal(t)
	for _, want := range []string{"Declare an incident", `<optgroup label="`, `value="hubspot"`, `data-block-id="commander"`,
		`data-block-id="channel"`, "#incidents", "@alex"} {
		if !strings.Contains(m.Modal, want) {
			t.Errorf("the declare form lacks %q", want)
		}
	}
	out := p.post(t, "/play/submit", map[string]any{"view_id": m.ModalID, "values": map[string]map[string]string{
		"title": {"value": "   "}, "severity": {"value": "P2"}, "channel": {"value": "C0PLAYINC1"}}})
	if errs, _ := out["errors"].(map[string]any); errs["title"] == nil {
		t.Fatalf("a blank title: %v", out)
	}
	p.post(t, "/play/submit", map[string]any{"view_id": m.ModalID, "values": map[string]map[string]string{
		"title": {"value": "CRM sync stopped"}, "severity": {"value": "P2"}, "vendor": {"value": "hubspot"},
		"impact": {"value": "EU deals are not synced"}, "commander": {"value": "U0PLAYYOU1"}, "channel": {"value": "C0PLAYINC1"}}})
	v := p.waitView(t, "the incident from the form", "", func(v playView) bool {
		return strings.Contains(v.Channel, "INC-1: CRM sync stopped") && strings.Contains(v.Channel, "401")
	})
	ts := buttonTS.FindStringSubmatch(v.Channel)[1]
	p.post(t, "/play/send", map[string]string{"text": "/incident statuspage"})
	v = p.waitView(t, "the status page draft", ts, func(v playView) bool { return draftTS.MatchString(v.Thread) })
	if !strings.Contains(v.Thread, "Issues with our HubSpot integration") {
		t.Errorf("the draft:\n%s", v.Thread)
	}
	draft := draftTS.FindStringSubmatch(v.Thread)[1]
	p.post(t, "/play/action", map[string]string{"ts": draft, "block_id": "statuspage", "action_id": "statuspage_publish"})
	p.waitView(t, "the publish notice", ts, func(v playView) bool { return strings.Contains(v.Thread, "published on") })
}

// TestPlayConfigStatuspageStaysLocal: bot play publishes to its own
// Statuspage stand-in, never to the page STATUSPAGE_* name.
func TestPlayConfigStatuspageStaysLocal(t *testing.T) {
	base := "http://127.0.0.1:18090"
	p, err := playground.New(playground.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	real := map[string]string{"STATUSPAGE_PAGE_ID": "realpage", "STATUSPAGE_API_KEY": "real-sp-key",
		"STATUSPAGE_API_URL": "https://api.statuspage.io/v1"}
	cfg, err := playConfig(loadConfig(func(k string) string { return real[k] }), p, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sp := cfg.Statuspage
	if !sp.enabled() || sp.PageID == "realpage" || sp.APIKey == "real-sp-key" || !strings.HasPrefix(sp.APIURL, base+"/") {
		t.Errorf("statuspage config = page %q url %q (key from the environment: %v)", sp.PageID, sp.APIURL, sp.APIKey == "real-sp-key")
	}
}
