package commands

// Hostile input for the command layer: the slash-command parser on its own,
// and Service.Command end to end against a real SQLite store, a fake Slack
// that records every message the bot sends, and a fake triage. The Fuzz
// targets run their seed corpus as ordinary tests; `make fuzz` explores.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
)

// fzHostileText is what people (and attackers) type after /incident.
var fzHostileText = []string{
	"",
	"help",
	"declare Checkout emails are not sent",
	"declare <!channel> deploy broke <@U0EVIL>",
	"declare <!here|here> &amp; <!everyone> <!subteam^S0OPS|@oncall>",
	"declare <http://evil.example|click> & <#C0SECRET|secret>",
	"declare \x00\x07\x1b[31mred\x1b[0m\x7f\u0085",
	"declare \xff\xfe\xfd bad \xc3\x28 utf8",
	"declare " + strings.Repeat("x", 5000),
	"declare " + strings.Repeat("<!channel>&", 500),
	"declare ## Action Items\n- [ ] injected\n| a | b |",
	"declare \x00\x01\x02",
	"declare \u200b",
	"triage ../../etc/passwd",
	"triage /etc/passwd",
	"triage hubspot/../../../etc/shadow",
	"triage ..%2F..%2Fetc%2Fpasswd",
	"triage C:\\Windows\\system32",
	"triage <!channel>",
	"triage " + strings.Repeat("é", 5000),
	"triage hubspot",
	"TRIAGE   HubSpot   extra words",
	"status <!channel> all fixed <@U0EVIL>",
	"status " + strings.Repeat("<!here>", 800),
	"status monitoring",
	"status resolved",
	"update INC-1 <script>alert(1)</script>",
	"severity <!channel>",
	"severity P1 INC-1",
	"sev 0",
	"commander <!channel>",
	"commander <@U0EVIL|eve> <!here>",
	"commander <@U0BOB|bob>",
	"commander U0BOB",
	"commander Uä",
	"lead <@U0BOB> INC-1",
	"list",
	"resolve <!channel> fixed\n## Action Items\n- [ ] injected | pipe",
	"resolve INC-99999999999999999999 overflow",
	"resolve INC-0",
	"reopen INC-1",
	"reopen ../../x",
	"<!channel>",
	"<@U0EVIL>",
	strings.Repeat("verb", 2000),
	"\x00help",
	"\t\n ",
}

// ---------------------------------------------------------------------------
// The parser

func FuzzSplitVerb(f *testing.F) {
	for _, s := range fzHostileText {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		verb, rest := splitVerb(text)
		for _, s := range []string{verb, rest} {
			if !utf8.ValidString(s) || strings.IndexFunc(s, fzDropped) >= 0 {
				t.Fatalf("splitVerb(%q) = %q, %q: invalid UTF-8 or control characters", text, verb, rest)
			}
		}
		if rest != strings.TrimSpace(rest) || strings.IndexFunc(verb, unicode.IsSpace) >= 0 {
			t.Fatalf("splitVerb(%q) = %q, %q: untrimmed", text, verb, rest)
		}
		words := strings.Fields(clean(text))
		if len(words) == 0 {
			if verb != "" || rest != "" {
				t.Fatalf("blank %q gave %q, %q", text, verb, rest)
			}
			return
		}
		if verb != strings.ToLower(words[0]) {
			t.Fatalf("splitVerb(%q) verb %q, want %q", text, verb, strings.ToLower(words[0]))
		}
		if got := strings.Fields(rest); strings.Join(got, " ") != strings.Join(words[1:], " ") {
			t.Fatalf("splitVerb(%q) rest %q lost or gained words", text, rest)
		}
	})
}

// fzDropped is what clean removes: control characters but newline and tab.
func fzDropped(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

func FuzzClean(f *testing.F) {
	for _, s := range fzHostileText {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := clean(s)
		if !utf8.ValidString(c) || strings.IndexFunc(c, fzDropped) >= 0 {
			t.Fatalf("clean(%q) = %q", s, c)
		}
		if clean(c) != c {
			t.Fatalf("clean is not idempotent on %q", s)
		}
		var want strings.Builder
		for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
			if !fzDropped(r) {
				want.WriteRune(r)
			}
		}
		if c != want.String() {
			t.Fatalf("clean(%q) = %q, want %q", s, c, want.String())
		}
	})
}

