package commands

// The permission matrix: every way of acting on an incident (each
// subcommand, typed or said to the bot in the thread; each button; each
// form; each kind of thread event) against every role, with the outcome
// the rules in authz.go promise, from one table. TestPermissionMatrixCovers
// fails when a subcommand, a button, a form or an operation has no row, so
// a new path cannot be added without saying who may use it.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
	"github.com/incident-bot/bot/messages"
)

// outcome is what the matrix expects of one path for one role.
type outcome int

const (
	done    outcome = iota // it takes effect
	refused                // nothing changes; the person is told who may, or where; the timeline records it
	hidden                 // nothing changes, and nothing of the incident is shown: as if it did not exist
)

func (o outcome) String() string { return [...]string{"done", "refused", "hidden"}[o] }

// matrixRole is who acts, and from where, on an incident of testChannel
// that alice declared and handed to bob, with RESOLVE_ALLOWED=commander,U0DAVE.
type matrixRole struct {
	name              string
	team, channel     string
	user              string
	publicIncident    bool // the incident's channel is public (else private)
	pick              func(expect) outcome
	inPlace, sameTeam bool
	// ownChannel: the role acts from the incident's own channel
	// (INCIDENT_CHANNELS=channel), which exists once the incident does.
	ownChannel bool
}

// expect is one row's outcome for each role.
type expect struct{ reporter, commander, allowed, member, otherChannel, otherPublic, otherTeam outcome }

var matrixRoles = []matrixRole{
	{name: "reporter", team: testTeam, channel: testChannel, user: "U0ALICE", pick: func(e expect) outcome { return e.reporter }},
	{name: "commander", team: testTeam, channel: testChannel, user: "U0BOB", pick: func(e expect) outcome { return e.commander }},
	{name: "allowed user", team: testTeam, channel: testChannel, user: "U0DAVE", pick: func(e expect) outcome { return e.allowed }},
	{name: "other member", team: testTeam, channel: testChannel, user: "U0CAROL", pick: func(e expect) outcome { return e.member }},
	// The commander himself, from another channel: the place is what counts.
	{name: "other channel", team: testTeam, channel: "C0ELSE", user: "U0BOB", pick: func(e expect) outcome { return e.otherChannel }},
	{name: "other channel, public incident", team: testTeam, channel: "C0ELSE", user: "U0BOB", publicIncident: true,
		pick: func(e expect) outcome { return e.otherPublic }},
	// Another workspace, claiming the incident's very channel, thread and id.
	{name: "other workspace", team: "T0EVIL", channel: testChannel, user: "U0EVE", pick: func(e expect) outcome { return e.otherTeam }},
}

// incidentChannelRoles are the roles of the matrix in channel mode
// (INCIDENT_CHANNELS=channel): the commander in the incident's own channel,
// where its message and thread are, may do what he may do where it was
// declared.
var incidentChannelRoles = []matrixRole{
	{name: "incident channel", team: testTeam, user: "U0BOB", ownChannel: true, pick: func(e expect) outcome { return e.commander }},
	{name: "incident channel, other member", team: testTeam, user: "U0CAROL", ownChannel: true, pick: func(e expect) outcome { return e.member }},
}

// The rows' outcomes, by rule.
var (
	// RESOLVE_ALLOWED: resolve and severity; and the commander handover,
	// as the reporter is no longer the commander.
	onlyAllowed = expect{reporter: refused, commander: done, allowed: done, member: refused,
		otherChannel: hidden, otherPublic: refused, otherTeam: hidden}
	// Anyone in the channel.
	anyMemberHere = expect{reporter: done, commander: done, allowed: done, member: done,
		otherChannel: hidden, otherPublic: refused, otherTeam: hidden}
	// Opening an incident, or help: anyone, anywhere, in their own place.
	everyone = expect{}
	// list: the channel's own incidents.
	listHere = expect{otherChannel: hidden, otherPublic: hidden, otherTeam: hidden}
	// list all: also public channels' incidents.
	listAll = expect{otherChannel: hidden, otherPublic: done, otherTeam: hidden}
	// Messages in the thread: found only in the incident's own thread, and
	// only from its workspace.
	threadOnly = expect{otherChannel: hidden, otherPublic: hidden, otherTeam: hidden}
)

