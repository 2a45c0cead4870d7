package messages

// Hostile input for everything a person reads from the bot. The Fuzz
// targets run their seed corpus as ordinary tests; `make fuzz` (or
// go test -run '^$' -fuzz '^FuzzPostmortem$' ./messages) explores further.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/slack-go/slack"
)

// fzHostile are strings that have broken chat bots and markdown
// renderers before: mass mentions, impersonation, entities, markdown
// structure, control characters, invalid UTF-8 and sheer length.
var fzHostile = []string{
	"",
	"Checkout emails are not sent",
	"<!channel> everyone look",
	"<!here|here> & <!everyone>",
	"<@U0EVIL> is the commander now <@W0EVIL|boss>",
	"<!subteam^S0OPS|@oncall> <#C0SECRET|secret>",
	"<http://evil.example|click me> <mailto:x@example.com>",
	"&lt;!channel&gt; &amp;lt; &",
	"&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&",
	"## Action Items\n- [ ] injected\n| a | b |\n|---|---|",
	"# Heading\n### Another\n> quote\n1. list\n- item\n+ plus\n= setext",
	"action: rotate the token | now",
	"TODO: `rm -rf /` [x](javascript:alert(1)) <script>alert(1)</script>",
	"follow-up:    ",
	"pipe \\| escaped \\\\| double \\\\\\| triple | bare",
	"trailing backslash \\",
	"\x00\x01\x07\x1b[31mred\x1b[0m\x7f\u0085\u2028\u2029\ufeff\u200b",
	"\r\n# after CRLF\r# after CR\v# after VT\f# after FF",
	"\xff\xfe\xfd invalid \xc3\x28 utf8 \xe2\x82",
	"é" + strings.Repeat("ü", 10),
	strings.Repeat("x", 5000),
	strings.Repeat("<!channel>", 500),
	strings.Repeat("&", 3001),
	strings.Repeat("🔥", 3000),
	strings.Repeat("é&", 1600),
}

// fzNames are display names: people choose their own.
var fzNames = []string{
	"alice",
	"",
	"eve | mallory",
	"eve\n## Action Items\n- [ ] pwned",
	"<script>alert(1)</script>",
	"`code` \\| [link](x)",
}

// fzRequestIDs are vendor request ids: whatever a hostile or broken
// vendor puts in a header or an error body.
var fzRequestIDs = []string{
	"b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11",
	"id`with`ticks",
	"a|b",
	"a\\|b",
	"<script>x</script>",
	"line\nbreak",
}

// ---------------------------------------------------------------------------
// Block Kit messages

var fzIncidentID = uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")

func fzIncident(title string, number int, sev, status uint8) *incident.Incident {
	inc := &incident.Incident{
		ID: fzIncidentID, TeamID: "T1", Number: number, Title: title,
		Severity:  incident.Severities[int(sev)%len(incident.Severities)],
		Status:    incident.Statuses[int(status)%len(incident.Statuses)],
		Commander: "U0ALICE", CreatedBy: "U0ALICE", ChannelID: "C0INC", MessageTS: "1773480413.000100",
		DeclaredAt: t0, NextUpdateAt: t0.Add(15 * time.Minute),
	}
	if !inc.Open() {
		inc.ResolvedAt = t0.Add(time.Hour)
		inc.PostmortemLink = "https://files.example/F0PM"
	}
	return inc
}

// fzBotMarkup is every "<…>" the bot itself writes into mrkdwn: mentions of
// the user ids it was given, dates and its own links. Anything else that
// starts with "<" in mrkdwn came from user text that was not escaped.
var fzBotMarkup = regexp.MustCompile(`^<(@U0(ALICE|BOB)>|!date\^-?\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>|https://files\.example/F0PM\|Postmortem>)`)

// fzCheckMrkdwn asserts the escape invariants of one piece of mrkdwn: every
// "<" opens the bot's own markup, no ">" stands alone outside it, and every
// "&" starts a whole entity (so truncation never cut one in half).
func fzCheckMrkdwn(t *testing.T, where, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			m := fzBotMarkup.FindString(s[i:])
			if m == "" {
				t.Errorf("%s: user text reached mrkdwn unescaped at %q", where, fzExcerpt(s, i))
				continue
			}
			i += len(m) - 1
		case '>':
			t.Errorf("%s: bare > at %q", where, fzExcerpt(s, i))
		case '&':
			if !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
				t.Errorf("%s: & that starts no entity (half an entity left by truncation?) at %q", where, fzExcerpt(s, i))
			}
		}
	}
}

