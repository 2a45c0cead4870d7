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

// publish clicks inc's draft's Publish as user, a delivery of its own.
func (b *testBot) publish(user string, inc *incident.Incident) {
	b.t.Helper()
	b.action(Action{UserID: user, MessageTS: inc.StatuspageTS, ActionID: "statuspage_publish", Value: inc.ID.String(),
		TriggerID: nextDelivery(), DeliveryID: nextDelivery()})
}

// drafted is a bot with alice's incident and its status page draft.
func drafted(t *testing.T) (*testBot, *fakeStatusPage, *incident.Incident) {
	t.Helper()
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	b.command("U0ALICE", "statuspage")
	b.settle()
	return b, b.statusPage(), b.reload(inc)
}

// lastPostIn is the last message posted in inc's thread.
func (b *testBot) lastPostIn(inc *incident.Incident) slackCall {
	b.t.Helper()
	posts := b.slack.Sent(callPost)
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].ThreadTS == inc.MessageTS {
			return posts[i]
		}
	}
	b.t.Fatalf("nothing posted in the %s thread", inc.Ref())
	return slackCall{}
}

// TestStatuspageDraft: the draft comes from the status-page template
// (naming the vendor's integration, never its internals) or from the text
// given, is kept on the incident and posted in the thread with Edit and
// Publish.
func TestStatuspageDraft(t *testing.T) {
	b := newTestBot(t, Config{})
	b.command("U0ALICE", "triage hubspot")
	b.settle()
	inc := b.incidents()[0]
	if got := b.command("U0CAROL", "statuspage"); !strings.Contains(got, "Drafting the status page update of "+inc.Ref()) {
		t.Fatalf("answer = %q", got)
	}
	b.settle()
	post := b.lastPostIn(inc)
	text := blockText(t, post.Msg)
	for _, want := range []string{"Issues with our HubSpot integration", "We are investigating a problem with our HubSpot integration"} {
		if !strings.Contains(text, want) {
			t.Errorf("draft lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{"401", "req-7f3a", "token"} {
		if strings.Contains(strings.SplitN(text, "\n", 4)[3], secret) {
			t.Errorf("the customer text shows %q:\n%s", secret, text)
		}
	}
	ids := actionIDs(t, post.Msg)
	if !slices.Equal(ids, []string{"statuspage_edit", "statuspage_publish"}) {
		t.Errorf("buttons = %v", ids)
	}
	got := b.reload(inc)
	if got.StatuspageTS != post.TS || !strings.HasPrefix(got.StatuspageDraft, "We are investigating") {
		t.Errorf("stored draft %q at %q, posted at %q", got.StatuspageDraft, got.StatuspageTS, post.TS)
	}
	b.command("U0CAROL", "statuspage We are looking into failed CRM syncs. <!channel> "+inc.Ref())
	b.settle()
	if got := b.reload(inc).StatuspageDraft; got != "We are looking into failed CRM syncs. <!channel>" {
		t.Errorf("draft from text = %q", got)
	}
	if text := blockText(t, b.lastPostIn(inc).Msg); !strings.Contains(text, "&lt;!channel&gt;") {
		t.Errorf("the draft is not escaped:\n%s", text)
	}
}

// TestStatuspageNeutral: an incident about no vendor gets the neutral
// words; without a configured page there is no Publish button, and the
// button of an old draft says what to set.
func TestStatuspageNeutral(t *testing.T) {
	b := newTestBot(t, Config{})
	b.statusPage().disabled = true
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	b.command("U0ALICE", "statuspage")
	b.settle()
	post := b.lastPostIn(inc)
	text := blockText(t, post.Msg)
	if !strings.Contains(text, "Degraded service") || !strings.Contains(text, "reports of degraded service") ||
		strings.Contains(text, "Checkout emails") {
		t.Errorf("neutral draft:\n%s", text)
	}
	if ids := actionIDs(t, post.Msg); !slices.Equal(ids, []string{"statuspage_edit"}) {
		t.Errorf("buttons = %v", ids)
	}
	mark := b.mark()
	b.click("U0ALICE", "statuspage_publish", inc)
	b.settle()
	eph := b.since(mark, callEphemeral)
	if len(eph) != 1 || !strings.Contains(eph[0].Msg.Text, "STATUSPAGE_PAGE_ID") {
		t.Errorf("publish without a page: %v", eph)
	}
}

// TestStatuspageEdit: Edit opens the form with the draft; the submitted
// form changes the draft in place; an empty one is answered in the form.
func TestStatuspageEdit(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	b.command("U0ALICE", "statuspage")
	b.settle()
	inc = b.reload(inc)
	mark := b.mark()
	b.action(Action{UserID: "U0CAROL", MessageTS: inc.StatuspageTS, ActionID: "statuspage_edit", Value: inc.ID.String(),
		TriggerID: "trig.e1", DeliveryID: "d.e1"})
	b.settle()
	v := b.openedView(mark)
	if v.CallbackID != messages.CallbackStatuspage || v.element("text")["initial_value"] != inc.StatuspageDraft {
		t.Errorf("edit form: %+v %v", v, v.element("text"))
	}
	md := messages.ParseFormMetadata(v.PrivateMetadata)
	if errs := b.submit(messages.CallbackStatuspage, md, map[string]string{"text": " "}, "d.e2"); errs["text"] == "" {
		t.Errorf("empty text: errors %v", errs)
	}
	if errs := b.submit(messages.CallbackStatuspage, md, map[string]string{"text": "Emails are queued and will be sent."}, "d.e3"); errs != nil {
		t.Fatal(errs)
	}
	b.settle()
	got := b.reload(inc)
	if got.StatuspageDraft != "Emails are queued and will be sent." {
		t.Errorf("draft = %q", got.StatuspageDraft)
	}
	ups := b.since(mark, callUpdate)
	if len(ups) != 1 || ups[0].ThreadTS != inc.StatuspageTS || !strings.Contains(blockText(t, ups[0].Msg), "Emails are queued") {
		t.Errorf("draft message updates: %v", ups)
	}
}

// TestStatuspagePublish: Publish creates the incident on the company's
// page once (a second click of the same text adds nothing), records it,
// says so in the thread; later status changes, updates and the resolve
// update the same incident there.
func TestStatuspagePublish(t *testing.T) {
	b := newTestBot(t, Config{})
	sp := b.statusPage()
	b.command("U0ALICE", "triage hubspot")
	b.settle()
	inc := b.incidents()[0]
	b.command("U0ALICE", "statuspage")
	b.settle()
	b.publish("U0ALICE", inc)
	b.publish("U0ALICE", inc) // a second click, the same text
	b.settle()
	calls := sp.Calls()
	if len(calls) != 1 || calls[0].ID != "" || calls[0].U.Status != "investigating" ||
		calls[0].U.Name != "Issues with our HubSpot integration" || !strings.HasPrefix(calls[0].U.Body, "We are investigating") {
		t.Fatalf("published: %+v", calls)
	}
	got := b.reload(inc)
	if got.StatuspageID != "sp0001" {
		t.Errorf("statuspage id = %q", got.StatuspageID)
	}
	if e := b.entries(inc, incident.KindStatuspage); len(e) != 1 || !strings.HasPrefix(e[0].Text, "published (investigating): ") {
		t.Errorf("timeline: %+v", e)
	}
	if text := b.lastPostIn(inc).Msg.Text; !strings.Contains(text, "published on <https://stspg.io/sp0001|the company status page> by <@U0ALICE>") {
		t.Errorf("thread notice = %q", text)
	}
	b.command("U0BOB", "status identified")
	b.settle()
	b.command("U0BOB", "update Token rotated; syncs are catching up.")
	b.settle()
	b.command("U0ALICE", "resolve")
	b.settle()
	calls = sp.Calls()
	if len(calls) != 4 {
		t.Fatalf("calls = %+v, want the create and three updates", calls)
	}
	for i, want := range []struct{ status, body string }{
		{"identified", "We have identified the cause"},
		{"identified", "Token rotated; syncs are catching up."},
		{"resolved", "This incident has been resolved."},
	} {
		c := calls[i+1]
		if c.ID != "sp0001" || c.U.Status != want.status || !strings.HasPrefix(c.U.Body, want.body) {
			t.Errorf("update %d = %+v, want %s %q on sp0001", i, c, want.status, want.body)
		}
	}
	if n := len(b.entries(inc, incident.KindStatuspage)); n != 4 {
		t.Errorf("statuspage timeline entries = %d, want 4", n)
	}
}

// TestStatuspagePublishFails: a refusal (a wrong key) is said in the
// thread and nothing is stored; a publish only the commander, the comms
// role or RESOLVE_ALLOWED may do is refused to others.
func TestStatuspagePublishFails(t *testing.T) {
	b, sp, inc := drafted(t)
	sp.FailNext(errPageRefused)
	b.publish("U0ALICE", inc)
	b.settle()
	if text := b.lastPostIn(inc).Msg.Text; !strings.Contains(text, "could not be published to the company status page") ||
		!strings.Contains(text, "STATUSPAGE_API_KEY") {
		t.Errorf("thread = %q", text)
	}
	if got := b.reload(inc); got.StatuspageID != "" {
		t.Errorf("statuspage id = %q after a refusal", got.StatuspageID)
	}
	mark := b.mark()
	b.publish("U0CAROL", inc)
	b.settle()
	eph := b.since(mark, callEphemeral)
	if len(eph) != 1 || !strings.Contains(eph[0].Msg.Text, "Only the commander (<@U0ALICE>) may publish") {
		t.Errorf("carol's click: %v", eph)
	}
	b.command("U0ALICE", "role comms <@U0CAROL>")
	b.settle()
	b.publish("U0CAROL", inc)
	b.settle()
	if calls := sp.Calls(); len(calls) != 1 || calls[0].ID != "" {
		t.Errorf("after carol became comms: %+v", calls)
	}
}

// TestStatuspagePublishGivesUp: a page that stays unreachable through
// every attempt is said in the thread and recorded, and the next click
// publishes (its job is not the one that failed).
func TestStatuspagePublishGivesUp(t *testing.T) {
	b, sp, inc := drafted(t)
	payload, _ := json.Marshal(jobArgs{Cmd: Command{TeamID: testTeam, ChannelID: testChannel, UserID: "U0ALICE"}, Incident: inc.ID})
	b.svc.JobFailed(context.Background(), &incident.Job{Kind: jobStatuspagePublish, Payload: payload},
		&incident.Error{Kind: incident.Internal, Message: "Statuspage could not be reached."})
	if text := b.lastPostIn(inc).Msg.Text; !strings.Contains(text, "could not be published to the company status page: Statuspage could not be reached.") {
		t.Errorf("thread = %q", text)
	}
	if e := b.entries(inc, incident.KindStatuspage); len(e) != 1 || !strings.HasPrefix(e[0].Text, "failed: ") {
		t.Errorf("timeline = %+v", e)
	}
	b.publish("U0ALICE", inc)
	b.settle()
	if calls := sp.Calls(); len(calls) != 1 {
		t.Errorf("publishes after the failure: %+v", calls)
	}
}