// cell is one role acting on one path: the state before, and what came of it.
type cell struct {
	b             *testBot
	r             matrixRole
	inc, after    *incident.Incident
	mark          int
	placeBefore   int    // incidents in the role's own workspace and channel before it acted
	triagesBefore int    // triage reports in those incidents' timelines before it acted
	answer        string // what the person was shown
	replyTS       string // event rows: bob's reply in the thread
}

// matrixRow is one way of acting on an incident.
type matrixRow struct {
	path  string // slash, mention, button, form, event
	name  string // the verb's name, the action id, the callback id, the event
	op    op     // what authorize is asked; "" for verbs that act on no incident
	words string // slash and mention: the words, %s where INC-n goes
	setup func(c *cell)
	run   func(c *cell)      // button, form, event rows
	did   func(c *cell) bool // whether it took effect
	want  expect
}

// verbRows are the subcommands, each typed as /incident and said to the
// bot: both paths come from these rows.
var verbRows = []matrixRow{
	{name: "triage", words: "triage hubspot", did: triaged, want: everyone},
	{name: "declare", words: "declare Printer on fire", did: openedOne, want: everyone},
	{name: "severity", op: opSeverity, words: "severity P1 %s", want: onlyAllowed,
		did: func(c *cell) bool { return c.after.Severity == incident.P1 }},
	{name: "status", op: opUpdate, words: "status Rolled back the deploy %s", want: anyMemberHere,
		did: func(c *cell) bool { return len(c.b.entries(c.inc, incident.KindUpdate)) > 0 }},
	{name: "status", op: opStatus, words: "status monitoring %s", want: anyMemberHere,
		did: func(c *cell) bool { return c.after.Status == incident.Monitoring }},
	{name: "commander", op: opCommander, words: "commander <@U0CAROL> %s", want: onlyAllowed,
		did: func(c *cell) bool { return c.after.Commander == "U0CAROL" }},
	{name: "list", words: "list", want: listHere, did: listed},
	{name: "list", words: "list all", want: listAll, did: listed},
	{name: "resolve", op: opResolve, words: "resolve %s", want: onlyAllowed,
		did: func(c *cell) bool { return !c.after.Open() }},
	{name: "reopen", op: opReopen, words: "reopen %s", want: anyMemberHere, setup: setupResolved,
		did: func(c *cell) bool { return c.after.Open() }},
	{name: "followup", op: opFollowup, words: "followup Add a runbook entry %s", want: anyMemberHere,
		did: func(c *cell) bool { return hasFollowup(c, "Add a runbook entry") }},
	{name: "role", op: opRole, words: "role scribe <@U0CAROL> %s", want: onlyAllowed,
		did: func(c *cell) bool { return c.after.Scribe == "U0CAROL" }},
	{name: "statuspage", op: opStatuspageDraft, words: "statuspage We are on it %s", want: anyMemberHere,
		did: func(c *cell) bool { return c.after.StatuspageDraft == "We are on it" }},
	{name: "help", words: "help", want: everyone,
		did: func(c *cell) bool { return strings.Contains(c.answer, "/incident triage") }},
	// The vendor watch acts on no incident: anyone subscribes their own
	// channel, in their own workspace.
	{name: "watch", words: "watch hubspot", want: everyone, did: func(c *cell) bool { return c.watching("hubspot") }},
	{name: "unwatch", words: "unwatch hubspot", want: everyone, setup: setupWatch,
		did: func(c *cell) bool { return !c.watching("hubspot") }},
	{name: "watching", words: "watching", want: everyone, setup: setupWatch,
		did: func(c *cell) bool { return strings.Contains(c.answer, "HubSpot") }},
}