func fzExcerpt(s string, i int) string {
	lo, hi := max(i-20, 0), min(i+40, len(s))
	return s[lo:hi]
}

// fzBlockTexts is what fzCheckBlocks found: the mrkdwn a person reads and the
// plain_text headers.
type fzBlockTexts struct {
	mrkdwn  []string
	headers []string
}

// fzCheckBlocks asserts that m is a message Slack accepts: the blocks are
// valid UTF-8 JSON that slack-go decodes, within Block Kit's limits, every
// text object 1 to its limit in characters; the fallback is valid UTF-8 and
// at most maxFallback characters.
func fzCheckBlocks(t *testing.T, m Message) fzBlockTexts {
	t.Helper()
	var out fzBlockTexts
	if !utf8.ValidString(m.Text) || utf8.RuneCountInString(m.Text) > maxFallback {
		t.Errorf("fallback text: valid UTF-8 %v, %d characters", utf8.ValidString(m.Text), utf8.RuneCountInString(m.Text))
	}
	if len(m.Blocks) == 0 {
		t.Fatal("no blocks")
	}
	if !json.Valid(m.Blocks) || !utf8.Valid(m.Blocks) {
		t.Fatalf("blocks are not valid UTF-8 JSON: %s", m.Blocks)
	}
	var sb slack.Blocks
	if err := json.Unmarshal(m.Blocks, &sb); err != nil {
		t.Fatalf("slack-go cannot decode the blocks: %v", err)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks are not an array of objects: %v", err)
	}
	if len(blocks) == 0 || len(blocks) > 50 || len(sb.BlockSet) != len(blocks) {
		t.Fatalf("%d blocks (slack-go decoded %d)", len(blocks), len(sb.BlockSet))
	}
	text := func(v any, where string, limit int, want string) string {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: not a text object: %v", where, v)
			return ""
		}
		typ, _ := obj["type"].(string)
		s, _ := obj["text"].(string)
		if want != "" && typ != want {
			t.Errorf("%s: text type %q, want %q", where, typ, want)
		}
		if n := utf8.RuneCountInString(s); n < 1 || n > limit {
			t.Errorf("%s: %d characters, want 1…%d", where, n, limit)
		}
		if typ == "mrkdwn" {
			out.mrkdwn = append(out.mrkdwn, s)
		}
		return s
	}
	for i, b := range blocks {
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		switch b["type"] {
		case "header":
			out.headers = append(out.headers, text(b["text"], where, maxHeader, "plain_text"))
		case "section":
			if b["text"] != nil {
				text(b["text"], where, maxSectionText, "")
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > 10 {
				t.Errorf("%s: %d fields", where, len(fields))
			}
			for _, f := range fields {
				text(f, where+" field", maxField, "")
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) < 1 || len(els) > 10 {
				t.Errorf("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				text(e, where+" element", maxContext, "")
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) < 1 || len(els) > 25 {
				t.Errorf("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				btn, _ := e.(map[string]any)
				text(btn["text"], where+" button", maxButton, "plain_text")
				if id, _ := btn["action_id"].(string); id == "" || len(id) > 255 {
					t.Errorf("%s: action_id %q", where, id)
				}
				if v, _ := btn["value"].(string); utf8.RuneCountInString(v) > 2000 {
					t.Errorf("%s: button value of %d characters", where, utf8.RuneCountInString(v))
				}
				if c, ok := btn["confirm"].(map[string]any); ok {
					text(c["title"], where+" confirm title", 100, "plain_text")
					text(c["text"], where+" confirm text", 300, "")
					text(c["confirm"], where+" confirm button", 30, "plain_text")
					text(c["deny"], where+" deny button", 30, "plain_text")
				}
			}
		default:
			t.Errorf("%s: a block type the templates do not use", where)
		}
	}
	return out
}

func FuzzIncident(f *testing.F) {
	for i, s := range fzHostile {
		f.Add(s, fzHostile[(i+7)%len(fzHostile)], fzHostile[(i+3)%len(fzHostile)], 42, uint8(i), uint8(i), i%2 == 0)
	}
	f.Add("x", "y", "z", -1, uint8(0), uint8(3), true)
	f.Add("x", "y", "z", 1<<62, uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, title, summary, step string, number int, sev, status uint8, diagnosed bool) {
		inc := fzIncident(title, number, sev, status)
		if diagnosed {
			inc.Diagnosis = &incident.Diagnosis{
				Cause: "auth_invalid", HTTPStatus: 401, Summary: summary, RequestIDs: []string{step},
				Mitigation: []string{step, summary},
				Checks:     []incident.Check{{Name: step, Result: "fail", Detail: summary}},
			}
		}
		m, err := Incident(inc)
		if err != nil {
			t.Fatalf("Incident: %v", err)
		}
		got := fzCheckBlocks(t, m)
		for i, s := range got.mrkdwn {
			fzCheckMrkdwn(t, fmt.Sprintf("mrkdwn %d", i), s)
		}
		fzCheckMrkdwn(t, "fallback", m.Text)
		if len(got.headers) != 1 {
			t.Fatalf("%d headers", len(got.headers))
		}
		tag := "[" + string(inc.Severity) + "]"
		if !inc.Open() {
			tag = "[RESOLVED]"
		}
		if prefix := tag + " INCIDENT " + inc.Ref() + ": "; !strings.HasPrefix(got.headers[0], prefix) {
			t.Errorf("header %q does not start with %q", got.headers[0], prefix)
		}
		wantButtons := 8 // four severities, three statuses, resolve
		if !inc.Open() {
			wantButtons = 1 // reopen
		}
		if n := strings.Count(string(m.Blocks), `"type":"button"`); n != wantButtons {
			t.Errorf("%d buttons, want %d", n, wantButtons)
		}
	})
}

func FuzzUpdate(f *testing.F) {
	for i, s := range fzHostile {
		f.Add(fzHostile[(i+5)%len(fzHostile)], s, uint8(i), uint8(i))
	}
	f.Fuzz(func(t *testing.T, title, text string, sev, status uint8) {
		inc := fzIncident(title, 7, sev, status)
		m, err := Update(inc, "U0BOB", text)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		got := fzCheckBlocks(t, m)
		for i, s := range got.mrkdwn {
			fzCheckMrkdwn(t, fmt.Sprintf("mrkdwn %d", i), s)
		}
		fzCheckMrkdwn(t, "fallback", m.Text)
		if !strings.HasPrefix(m.Text, "["+string(inc.Severity)+"] INC-7 update:") {
			t.Errorf("fallback %q", m.Text)
		}
	})
}

func FuzzNotice(f *testing.F) {
	for i, s := range fzHostile {
		f.Add(s, fzHostile[(i+1)%len(fzHostile)])
	}
	f.Fuzz(func(t *testing.T, text, context string) {
		if text == "" {
			text = "." // an empty section text is refused by Slack; callers never send one
		}
		// Callers escape user text before it becomes a notice.
		m := Notice(Escape(text), Escape(context))
		got := fzCheckBlocks(t, m)
		for i, s := range got.mrkdwn {
			fzCheckMrkdwn(t, fmt.Sprintf("mrkdwn %d", i), s)
		}
		fzCheckMrkdwn(t, "fallback", m.Text)
		if want := Truncate(maxSectionText, Escape(text)); got.mrkdwn[0] != want {
			t.Errorf("section text %q, want %q", got.mrkdwn[0], want)
		}

		// Unescaped caller text (a bug elsewhere) still gives valid JSON.
		raw := Notice(text, context)
		if !json.Valid(raw.Blocks) || !utf8.Valid(raw.Blocks) {
			t.Errorf("raw notice is not valid UTF-8 JSON: %s", raw.Blocks)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	for i, s := range fzHostile {
		f.Add(1+i*37, s)
	}
	f.Add(1, "ab")
	f.Add(4, "a&amp;b")
	f.Add(5, "ab&lt;c")
	f.Fuzz(func(t *testing.T, n int, s string) {
		if n < 1 || n > 20000 {
			t.Skip("Truncate is called with small positive constants")
		}
		got := Truncate(n, s)
		valid := strings.ToValidUTF8(s, "\uFFFD")
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > n {
			t.Fatalf("Truncate(%d) gave %d characters, valid UTF-8 %v", n, utf8.RuneCountInString(got), utf8.ValidString(got))
		}
		if got == valid {
			if utf8.RuneCountInString(valid) > n {
				t.Fatal("long text not cut")
			}
			return
		}
		cut, ok := strings.CutSuffix(got, "…")
		if !ok || !strings.HasPrefix(valid, cut) {
			t.Fatalf("Truncate(%d, %q) = %q: not a prefix plus an ellipsis", n, s, got)
		}
		// Escaped text stays whole: every & still starts an entity.
		fzCheckMrkdwn(t, "truncated escaped text", Truncate(n, Escape(s)))
	})
}

func FuzzEscape(f *testing.F) {
	for _, s := range fzHostile {
		f.Add(s)
	}
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if strings.ContainsAny(e, "<>") {
			t.Fatalf("Escape(%q) = %q", s, e)
		}
		fzCheckMrkdwn(t, "escaped", e)
		if back := unescape.Replace(e); back != s {
			t.Fatalf("Escape does not round-trip: %q → %q → %q", s, e, back)
		}
	})
}

func FuzzDuration(f *testing.F) {
	for _, d := range []int64{0, -1, 1, 999_999_999, int64(time.Hour + time.Second), 1 << 62, -1 << 63, 1<<63 - 1} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d int64) {
		got := Duration(time.Duration(d))
		if got == "" || strings.Contains(got, "-") {
			t.Fatalf("Duration(%d) = %q", d, got)
		}
	})
}