func FuzzTakeRef(f *testing.F) {
	for _, s := range []string{"P2 INC-3", "INC-3 P2", "inc-12 token rotated", "token INC-4 rotated", "#3", "3",
		"INC-0", "INC--1", "INC-+1", "INC-007", "INC-9223372036854775807", "INC-9223372036854775808", "INC-1 INC-2",
		"\u00a0INC-5\u00a0", "İNC-1", "INC-１"} {
		f.Add(s)
	}
	for _, s := range fzHostileText {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, rest := takeRef(text)
		if n == 0 {
			if rest != text {
				t.Fatalf("takeRef(%q) = 0, %q: changed the text without finding a ref", text, rest)
			}
			return
		}
		if n < 0 {
			t.Fatalf("takeRef(%q) = %d", text, n)
		}
		words, left := strings.Fields(text), strings.Fields(rest)
		if len(left) != len(words)-1 {
			t.Fatalf("takeRef(%q) = %d, %q: want exactly the ref word removed", text, n, rest)
		}
		ref := words[0]
		if strings.Join(left, " ") != strings.Join(words[1:], " ") {
			ref = words[len(words)-1]
			if strings.Join(left, " ") != strings.Join(words[:len(words)-1], " ") {
				t.Fatalf("takeRef(%q) = %d, %q: removed a middle word", text, n, rest)
			}
		}
		if !strings.EqualFold(ref, incident.Ref(n)) {
			t.Fatalf("takeRef(%q) = %d from the word %q", text, n, ref)
		}
	})
}

// fzSlackUserID is what may sit between <@ and > in a mention the bot writes.
var fzSlackUserID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

func FuzzParseUser(f *testing.F) {
	for _, s := range []string{"<@U123ABC|alice>", "<@W42>", "U0BOB", "@alice", "<!channel>", "<@U1|x> extra", "",
		"<@U1>>", "<@U1|<!channel>>", "U1>", "U<!here>", "UÄÖ", "U١٢٣", "<@u1>", " <@U1> ", "<@U1|a\nb>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseUser(s)
		if !ok {
			if id != "" {
				t.Fatalf("parseUser(%q) refused but returned %q", s, id)
			}
			return
		}
		// The id goes into "<@id>" unescaped: it must not be able to close
		// the mention early, open another, or carry an entity.
		if id == "" || strings.ContainsAny(id, "<>|&!@# \t\n") || !utf8.ValidString(id) {
			t.Fatalf("parseUser(%q) = %q: unsafe inside <@…>", s, id)
		}
		if !fzSlackUserID.MatchString(id) {
			// Bare ids are accepted with any Unicode upper-case letter or
			// digit; harmless (Slack shows an unknown user) but not an id.
			t.Logf("parseUser(%q) = %q, not a Slack user id", s, id)
		}
	})
}

func FuzzSlackTime(f *testing.F) {
	for _, s := range []string{"1700000000.000100", "", "abc", "-5.1", "0.5", "1", "1.", ".5", "1.-99999", "1.+1",
		"9223372036854775807.999999", "9223372036854775808.0", "1700000000.0001009999", "1e9.1", " 1.1"} {
		f.Add(s)
	}
	fallback := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ts string) {
		got := slackTime(ts, fallback)
		if got.Equal(fallback) {
			return
		}
		sec, frac, _ := strings.Cut(ts, ".")
		if n, err := strconv.ParseInt(sec, 10, 64); err != nil || n <= 0 {
			t.Fatalf("slackTime(%q) = %v: not the fallback for a ts without positive seconds", ts, got)
		}
		if fzCanonicalTS.MatchString(ts) {
			us, _ := strconv.Atoi(frac)
			if want := time.Unix(fzInt(t, sec), int64(us)*1000); !got.Equal(want) {
				t.Fatalf("slackTime(%q) = %v, want %v", ts, got, want)
			}
			return
		}
		if y := got.Year(); y < 1970 || y > 9999 {
			// Slack signs every ts the bot reads, so this is not reachable
			// by a user; worth clamping all the same (UnixMicro overflows).
			t.Logf("slackTime(%q) = %v: outside any real Slack ts", ts, got)
		}
	})
}