// otherRows are the buttons, the forms and the thread's events.
var otherRows = []matrixRow{
	buttonRow(messages.ActionSeverity, "P1", opSeverity, onlyAllowed, func(c *cell) bool { return c.after.Severity == incident.P1 }),
	buttonRow(messages.ActionStatus, "monitoring", opStatus, anyMemberHere, func(c *cell) bool { return c.after.Status == incident.Monitoring }),
	buttonRow(messages.ActionResolve, "", opResolve, onlyAllowed, func(c *cell) bool { return !c.after.Open() }),
	func() matrixRow { // Reopen, on a resolved incident's message
		r := buttonRow(messages.ActionReopen, "", opReopen, anyMemberHere, func(c *cell) bool { return c.after.Open() })
		r.setup = setupResolved
		return r
	}(),
	buttonRow(messages.ActionReminder, messages.ReminderUpdate, opUpdate, anyMemberHere,
		func(c *cell) bool { return len(c.b.since(c.mark, callOpenModal)) == 1 }),
	buttonRow(messages.ActionReminder, messages.ReminderSnooze15m, opReminders, anyMemberHere, remindersMoved),
	buttonRow(messages.ActionReminder, messages.ReminderSnooze1h, opReminders, anyMemberHere, remindersMoved),
	buttonRow(messages.ActionReminder, messages.ReminderStop, opReminders, anyMemberHere, remindersMoved),
	// Declare anyway, under a healthy triage's answer: it acts on no
	// incident and opens one, as declare does, for anyone.
	{path: "button", name: string(messages.ActionDeclareAnyway), want: everyone, did: openedOne,
		run: func(c *cell) {
			c.b.svc.Action(context.Background(), Action{TeamID: c.r.team, ChannelID: c.r.channel, UserID: c.r.user,
				ActionID: string(messages.ActionDeclareAnyway), Value: "hubspot", ResponseURL: testHook,
				TriggerID: nextDelivery(), DeliveryID: nextDelivery()})
		}},
	// Declare incident, under a vendor watch message: as Declare anyway,
	// except that where the channel has the vendor's incident open already
	// (an earlier role opened it) the person is pointed to it.
	{path: "button", name: string(messages.ActionWatchDeclare), want: everyone,
		did: func(c *cell) bool {
			return openedOne(c) || strings.Contains(c.answer, "is already open about this vendor")
		},
		run: func(c *cell) {
			c.b.svc.Action(context.Background(), Action{TeamID: c.r.team, ChannelID: c.r.channel, UserID: c.r.user,
				ActionID: string(messages.ActionWatchDeclare), Value: "hubspot", ResponseURL: testHook,
				TriggerID: nextDelivery(), DeliveryID: nextDelivery()})
		}},
	{path: "form", name: messages.CallbackPostUpdate, op: opUpdate, want: anyMemberHere,
		run: func(c *cell) {
			c.b.svc.Submit(context.Background(), Submission{TeamID: c.r.team, UserID: c.r.user, CallbackID: messages.CallbackPostUpdate,
				PrivateMetadata: messages.FormMetadata{Incident: c.inc.ID.String(), Channel: c.r.channel}.String(),
				Values:          map[string]string{"status": "identified", "action": "Rolled back the deploy"}, DeliveryID: nextDelivery()})
		},
		did: func(c *cell) bool {
			u := c.b.entries(c.inc, incident.KindUpdate)
			return len(u) == 1 && strings.Contains(u[0].Text, "Rolled back") && c.after.Status == incident.Identified
		}},
	buttonRow(messages.ActionStatuspage, messages.StatuspageEdit, opStatuspageDraft, anyMemberHere,
		func(c *cell) bool { return len(c.b.since(c.mark, callOpenModal)) == 1 }),
	// Publish: the commander, the comms role or RESOLVE_ALLOWED (U0DAVE).
	buttonRow(messages.ActionStatuspage, messages.StatuspagePublish, opStatuspagePublish, onlyAllowed,
		func(c *cell) bool { return c.after.StatuspageID != "" }),
	// The declare form opens an incident where it was asked for, for anyone.
	{path: "form", name: messages.CallbackDeclare, want: everyone, did: openedOne,
		run: func(c *cell) {
			c.b.svc.Submit(context.Background(), Submission{TeamID: c.r.team, UserID: c.r.user, CallbackID: messages.CallbackDeclare,
				PrivateMetadata: messages.FormMetadata{Channel: c.r.channel}.String(),
				Values:          map[string]string{"title": "Printer on fire", "severity": "P2"}, DeliveryID: nextDelivery()})
		}},
	{path: "form", name: messages.CallbackStatuspage, op: opStatuspageDraft, want: anyMemberHere,
		run: func(c *cell) {
			c.b.svc.Submit(context.Background(), Submission{TeamID: c.r.team, UserID: c.r.user, CallbackID: messages.CallbackStatuspage,
				PrivateMetadata: messages.FormMetadata{Incident: c.inc.ID.String(), Channel: c.r.channel}.String(),
				Values:          map[string]string{"text": "Fixed soon"}, DeliveryID: nextDelivery()})
		},
		did: func(c *cell) bool { return c.after.StatuspageDraft == "Fixed soon" }},
	{path: "event", name: "message", op: opTimeline, want: threadOnly,
		run: func(c *cell) { c.threadEvent(Event{Type: "message", Text: "it is DNS", TS: slackTS(testT0.Add(61e9))}) },
		did: func(c *cell) bool {
			return slices.ContainsFunc(c.b.entries(c.inc, incident.KindMessage), func(e incident.Entry) bool {
				return e.Author == c.r.user && e.Text == "it is DNS"
			})
		}},
	{path: "event", name: "message action:", op: opFollowup, want: threadOnly,
		run: func(c *cell) {
			c.threadEvent(Event{Type: "message", Text: "action: rotate the token", TS: slackTS(testT0.Add(64e9))})
		},
		did: func(c *cell) bool { return hasFollowup(c, "rotate the token") }},
	// Capture: the timeline reaction on a reply in the incident's thread,
	// and the form the message shortcut opens to choose the incident (from
	// anywhere the incident is visible).
	{path: "event", name: "reaction_added", op: opCapture, want: threadOnly, setup: setupReply,
		run: func(c *cell) {
			c.threadEvent(Event{Type: "reaction_added", Reaction: "pushpin", TS: c.replyTS})
		},
		did: func(c *cell) bool { return len(c.b.entries(c.inc, incident.KindCaptured)) == 1 }},
	{path: "event", name: "reaction_removed", op: opCapture, want: threadOnly, setup: setupCaptured,
		run: func(c *cell) {
			c.threadEvent(Event{Type: "reaction_removed", Reaction: "pushpin", TS: c.replyTS})
		},
		did: func(c *cell) bool { return len(c.b.entries(c.inc, incident.KindCaptured)) == 0 }},
	{path: "form", name: messages.CallbackAddToTimeline, op: opCapture, want: listAll,
		run: func(c *cell) {
			md, _ := captureMetadata(Capture{ChannelID: c.r.channel, TS: slackTS(testT0.Add(-time.Hour)), Author: "U0DAVE", Text: "deploy 42 out"})
			c.b.svc.Submit(context.Background(), Submission{TeamID: c.r.team, UserID: c.r.user, CallbackID: messages.CallbackAddToTimeline,
				PrivateMetadata: md, Values: map[string]string{"incident": c.inc.ID.String()}, DeliveryID: nextDelivery()})
		},
		did: func(c *cell) bool {
			e := c.b.entries(c.inc, incident.KindCaptured)
			return len(e) == 1 && strings.HasPrefix(e[0].Text, "deploy 42 out") && e[0].At.Equal(testT0.Add(-time.Hour))
		}},
	{path: "event", name: "message_changed", op: opTimeline, want: threadOnly, setup: setupReply,
		run: func(c *cell) {
			c.threadEvent(Event{Type: "message", Subtype: "message_changed", Text: "it was never DNS", TS: c.replyTS,
				EditedTS: slackTS(testT0.Add(62e9))})
		},
		did: func(c *cell) bool { m := c.reply(); return m != nil && m.Text == "it was never DNS" }},
	{path: "event", name: "message_deleted", op: opTimeline, want: threadOnly, setup: setupReply,
		run: func(c *cell) {
			c.threadEvent(Event{Type: "message", Subtype: "message_deleted", TS: slackTS(testT0.Add(63e9)), DeletedTS: c.replyTS})
		},
		did: func(c *cell) bool { m := c.reply(); return m != nil && m.Deleted }},
	// An alert of the incident's group (POST /hooks/*, authorized by
	// HOOK_TOKEN): the alert channel adds it, here as the role's workspace
	// and channel; nobody is told, so a refusal shows as hidden.
	{path: "hook", name: "alert", op: opAlert, want: threadOnly,
		run: func(c *cell) {
			al := Alert{Source: "generic", Key: "matrix", Status: AlertFiring, Title: "Checkout 5xx", Fingerprint: nextDelivery()}
			if err := c.b.svc.alertInto(context.Background(), actor{team: c.r.team, channel: c.r.channel}, c.inc, &al, false); err != nil {
				c.b.t.Fatal(err)
			}
		},
		did: func(c *cell) bool { return len(c.b.entries(c.inc, incident.KindAlert)) > 0 }},
}

