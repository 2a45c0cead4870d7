package commands

// The harness for the behaviour tests (story, reminders, recovery,
// replicas, permissions): a Service on a real SQLite file, the recording
// fakeSlack, a clock that moves only when a test moves it, and a triage
// that answers with canned reports. Background work is waited for by
// settle, never by sleeping.

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/store/postgres"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
)

// The workspace and channel every harness test works in.
const (
	testTeam    = "T0TEST"
	testChannel = "C0INC"
	testHook    = "https://hooks.slack.example/actions/1" // the response_url of commands and clicks
)

// testT0 is a Monday morning, so that no due time meets a weekend.
var testT0 = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)

// testClock is the tests' time: it moves only when Advance is called.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// AdvanceTo moves the clock on to t; it never goes back.
func (c *testClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// cannedTriage answers the triage of a vendor with the report it was
// given for it; it knows HubSpot and Stripe.
type cannedTriage struct {
	reports map[string]runbook.Report
}

var _ Triager = (*cannedTriage)(nil)

var cannedVendors = map[string]string{"hubspot": "HubSpot", "stripe": "Stripe"}

func (c *cannedTriage) Triage(_ context.Context, vendor string) (runbook.Report, error) {
	r, ok := c.reports[vendor]
	if !ok {
		return runbook.Report{}, incident.Errorf(incident.Invalid, "no canned report for %s", vendor)
	}
	return r, nil
}

func (c *cannedTriage) VendorName(key string) (string, bool) {
	n, ok := cannedVendors[key]
	return n, ok
}

func (c *cannedTriage) Vendors() []string { return []string{"hubspot", "stripe"} }

// hubspot401 is the report of a revoked HubSpot token, as the runbook writes it.
var hubspot401 = runbook.Report{
	Vendor: "hubspot", VendorName: "HubSpot", Cause: runbook.AuthInvalid, Severity: runbook.P1,
	Summary:    "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked",
	HTTPStatus: 401, RequestID: "req-7f3a",
	Checks: []runbook.Check{{Name: runbook.CheckStatusPage, Result: runbook.ResultOK, Detail: "All Systems Operational"},
		{Name: runbook.CheckAPI, Result: runbook.ResultFail, HTTPStatus: 401, Detail: "in 132 ms"}},
	Mitigation: []string{"Rotate the private app token", "Restart the integrations deployment"},
	Prevention: []string{"Alert on 401s from HubSpot before customers notice"},
	Links:      []string{"https://status.hubspot.com"},
}

// testBot is one replica of the bot: a Service and what it is wired to.
type testBot struct {
	t      *testing.T
	path   string // the SQLite file, or the Postgres DSN (with its schema)
	db     incident.Store
	slack  *fakeSlack
	clock  *testClock
	triage *cannedTriage
	svc    *Service
}

// newTestBot starts a Service with cfg on a new SQLite file, a new fake
// Slack that knows alice, bob and carol by name, and a clock at testT0.
func newTestBot(t *testing.T, cfg Config) *testBot {
	t.Helper()
	return newTestBotIn(t, cfg, filepath.Join(t.TempDir(), "bot.db"))
}

// newTestBotIn is newTestBot on the store at path: a SQLite file, or a
// postgres:// DSN (pgtest.FreshSchema gives one).
func newTestBotIn(t *testing.T, cfg Config, path string) *testBot {
	t.Helper()
	clock := &testClock{t: testT0}
	fs := newFakeSlack(clock.Now)
	for id, name := range map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"} {
		fs.SetName(id, name)
	}
	triage := &cannedTriage{reports: map[string]runbook.Report{"hubspot": hubspot401}}
	t.Cleanup(func() {
		for _, e := range fs.OverLimits() {
			t.Errorf("Slack would refuse this: %s", e)
		}
	})
	return startTestBot(t, path, fs, clock, triage, cfg)
}

// replica starts a second Service on the same SQLite file, Slack, clock
// and triage: another replica of the same deployment.
func (b *testBot) replica() *testBot {
	b.t.Helper()
	return startTestBot(b.t, b.path, b.slack, b.clock, b.triage, b.svc.Config)
}