// ---------------------------------------------------------------------------
// The postmortem (markdown)

// fzPMHeading is every heading the template writes; anything else that
// starts a line with # came from user text.
var fzPMHeading = regexp.MustCompile(`^(# Incident INC-\d+:( .*)?|## Summary|## Timeline \(UTC\)|### \d{4}-\d{2}-\d{2} \([A-Z][a-z]+day\)|## Root Cause|## Impact|## Action Items|## Resources)$`)

var fzPMHeadingOrder = []string{"# Incident", "## Summary", "## Timeline (UTC)", "## Root Cause", "## Impact", "## Action Items", "## Resources"}

// fzUnescapedPipes counts the pipes a GFM table parser splits a row on: those
// not right after a backslash. (cmark-gfm scans a cell as
// (escaped_char|[^|])+ with the longest match, so even in "\\\\|" the pipe
// is absorbed; markdown-it and goldmark look at the previous byte only.)
func fzUnescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
			n++
		}
	}
	return n
}

// fzAutolink is the only raw "<" the document may hold: the runbook's links.
var fzAutolink = regexp.MustCompile(`<https?://[^\s<>]+>`)

// fzPMExpect is what the timeline says the document must contain.
type fzPMExpect struct {
	rows, actions int
	codeSpans     []string // code spans the template must write
}

