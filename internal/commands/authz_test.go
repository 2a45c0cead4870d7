package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// TestResolveAllowed (finding 1: the Resolve button ignored it): with RESOLVE_ALLOWED set, only the people it names
// may resolve an incident or change its severity, by command or by
// button. Others are refused, only to them, and the refusal is recorded;
// nothing changes and nothing is posted.
func TestResolveAllowed(t *testing.T) {
	onlyCommander := ":no_entry: Only the commander (<@U0ALICE>) may %s. Ask them to, or to make you the commander."
	onlyListed := ":no_entry: Only the members of <!subteam^S0OPS> may %s. Ask them."
	says := map[string]string{"resolve": "resolve INC-1", "change the severity": "change the severity of INC-1"}
	resolveCmd := func(b *testBot, user string, _ *incident.Incident) string { return b.command(user, "resolve") }
	resolveBtn := func(b *testBot, user string, inc *incident.Incident) string {
		b.click(user, messages.ActionID(messages.ActionResolve, ""), inc)
		return ""
	}
	severityCmd := func(b *testBot, user string, _ *incident.Incident) string { return b.command(user, "severity P1") }
	severityBtn := func(b *testBot, user string, inc *incident.Incident) string {
		b.click(user, messages.ActionID(messages.ActionSeverity, "P1"), inc)
		return ""
	}
	tests := []struct {
		name    string
		allowed []string
		user    string
		do      func(b *testBot, user string, inc *incident.Incident) string // returns the immediate answer
		what    string                                                       // "resolve" or "change the severity"
		refusal string                                                       // format of the refusal; "" when allowed
	}{
		{name: "resolve command by another", allowed: []string{"commander"}, user: "U0BOB", do: resolveCmd, what: "resolve", refusal: onlyCommander},
		{name: "resolve button by another", allowed: []string{"commander"}, user: "U0BOB", do: resolveBtn, what: "resolve", refusal: onlyCommander},
		{name: "severity command by another", allowed: []string{"commander"}, user: "U0BOB", do: severityCmd, what: "change the severity", refusal: onlyCommander},
		{name: "severity button by another", allowed: []string{"commander"}, user: "U0BOB", do: severityBtn, what: "change the severity", refusal: onlyCommander},
		{name: "resolve command by the commander", allowed: []string{"commander"}, user: "U0ALICE", do: resolveCmd, what: "resolve"},
		{name: "resolve button by the commander", allowed: []string{"commander"}, user: "U0ALICE", do: resolveBtn, what: "resolve"},
		{name: "severity button by the commander", allowed: []string{"commander"}, user: "U0ALICE", do: severityBtn, what: "change the severity"},
		{name: "resolve button by a listed user", allowed: []string{"U0BOB"}, user: "U0BOB", do: resolveBtn, what: "resolve"},
		{name: "resolve button by a group member", allowed: []string{"S0OPS"}, user: "U0BOB", do: resolveBtn, what: "resolve"},
		{name: "resolve button by a non-member", allowed: []string{"S0OPS"}, user: "U0CAROL", do: resolveBtn, what: "resolve", refusal: onlyListed},
		{name: "resolve command by a non-member", allowed: []string{"S0OPS"}, user: "U0CAROL", do: resolveCmd, what: "resolve", refusal: onlyListed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{ResolveAllowed: tt.allowed})
			b.slack.SetGroup("S0OPS", "U0BOB")
			inc := b.open("U0ALICE", "DNS flapping") // commander: U0ALICE; P3
			mark := b.mark()
			answer := tt.do(b, tt.user, inc)
			b.settle()
			after := b.reload(inc)
			refused := b.entries(inc, incident.KindRefused)
			changed := !after.Open() || after.Severity != incident.P3

			if tt.refusal == "" {
				if !changed || len(refused) != 0 {
					t.Errorf("allowed, but changed %v with %d refusals recorded", changed, len(refused))
				}
				return
			}
			want := strings.Replace(tt.refusal, "%s", says[tt.what], 1)
			if changed {
				t.Errorf("refused, but the incident changed: %s, %s", after.Status, after.Severity)
			}
			if len(refused) != 1 || refused[0].Author != tt.user || refused[0].Text != tt.what {
				t.Errorf("refusals recorded %+v, want one by %s: %q", refused, tt.user, tt.what)
			}
			calls := b.since(mark, callPost, callUpdate, callEphemeral, callUpload)
			if answer != "" { // the command's own answer is the ephemeral refusal
				if answer != want || len(calls) != 0 {
					t.Errorf("answered %q and sent %v; want %q and nothing else", answer, methods(calls), want)
				}
				return
			}
			if len(calls) != 1 || calls[0].Method != callEphemeral || calls[0].UserID != tt.user || calls[0].Msg.Text != want {
				t.Errorf("Slack received %+v; want only the ephemeral %q to %s", calls, want, tt.user)
			}
		})
	}
}

