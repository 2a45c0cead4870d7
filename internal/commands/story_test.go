package commands

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/messages"
)

// TestStory follows one incident from the triage to the postmortem, and
// checks at each step what Slack received and what the store holds: the
// triage posts the incident once; the severity button updates it in place;
// thread replies, redelivered or not, and their edits land in the timeline
// once; resolve closes it and shares one postmortem written from that
// timeline; resolving again shares nothing.
func TestStory(t *testing.T) {
	b := newTestBot(t, Config{})

	// The triage opens the incident from the report and posts it once.
	if got, want := b.command("U0ALICE", "triage HubSpot"), "Triaging HubSpot… checking its status page, API, rate limits and our health. The result will be posted in this channel."; got != want {
		t.Errorf("triage answered %q, want %q", got, want)
	}
	b.settle()
	calls := b.since(0)
	if len(calls) != 1 || calls[0].Method != callPost || calls[0].Err != nil {
		t.Fatalf("Slack received %v after the triage, want one Post", methods(calls))
	}
	post := calls[0]
	if post.ChannelID != testChannel || post.ThreadTS != "" {
		t.Errorf("incident posted in %s/%q, want the top of %s", post.ChannelID, post.ThreadTS, testChannel)
	}
	text := blockText(t, post.Msg)
	for _, want := range []string{
		"[P1] INCIDENT INC-1: HubSpot: token refused (401)",
		"*Severity:*\nP1",
		"*Cause:* HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked (HTTP 401, request id `req-7f3a`)",
		"*Action:*\n1. Rotate the private app token\n2. Restart the integrations deployment",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the incident message lacks %q:\n%s", want, text)
		}
	}
	inc := b.incidents()[0]
	if inc.MessageTS != post.TS || inc.Severity != incident.P1 || inc.Vendor != "hubspot" || inc.Commander != "U0ALICE" {
		t.Errorf("stored %s: message %q (posted %q), severity %s, vendor %q, commander %q", inc.Ref(), inc.MessageTS, post.TS,
			inc.Severity, inc.Vendor, inc.Commander)
	}
	if inc.Diagnosis == nil || inc.Diagnosis.Cause != "auth_invalid" || inc.Diagnosis.HTTPStatus != 401 {
		t.Errorf("stored diagnosis %+v, want the report's auth_invalid, 401", inc.Diagnosis)
	}
	if got, want := kinds(b.entries(inc)), []incident.EntryKind{incident.KindDeclared, incident.KindTriage}; !slices.Equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	if tr := b.entries(inc, incident.KindTriage); len(tr) != 1 || tr[0].Text != "auth_invalid: "+hubspot401.Summary {
		t.Errorf("triage entry %+v", tr)
	}

	// The severity button: the message is updated in place, nothing posted.
	b.clock.Advance(2 * time.Minute)
	mark := b.mark()
	b.click("U0BOB", messages.ActionID(messages.ActionSeverity, "P2"), inc)
	b.settle()
	calls = b.since(mark)
	if len(calls) != 1 || calls[0].Method != callUpdate {
		t.Fatalf("Slack received %v after the severity button, want one Update", methods(calls))
	}
	if calls[0].ChannelID != testChannel || calls[0].ThreadTS != inc.MessageTS {
		t.Errorf("updated %s/%s, want the incident message %s", calls[0].ChannelID, calls[0].ThreadTS, inc.MessageTS)
	}
	if got := blockText(t, calls[0].Msg); !strings.Contains(got, "[P2] INCIDENT INC-1: HubSpot: token refused (401)") || !strings.Contains(got, "*Severity:*\nP2") {
		t.Errorf("updated message:\n%s", got)
	}
	inc = b.reload(inc)
	if now := b.clock.Now(); inc.Severity != incident.P2 || !inc.NextUpdateAt.Equal(now.Add(time.Hour)) || !inc.AcknowledgedAt.Equal(now) {
		t.Errorf("stored severity %s, next update %v, acknowledged %v; want P2, %v, %v", inc.Severity, inc.NextUpdateAt,
			inc.AcknowledgedAt, now.Add(time.Hour), now)
	}
	if sev := b.entries(inc, incident.KindSeverity); len(sev) != 1 || sev[0].Author != "U0BOB" || sev[0].Text != "P1 → P2" {
		t.Errorf("severity entries %+v, want one by U0BOB: P1 → P2", sev)
	}

	// A reply in the thread, delivered three times: Slack's retry of the
	// same event, and the same message under another event id.
	b.clock.Advance(time.Minute)
	mark = b.mark()
	said := b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "Looking. The token was rotated yesterday?")
	reply := Event{EventID: "EvReply", Type: "message", ChannelID: testChannel, UserID: "U0BOB",
		Text: "Looking. The token was rotated yesterday?", TS: said, ThreadTS: inc.MessageTS}
	again := reply
	again.EventID = "EvReplyAgain"
	for _, e := range []Event{reply, reply, again} {
		b.event(e)
	}
	msgs := b.entries(inc, incident.KindMessage)
	if len(msgs) != 1 || msgs[0].SlackTS != said || msgs[0].Author != "U0BOB" || !msgs[0].At.Equal(b.clock.Now()) {
		t.Fatalf("message entries %+v, want the reply once, by U0BOB, at %v", msgs, b.clock.Now())
	}

	// Its edit, delivered twice.
	b.clock.Advance(time.Minute)
	b.slack.Edit(testChannel, said, "Looking. The token was revoked by an admin")
	edit := Event{EventID: "EvEdit", Type: "message", Subtype: "message_changed", ChannelID: testChannel, UserID: "U0BOB",
		Text: "Looking. The token was revoked by an admin", TS: said, ThreadTS: inc.MessageTS, EditedTS: slackTS(b.clock.Now())}
	b.event(edit)
	b.event(edit)
	msgs = b.entries(inc, incident.KindMessage)
	if len(msgs) != 1 || msgs[0].Text != "Looking. The token was revoked by an admin" || !msgs[0].Edited {
		t.Errorf("message entries after the edit %+v", msgs)
	}
	if edits := b.entries(inc, incident.KindEdit); len(edits) != 1 {
		t.Errorf("%d edit entries, want 1", len(edits))
	}
	// Said while the bot missed the event: the resolve reads it from the thread.
	b.slack.Say(testChannel, inc.MessageTS, "U0CAROL", "todo: alert on HubSpot 401s")
	if calls := b.since(mark); len(calls) != 0 {
		t.Errorf("thread replies made the bot call Slack: %v", methods(calls))
	}

	// Resolve: a closing reply, the message resolved, one postmortem.
	b.clock.Advance(20 * time.Minute)
	mark = b.mark()
	if got, want := b.command("U0ALICE", "resolve Rotated the token"), "Resolving INC-1 and writing its postmortem…"; got != want {
		t.Errorf("resolve answered %q, want %q", got, want)
	}
	b.settle()
	inc = b.reload(inc)
	link := "https://slack.com/archives/C0INC/p" + strings.ReplaceAll(inc.MessageTS, ".", "")
	if inc.Status != incident.Resolved || !inc.ResolvedAt.Equal(b.clock.Now()) || inc.Summary != "Rotated the token" {
		t.Errorf("stored status %s, resolved %v, summary %q", inc.Status, inc.ResolvedAt, inc.Summary)
	}
	posts := b.since(mark, callPost)
	if len(posts) != 1 || posts[0].ThreadTS != inc.MessageTS ||
		posts[0].Msg.Text != ":white_check_mark: INC-1 resolved by <@U0ALICE> after 24m. The postmortem follows in this thread." {
		t.Errorf("posted %+v, want the closing reply in the thread", posts)
	}
	updates := b.since(mark, callUpdate)
	if len(updates) == 0 {
		t.Fatal("the incident message was not updated")
	}
	for _, u := range updates {
		if u.ThreadTS != inc.MessageTS {
			t.Errorf("updated %s, want only the incident message", u.ThreadTS)
		}
	}
	last := updates[len(updates)-1].Msg
	if got := blockText(t, last); !strings.Contains(got, "[RESOLVED] INCIDENT INC-1: HubSpot: token refused (401)") || !strings.Contains(got, "|Postmortem>") {
		t.Errorf("the incident message is not shown resolved with its postmortem:\n%s", got)
	}
	if ids := actionIDs(t, last); len(ids) != 1 || ids[0] != "reopen" {
		t.Errorf("the resolved message has buttons %v, want only Reopen", ids)
	}
	uploads := b.since(mark, callUpload)
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want 1", len(uploads))
	}
	f := uploads[0].File
	if f.ChannelID != testChannel || f.ThreadTS != inc.MessageTS || f.Name != "INC-1-postmortem.md" ||
		f.Title != "Postmortem INC-1: HubSpot: token refused (401)" {
		t.Errorf("uploaded %s %q to %s/%q, want INC-1-postmortem.md in the thread", f.Name, f.Title, f.ChannelID, f.ThreadTS)
	}
	if f.Content != inc.Postmortem || inc.PostmortemFileID != uploads[0].FileID || inc.PostmortemLink != link {
		t.Errorf("stored postmortem file %q link %q, want the upload's %q and %q (document stored: %v)",
			inc.PostmortemFileID, inc.PostmortemLink, uploads[0].FileID, link, f.Content == inc.Postmortem)
	}
	for _, want := range []string{
		"# Incident INC-1: HubSpot: token refused (401)",
		"| Participants | @alice, @bob, @carol |",
		"| 09:00:00 | @alice | **Declared**: HubSpot: token refused (401) |",
		"| 09:00:00 | bot | **Triage**: auth_invalid: HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked |",
		"| 09:02:00 | @bob | **Severity**: P1 → P2 |",
		"| 09:03:00 | @bob | Looking. The token was revoked by an admin _(edited)_ |",
		"| @carol | todo: alert on HubSpot 401s |",
		"| 09:24:00 | @alice | **Resolved**: Rotated the token |",
		"- [ ] alert on HubSpot 401s — @carol",
		"- Time to acknowledge: 2m",
	} {
		if !strings.Contains(f.Content, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, f.Content)
		}
	}
	if n := strings.Count(f.Content, "Looking."); n != 1 {
		t.Errorf("the reply is %d times in the postmortem, want once", n)
	}
	if e := b.since(mark, callEphemeral); len(e) != 0 {
		t.Errorf("resolve answered %d times ephemerally besides its reply", len(e))
	}

	// Resolving again says so and shares nothing.
	already := "INC-1 is already resolved. Its postmortem, `INC-1-postmortem.md`, is in <" + link + "|the incident thread>."
	for _, tt := range []struct {
		name   string
		do     func() string // returns the immediate answer
		answer string        // the immediate answer
		told   string        // the ephemeral message after it
	}{
		{name: "command", do: func() string { return b.command("U0BOB", "resolve INC-1") }, answer: already},
		{name: "button", do: func() string {
			b.click("U0BOB", messages.ActionID(messages.ActionResolve, ""), inc)
			return ""
		}, told: already},
	} {
		t.Run("again by "+tt.name, func(t *testing.T) {
			mark := b.mark()
			if got := tt.do(); got != tt.answer {
				t.Errorf("answered %q, want %q", got, tt.answer)
			}
			b.settle()
			calls := b.since(mark)
			if tt.told == "" {
				if len(calls) != 0 {
					t.Errorf("Slack received %v, want nothing", methods(calls))
				}
				return
			}
			if len(calls) != 1 || calls[0].Method != callEphemeral || calls[0].UserID != "U0BOB" || calls[0].Msg.Text != tt.told {
				t.Errorf("Slack received %+v, want one ephemeral %q to U0BOB", calls, tt.told)
			}
		})
	}
	if n := len(b.slack.Sent(callUpload)); n != 1 {
		t.Errorf("%d postmortems shared in all, want 1", n)
	}
	if n := len(b.entries(inc, incident.KindResolved)); n != 1 {
		t.Errorf("%d resolved entries, want 1", n)
	}
}