// matrixRows is the whole table: each verb row as a slash command and as a
// mention, then the buttons, forms and events.
func matrixRows() []matrixRow {
	var rows []matrixRow
	for _, path := range []string{"slash", "mention"} {
		for _, r := range verbRows {
			r.path = path
			rows = append(rows, r)
		}
	}
	return append(rows, otherRows...)
}

func buttonRow(kind messages.ActionKind, arg string, o op, want expect, did func(c *cell) bool) matrixRow {
	id := messages.ActionID(kind, arg)
	return matrixRow{path: "button", name: id, op: o, want: want, did: did, run: func(c *cell) {
		c.b.svc.Action(context.Background(), Action{TeamID: c.r.team, ChannelID: c.r.channel, UserID: c.r.user,
			MessageTS: c.inc.MessageTS, ActionID: id, Value: c.inc.ID.String(), ResponseURL: testHook,
			TriggerID: nextDelivery(), DeliveryID: nextDelivery()})
	}}
}

var deliveries atomic.Int64

// nextDelivery is a delivery id no other cell uses: jobs are keyed by it.
func nextDelivery() string { return fmt.Sprintf("mx.%d", deliveries.Add(1)) }

// The rows' setups and effects.

func setupResolved(c *cell) {
	if got := c.b.command("U0BOB", "resolve "+c.inc.Ref()); !strings.HasPrefix(got, "Resolving") {
		c.b.t.Fatalf("resolve for the setup answered %q", got)
	}
}

