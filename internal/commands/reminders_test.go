package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// reminderButtons are the reminder's buttons, in order.
var reminderButtons = []string{
	messages.ActionID(messages.ActionReminder, messages.ReminderUpdate),
	messages.ActionID(messages.ActionReminder, messages.ReminderSnooze15m),
	messages.ActionID(messages.ActionReminder, messages.ReminderSnooze1h),
	messages.ActionID(messages.ActionReminder, messages.ReminderStop),
}

// reminders returns the reminders posted in inc's thread after mark.
func (b *testBot) reminders(inc *incident.Incident, mark int) []slackCall {
	b.t.Helper()
	var out []slackCall
	for _, c := range b.since(mark, callPost) {
		if c.Err == nil && c.ThreadTS == inc.MessageTS && slices.Equal(actionIDs(b.t, c.Msg), reminderButtons) {
			out = append(out, c)
		}
	}
	return out
}

// remindAt moves the clock to at, runs the reminders module ticks times
// and returns the reminders posted.
func (b *testBot) remindAt(inc *incident.Incident, at time.Time, ticks int) []slackCall {
	b.t.Helper()
	b.clock.AdvanceTo(at)
	mark := b.mark()
	for range ticks {
		b.tick("reminders")
	}
	return b.reminders(inc, mark)
}

// TestRemindersOncePerDueTime: an overdue update is reminded once per due
// time, however often the module ticks, mentioning the commander and
// saying how long ago the last update was; each reminder moves the due
// time one interval on and is recorded.
func TestRemindersOncePerDueTime(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "Webhooks delayed") // P3: an update every 4 h
	if want := testT0.Add(4 * time.Hour); !inc.NextUpdateAt.Equal(want) {
		t.Fatalf("first update due %v, want %v", inc.NextUpdateAt, want)
	}
	steps := []struct {
		name    string
		at      time.Duration // since the declaration
		ticks   int
		overdue string        // "" for no reminder
		next    time.Duration // the due time after the step, since the declaration
	}{
		{name: "not yet due", at: 4*time.Hour - time.Minute, ticks: 2, next: 4 * time.Hour},
		{name: "overdue", at: 4*time.Hour + time.Minute, ticks: 1, overdue: "4h 1m", next: 8*time.Hour + time.Minute},
		{name: "another tick at the same time", at: 4*time.Hour + time.Minute, ticks: 3, next: 8*time.Hour + time.Minute},
		{name: "not yet due again", at: 8 * time.Hour, ticks: 1, next: 8*time.Hour + time.Minute},
		{name: "due again to the minute", at: 8*time.Hour + time.Minute, ticks: 2, overdue: "4h", next: 12*time.Hour + time.Minute},
		{name: "long overdue", at: 20 * time.Hour, ticks: 3, overdue: "11h 59m", next: 24 * time.Hour},
	}
	reminded := 0
	for _, st := range steps {
		mark := b.mark()
		got := b.remindAt(inc, testT0.Add(st.at), st.ticks)
		if st.overdue == "" {
			if len(got) != 0 || len(b.since(mark)) != 0 {
				t.Errorf("%s: Slack received %v, want nothing", st.name, methods(b.since(mark)))
			}
		} else {
			reminded++
			if len(got) != 1 {
				t.Fatalf("%s: %d reminders, want 1", st.name, len(got))
			}
			want := ":alarm_clock: <@U0ALICE>, an update on *INC-1: Webhooks delayed* is due (last one " + st.overdue +
				" ago). Post it with the button, or `/incident status …`."
			if text := blockText(t, got[0].Msg); text != want || got[0].Msg.Text != "<@U0ALICE>: an update on INC-1 is due" {
				t.Errorf("%s: reminder %q (%q), want %q", st.name, text, got[0].Msg.Text, want)
			}
			// The message shows the new due time.
			if u := b.since(mark, callUpdate); len(u) != 1 || !strings.Contains(blockText(t, u[0].Msg),
				fmt.Sprintf("*Next update:*\n<!date^%d^", testT0.Add(st.next).Unix())) {
				t.Errorf("%s: message updates %+v, want one showing the next due time", st.name, u)
			}
		}
		if next := b.reload(inc).NextUpdateAt; !next.Equal(testT0.Add(st.next)) {
			t.Errorf("%s: next update due %v, want %v", st.name, next, testT0.Add(st.next))
		}
		rs := b.entries(inc, incident.KindReminder)
		if len(rs) != reminded {
			t.Fatalf("%s: %d reminder entries, want %d", st.name, len(rs), reminded)
		}
		if reminded > 0 && (rs[len(rs)-1].Text != "Update due; reminded <@U0ALICE>" || rs[len(rs)-1].Author != "") {
			t.Errorf("%s: reminder entry %+v", st.name, rs[len(rs)-1])
		}
	}
}