// TestThreadEvents: which message events become the timeline. Only a
// person's reply in an incident thread does, once however often Slack
// delivers it.
func TestThreadEvents(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	other := b.open("U0ALICE", "Search is slow")
	reply := func(id, ts string) Event {
		return Event{EventID: id, Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: "on it", TS: ts, ThreadTS: inc.MessageTS}
	}
	tests := []struct {
		name   string
		events []Event
		want   int // message entries of inc added
	}{
		{name: "a reply", events: []Event{reply("Ev1", "1773651700.000001")}, want: 1},
		{name: "the same event again", events: []Event{reply("Ev2", "1773651700.000002"), reply("Ev2", "1773651700.000002")}, want: 1},
		{name: "the same message under two event ids", events: []Event{reply("Ev3", "1773651700.000003"), reply("Ev3b", "1773651700.000003")}, want: 1},
		{name: "a broadcast reply", events: []Event{func() Event { e := reply("Ev4", "1773651700.000004"); e.Subtype = "thread_broadcast"; return e }()}, want: 1},
		{name: "the bot's own post", events: []Event{func() Event { e := reply("Ev5", "1773651700.000005"); e.BotID = fakeBotID; return e }()}},
		{name: "a channel join", events: []Event{func() Event { e := reply("Ev6", "1773651700.000006"); e.Subtype = "channel_join"; return e }()}},
		{name: "outside any thread", events: []Event{func() Event { e := reply("Ev7", "1773651700.000007"); e.ThreadTS = ""; return e }()}},
		{name: "in an unknown thread", events: []Event{func() Event { e := reply("Ev8", "1773651700.000008"); e.ThreadTS = "1773651699.000001"; return e }()}},
		{name: "in another incident's thread", events: []Event{func() Event { e := reply("Ev9", "1773651700.000009"); e.ThreadTS = other.MessageTS; return e }()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(b.entries(inc, incident.KindMessage))
			mark := b.mark()
			for _, e := range tt.events {
				b.event(e)
			}
			if got := len(b.entries(inc, incident.KindMessage)) - before; got != tt.want {
				t.Errorf("%d message entries added, want %d", got, tt.want)
			}
			if calls := b.since(mark); len(calls) != 0 {
				t.Errorf("Slack received %v, want nothing", methods(calls))
			}
		})
	}
	if n := len(b.entries(other, incident.KindMessage)); n != 1 {
		t.Errorf("the other incident has %d message entries, want 1", n)
	}
}