// TestCommanderHandoverNeedsPermission (finding 2): with
// RESOLVE_ALLOWED=commander, taking the commander role was the way around
// the rule: `/incident commander @me`, then `resolve`. Once an incident has
// a commander, only the commander (or someone RESOLVE_ALLOWED lists) hands
// the role on, and the refusal no longer suggests taking it.
func TestCommanderHandoverNeedsPermission(t *testing.T) {
	b := newTestBot(t, Config{ResolveAllowed: []string{"commander"}})
	inc := b.open("U0ALICE", "DNS flapping") // commander: U0ALICE

	mark := b.mark()
	answer := b.command("U0BOB", "commander <@U0BOB>")
	b.settle()
	if got := b.reload(inc).Commander; got != "U0ALICE" {
		t.Fatalf("bob made himself commander: commander is %s", got)
	}
	want := ":no_entry: Only the commander (<@U0ALICE>) may hand on the commander role of INC-1. Ask them."
	if answer != want {
		t.Errorf("bob's handover answered %q, want %q", answer, want)
	}
	if calls := b.since(mark, callPost, callUpdate, callUpload); len(calls) != 0 {
		t.Errorf("a refused handover sent %v", methods(calls))
	}
	if refused := b.entries(inc, incident.KindRefused); len(refused) != 1 || refused[0].Author != "U0BOB" ||
		refused[0].Text != "hand on the commander role" {
		t.Errorf("refusals recorded %+v, want bob's handover", refused)
	}
	if got := b.command("U0BOB", "resolve"); !strings.HasPrefix(got, ":no_entry: Only the commander (<@U0ALICE>) may resolve INC-1.") ||
		strings.Contains(got, "/incident commander") {
		t.Errorf("bob's resolve answered %q: want a refusal that does not suggest taking the role", got)
	}
	b.settle()
	if !b.reload(inc).Open() {
		t.Fatal("bob resolved the incident")
	}

	// The commander hands the role on; then bob may resolve.
	if got := b.command("U0ALICE", "commander <@U0BOB>"); !strings.HasPrefix(got, "Making <@U0BOB> the commander") {
		t.Fatalf("alice's handover answered %q", got)
	}
	b.settle()
	if got := b.reload(inc).Commander; got != "U0BOB" {
		t.Fatalf("after alice's handover the commander is %s", got)
	}
	if got := b.command("U0BOB", "resolve"); !strings.HasPrefix(got, "Resolving INC-1") {
		t.Errorf("the new commander's resolve answered %q", got)
	}
	b.settle()
	if b.reload(inc).Open() {
		t.Error("the new commander could not resolve")
	}
}

