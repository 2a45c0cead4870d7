package commands

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// modalView is the part of an opened view the tests read.
type modalView struct {
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	Blocks          []struct {
		BlockID string          `json:"block_id"`
		Element json.RawMessage `json:"element"`
	} `json:"blocks"`
}

func (v modalView) element(block string) map[string]any {
	for _, b := range v.Blocks {
		if b.BlockID == block {
			var el map[string]any
			json.Unmarshal(b.Element, &el)
			return el
		}
	}
	return nil
}

// openedView is the one view opened since mark.
func (b *testBot) openedView(mark int) modalView {
	b.t.Helper()
	calls := b.since(mark, callOpenModal)
	if len(calls) != 1 {
		b.t.Fatalf("views opened: %d, want 1 (calls %v)", len(calls), methods(b.since(mark)))
	}
	var v modalView
	if err := json.Unmarshal(calls[0].View, &v); err != nil {
		b.t.Fatal(err)
	}
	return v
}

// submit submits a form as alice.
func (b *testBot) submit(callback string, md messages.FormMetadata, values map[string]string, delivery string) map[string]string {
	b.t.Helper()
	return b.svc.Submit(context.Background(), Submission{TeamID: testTeam, UserID: "U0ALICE", CallbackID: callback,
		PrivateMetadata: md.String(), Values: values, DeliveryID: delivery})
}