var fzCanonicalTS = regexp.MustCompile(`^[1-9][0-9]{0,11}\.[0-9]{6}$`)

func fzInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newTestQueue is a job queue on db for one test, stopped at its end.
func newTestQueue(t testing.TB, db incident.JobStore) *engine.Queue {
	t.Helper()
	w := engine.NewWorker(zerolog.Nop(), time.Minute)
	q := engine.NewQueue(db, w, zerolog.Nop(), "test-"+uuid.NewString(), engine.QueueOptions{Workers: 2, Poll: 20 * time.Millisecond})
	t.Cleanup(func() {
		q.Stop()
		w.Shutdown(context.Background())
	})
	return q
}

// drainJobs waits until no job is queued or running: the work the test's
// requests promised is done.
func drainJobs(t testing.TB, db incident.JobStore) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := db.JobStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still queued or running after a minute", st.Queued)
		}
		time.Sleep(time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Fakes: the vendor triage, recording what it was asked (Slack is fakeSlack)

type fzTriage struct {
	mu    sync.Mutex
	asked []string
}

var _ Triager = (*fzTriage)(nil)

// fzVendors are the catalog; the triage of stripe fails.
var fzVendors = map[string]string{"hubspot": "HubSpot", "stripe": "Stripe"}

func (f *fzTriage) Triage(_ context.Context, vendor string) (runbook.Report, error) {
	f.mu.Lock()
	f.asked = append(f.asked, vendor)
	f.mu.Unlock()
	if vendor == "stripe" {
		return runbook.Report{}, errors.New("vendors: triage stripe: no catalog")
	}
	// A vendor's answer is hostile input too: it reaches the incident message.
	return runbook.Report{
		Vendor: vendor, VendorName: fzVendors[vendor], Cause: runbook.AuthInvalid, Severity: runbook.P1,
		Summary:    "HubSpot answers 401 <!channel> & <@U0EVIL> " + strings.Repeat("&", 4000),
		RequestID:  "req-<!here>",
		HTTPStatus: 401,
		Checks:     []runbook.Check{{Name: "api", Result: "fail", HTTPStatus: 401, Detail: "<!everyone> " + strings.Repeat("é", 300)}},
		Mitigation: []string{"Rotate the token <http://evil.example|here>", strings.Repeat("<", 3000)},
		Prevention: []string{"Alert on 401s"},
		Links:      []string{"https://status.hubspot.com"},
	}, nil
}

func (f *fzTriage) VendorName(key string) (string, bool) {
	name, ok := fzVendors[key]
	return name, ok
}

func (f *fzTriage) Vendors() []string { return []string{"hubspot", "stripe"} }

func (f *fzTriage) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// ---------------------------------------------------------------------------
// The harness: one SQLite database per test, one workspace per run

var fzT0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func fzOpenStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "bot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var fzTeams atomic.Int64

type fzHarness struct {
	db     *sqlite.DB
	slack  *fakeSlack
	triage *fzTriage
	svc    *Service
	team   string
	open   *incident.Incident // the channel's open incident, when asked for
}

// newFzHarness starts a service on db for a workspace of its own, with the
// channel's open incident INC-1 when withIncident.
func newFzHarness(t *testing.T, db *sqlite.DB, withIncident bool) *fzHarness {
	t.Helper()
	h := &fzHarness{db: db, slack: newFakeSlack(nil), triage: &fzTriage{}, team: fmt.Sprintf("T%d", fzTeams.Add(1))}
	t.Cleanup(func() {
		for _, e := range h.slack.OverLimits() {
			t.Errorf("Slack would refuse this: %s", e)
		}
	})
	h.svc = &Service{Store: db, Slack: h.slack, Triage: h.triage, Log: zerolog.Nop(),
		Jobs: newTestQueue(t, db), Now: func() time.Time { return fzT0 }}
	h.svc.Start()
	h.svc.Jobs.Start()
	if withIncident {
		h.open = &incident.Incident{
			ID: h.svc.NewID(), TeamID: h.team, Title: "HubSpot <!channel> & <@U0EVIL> | ## x", Severity: incident.P2,
			Status: incident.Investigating, Commander: "U0ALICE", CreatedBy: "U0ALICE", ChannelID: "C0INC",
			MessageTS: "1773480413.000001", DeclaredAt: fzT0, UpdatedAt: fzT0, NextUpdateAt: fzT0.Add(time.Hour),
		}
		if err := db.CreateIncident(context.Background(), h.open); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// run gives text as U0ALICE's /incident in C0INC and waits, through
// Shutdown, for the work it started in the background.
func (h *fzHarness) run(t *testing.T, text string) messages.Message {
	t.Helper()
	ctx := context.Background()
	reply := h.svc.Command(ctx, Command{TeamID: h.team, ChannelID: "C0INC", UserID: "U0ALICE", Text: text,
		ResponseURL: "https://hooks.slack.example/commands/1"})
	drainJobs(t, h.db)
	return reply
}

func (h *fzHarness) incidents(t *testing.T) []*incident.Incident {
	t.Helper()
	all, err := h.db.Incidents(context.Background(), incident.Filter{TeamID: h.team})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// ---------------------------------------------------------------------------
// What every reply and every message sent must satisfy

// fzBotMarkup is every "<…>" the bot itself writes into mrkdwn: mentions of
// the ids it was given, dates, the channel and its message links.
var fzBotMarkup = regexp.MustCompile(`^<(@([UW][A-Z0-9]+)>|!date\^-?\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>|#C0INC>|https://slack\.com/archives/C0INC/p\d+\|[^<>]*(>|$))`)

// fzCheckMessage asserts that m is a message Slack accepts (valid JSON blocks
// slack-go decodes, within Block Kit's limits) and that user text in it is
// escaped: every "<" opens the bot's own markup, mentioning only the ids in
// people, no ">" stands alone and every "&" starts a whole entity.
func fzCheckMessage(t *testing.T, where string, m messages.Message, people map[string]bool) {
	t.Helper()
	if len(m.Blocks) == 0 && m.Text == "" {
		t.Errorf("%s: empty message", where)
		return
	}
	if !utf8.ValidString(m.Text) || utf8.RuneCountInString(m.Text) > 3000 {
		t.Errorf("%s: fallback text of %d characters (valid UTF-8 %v)", where, utf8.RuneCountInString(m.Text), utf8.ValidString(m.Text))
	}
	mrkdwn := []string{m.Text}
	if len(m.Blocks) > 0 {
		var sb slack.Blocks
		if err := json.Unmarshal(m.Blocks, &sb); err != nil || !utf8.Valid(m.Blocks) {
			t.Errorf("%s: blocks slack-go cannot decode (%v): %s", where, err, m.Blocks)
			return
		}
		if n := len(sb.BlockSet); n == 0 || n > 50 {
			t.Errorf("%s: %d blocks", where, n)
		}
		var blocks []map[string]any
		json.Unmarshal(m.Blocks, &blocks)
		for i, b := range blocks {
			mrkdwn = append(mrkdwn, fzCheckBlock(t, fmt.Sprintf("%s block %d", where, i), b)...)
		}
	}
	for i, s := range mrkdwn {
		fzCheckEscaped(t, fmt.Sprintf("%s mrkdwn %d", where, i), s, people)
	}
}

// fzCheckBlock checks one block's text lengths and returns its mrkdwn.
func fzCheckBlock(t *testing.T, where string, b map[string]any) []string {
	t.Helper()
	var mrkdwn []string
	text := func(v any, limit int) {
		obj, _ := v.(map[string]any)
		s, _ := obj["text"].(string)
		if n := utf8.RuneCountInString(s); n < 1 || n > limit {
			t.Errorf("%s: text of %d characters, want 1…%d", where, n, limit)
		}
		if obj["type"] == "mrkdwn" {
			mrkdwn = append(mrkdwn, s)
		}
	}
	switch b["type"] {
	case "header":
		text(b["text"], 150)
	case "section":
		if b["text"] != nil {
			text(b["text"], 3000)
		}
		for _, f := range fzSlice(b["fields"]) {
			text(f, 2000)
		}
	case "context":
		for _, e := range fzSlice(b["elements"]) {
			text(e, 2000)
		}
	case "actions":
		for _, e := range fzSlice(b["elements"]) {
			btn, _ := e.(map[string]any)
			text(btn["text"], 75)
		}
	default:
		t.Errorf("%s: unexpected block type %v", where, b["type"])
	}
	return mrkdwn
}

func fzSlice(v any) []any { s, _ := v.([]any); return s }

func fzCheckEscaped(t *testing.T, where, s string, people map[string]bool) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			m := fzBotMarkup.FindStringSubmatch(s[i:])
			if m == nil {
				t.Errorf("%s: user text reached mrkdwn unescaped: %q", where, fzAround(s, i))
				continue
			}
			if m[2] != "" && !people[m[2]] {
				t.Errorf("%s: mentions <@%s>, who is nobody the command named: %q", where, m[2], fzAround(s, i))
			}
			i += len(m[0]) - 1
		case '>':
			t.Errorf("%s: bare > in mrkdwn: %q", where, fzAround(s, i))
		case '&':
			if !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
				t.Errorf("%s: & that starts no entity: %q", where, fzAround(s, i))
			}
		}
	}
}