// fzCheckPostmortem asserts the document's structure against what the input
// allows: the template's headings only, in order; every table row with as
// many cells as its header; one timeline row per visible entry; the Action
// Items section holding exactly the items the action:/todo:/follow-up: rule
// and the runbook produced; no raw HTML.
func fzCheckPostmortem(t *testing.T, doc string, want fzPMExpect) {
	t.Helper()
	if !utf8.ValidString(doc) {
		t.Error("the document is not valid UTF-8")
	}
	lines := strings.Split(doc, "\n")

	var headings []string
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimLeft(l, " "), "#") {
			continue
		}
		if !fzPMHeading.MatchString(l) {
			t.Errorf("line %d: a heading the template does not write: %q", i+1, l)
			continue
		}
		if !strings.HasPrefix(l, "### ") {
			headings = append(headings, l)
		}
	}
	if len(headings) != len(fzPMHeadingOrder) {
		t.Errorf("headings %q, want %q", headings, fzPMHeadingOrder)
	} else {
		for i, h := range headings {
			if !strings.HasPrefix(h, fzPMHeadingOrder[i]) {
				t.Errorf("heading %d is %q, want %q", i, h, fzPMHeadingOrder[i])
			}
		}
	}

	rows := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		header := lines[i]
		cells := fzUnescapedPipes(header)
		timeline := header == "| Time | Who | What |"
		if timeline && cells != 4 {
			t.Errorf("timeline header %q", header)
		}
		for i++; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			if got := fzUnescapedPipes(lines[i]); got != cells {
				t.Errorf("line %d: table row with %d cells, its table has %d: %q", i+1, got-1, cells-1, lines[i])
			}
			if timeline && !strings.HasPrefix(lines[i], "|---") {
				rows++
			}
		}
	}
	if rows != want.rows {
		t.Errorf("%d timeline rows, want %d", rows, want.rows)
	}

	section := fzSectionLines(lines, "## Action Items", "## Resources")
	items := 0
	for _, l := range section {
		switch {
		case l == "":
		case strings.HasPrefix(l, "- [ ] "):
			items++
		default:
			t.Errorf("Action Items holds a line that is not an item: %q", l)
		}
	}
	wantItems := want.actions
	if wantItems == 0 {
		wantItems = 1 // the "No action items were recorded" placeholder
	}
	if items != wantItems {
		t.Errorf("Action Items has %d items, want %d", items, wantItems)
	}

	for _, c := range want.codeSpans {
		if !strings.Contains(doc, c) {
			t.Errorf("the document lacks the code span %s", c)
		}
	}
	rest := fzAutolink.ReplaceAllString(fzOutsideCode(doc), "")
	if i := fzRawByte(rest, '<'); i >= 0 {
		t.Errorf("raw < (HTML) in the postmortem at %q", fzExcerpt(rest, i))
	}
	if m := fzEntity.FindStringIndex(rest); m != nil {
		t.Errorf("an HTML entity in the postmortem at %q: the markdown escapes with backslashes", fzExcerpt(rest, m[0]))
	}
}