// TestDeclareFormOpens: /incident declare without a title opens the form
// in the request, noting the channel; a mention, which has no trigger,
// is asked for a title.
func TestDeclareFormOpens(t *testing.T) {
	b := newTestBot(t, Config{})
	mark := b.mark()
	got := b.svc.Command(context.Background(), Command{TeamID: testTeam, ChannelID: testChannel, ChannelType: "channel",
		UserID: "U0ALICE", Text: "declare", TriggerID: "trig.1", ResponseURL: testHook}).Text
	if !strings.Contains(got, "declare form") {
		t.Errorf("answer = %q", got)
	}
	v := b.openedView(mark)
	md := messages.ParseFormMetadata(v.PrivateMetadata)
	if v.CallbackID != messages.CallbackDeclare || md.Channel != testChannel || !md.Public {
		t.Errorf("view callback %q metadata %+v", v.CallbackID, md)
	}
	if v.element("channel") != nil {
		t.Error("the form asks for the channel although the command came from one")
	}
	sev := v.element("severity")
	if init, _ := sev["initial_option"].(map[string]any); init["value"] != "P3" {
		t.Errorf("severity's initial option = %v, want P3", sev["initial_option"])
	}
	vendor := v.element("vendor")
	groups, _ := vendor["option_groups"].([]any)
	if len(groups) == 0 || !strings.Contains(string(mustJSON(t, groups)), `"value":"hubspot"`) {
		t.Errorf("vendor menu = %v", vendor)
	}
	if u := v.element("commander"); u["type"] != "users_select" || u["initial_user"] != "U0ALICE" {
		t.Errorf("commander = %v", u)
	}
	if got := b.command("U0ALICE", "declare"); !strings.Contains(got, "Give the incident a title") {
		t.Errorf("without a trigger: %q", got)
	}
	if n := len(b.incidents()); n != 0 {
		t.Errorf("incidents = %d, want none before the form is submitted", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeclareFormErrors: an incomplete form is answered with its errors,
// by block, and nothing is opened.
func TestDeclareFormErrors(t *testing.T) {
	b := newTestBot(t, Config{})
	here := messages.FormMetadata{Channel: testChannel}
	for _, tt := range []struct {
		name   string
		md     messages.FormMetadata
		values map[string]string
		want   []string
	}{
		{"no title", here, map[string]string{"title": "  ", "severity": "P2"}, []string{"title"}},
		{"title too long", here, map[string]string{"title": strings.Repeat("x", 151), "severity": "P2"}, []string{"title"}},
		{"no severity", here, map[string]string{"title": "Printer on fire"}, []string{"severity"}},
		{"unknown vendor", here, map[string]string{"title": "Printer on fire", "severity": "P2", "vendor": "acme"}, []string{"vendor"}},
		{"not a person", here, map[string]string{"title": "Printer on fire", "severity": "P2", "commander": "#general"}, []string{"commander"}},
		{"shortcut without a channel", messages.FormMetadata{}, map[string]string{"title": "Printer on fire", "severity": "P2"}, []string{"channel"}},
		{"all at once", messages.FormMetadata{}, map[string]string{}, []string{"channel", "severity", "title"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := b.submit(messages.CallbackDeclare, tt.md, tt.values, nextDelivery())
			var keys []string
			for k, msg := range errs {
				keys = append(keys, k)
				if msg == "" {
					t.Errorf("%s: empty message", k)
				}
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.want) {
				t.Errorf("errors = %v, want blocks %v", errs, tt.want)
			}
		})
	}
	b.settle()
	if n := len(b.incidents()); n != 0 {
		t.Errorf("incidents = %d, want none", n)
	}
}

// TestDeclareFormOpensIncident: the submitted form opens the incident with
// its title, severity, impact and commander, runs the chosen vendor's
// triage into it, and a redelivered submission opens nothing more.
func TestDeclareFormOpensIncident(t *testing.T) {
	b := newTestBot(t, Config{})
	values := map[string]string{"title": "CRM sync  stopped", "severity": "P2", "vendor": "hubspot",
		"impact": "Deals from the EU team are not synced <!channel>", "commander": "U0BOB"}
	md := messages.FormMetadata{Channel: testChannel, Public: true}
	if errs := b.submit(messages.CallbackDeclare, md, values, "sub.1"); errs != nil {
		t.Fatalf("errors = %v", errs)
	}
	if errs := b.submit(messages.CallbackDeclare, md, values, "sub.1"); errs != nil { // Slack's retry
		t.Fatalf("errors = %v", errs)
	}
	b.settle()
	all := b.incidents()
	if len(all) != 1 {
		t.Fatalf("incidents = %d, want 1", len(all))
	}
	inc := all[0]
	if inc.Title != "CRM sync stopped" || inc.Severity != incident.P2 || inc.Commander != "U0BOB" || inc.CreatedBy != "U0ALICE" ||
		inc.Vendor != "hubspot" || inc.VendorName != "HubSpot" || !inc.Public || inc.ChannelID != testChannel || inc.MessageTS == "" {
		t.Errorf("incident = %+v", inc)
	}
	if inc.Diagnosis == nil || inc.Diagnosis.Cause != "auth_invalid" {
		t.Errorf("diagnosis = %+v, want the triage's", inc.Diagnosis)
	}
	if tr := b.entries(inc, incident.KindTriage); len(tr) != 1 || !strings.HasPrefix(tr[0].Text, "auth_invalid: ") {
		t.Errorf("triage entries = %+v", tr)
	}
	posts := b.slack.Sent(callPost)
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want the incident message once", len(posts))
	}
	text := blockText(t, posts[0].Msg)
	for _, want := range []string{"CRM sync stopped", "*Severity:*\nP2", "Deals from the EU team are not synced &lt;!channel&gt;",
		"*Commander:*\n<@U0BOB>", "401"} {
		if !strings.Contains(text, want) {
			t.Errorf("incident message lacks %q:\n%s", want, text)
		}
	}
}

// TestDeclareFormTriageFails: a vendor whose triage cannot run leaves the
// incident opened without it, and the declarer is told.
func TestDeclareFormTriageFails(t *testing.T) {
	b := newTestBot(t, Config{})
	b.submit(messages.CallbackDeclare, messages.FormMetadata{Channel: testChannel},
		map[string]string{"title": "Payments slow", "severity": "P3", "vendor": "stripe"}, "sub.2") // no canned report
	b.settle()
	all := b.incidents()
	if len(all) != 1 || all[0].Diagnosis != nil || all[0].MessageTS == "" {
		t.Fatalf("incidents = %+v", all)
	}
	eph := b.slack.Sent(callEphemeral)
	if len(eph) != 1 || !strings.Contains(eph[0].Msg.Text, "/incident triage stripe") {
		t.Errorf("ephemeral = %v", eph)
	}
}

// TestDeclareShortcut: the global shortcut opens the form asking for the
// channel (the one the user is viewing by default); submitted, the
// incident opens there.
func TestDeclareShortcut(t *testing.T) {
	b := newTestBot(t, Config{})
	mark := b.mark()
	b.svc.Shortcut(context.Background(), Shortcut{TeamID: testTeam, UserID: "U0ALICE", CallbackID: messages.ShortcutDeclare, TriggerID: "trig.9"})
	v := b.openedView(mark)
	ch := v.element("channel")
	if ch["type"] != "conversations_select" || ch["default_to_current_conversation"] != true {
		t.Errorf("channel element = %v", ch)
	}
	if md := messages.ParseFormMetadata(v.PrivateMetadata); md.Channel != "" {
		t.Errorf("metadata names a channel: %+v", md)
	}
	if errs := b.submit(messages.CallbackDeclare, messages.ParseFormMetadata(v.PrivateMetadata),
		map[string]string{"title": "Printer on fire", "severity": "P4", "channel": "C0OPS"}, "sub.3"); errs != nil {
		t.Fatal(errs)
	}
	b.settle()
	all := b.incidents()
	if len(all) != 1 || all[0].ChannelID != "C0OPS" || all[0].Public || all[0].Severity != incident.P4 || all[0].Commander != "U0ALICE" {
		t.Fatalf("incidents = %+v", all)
	}
	mark = b.mark()
	b.svc.Shortcut(context.Background(), Shortcut{TeamID: testTeam, UserID: "U0ALICE", CallbackID: "frobnicate", TriggerID: "trig.10"})
	if n := len(b.since(mark, callOpenModal)); n != 0 {
		t.Errorf("an unknown shortcut opened %d views", n)
	}
}

// TestRoles: role comms and role scribe set the roles, shown on the
// incident message and in the postmortem; role commander is the
// commander handover; the handover rule applies to every role.
func TestRoles(t *testing.T) {
	b := newTestBot(t, Config{ResolveAllowed: []string{"commander"}})
	inc := b.open("U0ALICE", "Printer on fire") // alice is the commander
	for _, tt := range []struct{ user, words, want string }{
		{"U0ALICE", "role comms <@U0BOB>", "Making <@U0BOB> the comms of"},
		{"U0ALICE", "role scribe <@U0CAROL|carol> " + inc.Ref(), "Making <@U0CAROL> the scribe of"},
		{"U0BOB", "role scribe <@U0BOB>", "Only the commander (<@U0ALICE>) may hand on the roles of"},
		{"U0ALICE", "role chef <@U0BOB>", "There is no role `chef`"},
		{"U0ALICE", "role comms", "Mention who takes the role"},
		{"U0ALICE", "role", "Say which role and who"},
	} {
		if got := b.command(tt.user, tt.words); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.words, got, tt.want)
		}
	}
	b.settle()
	got := b.reload(inc)
	if got.Comms != "U0BOB" || got.Scribe != "U0CAROL" || got.Commander != "U0ALICE" {
		t.Fatalf("roles: commander %q comms %q scribe %q", got.Commander, got.Comms, got.Scribe)
	}
	// The two commands' jobs may run in either order.
	e := b.entries(inc, incident.KindRole)
	if len(e) != 2 || !slices.ContainsFunc(e, func(e incident.Entry) bool { return e.Text == "comms: <@U0BOB>" }) ||
		!slices.ContainsFunc(e, func(e incident.Entry) bool { return e.Text == "scribe: <@U0CAROL>" }) {
		t.Errorf("role entries = %+v", e)
	}
	updates := b.slack.Sent(callUpdate)
	last := blockText(t, updates[len(updates)-1].Msg)
	if !strings.Contains(last, "*Comms:*\n<@U0BOB>") || !strings.Contains(last, "*Scribe:*\n<@U0CAROL>") {
		t.Errorf("incident message:\n%s", last)
	}
	if got := b.command("U0ALICE", "role commander <@U0BOB>"); !strings.Contains(got, "Making <@U0BOB> the commander") {
		t.Errorf("role commander: %q", got)
	}
	b.settle()
	if c := b.reload(inc).Commander; c != "U0BOB" {
		t.Errorf("commander = %q, want U0BOB", c)
	}
	// Now bob is the commander: alice may no longer hand on roles.
	if got := b.command("U0ALICE", "role comms <@U0CAROL>"); !strings.Contains(got, "Only the commander (<@U0BOB>)") {
		t.Errorf("after the handover: %q", got)
	}
	b.command("U0BOB", "resolve")
	b.settle()
	ups := b.slack.Sent(callUpload)
	if len(ups) != 1 || !strings.Contains(ups[0].File.Content, "| Comms | @bob |") || !strings.Contains(ups[0].File.Content, "| Scribe | @carol |") {
		t.Errorf("postmortem header lacks the roles: %v", ups[0].File.Content[:min(600, len(ups[0].File.Content))])
	}
}
