package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
	"github.com/incident-bot/bot/messages"
)

// openOwn declares an incident in testChannel (public) with channel mode
// on and returns it once its message is posted, wherever that is.
func (b *testBot) openOwn(user, title string) *incident.Incident {
	b.t.Helper()
	if got := b.commandIn(testChannel, "channel", user, "declare "+title); !strings.HasPrefix(got, "Declaring") {
		b.t.Fatalf("declare = %q", got)
	}
	b.settle()
	inc := b.incidents()[0]
	if inc.Title != title || inc.MessageTS == "" {
		b.t.Fatalf("declared %+v, want %q with its message posted", inc, title)
	}
	return inc
}

// slackChannelName is Slack's rule for channel names (conversations.create).
var slackChannelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

func TestChannelName(t *testing.T) {
	for _, tt := range []struct {
		n           int
		title, want string
		suffix      string
	}{
		{7, "Checkout emails are not sent", "inc-7-checkout-emails-are-not-sent", ""},
		{12, "HubSpot: token refused (401)", "inc-12-hubspot-token-refused-401", ""},
		{3, "  ¡Zahlung fällt aus!  ", "inc-3-zahlung-f-llt-aus", ""},
		{3, "日本語だけ", "inc-3", ""},
		{3, "Printer on fire", "inc-3-printer-on-fire-2", "-2"},
		{99999, strings.Repeat("very long title ", 20), "", "-5"},
	} {
		got := channelName(tt.n, tt.title, tt.suffix)
		if tt.want != "" && got != tt.want {
			t.Errorf("channelName(%d, %q, %q) = %q, want %q", tt.n, tt.title, tt.suffix, got, tt.want)
		}
		if !slackChannelName.MatchString(got) || strings.HasSuffix(strings.TrimSuffix(got, tt.suffix), "-") ||
			!strings.HasSuffix(got, tt.suffix) {
			t.Errorf("channelName(%d, %q, %q) = %q breaks Slack's rules or loses the suffix", tt.n, tt.title, tt.suffix, got)
		}
	}
}