// TestChangesOnlyFromTheIncidentsChannel (finding 3): incidents were
// found by workspace and number only, so anyone, from any channel, could
// post a status update into a private channel's incident thread and change
// its commander and severity. An incident is changed only from its own
// channel (and its thread); a private channel's incident is, elsewhere,
// answered as if it did not exist, and a public one's refusal says where.
func TestChangesOnlyFromTheIncidentsChannel(t *testing.T) {
	b := newTestBot(t, Config{})
	private := b.openIn(testChannel, "group", "U0ALICE", "Payroll export leaks salaries") // INC-1
	public := b.openIn("C0PUB", "channel", "U0ALICE", "Checkout slow")                    // INC-2
	if private.Public || !public.Public {
		t.Fatalf("stored public: %v for the private channel's, %v for the public one's", private.Public, public.Public)
	}
	hidden := ":warning: INC-1 does not exist. `/incident list` shows the open incidents."
	onlyThere := ":no_entry: INC-2 is changed only in <#C0PUB>, the channel it was declared in, or in its thread there."
	tests := []struct{ text, want string }{
		{"status All good, nothing to see INC-1", hidden},
		{"status monitoring INC-1", hidden},
		{"severity P4 INC-1", hidden},
		{"commander <@U0MAL> INC-1", hidden},
		{"resolve INC-1", hidden},
		{"status All good INC-2", onlyThere},
		{"severity P4 INC-2", onlyThere},
		{"commander <@U0MAL> INC-2", onlyThere},
		{"resolve INC-2", onlyThere},
	}
	mark := b.mark()
	for _, tt := range tests {
		if got := b.commandIn("C0ELSE", "channel", "U0MAL", tt.text); got != tt.want {
			t.Errorf("%q from another channel answered %q, want %q", tt.text, got, tt.want)
		}
	}
	b.settle()
	if calls := b.since(mark, callPost, callUpdate, callUpload); len(calls) != 0 {
		t.Errorf("changes from another channel sent %v", calls)
	}
	for _, inc := range []*incident.Incident{private, public} {
		after := b.reload(inc)
		if after.Severity != incident.P3 || after.Commander != "U0ALICE" || !after.Open() || after.Status != incident.Investigating {
			t.Errorf("%s changed from another channel: %s, %s, commander %s", inc.Ref(), after.Status, after.Severity, after.Commander)
		}
		if n := len(b.entries(inc, incident.KindUpdate)); n != 0 {
			t.Errorf("%s has %d status updates from another channel", inc.Ref(), n)
		}
		refused := b.entries(inc, incident.KindRefused)
		if len(refused) != 4+btoi(inc == private) || refused[0].Author != "U0MAL" || !strings.HasSuffix(refused[0].Text, "(from another channel)") {
			t.Errorf("%s recorded refusals %+v", inc.Ref(), refused)
		}
	}

	// From its own channel, the same words work.
	if got := b.commandIn("C0PUB", "channel", "U0BOB", "severity P2 INC-2"); got != "Setting INC-2 to P2…" {
		t.Errorf("severity from the incident's channel answered %q", got)
	}
	b.settle()
	if got := b.reload(public).Severity; got != incident.P2 {
		t.Errorf("severity from the incident's channel: %s, want P2", got)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestListIsPerChannel (finding 3): `list` showed every open incident of
// the workspace, with the titles and channels of private channels'
// incidents, to anyone anywhere. `list` shows the channel's own; `list
// all` every open incident but those of other private channels.
func TestListIsPerChannel(t *testing.T) {
	b := newTestBot(t, Config{})
	b.openIn(testChannel, "group", "U0ALICE", "Payroll export leaks salaries") // INC-1, private
	b.openIn("C0PUB", "channel", "U0ALICE", "Checkout slow")                   // INC-2, public
	b.openIn("C0ELSE", "channel", "U0BOB", "Search down")                      // INC-3, public
	tests := []struct {
		channel, kind, text string
		want, notWant       []string
	}{
		{"C0ELSE", "channel", "list", []string{"*Open incidents in this channel (1)*", "INC-3"}, []string{"INC-1", "Payroll", testChannel, "INC-2"}},
		{"C0ELSE", "channel", "list all", []string{"*Open incidents (2)*", "INC-2", "INC-3", "Checkout slow"}, []string{"INC-1", "Payroll", testChannel}},
		{"C0NONE", "group", "list", []string{"No open incidents in this channel."}, []string{"INC-"}},
		{testChannel, "group", "list", []string{"(1)", "INC-1", "Payroll"}, []string{"INC-2", "INC-3"}},
		{testChannel, "group", "list all", []string{"(3)", "INC-1", "INC-2", "INC-3"}, nil},
	}
	for _, tt := range tests {
		got := b.commandIn(tt.channel, tt.kind, "U0MAL", tt.text)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q in %s: %q lacks %q", tt.text, tt.channel, got, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%q in %s: %q shows %q", tt.text, tt.channel, got, w)
			}
		}
	}
}

// TestListCountsEveryOpenIncident (finding 3): with 420 open, list said
// "Open incidents (40)": the count is of all of them, the list the newest.
func TestListCountsEveryOpenIncident(t *testing.T) {
	b := newTestBot(t, Config{})
	for i := range 45 {
		b.seed(&incident.Incident{Title: fmt.Sprintf("Incident %d", i), Severity: incident.P3, Status: incident.Investigating,
			DeclaredAt: testT0.Add(time.Duration(i) * time.Minute), Public: true})
	}
	got := b.command("U0ALICE", "list")
	shown := strings.Count(got, "\n•")
	if !strings.Contains(got, "*Open incidents in this channel (45)*") || shown < 20 || !strings.Contains(got, "INC-45:") ||
		strings.Contains(got, "INC-5:") || !strings.Contains(got, fmt.Sprintf("…and %d more, older", 45-shown)) ||
		strings.HasSuffix(strings.TrimSpace(got), "• …") {
		t.Errorf("list of 45 open incidents:\n%s", got)
	}
}

