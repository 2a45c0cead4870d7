package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
)

// reminders returns the reminders posted in a thread.
func reminders(fake *slackfake.Server, threadTS string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Params.Get("thread_ts") == threadTS && strings.Contains(string(c.Blocks), "reminder_snooze15m") {
			out = append(out, c)
		}
	}
	return out
}

func (b *bot) submit(user string, view map[string]any) {
	b.t.Helper()
	payload, _ := json.Marshal(map[string]any{"type": "view_submission", "team": map[string]string{"id": team},
		"user": map[string]string{"id": user}, "view": view})
	resp := b.post("/slack/interactions", "application/x-www-form-urlencoded", url.Values{"payload": {string(payload)}}.Encode())
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.t.Fatalf("view_submission: status %d", resp.StatusCode)
	}
}

// TestReminders: an overdue update is reminded in the thread, mentioning
// the commander, again each interval; "Post update" opens the comms form,
// whose submission posts the update; Stop and Snooze move the due time.
func TestReminders(t *testing.T) {
	b := startBot(t, map[string]string{"REMINDER_INTERVALS": "P3=1s"})
	fake := b.slack
	declared := time.Now()
	b.command("U0ALICE", "declare Webhooks delayed")
	fake.MustWait(t, "chat.postMessage", 1)
	inc := fake.Messages(channel)[0]
	id := incidentID(t, inc.Blocks)

	fake.MustWaitFor(t, "two reminders", func() bool { return len(reminders(fake, inc.TS)) >= 2 })
	r := reminders(fake, inc.TS)
	if !strings.Contains(r[0].Params.Get("text"), "<@U0ALICE>") || !strings.Contains(string(r[0].Blocks), "INC-1") {
		t.Errorf("reminder does not mention the commander: %q", r[0].Params.Get("text"))
	}
	for _, label := range []string{"Post update", "Snooze 15 min", "Snooze 1 h", "Stop reminders"} {
		if !strings.Contains(string(r[0].Blocks), label) {
			t.Errorf("reminder lacks the %q button", label)
		}
	}
	// The first is due an interval after the declare, the second an interval
	// after the first was sent: reminder n comes n intervals after the
	// declare command at the earliest. Measured from the command, which the
	// bot's latency can only delay, never hasten: the gap between the two
	// posts' arrivals also carries each post's own latency, and came out
	// under the interval on a loaded machine (820 ms). TestRemindDueEachInterval
	// (internal/commands) checks the due times exactly, on a test clock.
	for i, rm := range r[:2] {
		if since, want := rm.Time.Sub(declared), time.Duration(i+1)*time.Second; since < want {
			t.Errorf("reminder %d came %v after the declare, want %v at least (P3=1s)", i+1, since, want)
		}
	}

	// "Post update" opens the form; submitting it posts the update.
	b.click("U0ALICE", "reminder_update", id, r[0].Params.Get("ts"))
	fake.MustWait(t, "views.open", 1)
	views := fake.Views()
	// The form notes its incident and the channel it was opened in.
	wantMD := messages.FormMetadata{Incident: id, Channel: channel}.String()
	if len(views) != 1 || views[0].CallbackID != "post_update" || views[0].PrivateMetadata != wantMD {
		t.Fatalf("modal = %+v", views)
	}
	b.submit("U0ALICE", map[string]any{"callback_id": "post_update", "private_metadata": views[0].PrivateMetadata, "state": map[string]any{
		"values": map[string]any{
			"status": map[string]any{"value": map[string]any{"type": "static_select", "selected_option": map[string]string{"value": "monitoring"}}},
			"impact": map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "Webhooks arrive 5 min late"}},
			"action": map[string]any{"value": map[string]any{"type": "plain_text_input", "value": "Scaled the consumer to 6 pods"}},
		}}})
	fake.MustWaitFor(t, "the update from the form", func() bool {
		for _, m := range fake.Thread(channel, inc.TS) {
			if strings.Contains(string(m.Blocks), "Scaled the consumer to 6 pods") {
				return true
			}
		}
		return false
	})
	fake.MustWaitFor(t, "status Monitoring", func() bool {
		return strings.Contains(string(fake.Messages(channel)[0].Blocks), `"text":"*Status:*\nMonitoring"`)
	})

	// Stop: no next update shown; Snooze 1 h: due in an hour.
	b.click("U0BOB", "reminder_stop", id, r[0].Params.Get("ts"))
	fake.MustWaitFor(t, "reminders stopped", func() bool {
		return strings.Contains(string(fake.Messages(channel)[0].Blocks), `Next update:*\n—`)
	})
	stopped := len(reminders(fake, inc.TS))
	clicked := time.Now()
	b.click("U0BOB", "reminder_snooze1h", id, r[0].Params.Get("ts"))
	fake.MustWaitFor(t, "snoozed an hour", func() bool {
		// The bot took its time between the click and now: a minute may
		// have turned in between.
		msg := string(fake.Messages(channel)[0].Blocks)
		for _, at := range []time.Time{clicked, time.Now()} {
			if strings.Contains(msg, at.Add(time.Hour).UTC().Format("15:04")+" UTC") {
				return true
			}
		}
		return false
	})
	b.command("U0ALICE", "resolve")
	fake.MustWaitFor(t, "postmortem", func() bool { return len(fake.Files()) == 1 })
	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
	if n := len(reminders(fake, inc.TS)); n > stopped+1 { // one may have been in flight when Stop was clicked
		t.Errorf("%d reminders after Stop (had %d)", n, stopped)
	}
	doc := string(fake.Files()[0].Content)
	for _, want := range []string{"**Reminder**: Reminders stopped until the next update", "**Reminder**: Reminders snoozed for 1h",
		"**Status update**: Impact: Webhooks arrive 5 min late"} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
}