func fzAround(s string, i int) string { return s[max(i-20, 0):min(i+40, len(s))] }

// checkRun checks the reply, everything the fake Slack received and what
// the store holds after one command.
func (h *fzHarness) checkRun(t *testing.T, text string, reply messages.Message, before int) {
	t.Helper()
	people := map[string]bool{"U0ALICE": true}
	verb, rest := splitVerb(text)
	if verb == "commander" || verb == "lead" {
		_, arg := takeRef(rest)
		if id, ok := parseUser(arg); ok {
			people[id] = true // named on purpose: the new commander
		}
	}
	if len(reply.Blocks) == 0 {
		t.Errorf("reply without blocks: %q", reply.Text)
	}
	fzCheckMessage(t, "reply", reply, people)
	for i, s := range h.sent() {
		fzCheckMessage(t, fmt.Sprintf("%s #%d", s.Method, i), s.Msg, people)
	}

	after := h.incidents(t)
	opens := 0
	switch verb {
	case "declare":
		if strings.TrimSpace(rest) != "" {
			opens = 1
		}
	case "triage":
		if strings.ToLower(firstWord(rest)) == "hubspot" {
			opens = 1
		}
	}
	if len(after) != before+opens {
		t.Errorf("%d incidents after %q, want %d", len(after), verb, before+opens)
	}
	for _, inc := range after {
		if !utf8.ValidString(inc.Title) || strings.IndexFunc(inc.Title, fzDropped) >= 0 || utf8.RuneCountInString(inc.Title) > maxTitle {
			t.Errorf("stored title %q: invalid UTF-8, control characters or over %d characters", inc.Title, maxTitle)
		}
		if inc.Postmortem != "" {
			fzCheckPostmortem(t, inc.Postmortem)
		}
		tl, err := h.db.Timeline(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl {
			if !utf8.ValidString(e.Text) {
				t.Errorf("timeline %s entry is not valid UTF-8: %q", e.Kind, e.Text)
			}
		}
	}
}

var fzAutolink = regexp.MustCompile("<https?://[^\\s<>]+>|`[^`\n]*`")

// fzPMHeadings are the postmortem template's own headings after the title.
var fzPMHeadings = []string{"## Summary", "## Timeline (UTC)", "## Root Cause", "## Impact", "## Action Items", "## Resources"}

// fzCheckPostmortem: the messages package tests the document in depth;
// end to end, a hostile summary must not add a heading or raw HTML.
func fzCheckPostmortem(t *testing.T, doc string) {
	t.Helper()
	var headings []string
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "#") && !strings.HasPrefix(l, "# Incident INC-") {
			headings = append(headings, l)
		}
	}
	if strings.Join(headings, "\n") != strings.Join(fzPMHeadings, "\n") {
		t.Errorf("the postmortem's headings are %q, want %q:\n%s", headings, fzPMHeadings, doc)
	}
	if fzRawLess(fzAutolink.ReplaceAllString(doc, "")) {
		t.Errorf("raw < in the postmortem:\n%s", doc)
	}
}