// TestIncidentChannel: with INCIDENT_CHANNELS=channel, declaring creates
// inc-<n>-<slug>, invites the reporter, posts the incident message there
// and one line in the channel it was declared in, which follows the
// severity and status; the incident is found and changed from both.
func TestIncidentChannel(t *testing.T) {
	b := newTestBot(t, Config{Channels: true})
	inc := b.openOwn("U0ALICE", "Checkout emails are not sent")

	creates := b.slack.Sent(callCreate)
	if len(creates) != 1 || creates[0].Name != "inc-1-checkout-emails-are-not-sent" {
		t.Fatalf("conversations.create: %v", creates)
	}
	own := creates[0].ChannelID
	if inc.ChannelID != own || inc.DeclaredIn != testChannel || b.slack.private[own] {
		t.Errorf("incident in %s declared in %s (private %v); want %s (public) declared in %s", inc.ChannelID, inc.DeclaredIn,
			b.slack.private[own], own, testChannel)
	}
	if got := b.slack.Members(own); !slices.Equal(got, []string{"U0ALICE"}) {
		t.Errorf("invited %v, want the reporter (also the commander)", got)
	}
	var message, pointer *slackCall
	for _, c := range b.slack.Sent(callPost) {
		switch {
		case c.ChannelID == own && c.ThreadTS == "":
			message = &c
		case c.ChannelID == testChannel:
			pointer = &c
		}
	}
	if message == nil || message.TS != inc.MessageTS {
		t.Fatalf("the incident message is not in its channel: %v", b.slack.Sent(callPost))
	}
	if pointer == nil || pointer.TS != inc.PointerTS || !strings.Contains(pointer.Msg.Text, "<#"+own+">") ||
		!strings.Contains(pointer.Msg.Text, "INC-1") {
		t.Fatalf("pointer %v (stored %q): want one line naming INC-1 and <#%s>", pointer, inc.PointerTS, own)
	}

	// Found and changed from where it was declared, mirrored to the pointer.
	if got := b.commandIn(testChannel, "channel", "U0BOB", "severity P1"); !strings.HasPrefix(got, "Setting INC-1") {
		t.Fatalf("severity from the declaring channel: %q", got)
	}
	b.settle()
	if got := b.commandIn(own, "channel", "U0BOB", "status monitoring"); !strings.HasPrefix(got, "Setting INC-1") {
		t.Fatalf("status from the incident channel: %q", got)
	}
	b.settle()
	var last string
	for _, c := range b.slack.Sent(callUpdate) {
		if c.ChannelID == testChannel && c.ThreadTS == inc.PointerTS {
			last = c.Msg.Text
		}
	}
	if !strings.Contains(last, "[P1] Monitoring") {
		t.Errorf("pointer after the changes: %q, want [P1] Monitoring", last)
	}
	// A new commander is invited as well.
	if got := b.commandIn(own, "channel", "U0ALICE", "commander <@U0CAROL>"); !strings.HasPrefix(got, "Making") {
		t.Fatalf("commander = %q", got)
	}
	b.settle()
	if got := b.slack.Members(own); !slices.Equal(got, []string{"U0ALICE", "U0CAROL"}) {
		t.Errorf("members after the handover %v, want alice and carol", got)
	}
	if got := b.commandIn(testChannel, "channel", "U0BOB", "list"); !strings.Contains(got, "INC-1") {
		t.Errorf("list where it was declared: %q", got)
	}
	// The thread of the incident channel is the timeline.
	reply := b.slack.Say(own, inc.MessageTS, "U0BOB", "rolled back")
	b.event(Event{EventID: "Ev1", Type: "message", ChannelID: own, UserID: "U0BOB", Text: "rolled back", TS: reply, ThreadTS: inc.MessageTS})
	if len(b.entries(inc, incident.KindMessage)) != 1 {
		t.Error("a reply in the incident channel's thread is not in the timeline")
	}
}

// TestIncidentChannelNameTaken: a taken name gets a suffix.
func TestIncidentChannelNameTaken(t *testing.T) {
	b := newTestBot(t, Config{Channels: true})
	b.slack.TakeName("inc-1-printer-on-fire")
	inc := b.openOwn("U0ALICE", "Printer on fire")
	id, ok := b.slack.Channel("inc-1-printer-on-fire-2")
	if !ok || inc.ChannelID != id {
		t.Fatalf("incident in %s; want inc-1-printer-on-fire-2 (%s): %v", inc.ChannelID, id, b.slack.Calls(callCreate))
	}
}