// TestConcurrentResolves: people (or one person's double click) resolving
// at the same moment resolve once: one closing reply, one resolved entry,
// one postmortem, and that postmortem has the resolve in its timeline (a
// losing resolve once wrote it before the winner had recorded the resolve);
// the others are told it is already resolved.
func TestConcurrentResolves(t *testing.T) {
	button := func(user string) func(b *testBot, inc *incident.Incident) {
		return func(b *testBot, inc *incident.Incident) {
			b.click(user, messages.ActionID(messages.ActionResolve, ""), inc)
		}
	}
	command := func(user string) func(b *testBot, inc *incident.Incident) {
		return func(b *testBot, inc *incident.Incident) { b.command(user, "resolve INC-1") }
	}
	tests := []struct {
		name     string
		resolves []func(b *testBot, inc *incident.Incident)
	}{
		{name: "two buttons", resolves: append([]func(*testBot, *incident.Incident){}, button("U0ALICE"), button("U0BOB"))},
		{name: "a double click", resolves: append([]func(*testBot, *incident.Incident){}, button("U0ALICE"), button("U0ALICE"))},
		{name: "a button and a command", resolves: append([]func(*testBot, *incident.Incident){}, button("U0ALICE"), command("U0BOB"))},
		{name: "three commands", resolves: append([]func(*testBot, *incident.Incident){}, command("U0ALICE"), command("U0BOB"), command("U0CAROL"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := b.open("U0ALICE", "Checkout emails are not sent")
			b.clock.Advance(10 * time.Minute)
			mark := b.mark()
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, resolve := range tt.resolves {
				wg.Go(func() {
					<-start
					resolve(b, inc)
				})
			}
			close(start)
			wg.Wait()
			b.settle()

			inc = b.reload(inc)
			if inc.Status != incident.Resolved || inc.Postmortem == "" {
				t.Fatalf("stored status %s, postmortem of %d bytes", inc.Status, len(inc.Postmortem))
			}
			uploads := b.since(mark, callUpload)
			if len(uploads) != 1 {
				t.Fatalf("%d uploads, want 1", len(uploads))
			}
			if uploads[0].File.Content != inc.Postmortem || inc.PostmortemFileID != uploads[0].FileID {
				t.Errorf("stored file %q, uploaded %q; or the document differs", inc.PostmortemFileID, uploads[0].FileID)
			}
			resolved := b.entries(inc, incident.KindResolved)
			if len(resolved) != 1 {
				t.Fatalf("%d resolved entries, want 1", len(resolved))
			}
			if !strings.Contains(inc.Postmortem, "| 09:10:00 | @") || !strings.Contains(inc.Postmortem, "| **Resolved** |") {
				t.Errorf("the postmortem lacks the resolve in its timeline:\n%s", inc.Postmortem)
			}
			for _, e := range b.since(mark, callEphemeral) {
				if !strings.HasPrefix(e.Msg.Text, "INC-1 is already resolved.") {
					t.Errorf("told %s %q, want only that INC-1 is already resolved", e.UserID, e.Msg.Text)
				}
			}
			posts := b.since(mark, callPost)
			closing := ":white_check_mark: INC-1 resolved by <@" + resolved[0].Author + "> after 10m. The postmortem follows in this thread."
			if len(posts) != 1 || posts[0].Msg.Text != closing {
				t.Errorf("posted %d messages, want the closing reply %q once: %+v", len(posts), closing, posts)
			}
		})
	}
}

func kinds(es []incident.Entry) []incident.EntryKind {
	out := make([]incident.EntryKind, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

// TestResolveFinishesHalfDoneResolve: a resolve of an incident that is
// resolved but has no postmortem writes it when the resolve that won
// stopped half-way (its last change is older than recoverAfter), and
// leaves it to that resolve while it may still be at work.
func TestResolveFinishesHalfDoneResolve(t *testing.T) {
	tests := []struct {
		name       string
		age        time.Duration // since the incident was resolved
		wantUpload bool
		wantTold   string
	}{
		{name: "stopped a while ago", age: recoverAfter, wantUpload: true},
		{name: "may still be writing", age: recoverAfter - time.Second, wantTold: "INC-1 is already resolved."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			now := b.clock.Now()
			thread := b.slack.Say(testChannel, "", fakeBotUser, "[RESOLVED] INCIDENT INC-1")
			inc := b.seed(&incident.Incident{Title: "Login emails bounce", Severity: incident.P3, Status: incident.Resolved,
				Commander: "U0ALICE", CreatedBy: "U0ALICE", MessageTS: thread, DeclaredAt: now.Add(-time.Hour),
				ResolvedAt: now.Add(-tt.age), UpdatedAt: now.Add(-tt.age)})
			mark := b.mark()
			if got := b.command("U0BOB", "resolve INC-1"); got != "Resolving INC-1 and writing its postmortem…" {
				t.Errorf("answered %q", got)
			}
			b.settle()
			uploads := b.since(mark, callUpload)
			if got := len(uploads) == 1; got != tt.wantUpload {
				t.Fatalf("%d uploads, want the postmortem shared: %v", len(uploads), tt.wantUpload)
			}
			inc = b.reload(inc)
			if tt.wantUpload && (inc.PostmortemFileID != uploads[0].FileID || uploads[0].File.ThreadTS != thread) {
				t.Errorf("stored file %q, uploaded %q to thread %q", inc.PostmortemFileID, uploads[0].FileID, uploads[0].File.ThreadTS)
			}
			if !tt.wantUpload && inc.Postmortem != "" {
				t.Error("a postmortem was written")
			}
			told := b.since(mark, callEphemeral)
			if tt.wantTold == "" && len(told) != 0 || tt.wantTold != "" && (len(told) != 1 || told[0].Msg.Text != tt.wantTold) {
				t.Errorf("told %+v, want %q", told, tt.wantTold)
			}
			if p := b.since(mark, callPost); len(p) != 0 {
				t.Errorf("posted %d messages, want none: the closing reply was the first resolve's", len(p))
			}
		})
	}
}

// TestTriageOpensFromTheReport: the incident a triage opens takes its
// severity and cause from the report, its title names the vendor and the
// cause in words, and it is posted once; a healthy vendor opens nothing
// (the answer says so, with Declare anyway); a triage that fails opens
// nothing and tells the one who asked.
func TestTriageOpensFromTheReport(t *testing.T) {
	tests := []struct {
		name     string
		report   *runbook.Report // nil: the triage fails
		severity incident.Severity
		title    string
		cause    string // the cause line of the message
	}{
		{name: "rate limited", report: &runbook.Report{Cause: runbook.RateLimited, Severity: runbook.P2,
			Summary: "HubSpot answers 429: the daily limit is spent", HTTPStatus: 429},
			severity: incident.P2, title: "HubSpot: rate limited (429)",
			cause: "*Cause:* HubSpot answers 429: the daily limit is spent (HTTP 429)"},
		{name: "misconfigured, no severity suggested", report: &runbook.Report{Cause: runbook.Misconfigured,
			Summary: "HUBSPOT_ACCESS_TOKEN is not set"}, severity: incident.P3, title: "HubSpot: not configured",
			cause: "*Cause:* HUBSPOT_ACCESS_TOKEN is not set"},
		{name: "healthy", report: &runbook.Report{Cause: runbook.Healthy, Summary: "Every check passed"}},
		{name: "the triage fails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			delete(b.triage.reports, "hubspot")
			if tt.report != nil {
				b.triage.reports["hubspot"] = *tt.report
			}
			b.command("U0ALICE", "triage hubspot")
			b.settle()
			calls := b.since(0)
			switch {
			case tt.report == nil:
				if len(calls) != 1 || calls[0].Method != callEphemeral || calls[0].UserID != "U0ALICE" ||
					calls[0].Msg.Text != ":warning: no canned report for hubspot" || len(b.incidents()) != 0 {
					t.Errorf("Slack received %v with %d incidents; want only the error told to U0ALICE", calls, len(b.incidents()))
				}
				return
			case tt.report.Cause == runbook.Healthy:
				if len(calls) != 1 || calls[0].Method != callPost || calls[0].ThreadTS != "" || len(b.incidents()) != 0 {
					t.Fatalf("Slack received %v with %d incidents; want one answer in the channel and no incident", calls, len(b.incidents()))
				}
				text := blockText(t, calls[0].Msg)
				if !strings.Contains(text, "HubSpot looks healthy") || !strings.Contains(string(calls[0].Msg.Blocks), `"action_id":"declare_anyway","value":"hubspot"`) {
					t.Errorf("healthy answer:\n%s\n%s", text, calls[0].Msg.Blocks)
				}
				return
			}
			if len(calls) != 1 || calls[0].Method != callPost {
				t.Fatalf("Slack received %v, want one Post", calls)
			}
			text := blockText(t, calls[0].Msg)
			header := "[" + string(tt.severity) + "] INCIDENT INC-1: " + tt.title
			if !strings.HasPrefix(text, header+"\n") || !strings.Contains(text+"\n", tt.cause+"\n") {
				t.Errorf("posted:\n%s\nwant %q and %q", text, header, tt.cause)
			}
			inc := b.incidents()[0]
			if inc.Severity != tt.severity || inc.Diagnosis == nil || inc.Diagnosis.Cause != string(tt.report.Cause) {
				t.Errorf("stored severity %s, diagnosis %+v", inc.Severity, inc.Diagnosis)
			}
		})
	}
}

// TestDeclareAnyway: the healthy answer's button opens the incident, once
// however often Slack delivers the click, with the clicker as its reporter.
func TestDeclareAnyway(t *testing.T) {
	b := newTestBot(t, Config{})
	b.triage.reports["hubspot"] = runbook.Report{Cause: runbook.Healthy, Summary: "Every check passed"}
	b.command("U0ALICE", "triage hubspot")
	b.settle()
	click := Action{UserID: "U0BOB", ActionID: "declare_anyway", Value: "hubspot", DeliveryID: "1.2.3/0"}
	b.action(click)
	b.action(click) // redelivered
	b.settle()
	incs := b.incidents()
	if len(incs) != 1 || incs[0].Vendor != "hubspot" || incs[0].CreatedBy != "U0BOB" || incs[0].Severity != incident.P4 ||
		incs[0].Title != "HubSpot: looks healthy" || incs[0].MessageTS == "" {
		t.Fatalf("incidents %+v, want one HubSpot incident by U0BOB, posted", incs)
	}
	b.action(Action{UserID: "U0BOB", ActionID: "declare_anyway", Value: "../etc/passwd"})
	b.settle()
	if len(b.incidents()) != 1 {
		t.Error("a Declare anyway naming no catalog vendor opened an incident")
	}
}

// TestRetriageGoesIntoTheOpenIncident: a second triage of a vendor with an
// open incident in the channel opens no second one: the report goes into
// its thread, and the incident message changes when the cause did.
func TestRetriageGoesIntoTheOpenIncident(t *testing.T) {
	b := newTestBot(t, Config{})
	b.command("U0ALICE", "triage hubspot")
	b.settle()
	inc := b.incidents()[0]
	mark := b.mark()
	b.command("U0BOB", "triage hubspot") // the same report
	b.settle()
	posts := b.since(mark, callPost)
	if len(b.incidents()) != 1 || len(posts) != 1 || posts[0].ThreadTS != inc.MessageTS || len(b.since(mark, callUpdate)) != 0 {
		t.Fatalf("same cause: %d incidents, posts %v, updates %d; want the report in the thread only",
			len(b.incidents()), posts, len(b.since(mark, callUpdate)))
	}
	b.triage.reports["hubspot"] = runbook.Report{Cause: runbook.Healthy, Summary: "Every check passed"}
	mark = b.mark()
	b.command("U0BOB", "triage hubspot")
	b.settle()
	posts, updates := b.since(mark, callPost), b.since(mark, callUpdate)
	if len(b.incidents()) != 1 || len(posts) != 1 || posts[0].ThreadTS != inc.MessageTS || len(updates) != 1 ||
		!strings.Contains(blockText(t, posts[0].Msg), "the cause changed") {
		t.Fatalf("changed cause: posts %v, updates %v", posts, updates)
	}
	if got := b.reload(inc).Diagnosis.Cause; got != "healthy" {
		t.Errorf("stored cause %q, want the new one", got)
	}
	if n := len(b.entries(inc, incident.KindTriage)); n != 3 {
		t.Errorf("%d triage entries, want 3 (the first and two more)", n)
	}
}