// TestReminderButtons: Snooze moves the due time, Stop clears it; each is
// recorded, shown on the incident message and confirmed to the one who
// pressed it, and the next reminder comes when the new due time says.
func TestReminderButtons(t *testing.T) {
	tests := []struct {
		button string
		snooze time.Duration // 0: stopped
		entry  string
		told   string
	}{
		{button: messages.ReminderSnooze15m, snooze: 15 * time.Minute, entry: "Reminders snoozed for 15m",
			told: "INC-1: reminders snoozed for 15m."},
		{button: messages.ReminderSnooze1h, snooze: time.Hour, entry: "Reminders snoozed for 1h",
			told: "INC-1: reminders snoozed for 1h."},
		{button: messages.ReminderStop, entry: "Reminders stopped until the next update",
			told: "INC-1: reminders stopped until the next update."},
	}
	for _, tt := range tests {
		t.Run(tt.button, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := b.open("U0ALICE", "Webhooks delayed")
			r := b.remindAt(inc, inc.NextUpdateAt, 1)
			if len(r) != 1 {
				t.Fatalf("%d reminders, want 1", len(r))
			}
			b.clock.Advance(time.Minute)
			pressed := b.clock.Now()
			mark := b.mark()
			b.action(Action{UserID: "U0BOB", MessageTS: r[0].TS, ActionID: messages.ActionID(messages.ActionReminder, tt.button),
				Value: inc.ID.String()})
			b.settle()

			var want time.Time
			shown := "*Next update:*\n—"
			if tt.snooze > 0 {
				want = pressed.Add(tt.snooze)
				shown = fmt.Sprintf("*Next update:*\n<!date^%d^", want.Unix())
			}
			if got := b.reload(inc).NextUpdateAt; !got.Equal(want) {
				t.Errorf("next update due %v, want %v", got, want)
			}
			if e := b.entries(inc, incident.KindReminder); e[len(e)-1].Author != "U0BOB" || e[len(e)-1].Text != tt.entry {
				t.Errorf("last reminder entry %+v, want U0BOB's %q", e[len(e)-1], tt.entry)
			}
			calls := b.since(mark)
			if len(calls) != 2 || calls[0].Method != callUpdate || calls[1].Method != callEphemeral {
				t.Fatalf("Slack received %v, want Update, Ephemeral", methods(calls))
			}
			if got := blockText(t, calls[0].Msg); calls[0].ThreadTS != inc.MessageTS || !strings.Contains(got, shown) {
				t.Errorf("updated %s to:\n%s\nwant it to show %q", calls[0].ThreadTS, got, shown)
			}
			if e := calls[1]; e.UserID != "U0BOB" || e.ResponseURL != testHook || e.Msg.Text != tt.told {
				t.Errorf("told %s via %q: %q, want U0BOB via the response_url: %q", e.UserID, e.ResponseURL, e.Msg.Text, tt.told)
			}

			if tt.snooze == 0 {
				if got := b.remindAt(inc, pressed.Add(7*24*time.Hour), 2); len(got) != 0 {
					t.Errorf("%d reminders in the week after Stop, want none", len(got))
				}
				return
			}
			if got := b.remindAt(inc, want.Add(-time.Second), 2); len(got) != 0 {
				t.Errorf("%d reminders before the snooze ended, want none", len(got))
			}
			if got := b.remindAt(inc, want, 2); len(got) != 1 {
				t.Errorf("%d reminders when the snooze ended, want 1", len(got))
			}
		})
	}
}

// TestReminderPostUpdateButton: "Post update" opens the comms form for the
// incident; without a trigger id (nothing to open it with) the user is
// told to use /incident status.
func TestReminderPostUpdateButton(t *testing.T) {
	tests := []struct {
		name    string
		trigger string
	}{
		{name: "opens the form", trigger: "1337.42.abcd"},
		{name: "without a trigger id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := b.open("U0ALICE", "Webhooks delayed")
			mark := b.mark()
			b.action(Action{UserID: "U0BOB", ActionID: messages.ActionID(messages.ActionReminder, messages.ReminderUpdate),
				Value: inc.ID.String(), TriggerID: tt.trigger})
			b.settle()
			calls := b.since(mark)
			if len(calls) != 1 {
				t.Fatalf("Slack received %v, want one call", methods(calls))
			}
			if tt.trigger == "" {
				if calls[0].Method != callEphemeral || calls[0].Msg.Text != ":warning: Post the update with `/incident status TEXT`." {
					t.Errorf("got %s %q", calls[0].Method, calls[0].Msg.Text)
				}
				return
			}
			var view struct {
				CallbackID      string `json:"callback_id"`
				PrivateMetadata string `json:"private_metadata"`
			}
			if err := json.Unmarshal(calls[0].View, &view); err != nil {
				t.Fatal(err)
			}
			if calls[0].Method != callOpenModal || calls[0].TriggerID != tt.trigger || view.CallbackID != messages.CallbackPostUpdate ||
				view.PrivateMetadata != (messages.FormMetadata{Incident: inc.ID.String(), Channel: testChannel}).String() {
				t.Errorf("got %s with trigger %q, view %+v", calls[0].Method, calls[0].TriggerID, view)
			}
		})
	}
}