func setupReply(c *cell) {
	c.replyTS = c.b.slack.Say(c.inc.ChannelID, c.inc.MessageTS, "U0BOB", "checking DNS")
	c.b.event(Event{EventID: nextDelivery(), Type: "message", ChannelID: c.inc.ChannelID, UserID: "U0BOB", Text: "checking DNS",
		TS: c.replyTS, ThreadTS: c.inc.MessageTS})
}

// setupCaptured: bob's reply, pinned to the timeline by bob.
func setupCaptured(c *cell) {
	setupReply(c)
	c.b.event(Event{EventID: nextDelivery(), Type: "reaction_added", Reaction: "pushpin", ChannelID: c.inc.ChannelID,
		UserID: "U0BOB", TS: c.replyTS})
	c.b.settle()
	if len(c.b.entries(c.inc, incident.KindCaptured)) != 1 {
		c.b.t.Fatal("setup: the pinned reply is not in the timeline")
	}
}

// reply is bob's reply as the timeline keeps it.
func (c *cell) reply() *incident.Entry {
	for _, e := range c.b.entries(c.inc, incident.KindMessage) {
		if e.SlackTS == c.replyTS {
			return &e
		}
	}
	return nil
}

// threadEvent delivers e as the role, in the incident's thread as seen
// from the role's channel.
func (c *cell) threadEvent(e Event) {
	e.EventID, e.TeamID, e.ChannelID, e.UserID, e.ThreadTS = nextDelivery(), c.r.team, c.r.channel, c.r.user, c.inc.MessageTS
	if err := c.b.svc.Event(context.Background(), e); err != nil {
		c.b.t.Fatal(err)
	}
}