// fzRawLess reports a < that no backslash escapes: markdown reads \< as
// text, and the postmortem escapes user text that way.
func fzRawLess(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '<':
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// End to end

func FuzzCommand(f *testing.F) {
	for _, s := range fzHostileText {
		f.Add(s, true)
		f.Add(s, false)
	}
	db := fzOpenStore(f)
	f.Fuzz(func(t *testing.T, text string, withIncident bool) {
		h := newFzHarness(t, db, withIncident)
		before := len(h.incidents(t))
		reply := h.run(t, text)
		h.checkRun(t, text, reply, before)
	})
}

// FuzzSubmit: the "Post update" modal's fields are user text too, on the
// way to the same update message a /incident status posts.
func FuzzSubmit(f *testing.F) {
	for i, s := range fzHostileText {
		f.Add(s, fzHostileText[(i+3)%len(fzHostileText)], fzHostileText[(i+5)%len(fzHostileText)], []string{"", "monitoring", "identified", "resolved", "<!channel>"}[i%5])
	}
	db := fzOpenStore(f)
	f.Fuzz(func(t *testing.T, impact, cause, action, status string) {
		h := newFzHarness(t, db, true)
		ctx := context.Background()
		h.svc.Submit(ctx, Submission{TeamID: h.team, UserID: "U0ALICE", CallbackID: "post_update",
			PrivateMetadata: messages.FormMetadata{Incident: h.open.ID.String(), Channel: h.open.ChannelID}.String(),
			Values:          map[string]string{"impact": impact, "cause": cause, "action": action, "status": status}})
		drainJobs(t, h.db)
		for i, s := range h.sent() {
			fzCheckMessage(t, fmt.Sprintf("%s #%d", s.Method, i), s.Msg, map[string]bool{"U0ALICE": true})
		}
		inc := fzOnly(t, h)
		if !inc.Open() {
			t.Error("the update modal resolved the incident")
		}
	})
}

func TestHostileCommands(t *testing.T) {
	db := fzOpenStore(t)
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name         string
		text         string
		withIncident bool
		reply        string // a part of the ephemeral answer
		check        func(t *testing.T, h *fzHarness)
	}{
		{name: "5,000-character title", text: "declare " + long, reply: "Declaring *", check: func(t *testing.T, h *fzHarness) {
			inc := fzOnly(t, h)
			if n := utf8.RuneCountInString(inc.Title); n != maxTitle {
				t.Errorf("stored title has %d characters, want %d", n, maxTitle)
			}
			posted := h.posted(t, callPost, 1)
			if hdr := fzHeader(t, posted[0].Msg); utf8.RuneCountInString(hdr) != 150 || !strings.HasSuffix(hdr, "…") {
				t.Errorf("header %q: want cut to 150 characters with an ellipsis", hdr)
			}
		}},
		{name: "mass mentions in the title", text: "declare <!channel> <!here> <!everyone> deploy broke <@U0EVIL>", reply: "&lt;!channel&gt;",
			check: func(t *testing.T, h *fzHarness) {
				if inc := fzOnly(t, h); inc.Title != "<!channel> <!here> <!everyone> deploy broke <@U0EVIL>" {
					t.Errorf("stored title %q: the store keeps what was said; escaping is for display", inc.Title)
				}
				h.posted(t, callPost, 1)
			}},
		{name: "entities in the title", text: "declare &lt;!channel&gt; &amp; &", reply: "&amp;lt;!channel&amp;gt;"},
		{name: "control characters", text: "declare \x00\a\x1b[31mred\x1b[0m\x7f\u0085 alert", reply: "Declaring", check: func(t *testing.T, h *fzHarness) {
			if inc := fzOnly(t, h); inc.Title != "[31mred[0m alert" {
				t.Errorf("stored title %q", inc.Title)
			}
		}},
		{name: "invalid UTF-8", text: "declare \xff\xfe bad \xc3\x28", reply: "Declaring", check: func(t *testing.T, h *fzHarness) {
			if inc := fzOnly(t, h); inc.Title != "\ufffd bad \ufffd(" {
				t.Errorf("stored title %q", inc.Title)
			}
		}},
		{name: "blank title", text: "declare \t \n ", reply: "Give the incident a title"},
		{name: "title of control characters only", text: "declare \x00\x01\x02\x7f", reply: "Give the incident a title"},
		{name: "path-like vendor", text: "triage ../../etc/passwd", reply: "I don't know the vendor `../../etc/passwd`"},
		{name: "misspelt vendor", text: "triage hubspt", reply: "I don't know the vendor `hubspt`. Did you mean `hubspot`?"},
		{name: "absolute path vendor", text: "triage /etc/passwd", reply: "I don't know the vendor"},
		{name: "vendor with a traversal suffix", text: "triage hubspot/../../../etc/shadow", reply: "I don't know the vendor"},
		{name: "encoded traversal", text: "triage ..%2F..%2Fetc%2Fpasswd", reply: "I don't know the vendor"},
		{name: "windows path", text: "triage C:\\Windows\\system32", reply: "I don't know the vendor"},
		{name: "mention as vendor", text: "triage <!channel>", reply: "I don't know the vendor `&lt;!channel&gt;`"},
		{name: "5,000-character vendor", text: "triage " + long, reply: "I don't know the vendor `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…`"},
		{name: "known vendor with a hostile report", text: "triage HubSpot", reply: "Triaging HubSpot", check: func(t *testing.T, h *fzHarness) {
			if inc := fzOnly(t, h); inc.Vendor != "hubspot" || inc.Severity != incident.P1 {
				t.Errorf("incident %+v", inc)
			}
			h.posted(t, callPost, 1)
		}},
		{name: "triage that fails", text: "triage stripe", reply: "Triaging Stripe", check: func(t *testing.T, h *fzHarness) {
			eph := h.posted(t, callEphemeral, 1)
			if !strings.Contains(eph[0].Msg.Text, "Could not triage Stripe") {
				t.Errorf("answer %q", eph[0].Msg.Text)
			}
		}},
		{name: "status update with mentions", text: "status <!channel> all fixed <@U0EVIL>", withIncident: true, reply: "Posting the update",
			check: func(t *testing.T, h *fzHarness) {
				posted := h.posted(t, callPost, 1)
				if posted[0].ThreadTS != h.open.MessageTS {
					t.Errorf("update posted in thread %q", posted[0].ThreadTS)
				}
				if !strings.Contains(posted[0].Msg.Text, "&lt;!channel&gt; all fixed &lt;@U0EVIL&gt;") {
					t.Errorf("update fallback %q", posted[0].Msg.Text)
				}
			}},
		{name: "5,000-character status update", text: "status " + strings.Repeat("<!here>", 715), withIncident: true, reply: "Posting the update",
			check: func(t *testing.T, h *fzHarness) { h.posted(t, callPost, 1) }},
		{name: "status without an incident", text: "status <!channel>", reply: "no open incident"},
		{name: "severity that is a mention", text: "severity <!channel>", withIncident: true, reply: "Say which severity"},
		{name: "commander that is a channel ping", text: "commander <!channel>", withIncident: true, reply: "Mention the new commander",
			check: func(t *testing.T, h *fzHarness) { h.commander(t, "U0ALICE") }},
		{name: "commander with a ping after it", text: "commander <@U0EVIL|eve> <!here>", withIncident: true, reply: "Mention the new commander",
			check: func(t *testing.T, h *fzHarness) { h.commander(t, "U0ALICE") }},
		{name: "commander mention", text: "commander <@U0BOB|bob>", withIncident: true, reply: "Making <@U0BOB> the commander of INC-1",
			check: func(t *testing.T, h *fzHarness) { h.commander(t, "U0BOB") }},
		{name: "resolve with a hostile summary", text: "resolve <!channel> fixed\n## Action Items\n- [ ] injected | pipe <script>x</script>",
			withIncident: true, reply: "Resolving INC-1", check: func(t *testing.T, h *fzHarness) {
				if inc := fzOnly(t, h); inc.Status != incident.Resolved || inc.Postmortem == "" {
					t.Errorf("status %s, postmortem %d bytes", inc.Status, len(inc.Postmortem))
				}
			}},
		{name: "ref that overflows", text: "reopen INC-99999999999999999999", reply: "Say which incident"},
		{name: "mention as the verb", text: "<!channel>", reply: "I don't know `&lt;!channel&gt;`"},
		{name: "impersonation as the verb", text: "<@U0EVIL> resolve", withIncident: true, reply: "I don't know `&lt;@u0evil&gt;`",
			check: func(t *testing.T, h *fzHarness) {
				if inc := fzOnly(t, h); !inc.Open() {
					t.Error("resolved by an unknown verb")
				}
			}},
		{name: "5,000-character verb", text: long, reply: "I don't know `" + strings.Repeat("x", 39) + "…`"},
		{name: "NUL before help", text: "\x00help", reply: "/incident* runs incidents"},
		{name: "list with hostile titles", text: "list", withIncident: true, reply: "Open incidents in this channel (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFzHarness(t, db, tt.withIncident)
			before := len(h.incidents(t))
			reply := h.run(t, tt.text)
			h.checkRun(t, tt.text, reply, before)
			if !strings.Contains(reply.Text, tt.reply) {
				t.Errorf("reply %q, want it to contain %q", reply.Text, tt.reply)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
			if strings.HasPrefix(tt.text, "triage") && !strings.Contains(reply.Text, "Triaging") {
				if asked := h.triage.calls(); len(asked) != 0 {
					t.Errorf("triage ran for %q", asked)
				}
				if s := h.sent(); len(s) != 0 {
					t.Errorf("a refused triage sent %d messages", len(s))
				}
			}
		})
	}
}