// TestIncidentChannelFallback: when no channel can be made (five names
// taken, a missing scope), the incident is a thread where it was declared,
// with a note saying why; nothing is lost.
func TestIncidentChannelFallback(t *testing.T) {
	t.Run("names taken", func(t *testing.T) {
		b := newTestBot(t, Config{Channels: true})
		b.slack.TakeName("inc-1-printer-on-fire")
		for i := 2; i <= nameAttempts; i++ {
			b.slack.TakeName(fmt.Sprintf("inc-1-printer-on-fire-%d", i))
		}
		inc := b.openOwn("U0ALICE", "Printer on fire")
		checkFallback(t, b, inc, "are all taken")
		if n := len(b.slack.Calls(callCreate)); n != nameAttempts {
			t.Errorf("%d names tried, want %d", n, nameAttempts)
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		b := newTestBot(t, Config{Channels: true})
		b.slack.FailNext(callCreate, 1, &incident.Error{Kind: incident.Invalid,
			Message: "the Slack app lacks a permission (channels:manage): add it under OAuth & Permissions and reinstall the app"})
		inc := b.openOwn("U0ALICE", "Printer on fire")
		checkFallback(t, b, inc, "channels:manage")
	})
}

func checkFallback(t *testing.T, b *testBot, inc *incident.Incident, why string) {
	t.Helper()
	if inc.ChannelID != testChannel || inc.DeclaredIn != "" || inc.PointerTS != "" {
		t.Fatalf("incident in %s, declared in %q: want a thread in %s", inc.ChannelID, inc.DeclaredIn, testChannel)
	}
	var note string
	for _, c := range b.slack.Sent(callPost) {
		if c.ChannelID == testChannel && c.ThreadTS == inc.MessageTS {
			note = c.Msg.Text
		}
	}
	if !strings.Contains(note, "no channel of its own") || !strings.Contains(note, why) {
		t.Errorf("note in the thread %q; want why (%q)", note, why)
	}
	if len(b.slack.Sent(callInvite)) != 0 {
		t.Error("invited people to no channel")
	}
}

// TestIncidentChannelArchive: ARCHIVE_AFTER after the resolve the channel
// is archived once, whichever replicas look; not before; never with 0.
func TestIncidentChannelArchive(t *testing.T) {
	testArchive(t, newTestBot(t, Config{Channels: true, ArchiveAfter: time.Hour}))
}

// TestIncidentChannelArchiveOnPostgres: the same with both replicas on
// PostgreSQL (when TEST_DATABASE_URL names one).
func TestIncidentChannelArchiveOnPostgres(t *testing.T) {
	pgtest.URL(t)
	dsn, _ := pgtest.FreshSchema(t)
	testArchive(t, newTestBotIn(t, Config{Channels: true, ArchiveAfter: time.Hour}, dsn))
}

func testArchive(t *testing.T, b *testBot) {
	other := b.replica()
	inc := b.openOwn("U0ALICE", "Printer on fire")
	if got := b.commandIn(testChannel, "channel", "U0ALICE", "resolve"); !strings.HasPrefix(got, "Resolving") {
		t.Fatalf("resolve = %q", got)
	}
	b.settle()
	b.tick("archive channels")
	other.tick("archive channels")
	if n := len(b.slack.Calls(callArchive)); n != 0 {
		t.Fatalf("archived %d times before ARCHIVE_AFTER", n)
	}
	b.clock.Advance(time.Hour)
	// Both replicas look at once, twice.
	for range 2 {
		mb, mo := b.module("archive channels"), other.module("archive channels")
		done := make(chan struct{})
		go func() { mo.Tick(context.Background()); close(done) }()
		mb.Tick(context.Background())
		<-done
		b.settle()
	}
	if got := b.slack.Calls(callArchive); len(got) != 1 || got[0].ChannelID != inc.ChannelID {
		t.Fatalf("archive calls %v, want one of %s", got, inc.ChannelID)
	}
	if !b.reload(inc).ChannelArchived {
		t.Error("the incident does not know its channel is archived")
	}

	never := newTestBot(t, Config{Channels: true})
	for _, m := range never.svc.Modules() {
		if m.Name == "archive channels" {
			t.Error("ARCHIVE_AFTER=0 still archives")
		}
	}
}

// TestHome: app_home_opened publishes the open incidents the user may see
// and the watched vendors; a change publishes it again, once per moment.
func TestHome(t *testing.T) {
	b := newTestBot(t, Config{})
	// The channel watches HubSpot, twice over (a second channel too), and
	// the watch's last check found our calls failing.
	ctx := context.Background()
	for _, ch := range []string{testChannel, "C0OTHER"} {
		if _, err := b.svc.Store.Watch(ctx, &incident.Watch{TeamID: testTeam, ChannelID: ch, Vendor: "hubspot", CreatedBy: "U0ALICE"}); err != nil {
			t.Fatal(err)
		}
	}
	vw, err := b.svc.Store.ClaimVendorWatches(ctx, "test", 1, time.Now().Add(time.Hour), time.Minute)
	if err != nil || len(vw) != 1 {
		t.Fatalf("claim: %v, %v", vw, err)
	}
	vw[0].State, vw[0].CheckedAt = incident.VendorState{Checked: testT0, Indicator: "none", Probe: "failing", Bad: true}, testT0
	if err := b.svc.Store.SaveVendorWatch(ctx, vw[0], "test"); err != nil {
		t.Fatal(err)
	}
	pub := b.openIn(testChannel, "channel", "U0ALICE", "Checkout <!channel> down")
	b.openIn("C0SECRET", "group", "U0ALICE", "Secret payroll outage")
	b.clock.Advance(90 * time.Minute)
	b.event(Event{EventID: "EvHome1", Type: "app_home_opened", Tab: "home", UserID: "U0CAROL", ChannelID: "D0CAROL"})
	b.event(Event{EventID: "EvHome1", Type: "app_home_opened", Tab: "home", UserID: "U0CAROL", ChannelID: "D0CAROL"})
	b.settle()
	home := homeText(t, b.slack.Home("U0CAROL"))
	for _, want := range []string{"Open incidents (1)", "INC-1: Checkout &lt;!channel&gt; down", "[P3] Investigating",
		"open 1h 30m", "commander <@U0ALICE>", "next update due", "Watched vendors", ":red_circle: *HubSpot*: status page all clear; our calls fail"} {
		if !strings.Contains(home, want) {
			t.Errorf("Home lacks %q:\n%s", want, home)
		}
	}
	if strings.Contains(home, "payroll") {
		t.Errorf("Home shows a private channel's incident:\n%s", home)
	}
	if n := len(b.slack.Sent(callPublishHome)); n != 1 {
		t.Errorf("%d publishes for one visit delivered twice", n)
	}

	// Each change publishes it again.
	b.clock.Advance(time.Minute)
	b.commandIn(testChannel, "channel", "U0BOB", "severity P1")
	b.settle()
	b.clock.Advance(homeDebounce)
	b.commandIn(testChannel, "channel", "U0BOB", "status identified")
	b.settle()
	if home := homeText(t, b.slack.Home("U0CAROL")); !strings.Contains(home, "[P1] Identified") {
		t.Errorf("Home after the changes:\n%s", home)
	}
	// The changes of one moment are gathered into one publish.
	b.clock.Advance(homeDebounce)
	mark := b.mark()
	for range 3 {
		b.svc.homeChanged(context.Background(), testTeam)
	}
	b.settle()
	if n := len(b.since(mark, callPublishHome)); n != 1 {
		t.Errorf("%d publishes for three changes at once, want 1", n)
	}
	_ = pub

	// Within Slack's view limits with many incidents.
	for i := range 60 {
		b.svc.Store.CreateIncident(context.Background(), &incident.Incident{ID: b.svc.NewID(), TeamID: testTeam,
			Title: fmt.Sprintf("Outage %d %s", i, strings.Repeat("x", 190)), Severity: incident.P2, Status: incident.Investigating,
			ChannelID: testChannel, Public: true, DeclaredAt: testT0})
	}
	b.clock.Advance(time.Minute)
	b.event(Event{EventID: "EvHome2", Type: "app_home_opened", Tab: "home", UserID: "U0CAROL", ChannelID: "D0CAROL"})
	b.settle()
	var v struct{ Blocks []json.RawMessage }
	if err := json.Unmarshal(b.slack.Home("U0CAROL"), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Blocks) > 100 || !strings.Contains(homeText(t, b.slack.Home("U0CAROL")), "Open incidents (61)") {
		t.Errorf("%d blocks (Slack allows 100); Home:\n%.400s", len(v.Blocks), homeText(t, b.slack.Home("U0CAROL")))
	}
}

func homeText(t *testing.T, view json.RawMessage) string {
	t.Helper()
	var v struct {
		Type   string          `json:"type"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil || v.Type != "home" {
		t.Fatalf("home view %s: %v", view, err)
	}
	return blockText(t, messagesOf(v.Blocks))
}

// messagesOf wraps blocks for blockText.
func messagesOf(blocks json.RawMessage) messages.Message { return messages.Message{Blocks: blocks} }