// fzEntity is an HTML entity markdown would decode: one not after a
// backslash that escapes its &.
var fzEntity = regexp.MustCompile(`(^|[^\\])&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});`)

// fzOutsideCode is doc with its code spans taken out, as CommonMark finds
// them on a line: a run of n backticks not escaped by a backslash, up to
// the next run of exactly n; inside, a < is literal text.
func fzOutsideCode(doc string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(doc, "\n") {
		for i := 0; i < len(line); i++ {
			switch {
			case line[i] == '\\' && i+1 < len(line):
				b.WriteString(line[i : i+2])
				i++
			case line[i] == '`':
				n := 1
				for i+n < len(line) && line[i+n] == '`' {
					n++
				}
				end := -1
				for j := i + n; j < len(line); {
					if line[j] != '`' {
						j++
						continue
					}
					k := j
					for k < len(line) && line[k] == '`' {
						k++
					}
					if k-j == n {
						end = k
						break
					}
					j = k
				}
				if end < 0 {
					b.WriteString(line[i : i+n])
					i += n - 1
					continue
				}
				b.WriteString("CODE")
				i = end - 1
			default:
				b.WriteByte(line[i])
			}
		}
	}
	return b.String()
}

// fzRawByte is the index of the first c in s that no backslash escapes,
// or -1.
func fzRawByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

func fzSectionLines(lines []string, from, to string) []string {
	var out []string
	in := false
	for _, l := range lines {
		switch {
		case l == from:
			in = true
		case l == to:
			return out
		case in:
			out = append(out, l)
		}
	}
	return out
}

// fzAction is the action-item rule, restated: a reply that starts with
// action:, todo:, to-do:, follow-up: or followup: (any case) and says
// something after it.
var fzAction = regexp.MustCompile(`(?i)^\s*(action|todo|to-do|follow-up|followup|follow up)\s*:`)

func fzIsActionItem(text string) bool {
	loc := fzAction.FindStringIndex(text)
	return loc != nil && strings.TrimSpace(text[loc[1]:]) != ""
}

var fzPMKinds = []incident.EntryKind{
	incident.KindDeclared, incident.KindTriage, incident.KindMessage, incident.KindEdit, incident.KindDeletion,
	incident.KindSeverity, incident.KindStatus, incident.KindCommander, incident.KindUpdate, incident.KindResolved,
	incident.KindReopened, incident.KindRefused, incident.KindReminder,
}

