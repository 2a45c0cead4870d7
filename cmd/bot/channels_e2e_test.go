package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/slackfake"
)

// commandPublic sends /incident TEXT as user from the public channel
// (channel_name says it is one), and returns the ephemeral reply.
func (b *bot) commandPublic(channelID, channelName, user, text string) string {
	b.t.Helper()
	form := url.Values{"team_id": {team}, "channel_id": {channelID}, "channel_name": {channelName}, "user_id": {user},
		"command": {"/incident"}, "text": {text}, "response_url": {b.slack.ResponseURL(channelID, user)},
		"trigger_id": {nextTrigger()}}
	resp := b.post("/slack/commands", "application/x-www-form-urlencoded", form.Encode())
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("/incident %s: status %d", text, resp.StatusCode)
	}
	var r struct{ Text string }
	json.NewDecoder(resp.Body).Decode(&r)
	return r.Text
}

// TestChannelSurfacesEndToEnd drives the Slack surfaces through signed requests
// to the bot, against the Slack stand-in over loopback: an incident gets a
// channel of its own with the reporter invited, its message there and a
// pointer where it was declared; App Home shows it; a pinned message and
// the message shortcut add messages to its timeline (a redelivered event
// once); the postmortem shows them; the channel is archived ARCHIVE_AFTER
// after the resolve.
func TestChannelSurfacesEndToEnd(t *testing.T) {
	b := startBuiltBot(t, newSlack(t), map[string]string{"INCIDENT_CHANNELS": "channel", "ARCHIVE_AFTER": "1s"})
	fake := b.slack
	if got := b.commandPublic(channel, "incidents", "U0ALICE", "declare Printer on fire"); !strings.Contains(got, "channel of its own") {
		t.Fatalf("declare = %q", got)
	}
	var own slackfake.ChannelInfo
	fake.MustWaitFor(t, "the incident channel with the reporter in it", func() bool {
		var ok bool
		own, ok = fake.ChannelByName("inc-1-printer-on-fire")
		return ok && slices.Contains(own.Members, "U0ALICE")
	})
	if own.Private {
		t.Error("the channel of a public channel's incident is private")
	}
	fake.MustWaitFor(t, "the incident message in its channel and the pointer", func() bool {
		return len(fake.Messages(own.ID)) == 1 && slices.ContainsFunc(fake.Messages(channel), func(m slackfake.Message) bool {
			return strings.Contains(m.Text, "<#"+own.ID+">") && strings.Contains(m.Text, "INC-1")
		})
	})
	incMsg := fake.Messages(own.ID)[0]
	// The thread of the incident channel is its place: the list there names it.
	fake.MustWaitFor(t, "the incident found from its channel", func() bool {
		return strings.Contains(b.commandPublic(own.ID, own.Name, "U0ALICE", "list"), "INC-1")
	})

	// App Home.
	b.event("EvHome1", map[string]any{"type": "app_home_opened", "user": "U0CAROL", "channel": "D0CAROL", "tab": "home",
		"event_ts": "1515449522000016"})
	fake.MustWaitFor(t, "carol's Home", func() bool {
		v, ok := fake.Home("U0CAROL")
		return ok && strings.Contains(string(v.Blocks), "INC-1: Printer on fire") && strings.Contains(string(v.Blocks), "Watched vendors")
	})

	// The pushpin on a message in the incident channel, delivered twice.
	pinned, err := fake.AddFileMessage(own.ID, "U0BOB", "disk full on db-1", "df.txt")
	if err != nil {
		t.Fatal(err)
	}
	pin := map[string]any{"type": "reaction_added", "user": "U0BOB", "reaction": "pushpin", "item_user": "U0BOB",
		"item": map[string]any{"type": "message", "channel": own.ID, "ts": pinned.TS}, "event_ts": pinned.TS}
	b.event("EvPin1", pin)
	b.event("EvPin1", pin, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	fake.MustWait(t, "conversations.history", 1)

	// The message shortcut on a message where the incident was declared.
	said, err := fake.AddMessage(channel, "U0CAROL", "customers report blank labels")
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "message_action", "callback_id": "add_to_timeline", "trigger_id": nextTrigger(),
		"team": map[string]string{"id": team}, "user": map[string]string{"id": "U0BOB"},
		"channel": map[string]string{"id": channel, "name": "incidents"}, "message_ts": said.TS,
		"response_url": fake.ResponseURL(channel, "U0BOB"),
		"message":      map[string]any{"type": "message", "user": "U0CAROL", "text": said.Text, "ts": said.TS},
	})
	resp := b.post("/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {string(payload)}}.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("shortcut: status %d", resp.StatusCode)
	}
	fake.MustWaitFor(t, "the shortcut's answer", func() bool {
		return slices.ContainsFunc(fake.Ephemerals(), func(e slackfake.Ephemeral) bool {
			return strings.Contains(e.Text, "Added the message to the timeline of INC-1")
		})
	})

	// Resolve from where it was declared; the postmortem goes into its thread.
	if got := b.commandPublic(channel, "incidents", "U0ALICE", "resolve INC-1"); !strings.HasPrefix(got, "Resolving") {
		t.Fatalf("resolve = %q", got)
	}
	fake.MustWaitFor(t, "the postmortem", func() bool { return len(fake.Files()) == 1 })
	pm := string(fake.Files()[0].Content)
	for _, want := range []string{"disk full on db-1", "df.txt", "customers report blank labels"} {
		if strings.Count(pm, want) != 1 {
			t.Errorf("the postmortem shows %q %d times, want once:\n%s", want, strings.Count(pm, want), pm)
		}
	}
	if fake.Files()[0].Channel != own.ID || fake.Files()[0].ThreadTS != incMsg.TS {
		t.Errorf("postmortem shared in %s/%s, want the incident channel's thread", fake.Files()[0].Channel, fake.Files()[0].ThreadTS)
	}
	fake.MustWaitFor(t, "the incident channel archived after ARCHIVE_AFTER", func() bool {
		c, _ := fake.ChannelByName("inc-1-printer-on-fire")
		return c.Archived
	})
	if n := len(fake.Calls("conversations.archive")); n != 1 {
		t.Errorf("%d archive calls, want 1", n)
	}
	assertNoSecrets(t, b.stdout.String()+b.stderr.String(), fake)
}