// hasFollowup: the incident has a follow-up saying text, from the role.
func hasFollowup(c *cell, text string) bool {
	fs, err := c.b.db.Followups(context.Background(), c.inc.ID)
	if err != nil {
		c.b.t.Fatal(err)
	}
	return slices.ContainsFunc(fs, func(f incident.Followup) bool { return f.Text == text && f.Author == c.r.user })
}

func openedOne(c *cell) bool { return c.placeIncidents() == c.placeBefore+1 }

// triaged: a triage opened an incident, or (where the channel has the
// vendor's open incident, as the incident under test is) put its report in
// that incident's thread.
func triaged(c *cell) bool { return openedOne(c) || c.placeTriages() > c.triagesBefore }

// placeTriages counts the triage reports in the timelines of the
// incidents of the role's workspace and channel.
func (c *cell) placeTriages() int {
	incs, err := c.b.db.Incidents(context.Background(), incident.Filter{TeamID: c.r.team, ChannelID: c.r.channel})
	if err != nil {
		c.b.t.Fatal(err)
	}
	n := 0
	for _, inc := range incs {
		n += len(c.b.entries(inc, incident.KindTriage))
	}
	return n
}

func listed(c *cell) bool { return strings.Contains(c.answer, "|"+c.inc.Ref()+": ") }

func remindersMoved(c *cell) bool { return !c.after.NextUpdateAt.Equal(c.inc.NextUpdateAt) }

// placeIncidents counts the incidents of the role's workspace and channel.
func (c *cell) placeIncidents() int {
	n, err := c.b.db.CountIncidents(context.Background(), incident.Filter{TeamID: c.r.team, ChannelID: c.r.channel})
	if err != nil {
		c.b.t.Fatal(err)
	}
	return n
}

// act runs the row as the role: a verb row as the slash command or as a
// mention (in the incident's thread when the role is in its channel or
// claims to be, at the top of its own channel naming INC-n otherwise).
func (row matrixRow) act(c *cell) {
	ctx := context.Background()
	switch row.path {
	case "slash":
		typ := "group"
		if c.r.publicIncident {
			typ = "channel"
		}
		c.answer = c.b.svc.Command(ctx, Command{TeamID: c.r.team, ChannelID: c.r.channel, ChannelType: typ, UserID: c.r.user,
			Text: row.wordsFor(c.inc.Ref()), ResponseURL: testHook}).Text
	case "mention":
		e := Event{EventID: nextDelivery(), TeamID: c.r.team, Type: "app_mention", ChannelID: c.r.channel, UserID: c.r.user,
			TS: slackTS(testT0.Add(60e9))}
		if c.r.channel == c.inc.ChannelID {
			e.ThreadTS, e.Text = c.inc.MessageTS, "<@U0BOT> "+row.wordsFor("")
		} else {
			e.Text = "<@U0BOT> " + row.wordsFor(c.inc.Ref())
		}
		if err := c.b.svc.Event(ctx, e); err != nil {
			c.b.t.Fatal(err)
		}
	default:
		row.run(c)
	}
}

// wordsFor is the row's words naming ref (none when ref is empty).
func (row matrixRow) wordsFor(ref string) string {
	if !strings.Contains(row.words, "%s") {
		return row.words
	}
	return strings.TrimSpace(fmt.Sprintf(row.words, ref))
}

// TestPermissionMatrix runs every row as every role, each row on a bot of
// its own with RESOLVE_ALLOWED=commander,U0DAVE, each role on an incident
// of its own there, on SQLite.
func TestPermissionMatrix(t *testing.T) {
	runMatrix(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "bot.db") }, Config{}, matrixRoles)
}

// TestPermissionMatrixIncidentChannels is the matrix with
// INCIDENT_CHANNELS=channel, from the incident's own channel: authorize's
// place rule takes it as the incident's place.
func TestPermissionMatrixIncidentChannels(t *testing.T) {
	runMatrix(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "bot.db") }, Config{Channels: true},
		incidentChannelRoles)
}