// fzPostmortem builds the document's input from fuzzed text: a vendor
// incident whose title, summary, diagnosis and request id are hostile, and
// a timeline of replies and typed entries, over one or two days.
func fzPostmortem(title, summary, reply1, reply2, name, requestID string, kind, flags uint8) (PostmortemData, fzPMExpect) {
	inc := fzIncident(title, 42, flags, 3) // resolved
	inc.Summary = summary
	inc.AcknowledgedAt, inc.MitigatedAt = t0.Add(time.Minute), t0.Add(30*time.Minute)
	if flags&1 != 0 {
		inc.Vendor, inc.VendorName = "hubspot", title
		inc.Diagnosis = &incident.Diagnosis{
			Cause: "auth_invalid", HTTPStatus: 401, Summary: reply2, RequestIDs: []string{requestID},
			Prevention: []string{"Alert on 401s", reply1}, Links: []string{"https://status.hubspot.com", reply2},
		}
	}
	day := time.Duration(0)
	if flags&2 != 0 {
		day = 26 * time.Hour
	}
	edited := incident.Entry{Kind: incident.KindMessage, Author: "U0BOB", Text: reply2, At: t0.Add(3 * time.Minute), SlackTS: "2", Edited: true}
	deleted := incident.Entry{Kind: incident.KindMessage, Author: "U0EVIL", Text: "action: " + reply1, At: t0.Add(4 * time.Minute), SlackTS: "3", Deleted: flags&4 != 0}
	tl := []incident.Entry{
		{Kind: incident.KindDeclared, Author: "U0ALICE", Text: title, At: t0},
		{Kind: incident.KindMessage, Author: "U0BOB", Text: reply1, At: t0.Add(2 * time.Minute), SlackTS: "1"},
		edited,
		deleted,
		{Kind: fzPMKinds[int(kind)%len(fzPMKinds)], Author: "U0ALICE", Text: reply2, At: t0.Add(day + 5*time.Minute)},
		{Kind: incident.KindMessage, Author: "U0ALICE", Text: "<@U0EVIL> said " + reply1, At: t0.Add(day + 6*time.Minute), SlackTS: "4"},
		{Kind: incident.KindResolved, Author: "U0ALICE", Text: summary, At: t0.Add(day + time.Hour)},
	}
	d := PostmortemData{Incident: inc, Timeline: tl, Note: reply2,
		Names: map[string]string{"U0ALICE": name, "U0BOB": "bob", "U0EVIL": name}}

	var want fzPMExpect
	for _, e := range tl {
		switch {
		case e.Kind == incident.KindEdit, e.Kind == incident.KindDeletion:
			continue
		case e.Kind == incident.KindReminder && e.Author == "": // the bot's own reminders have no row
			continue
		}
		want.rows++
		if e.Kind == incident.KindMessage && !e.Deleted && fzIsActionItem(e.Text) {
			want.actions++
		}
	}
	if inc.Diagnosis != nil {
		want.actions += len(inc.Diagnosis.Prevention)
		want.codeSpans = append(want.codeSpans, codeMD(inc.Diagnosis.Cause), codeMD(requestID))
	}
	return d, want
}

func FuzzPostmortem(f *testing.F) {
	for i, s := range fzHostile {
		f.Add(fzHostile[(i+1)%len(fzHostile)], fzHostile[(i+2)%len(fzHostile)], s,
			fzHostile[(i+9)%len(fzHostile)], "alice", fzRequestIDs[0], uint8(i), uint8(i))
	}
	for i, n := range fzNames {
		f.Add("Checkout", "fixed", "action: alert on 401s", "looks fine", n, fzRequestIDs[0], uint8(2), uint8(i))
	}
	for i, id := range fzRequestIDs {
		f.Add("HubSpot", "fixed", "todo: x", "y", "alice", id, uint8(0), uint8(2*i+1))
	}
	f.Fuzz(func(t *testing.T, title, summary, reply1, reply2, name, requestID string, kind, flags uint8) {
		d, want := fzPostmortem(title, summary, reply1, reply2, name, requestID, kind, flags)
		doc, err := Postmortem(d)
		if err != nil {
			t.Fatalf("Postmortem: %v", err)
		}
		fzCheckPostmortem(t, doc, want)
		if t.Failed() {
			t.Logf("document:\n%s", doc)
		}
	})
}