func startTestBot(t *testing.T, path string, fs *fakeSlack, clock *testClock, triage *cannedTriage, cfg Config) *testBot {
	t.Helper()
	var db incident.Store
	var err error
	if strings.HasPrefix(path, "postgres://") {
		db, err = postgres.Open(context.Background(), path)
	} else {
		db, err = sqlite.Open(context.Background(), path)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	b := &testBot{t: t, path: path, db: db, slack: fs, clock: clock, triage: triage}
	b.svc = &Service{Store: db, Slack: fs, Triage: triage, Log: log, Jobs: newTestQueue(t, db),
		Now: clock.Now, Config: cfg, StatusPage: &fakeStatusPage{}}
	b.svc.Start()
	b.svc.Jobs.Start()
	t.Cleanup(b.settle) // before the store closes: cleanups run last first
	return b
}

// settle waits until the jobs handed off so far (by every replica on the
// file) are done.
func (b *testBot) settle() {
	b.t.Helper()
	drainJobs(b.t, b.db)
}

// command gives text as user's /incident in the test channel and returns
// the immediate answer's text; the work it hands off runs until settle.
func (b *testBot) command(user, text string) string {
	b.t.Helper()
	return b.svc.Command(context.Background(), Command{TeamID: testTeam, ChannelID: testChannel, UserID: user,
		Text: text, ResponseURL: testHook}).Text
}

// commandIn gives text as user's /incident in channel, a channel of the
// given type ("channel" public, "group" private), and returns the answer.
func (b *testBot) commandIn(channel, channelType, user, text string) string {
	b.t.Helper()
	return b.svc.Command(context.Background(), Command{TeamID: testTeam, ChannelID: channel, ChannelType: channelType,
		UserID: user, Text: text, ResponseURL: testHook}).Text
}

// openIn declares an incident as user in channel, of the given type, and
// returns it once its message is posted.
func (b *testBot) openIn(channel, channelType, user, title string) *incident.Incident {
	b.t.Helper()
	if got := b.commandIn(channel, channelType, user, "declare "+title); !strings.HasPrefix(got, "Declaring") {
		b.t.Fatalf("declare = %q", got)
	}
	b.settle()
	inc := b.incidents()[0] // newest first
	if inc.Title != title || inc.MessageTS == "" || inc.ChannelID != channel {
		b.t.Fatalf("declared %+v, want %q in %s with its message posted", inc, title, channel)
	}
	return inc
}

// click presses the button actionID on inc's message, as user.
func (b *testBot) click(user, actionID string, inc *incident.Incident) {
	b.t.Helper()
	b.action(Action{UserID: user, MessageTS: inc.MessageTS, ActionID: actionID, Value: inc.ID.String()})
}

// action delivers a button click in the test channel, with the test's
// response_url unless a has one.
func (b *testBot) action(a Action) {
	b.t.Helper()
	a.TeamID, a.ChannelID = testTeam, testChannel
	if a.ResponseURL == "" {
		a.ResponseURL = testHook
	}
	b.svc.Action(context.Background(), a)
}

// event delivers e, as Slack's Events API would; an error (Slack would
// deliver it again) fails the test.
func (b *testBot) event(e Event) {
	b.t.Helper()
	if e.TeamID == "" {
		e.TeamID = testTeam
	}
	if err := b.svc.Event(context.Background(), e); err != nil {
		b.t.Fatalf("event %s: %v", e.EventID, err)
	}
}

// tick runs the engine module called name once, as the engine does on
// its interval, and waits for the jobs it queued.
func (b *testBot) tick(name string) {
	b.t.Helper()
	b.module(name).Tick(context.Background())
	b.settle()
}

// module is the engine module the service offers under name.
func (b *testBot) module(name string) engine.Module {
	b.t.Helper()
	for _, m := range b.svc.Modules() {
		if m.Name == name {
			return m
		}
	}
	b.t.Fatalf("no engine module %q", name)
	return engine.Module{}
}

// open declares an incident as user and returns it once its message is posted.
func (b *testBot) open(user, title string) *incident.Incident {
	b.t.Helper()
	if got := b.command(user, "declare "+title); !strings.HasPrefix(got, "Declaring") {
		b.t.Fatalf("declare = %q", got)
	}
	b.settle()
	all := b.incidents()
	inc := all[0] // newest first
	if inc.Title != title || inc.MessageTS == "" {
		b.t.Fatalf("declared %+v, want %q with its message posted", inc, title)
	}
	return inc
}

// seed stores inc as a stopped process left it, numbered by the store.
func (b *testBot) seed(inc *incident.Incident) *incident.Incident {
	b.t.Helper()
	if inc.ID == uuid.Nil {
		inc.ID = b.svc.NewID()
	}
	inc.TeamID, inc.ChannelID = testTeam, testChannel
	if err := b.db.CreateIncident(context.Background(), inc); err != nil {
		b.t.Fatal(err)
	}
	return inc
}

func (b *testBot) incidents() []*incident.Incident {
	b.t.Helper()
	all, err := b.db.Incidents(context.Background(), incident.Filter{TeamID: testTeam})
	if err != nil {
		b.t.Fatal(err)
	}
	return all
}

// reload reads inc again from the store.
func (b *testBot) reload(inc *incident.Incident) *incident.Incident {
	b.t.Helper()
	got, err := b.db.Incident(context.Background(), inc.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	return got
}

// entries returns inc's timeline entries of the given kinds (all when none).
func (b *testBot) entries(inc *incident.Incident, kinds ...incident.EntryKind) []incident.Entry {
	b.t.Helper()
	tl, err := b.db.Timeline(context.Background(), inc.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []incident.Entry
	for _, e := range tl {
		if len(kinds) == 0 || slices.Contains(kinds, e.Kind) {
			out = append(out, e)
		}
	}
	return out
}

// mark is where the Slack calls of a step begin: pass it to since.
func (b *testBot) mark() int { return len(b.slack.Calls()) }

// since returns the calls of the methods (all when none) made after mark.
func (b *testBot) since(mark int, methods ...string) []slackCall {
	var out []slackCall
	for _, c := range b.slack.Calls()[mark:] {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// methods lists the methods of calls, for failure messages.
func methods(calls []slackCall) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method
		if c.Err != nil {
			out[i] += "(failed)"
		}
	}
	return out
}

// slackTS is the Slack ts of t.
func slackTS(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

// blockText is the text of every block of m (header, sections, fields,
// context), in order, one per line: what a person reads.
func blockText(t *testing.T, m messages.Message) string {
	t.Helper()
	var blocks []struct {
		Text     *struct{ Text string }  `json:"text"`
		Fields   []struct{ Text string } `json:"fields"`
		Elements []struct {
			Text any `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v: %s", err, m.Blocks)
	}
	var lines []string
	for _, b := range blocks {
		if b.Text != nil {
			lines = append(lines, b.Text.Text)
		}
		for _, f := range b.Fields {
			lines = append(lines, f.Text)
		}
		for _, e := range b.Elements {
			if s, ok := e.Text.(string); ok {
				lines = append(lines, s)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// actionIDs lists the action_id of every button in m.
func actionIDs(t *testing.T, m messages.Message) []string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v: %s", err, m.Blocks)
	}
	var ids []string
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID != "" {
				ids = append(ids, e.ActionID)
			}
		}
	}
	return ids
}
