package slackapp

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// TestClientChannels: the client against the Slack stand-in over loopback:
// conversations.create and its errors as the domain kinds the application
// acts on, invitations that tolerate one already in, archive twice.
func TestClientChannels(t *testing.T) {
	ctx := context.Background()
	c, fake, _ := testClient(t, 0)
	id, err := c.CreateChannel(ctx, "inc-7-printer-on-fire", false)
	if err != nil || id == "" {
		t.Fatalf("CreateChannel = %q, %v", id, err)
	}
	if _, err := c.CreateChannel(ctx, "inc-7-printer-on-fire", false); incident.KindOf(err) != incident.Conflict {
		t.Errorf("a taken name: %v, want Conflict", err)
	}
	if _, err := c.CreateChannel(ctx, "Inc 7", false); incident.KindOf(err) != incident.Invalid ||
		!strings.Contains(incident.Message(err), "invalid_name") {
		t.Errorf("a bad name: %v, want Invalid naming Slack's error", err)
	}
	priv, err := c.CreateChannel(ctx, "inc-8-secret", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Invite(ctx, id, "U0ALICE", "U0BOB"); err != nil {
		t.Fatal(err)
	}
	if err := c.Invite(ctx, id, "U0BOB", "U0CAROL"); err != nil {
		t.Errorf("inviting one already in: %v", err)
	}
	ch, _ := fake.ChannelByName("inc-7-printer-on-fire")
	if !slices.Equal(ch.Members[1:], []string{"U0ALICE", "U0BOB", "U0CAROL"}) || ch.Private {
		t.Errorf("channel %+v", ch)
	}
	if p, _ := fake.ChannelByName("inc-8-secret"); !p.Private || p.ID != priv {
		t.Errorf("private channel %+v", p)
	}
	for range 2 {
		if err := c.Archive(ctx, id); err != nil {
			t.Errorf("Archive: %v", err)
		}
	}
	if ch, _ := fake.ChannelByName("inc-7-printer-on-fire"); !ch.Archived {
		t.Error("not archived")
	}
	if _, err := c.Post(ctx, id, "", messages.Notice("hello", "")); err == nil {
		t.Error("posted in an archived channel")
	}
}

// TestClientHomeAndMessage: views.publish, checked by the stand-in's view
// limits; one message read back, top level or a reply, with its files.
func TestClientHomeAndMessage(t *testing.T) {
	ctx := context.Background()
	c, fake, _ := testClient(t, 0)
	view, err := messages.Home(messages.HomeData{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PublishHome(ctx, "U0ALICE", view); err != nil {
		t.Fatal(err)
	}
	if v, ok := fake.Home("U0ALICE"); !ok || !strings.Contains(string(v.Blocks), "Open incidents") {
		t.Errorf("Home = %+v", v)
	}
	tooMany := `{"type":"home","blocks":[` + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 101), ",") + `]}`
	if err := c.PublishHome(ctx, "U0ALICE", json.RawMessage(tooMany)); err == nil {
		t.Error("a Home of 101 blocks was published")
	}

	top, err := fake.AddFileMessage("C0DEPLOYS", "U0CAROL", "rolled out v2", "graph.png")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := fake.AddReply("C0DEPLOYS", top.TS, "U0BOB", "looks fine")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Message(ctx, "C0DEPLOYS", top.TS)
	if err != nil || m.UserID != "U0CAROL" || m.Text != "rolled out v2" || !slices.Equal(m.Files, []string{"graph.png"}) {
		t.Errorf("Message(top) = %+v, %v", m, err)
	}
	m, err = c.Message(ctx, "C0DEPLOYS", reply.TS)
	if err != nil || m.UserID != "U0BOB" || m.ThreadTS != top.TS {
		t.Errorf("Message(reply) = %+v, %v", m, err)
	}
	if _, err := c.Message(ctx, "C0DEPLOYS", "1.000001"); incident.KindOf(err) != incident.NotFound {
		t.Errorf("a message that is not there: %v, want NotFound", err)
	}
}