// TestHostileMention runs hostile words through an @mention in an incident
// thread: the same command layer, answered ephemerally.
func TestHostileMention(t *testing.T) {
	db := fzOpenStore(t)
	h := newFzHarness(t, db, true)
	ctx := context.Background()
	text := "<@U0BOT> declare <!channel> " + strings.Repeat("<@U0EVIL>", 600)
	if err := h.svc.Event(ctx, Event{EventID: "Ev1", TeamID: h.team, Type: "app_mention", ChannelID: "C0INC",
		UserID: "U0ALICE", Text: text, TS: "1773480415.000001", ThreadTS: h.open.MessageTS}); err != nil {
		t.Fatal(err)
	}
	drainJobs(t, h.db)
	people := map[string]bool{"U0ALICE": true}
	eph := h.posted(t, callEphemeral, 1)
	if !strings.Contains(eph[0].Msg.Text, "Declaring *&lt;!channel&gt;") {
		t.Errorf("answer %q", eph[0].Msg.Text)
	}
	for i, s := range h.sent() {
		fzCheckMessage(t, fmt.Sprintf("%s #%d", s.Method, i), s.Msg, people)
	}
	if n := len(h.incidents(t)); n != 2 {
		t.Errorf("%d incidents, want the open one and the declared one", n)
	}
}

