package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// TestCaptureShortcut: the message shortcut adds a message to the incident
// whose thread it is in, with its own author, time and files, once however
// often Slack delivers it; where no incident is named, a form chooses.
func TestCaptureShortcut(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.openIn(testChannel, "channel", "U0ALICE", "Checkout down")
	said := testT0.Add(-10 * time.Minute) // before the declare: captured late
	c := Capture{TeamID: testTeam, UserID: "U0BOB", ChannelID: testChannel, TS: slackTS(said), ThreadTS: inc.MessageTS,
		Author: "U0CAROL", Text: "deploy 42 went out <!channel>", Files: []string{"graph.png"},
		TriggerID: "trig1", ResponseURL: testHook, DeliveryID: "trig1"}
	b.svc.CaptureMessage(context.Background(), c)
	b.svc.CaptureMessage(context.Background(), c) // Slack's retry
	b.settle()
	got := b.entries(inc, incident.KindCaptured)
	if len(got) != 1 || got[0].Author != "U0CAROL" || !got[0].At.Equal(said) ||
		got[0].Text != "deploy 42 went out <!channel>\n[files: graph.png]" {
		t.Fatalf("captured %+v", got)
	}
	// The postmortem shows it at its own time, escaped.
	if got := b.command("U0ALICE", "resolve"); !strings.HasPrefix(got, "Resolving") {
		t.Fatal(got)
	}
	b.settle()
	up := b.slack.Sent(callUpload)
	if len(up) != 1 || !strings.Contains(up[0].File.Content, said.Format("15:04:05")) ||
		!strings.Contains(up[0].File.Content, "deploy 42 went out") {
		t.Errorf("postmortem lacks the captured message at %s:\n%s", said.Format("15:04:05"), up[0].File.Content)
	}
}

func TestCaptureShortcutChooses(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.openIn(testChannel, "channel", "U0ALICE", "Checkout down")
	b.openIn("C0SECRET", "group", "U0ALICE", "Secret payroll outage")
	// A message in a channel without incidents: the form offers those
	// visible there.
	said := testT0.Add(-time.Hour)
	b.svc.CaptureMessage(context.Background(), Capture{TeamID: testTeam, UserID: "U0BOB", ChannelID: "C0DEPLOYS", TS: slackTS(said),
		Author: "U0CAROL", Text: "rolled out v2", TriggerID: "trig2", DeliveryID: "trig2"})
	b.settle()
	modals := b.slack.Sent(callOpenModal)
	if len(modals) != 1 {
		t.Fatalf("%d forms opened", len(modals))
	}
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(modals[0].View, &view); err != nil || view.CallbackID != messages.CallbackAddToTimeline {
		t.Fatalf("form %s: %v", modals[0].View, err)
	}
	if s := string(modals[0].View); !strings.Contains(s, "INC-1: Checkout down") || strings.Contains(s, "payroll") {
		t.Errorf("form offers %s; want the public incident only", s)
	}
	b.svc.Submit(context.Background(), Submission{TeamID: testTeam, UserID: "U0BOB", CallbackID: messages.CallbackAddToTimeline,
		PrivateMetadata: view.PrivateMetadata, Values: map[string]string{"incident": inc.ID.String()}, DeliveryID: "sub1"})
	b.settle()
	got := b.entries(inc, incident.KindCaptured)
	if len(got) != 1 || got[0].Author != "U0CAROL" || !got[0].At.Equal(said) || got[0].Text != "rolled out v2 (in <#C0DEPLOYS>)" {
		t.Fatalf("captured %+v", got)
	}
}

// TestCaptureReaction: the timeline reaction adds the message, read from
// Slack, once; taking it away takes the message off; other reactions do
// nothing; with several incidents in the channel the person is told how to
// choose.
func TestCaptureReaction(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.openIn(testChannel, "channel", "U0ALICE", "Checkout down")
	b.clock.Advance(time.Minute)
	ts := b.slack.SayFiles(testChannel, "", "U0CAROL", "errors spiked at 09:58", "errors.csv")
	react := func(id, typ, name string) {
		b.event(Event{EventID: id, Type: typ, Reaction: name, ChannelID: testChannel, UserID: "U0BOB", TS: ts})
		b.settle()
	}
	react("EvR0", "reaction_added", "eyes")
	if n := len(b.entries(inc, incident.KindCaptured)); n != 0 {
		t.Fatalf("another reaction captured %d", n)
	}
	react("EvR1", "reaction_added", "pushpin")
	react("EvR1", "reaction_added", "pushpin") // redelivered
	got := b.entries(inc, incident.KindCaptured)
	if len(got) != 1 || got[0].Author != "U0CAROL" || got[0].Text != "errors spiked at 09:58\n[files: errors.csv]" ||
		got[0].SlackTS != ts {
		t.Fatalf("captured %+v", got)
	}
	react("EvR2", "reaction_removed", "pushpin")
	if n := len(b.entries(inc, incident.KindCaptured)); n != 0 {
		t.Fatalf("%d captured after the reaction was taken away", n)
	}
	react("EvR3", "reaction_added", "pushpin")
	if n := len(b.entries(inc, incident.KindCaptured)); n != 1 {
		t.Fatalf("%d captured after pinning again", n)
	}

	// Two open incidents in the channel: which one is not guessed.
	b.openIn(testChannel, "channel", "U0ALICE", "Search slow")
	mark := b.mark()
	ts2 := b.slack.Say(testChannel, "", "U0CAROL", "which one?")
	b.event(Event{EventID: "EvR4", Type: "reaction_added", Reaction: "pushpin", ChannelID: testChannel, UserID: "U0BOB", TS: ts2})
	b.settle()
	eph := b.since(mark, callEphemeral)
	if len(eph) != 1 || eph[0].UserID != "U0BOB" || !strings.Contains(eph[0].Msg.Text, "2 open incidents") ||
		!strings.Contains(eph[0].Msg.Text, "Add to incident timeline") {
		t.Errorf("answer %v; want one ephemeral saying how to choose", eph)
	}
	if n := len(b.entries(inc, incident.KindCaptured)); n != 1 {
		t.Errorf("a message was added to INC-1 though two incidents are open: %d", n)
	}
}

// TestCaptureRefused: a private channel's incident takes nothing from
// elsewhere; another workspace's form is answered as if it did not exist.
func TestCaptureRefused(t *testing.T) {
	b := newTestBot(t, Config{})
	secret := b.openIn("C0SECRET", "group", "U0ALICE", "Secret payroll outage")
	for _, sub := range []Submission{
		{TeamID: testTeam, UserID: "U0BOB"},
		{TeamID: "T0EVIL", UserID: "U0EVE"},
	} {
		md, _ := captureMetadata(Capture{ChannelID: testChannel, TS: slackTS(testT0), Author: "U0CAROL", Text: "hello"})
		sub.CallbackID, sub.PrivateMetadata, sub.DeliveryID = messages.CallbackAddToTimeline, md, "sub-"+sub.TeamID
		sub.Values = map[string]string{"incident": secret.ID.String()}
		mark := b.mark()
		b.svc.Submit(context.Background(), sub)
		b.settle()
		for _, c := range b.since(mark, callEphemeral) {
			if strings.Contains(c.Msg.Text, "payroll") || strings.Contains(c.Msg.Text, "C0SECRET") {
				t.Errorf("%s: the answer %q tells of the private incident", sub.TeamID, c.Msg.Text)
			}
		}
	}
	if n := len(b.entries(secret, incident.KindCaptured)); n != 0 {
		t.Errorf("%d messages captured into a private incident from elsewhere", n)
	}
}