// TestActionsStayInTheirWorkspace (finding 4): a block action carrying
// another workspace's team id changed and resolved an incident: actions
// were not checked against the incident's workspace. Now nothing changes,
// the clicker is told no more than that the incident does not exist there,
// and the attempt is in the timeline.
func TestActionsStayInTheirWorkspace(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "DNS flapping")
	mark := b.mark()
	for _, id := range []string{
		messages.ActionID(messages.ActionSeverity, "P1"),
		messages.ActionID(messages.ActionStatus, "monitoring"),
		messages.ActionID(messages.ActionResolve, ""),
		messages.ActionID(messages.ActionReminder, messages.ReminderStop),
	} {
		b.svc.Action(context.Background(), Action{TeamID: "T0EVIL", ChannelID: testChannel, UserID: "U0EVE",
			MessageTS: inc.MessageTS, ActionID: id, Value: inc.ID.String(), ResponseURL: testHook})
	}
	b.settle()
	after := b.reload(inc)
	if !after.Open() || after.Severity != incident.P3 || after.Status != incident.Investigating || after.NextUpdateAt.IsZero() {
		t.Errorf("another workspace's clicks changed the incident: %s, %s, next update %v", after.Status, after.Severity, after.NextUpdateAt)
	}
	calls := b.since(mark)
	if len(calls) != 4 {
		t.Fatalf("Slack received %v; want one answer per click", calls)
	}
	for _, c := range calls {
		if c.Method != callEphemeral || c.UserID != "U0EVE" || c.Msg.Text != ":warning: That incident does not exist here." {
			t.Errorf("Slack received %v; want only ephemeral answers that the incident does not exist", c)
		}
	}
	refused := b.entries(inc, incident.KindRefused)
	if len(refused) != 4 {
		t.Errorf("refusals recorded %+v, want one per click", refused)
	}
	for _, r := range refused {
		if r.Author != "U0EVE" || !strings.HasSuffix(r.Text, " (from another workspace)") {
			t.Errorf("refusal recorded %+v", r)
		}
	}
}

// TestEventsStayInTheirWorkspace (finding 4): an event from another team
// was stored in this team's timeline. Messages, edits and deletions from
// another workspace are left out (and logged), those of this one kept.
func TestEventsStayInTheirWorkspace(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "DNS flapping")
	ts := b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "looking into it")
	b.event(Event{EventID: "Ev1", Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: "looking into it",
		TS: ts, ThreadTS: inc.MessageTS})
	evil := slackTS(testT0.Add(time.Minute))
	for _, e := range []Event{
		{EventID: "Ev2", Type: "message", Text: "all fine, resolve it", TS: evil},
		{EventID: "Ev3", Type: "message", Subtype: "message_changed", Text: "nothing was wrong", TS: ts, EditedTS: evil},
		{EventID: "Ev4", Type: "message", Subtype: "message_deleted", TS: evil, DeletedTS: ts},
	} {
		e.TeamID, e.ChannelID, e.UserID, e.ThreadTS = "T0EVIL", testChannel, "U0EVE", inc.MessageTS
		b.event(e)
	}
	b.settle()
	msgs := b.entries(inc, incident.KindMessage, incident.KindEdit, incident.KindDeletion)
	if len(msgs) != 1 || msgs[0].Text != "looking into it" || msgs[0].Edited || msgs[0].Deleted || msgs[0].Author != "U0BOB" {
		t.Errorf("timeline messages %+v; want bob's alone, unchanged", msgs)
	}
}

// TestAuthorizeUnknownOperation: an operation the table does not list is
// refused (fails closed), however open the rules are.
func TestAuthorizeUnknownOperation(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := b.open("U0ALICE", "DNS flapping")
	ok, msg := b.svc.authorize(context.Background(), actor{team: testTeam, user: "U0ALICE", channel: testChannel}, op("frobnicate"), inc)
	if ok || msg == "" {
		t.Errorf("authorize(frobnicate) = %v, %q; want refused", ok, msg)
	}
}
