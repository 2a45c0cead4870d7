package commands

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/rs/zerolog"
)

// TestEditBeforeItsOriginal (finding 6): Slack does not promise order, and
// a message_changed that came before the message it edits was dropped,
// leaving the stale text once the original came. The edit is kept as the
// message, edited; the original, arriving after, changes nothing.
func TestEditBeforeItsOriginal(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "DNS flapping")
	ts := b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "tokn revoked")
	editedAt := slackTS(testT0.Add(time.Minute))
	edit := Event{EventID: "EvEdit", Type: "message", Subtype: "message_changed", ChannelID: testChannel, UserID: "U0BOB",
		Text: "token revoked", TS: ts, ThreadTS: inc.MessageTS, EditedTS: editedAt}
	b.event(edit)
	b.event(edit) // Slack's retry of it
	b.event(Event{EventID: "EvOrig", Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: "tokn revoked",
		TS: ts, ThreadTS: inc.MessageTS})
	msgs := b.entries(inc, incident.KindMessage)
	if len(msgs) != 1 || msgs[0].Text != "token revoked" || !msgs[0].Edited || msgs[0].Author != "U0BOB" ||
		msgs[0].SlackTS != ts || !msgs[0].At.Equal(slackTime(ts, time.Time{})) {
		t.Errorf("messages %+v; want one, the edited text, by bob, at the original's time", msgs)
	}
	if edits := b.entries(inc, incident.KindEdit); len(edits) != 1 || edits[0].Text != "token revoked" {
		t.Errorf("edit history %+v; want the edit once", edits)
	}

	// The bot's own message edited (its incident message, updated in
	// place) is no reply: nothing is added.
	b.event(Event{EventID: "EvBotEdit", Type: "message", Subtype: "message_changed", ChannelID: testChannel, BotID: fakeBotID,
		UserID: fakeBotUser, Text: "[P3] INCIDENT INC-1", TS: inc.MessageTS, ThreadTS: inc.MessageTS, EditedTS: editedAt})
	if got := b.entries(inc, incident.KindMessage); len(got) != 1 {
		t.Errorf("the bot's own edit added a message: %+v", got)
	}
}

// TestDeletionBeforeItsOriginal: a deletion that came before its message
// keeps the message deleted: the original, arriving after, is not shown.
func TestDeletionBeforeItsOriginal(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "DNS flapping")
	ts := b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "the password is hunter2")
	b.event(Event{EventID: "EvDel", Type: "message", Subtype: "message_deleted", ChannelID: testChannel, UserID: "U0BOB",
		TS: slackTS(testT0.Add(time.Minute)), ThreadTS: inc.MessageTS, DeletedTS: ts})
	b.event(Event{EventID: "EvOrig", Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: "the password is hunter2",
		TS: ts, ThreadTS: inc.MessageTS})
	msgs := b.entries(inc, incident.KindMessage)
	if len(msgs) != 1 || !msgs[0].Deleted || strings.Contains(msgs[0].Text, "hunter2") {
		t.Errorf("messages %+v; want one, deleted, without its text", msgs)
	}
}

// lockedBuffer is a log sink the service's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEventsWithInvalidTSAreRefused (finding 6): an empty or garbage ts was
// stored (its time made up from the clock). Such events are refused, with
// a log line saying why; Slack is not asked to deliver them again.
func TestEventsWithInvalidTSAreRefused(t *testing.T) {
	b := newTestBot(t, Config{})
	var logs lockedBuffer
	b.svc.Log = zerolog.New(&logs)
	inc := b.open("U0ALICE", "DNS flapping")
	good := b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "looking")
	b.event(Event{EventID: "EvGood", Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: "looking",
		TS: good, ThreadTS: inc.MessageTS})
	tests := []struct {
		name string
		e    Event
	}{
		{"empty ts", Event{Type: "message", Text: "a", TS: ""}},
		{"garbage ts", Event{Type: "message", Text: "b", TS: "garbage"}},
		{"negative ts", Event{Type: "message", Text: "c", TS: "-1700000000.000100"}},
		{"ts without its fraction", Event{Type: "message", Text: "d", TS: "1700000000"}},
		{"ts with an exponent", Event{Type: "message", Text: "e", TS: "1e9.000100"}},
		{"ts far too long", Event{Type: "message", Text: "f", TS: "99999999999999999999.000100"}},
		{"edit of a garbage ts", Event{Type: "message", Subtype: "message_changed", Text: "g", TS: "x.y", EditedTS: good}},
		{"edit at a garbage time", Event{Type: "message", Subtype: "message_changed", Text: "h", TS: good, EditedTS: "soon"}},
		{"deletion of an empty ts", Event{Type: "message", Subtype: "message_deleted", TS: good, DeletedTS: ""}},
	}
	for i, tt := range tests {
		e := tt.e
		e.EventID, e.TeamID, e.ChannelID, e.UserID, e.ThreadTS = "EvBad"+string(rune('A'+i)), testTeam, testChannel, "U0BOB", inc.MessageTS
		if err := b.svc.Event(t.Context(), e); err != nil {
			t.Errorf("%s: err = %v; want nil (refused, not delivered again)", tt.name, err)
		}
	}
	msgs := b.entries(inc, incident.KindMessage, incident.KindEdit, incident.KindDeletion)
	if len(msgs) != 1 || msgs[0].Text != "looking" || msgs[0].Edited || msgs[0].Deleted {
		t.Errorf("timeline %+v; want bob's message alone, untouched", msgs)
	}
	if n := strings.Count(logs.String(), "event with an invalid ts refused"); n != len(tests) {
		t.Errorf("%d refusals logged, want %d:\n%s", n, len(tests), logs.String())
	}
}