// TestPermissionMatrixOnPostgres is the same matrix on PostgreSQL (when
// TEST_DATABASE_URL names one, as make test arranges): the rules hold
// whichever store decides the lookups.
func TestPermissionMatrixOnPostgres(t *testing.T) {
	pgtest.URL(t) // skips, saying why, without a database
	runMatrix(t, func(t *testing.T) string {
		dsn, _ := pgtest.FreshSchema(t)
		return dsn
	}, Config{}, matrixRoles)
}

func runMatrix(t *testing.T, store func(t *testing.T) string, cfg Config, roles []matrixRole) {
	rows := matrixRows()
	t.Logf("%d paths × %d roles = %d cells", len(rows), len(roles), len(rows)*len(roles))
	for _, row := range rows {
		title := row.path + " " + row.name
		if row.path == "slash" || row.path == "mention" {
			title = row.path + " " + row.wordsFor("INC-n")
		}
		t.Run(title, func(t *testing.T) {
			t.Parallel()
			rowCfg := cfg // each row its own: the rows run in parallel
			rowCfg.ResolveAllowed = []string{"commander", "U0DAVE"}
			b := newTestBotIn(t, rowCfg, store(t))
			rowT := t
			for _, r := range roles {
				t.Run(r.name, func(t *testing.T) {
					b.t = t // the helpers fail the cell
					defer func() { b.t = rowT }()
					c := matrixCell(b, r)
					if row.setup != nil {
						row.setup(c)
						b.settle()
					}
					c.inc = b.reload(c.inc)
					c.placeBefore = c.placeIncidents()
					c.triagesBefore = c.placeTriages()
					c.mark = b.mark()
					refusedBefore := len(b.entries(c.inc, incident.KindRefused))
					row.act(c)
					b.settle()
					c.after = b.reload(c.inc)
					for _, e := range b.since(c.mark, callEphemeral) {
						if e.UserID == r.user {
							c.answer += e.Msg.Text + "\n"
						}
					}
					checkCell(t, row, c, r.pick(row.want), len(b.entries(c.inc, incident.KindRefused))-refusedBefore)
				})
			}
		})
	}
}

// matrixCell opens the role's incident: declared by alice in testChannel
// (public for the public-incident role, else private), then handed to bob.
func matrixCell(b *testBot, r matrixRole) *cell {
	b.t.Helper()
	typ := "group"
	if r.publicIncident {
		typ = "channel"
	}
	if got := b.commandIn(testChannel, typ, "U0ALICE", "declare Checkout down for the "+r.name); !strings.HasPrefix(got, "Declaring") {
		b.t.Fatalf("declare = %q", got)
	}
	b.settle()
	inc := b.incidents()[0]
	if got := b.commandIn(testChannel, typ, "U0ALICE", "commander <@U0BOB> "+inc.Ref()); !strings.HasPrefix(got, "Making") {
		b.t.Fatalf("handover = %q", got)
	}
	b.settle()
	inc = b.reload(inc)
	if inc.Commander != "U0BOB" || inc.CreatedBy != "U0ALICE" || inc.Public != r.publicIncident || inc.MessageTS == "" {
		b.t.Fatalf("the role's incident is %+v", inc)
	}
	if r.ownChannel {
		if inc.DeclaredIn != testChannel || inc.ChannelID == testChannel {
			b.t.Fatalf("the role's incident has no channel of its own: %+v", inc)
		}
		r.channel = inc.ChannelID
	}
	return &cell{b: b, r: r, inc: inc}
}