// TestPostmortemHostileReplies is the table: replies that try to
// take over the document.
func TestPostmortemHostileReplies(t *testing.T) {
	tests := []struct {
		name, reply string
		actions     int // items the reply adds
	}{
		{"heading", "## Action Items", 0},
		{"heading after newline", "fine\n## Action Items\n- [ ] injected", 0},
		{"heading after CR", "fine\r# Root Cause", 0},
		{"table pipe", "a | b | c", 0},
		{"fake table", "| x | y |\n|---|---|\n| 1 | 2 |", 0},
		{"escaped pipe", "a \\| b \\\\| c", 0},
		{"script", "<script>alert(1)</script>", 0},
		{"entity script", "&lt;script&gt;alert(1)&lt;/script&gt;", 0},
		{"mass mention", "<!channel> <!here> <@U0EVIL>", 0},
		{"link", "<javascript:alert(1)|click>", 0},
		{"action item", "action: alert on 401s", 1},
		{"action item with a heading", "TODO: fix\n## Resources\n- evil", 1},
		{"action item with pipes", "follow-up: a | b", 1},
		{"empty action item", "action:   ", 0},
		{"list", "- [ ] not an item\n* also not", 0},
		{"control characters", "\x00\x1b[2J\x07bell", 0},
		{"invalid UTF-8", "\xff\xfe## x", 0},
		{"5,000 characters", strings.Repeat("|#<", 1700), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := fzIncident("Checkout emails", 9, 1, 3)
			d := PostmortemData{Incident: inc, Names: map[string]string{"U0BOB": "bob"}, Timeline: []incident.Entry{
				{Kind: incident.KindDeclared, Author: "U0BOB", Text: "Checkout emails", At: t0},
				{Kind: incident.KindMessage, Author: "U0BOB", Text: tt.reply, At: t0.Add(time.Minute), SlackTS: "1"},
				{Kind: incident.KindUpdate, Author: "U0BOB", Text: tt.reply, At: t0.Add(2 * time.Minute)},
			}}
			inc.Summary = tt.reply
			doc, err := Postmortem(d)
			if err != nil {
				t.Fatal(err)
			}
			fzCheckPostmortem(t, doc, fzPMExpect{rows: 3, actions: tt.actions})
			if t.Failed() {
				t.Logf("document:\n%s", doc)
			}
		})
	}
}

// TestPostmortemEscapesDisplayNames: display names are chosen by the people
// they name, so they are user text like any reply. They reach the document
// through the Commander and Participants rows and after each action item.
func TestPostmortemEscapesDisplayNames(t *testing.T) {
	for _, name := range fzNames[2:] {
		t.Run(name, func(t *testing.T) {
			inc := fzIncident("Checkout emails", 9, 1, 3)
			d := PostmortemData{Incident: inc, Names: map[string]string{"U0ALICE": name}, Timeline: []incident.Entry{
				{Kind: incident.KindMessage, Author: "U0ALICE", Text: "action: alert on 401s", At: t0.Add(time.Minute), SlackTS: "1"},
			}}
			doc, err := Postmortem(d)
			if err != nil {
				t.Fatal(err)
			}
			fzCheckPostmortem(t, doc, fzPMExpect{rows: 1, actions: 1})
			if t.Failed() {
				t.Logf("document:\n%s", doc)
			}
		})
	}
}

// TestPostmortemHostileRequestIDs: request ids come from the vendor's answer.
func TestPostmortemHostileRequestIDs(t *testing.T) {
	for _, id := range fzRequestIDs {
		t.Run(id, func(t *testing.T) {
			inc := fzIncident("HubSpot Integration", 9, 1, 3)
			inc.Vendor, inc.VendorName = "hubspot", "HubSpot"
			inc.Diagnosis = &incident.Diagnosis{Cause: "auth_invalid", Summary: "401", RequestIDs: []string{id}}
			doc, err := Postmortem(PostmortemData{Incident: inc})
			if err != nil {
				t.Fatal(err)
			}
			fzCheckPostmortem(t, doc, fzPMExpect{codeSpans: []string{codeMD("auth_invalid"), codeMD(id)}})
			if t.Failed() {
				t.Logf("document:\n%s", doc)
			}
		})
	}
}