func fzOnly(t *testing.T, h *fzHarness) *incident.Incident {
	t.Helper()
	all := h.incidents(t)
	if len(all) != 1 {
		t.Fatalf("%d incidents, want 1", len(all))
	}
	return all[0]
}

// sent is every message the bot sent: posts, updates, ephemeral answers,
// and modals (their view in Blocks), in order.
func (h *fzHarness) sent() []slackCall {
	var out []slackCall
	for _, c := range h.slack.Calls(callPost, callUpdate, callEphemeral, callOpenModal) {
		if c.Method == callOpenModal {
			c.Msg = messages.Message{Blocks: c.View}
		}
		out = append(out, c)
	}
	return out
}

func (h *fzHarness) posted(t *testing.T, method string, n int) []slackCall {
	t.Helper()
	var out []slackCall
	for _, s := range h.sent() {
		if s.Method == method {
			out = append(out, s)
		}
	}
	if len(out) != n {
		t.Fatalf("%d %s calls, want %d", len(out), method, n)
	}
	return out
}

func (h *fzHarness) commander(t *testing.T, want string) {
	t.Helper()
	if inc := fzOnly(t, h); inc.Commander != want {
		t.Errorf("commander %q, want %q", inc.Commander, want)
	}
}

func fzHeader(t *testing.T, m messages.Message) string {
	t.Helper()
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil || len(blocks) == 0 || blocks[0].Type != "header" {
		t.Fatalf("no header block: %s", m.Blocks)
	}
	return blocks[0].Text.Text
}