// checkCell checks what came of one cell against the outcome expected.
func checkCell(t *testing.T, row matrixRow, c *cell, want outcome, refusals int) {
	t.Helper()
	took := row.did(c)
	var touched []slackCall // posts in the incident's thread, updates of its message, uploads there
	for _, call := range c.b.since(c.mark, callPost, callUpdate, callUpload) {
		if call.ChannelID == c.inc.ChannelID && call.ThreadTS == c.inc.MessageTS {
			touched = append(touched, call)
		}
	}
	switch want {
	case done:
		if !took || refusals != 0 {
			t.Errorf("want done: took effect %v, %d refusals recorded; answer %q", took, refusals, c.answer)
		}
	case refused:
		if took || len(touched) != 0 {
			t.Errorf("want refused: took effect %v; Slack received %v", took, touched)
		}
		if refusals != 1 || !strings.HasPrefix(c.answer, ":no_entry:") ||
			!(strings.Contains(c.answer, "Only ") || strings.Contains(c.answer, "is changed only in <#"+c.inc.ChannelID+">")) {
			t.Errorf("want refused: %d refusals recorded, answer %q; want one, and an answer saying who may or where", refusals, c.answer)
		}
	case hidden:
		if took || len(touched) != 0 {
			t.Errorf("want hidden: took effect %v; Slack received %v", took, touched)
		}
		if strings.Contains(c.answer, c.inc.Title) || strings.Contains(c.answer, "<#"+c.inc.ChannelID+">") ||
			strings.Contains(c.answer, ":no_entry:") {
			t.Errorf("want hidden: the answer %q tells of the incident", c.answer)
		}
	}
}

// TestPermissionMatrixCovers: every subcommand has a row for each of its
// paths, every button kind and reminder button a row, every form a row,
// and every operation authorize knows is exercised by some row; every
// operation has a rule.
func TestPermissionMatrixCovers(t *testing.T) {
	rows := matrixRows()
	has := func(path, name string) bool {
		return slices.ContainsFunc(rows, func(r matrixRow) bool { return r.path == path && r.name == name })
	}
	for _, v := range verbs {
		for _, path := range []string{"slash", "mention"} {
			if !has(path, v.names[0]) {
				t.Errorf("the subcommand %q has no %s row in the permission matrix", v.names[0], path)
			}
		}
	}
	for _, k := range messages.ActionKinds() {
		if !slices.ContainsFunc(rows, func(r matrixRow) bool {
			kind, _, _ := messages.ParseActionID(r.name)
			return r.path == "button" && kind == k
		}) {
			t.Errorf("the button kind %q has no row in the permission matrix", k)
		}
		if _, ok := actionOp(k, ""); !ok {
			t.Errorf("the button kind %q asks authorize for no operation", k)
		}
	}
	for _, arg := range messages.ReminderArgs() {
		if !has("button", messages.ActionID(messages.ActionReminder, arg)) {
			t.Errorf("the reminder button %q has no row in the permission matrix", arg)
		}
	}
	for _, cb := range messages.Callbacks() {
		if !has("form", cb) {
			t.Errorf("the form %q has no row in the permission matrix", cb)
		}
	}
	for o, rule := range ops {
		if !slices.ContainsFunc(rows, func(r matrixRow) bool { return r.op == o }) {
			t.Errorf("the operation %q is exercised by no row of the permission matrix", o)
		}
		if !strings.Contains(rule.says, "%s") {
			t.Errorf("the operation %q: its refusal %q does not name the incident", o, rule.says)
		}
	}
	for _, r := range rows {
		if r.op != "" {
			if _, ok := ops[r.op]; !ok {
				t.Errorf("row %s %s: the operation %q has no rule", r.path, r.name, r.op)
			}
		}
		if r.did == nil || (r.path != "slash" && r.path != "mention" && r.run == nil) {
			t.Errorf("row %s %s: needs did, and run unless it is a verb", r.path, r.name)
		}
	}
}

// setupWatch subscribes the role's own channel to HubSpot.
func setupWatch(c *cell) {
	if _, err := c.b.db.Watch(context.Background(), &incident.Watch{TeamID: c.r.team, ChannelID: c.r.channel, Vendor: "hubspot"}); err != nil {
		c.b.t.Fatal(err)
	}
}

// watching reports whether the role's channel watches vendor.
func (c *cell) watching(vendor string) bool {
	ws, err := c.b.db.Watches(context.Background(), incident.WatchFilter{TeamID: c.r.team, ChannelID: c.r.channel, Vendor: vendor})
	if err != nil {
		c.b.t.Fatal(err)
	}
	return len(ws) > 0
}