// TestUpdatesMoveTheDueTime: a status update, however it is given, is
// posted in the thread and moves the next reminder an interval after it.
func TestUpdatesMoveTheDueTime(t *testing.T) {
	tests := []struct {
		name   string
		update func(b *testBot, inc *incident.Incident) // gives "Token rotated"
	}{
		{name: "status", update: func(b *testBot, _ *incident.Incident) {
			b.t.Helper()
			if got := b.command("U0ALICE", "status Token rotated"); got != "Posting the update in the INC-1 thread…" {
				b.t.Errorf("status answered %q", got)
			}
		}},
		{name: "update INC-n", update: func(b *testBot, _ *incident.Incident) {
			b.t.Helper()
			if got := b.command("U0ALICE", "update INC-1 Token rotated"); got != "Posting the update in the INC-1 thread…" {
				b.t.Errorf("update answered %q", got)
			}
		}},
		{name: "the Post update form", update: func(b *testBot, inc *incident.Incident) {
			b.svc.Submit(context.Background(), Submission{TeamID: testTeam, UserID: "U0ALICE", CallbackID: messages.CallbackPostUpdate,
				PrivateMetadata: messages.FormMetadata{Incident: inc.ID.String(), Channel: testChannel}.String(),
				Values:          map[string]string{"action": "Token rotated"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := b.open("U0ALICE", "Webhooks delayed") // due at 4 h
			b.clock.Advance(3 * time.Hour)
			mark := b.mark()
			tt.update(b, inc)
			b.settle()
			posts := b.since(mark, callPost)
			if len(posts) != 1 || posts[0].ThreadTS != inc.MessageTS || !strings.Contains(blockText(t, posts[0].Msg), "Token rotated") {
				t.Fatalf("posted %+v, want the update in the thread", posts)
			}
			want := testT0.Add(7 * time.Hour)
			if got := b.reload(inc).NextUpdateAt; !got.Equal(want) {
				t.Errorf("next update due %v, want %v", got, want)
			}
			if u := b.entries(inc, incident.KindUpdate); len(u) != 1 || u[0].Author != "U0ALICE" || !strings.Contains(u[0].Text, "Token rotated") {
				t.Errorf("update entries %+v", u)
			}
			if got := b.remindAt(inc, testT0.Add(4*time.Hour+time.Minute), 1); len(got) != 0 {
				t.Errorf("%d reminders at the old due time, want none", len(got))
			}
			if got := b.remindAt(inc, want, 1); len(got) != 1 {
				t.Errorf("%d reminders at the new due time, want 1", len(got))
			}
		})
	}
}

// TestRemindersTwoReplicas: two replicas on one SQLite file tick at the
// same moment, each due time; the reminder is posted once, not twice.
func TestRemindersTwoReplicas(t *testing.T) {
	a := newTestBot(t, Config{})
	b := a.replica()
	inc := a.open("U0ALICE", "Webhooks delayed")
	for i := 1; i <= 5; i++ {
		due := a.reload(inc).NextUpdateAt
		a.clock.AdvanceTo(due)
		mark := a.mark()
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, m := range []engine.Module{a.module("reminders"), b.module("reminders")} {
			wg.Go(func() {
				<-start
				m.Tick(context.Background())
			})
		}
		close(start)
		wg.Wait()
		a.settle()
		if got := a.reminders(inc, mark); len(got) != 1 {
			t.Fatalf("due time %d: %d reminders, want 1", i, len(got))
		}
		if n := len(a.entries(inc, incident.KindReminder)); n != i {
			t.Errorf("due time %d: %d reminder entries, want %d", i, n, i)
		}
		if next := b.reload(inc).NextUpdateAt; !next.Equal(due.Add(4 * time.Hour)) {
			t.Errorf("due time %d: next due %v, want %v", i, next, due.Add(4*time.Hour))
		}
	}
}
