package messages

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func msg(d time.Duration, who, text string) incident.Entry {
	return incident.Entry{Kind: incident.KindMessage, Author: who, Text: text, At: at(d), SlackTS: "x"}
}

func typed(d time.Duration, k incident.EntryKind, who, text string) incident.Entry {
	return incident.Entry{Kind: k, Author: who, Text: text, At: at(d)}
}

var names = map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}

func resolvedVendor(d time.Duration) *incident.Incident {
	inc := vendorIncident()
	inc.Status, inc.Severity = incident.Resolved, incident.P2
	inc.AcknowledgedAt, inc.MitigatedAt, inc.ResolvedAt = at(2*time.Minute), at(40*time.Minute), at(d)
	return inc
}

func TestPostmortemGolden(t *testing.T) {
	short := PostmortemData{Incident: resolvedVendor(75 * time.Minute), Names: names, Timeline: []incident.Entry{
		typed(0, incident.KindDeclared, "U0ALICE", "HubSpot Integration"),
		typed(0, incident.KindTriage, "", "auth_invalid: HubSpot answers 401 INVALID_AUTHENTICATION"),
		msg(2*time.Minute, "U0BOB", "Looking. The token was rotated yesterday by <@U0CAROL>?"),
		typed(5*time.Minute, incident.KindSeverity, "U0ALICE", "P1 → P2"),
		msg(7*time.Minute, "U0CAROL", "*Found it:* the _offboarding_ script revoked it ~by mistake~ &amp; nobody noticed; `kubectl get secret hubspot-api-token` is stale"),
		typed(10*time.Minute, incident.KindUpdate, "U0ALICE", "Rotating the token now"),
		typed(40*time.Minute, incident.KindStatus, "U0ALICE", "Investigating → Monitoring"),
		msg(50*time.Minute, "U0BOB", "action: alert on HubSpot 401s"),
		msg(51*time.Minute, "U0CAROL", "TODO: document token rotation in <https://wiki.example.com/rotate|the runbook>"),
		typed(75*time.Minute, incident.KindResolved, "U0ALICE", ""),
	}}

	multi := short
	multi.Incident = resolvedVendor(51 * time.Hour)
	multi.Timeline = append(append([]incident.Entry{}, short.Timeline[:4]...),
		msg(26*time.Hour, "U0BOB", "Still failing overnight; vendor ticket #4411 open"),
		msg(50*time.Hour, "U0ALICE", "follow-up: ask HubSpot for a token expiry warning"),
		typed(51*time.Hour, incident.KindResolved, "U0ALICE", ""))

	edited := msg(3*time.Minute, "U0BOB", "the token was revoked by the admin")
	edited.Edited = true
	deleted := msg(4*time.Minute, "U0CAROL", "wrong channel, sorry")
	deleted.Deleted = true
	edits := PostmortemData{Incident: resolvedVendor(20 * time.Minute), Names: names, Timeline: []incident.Entry{
		typed(0, incident.KindDeclared, "U0ALICE", "HubSpot Integration"),
		edited,
		{Kind: incident.KindEdit, Author: "U0BOB", Text: "the token was revoked by the admin", At: at(6 * time.Minute)},
		deleted,
		{Kind: incident.KindDeletion, At: at(7 * time.Minute)},
		typed(20*time.Minute, incident.KindResolved, "U0ALICE", ""),
	}}

	declared := vendorIncident()
	declared.Vendor, declared.VendorName, declared.Diagnosis = "", "", nil
	declared.Title, declared.Summary = "Checkout emails are not sent", "A template change broke the email job; reverted."
	declared.Status, declared.ResolvedAt = incident.Resolved, at(30*time.Minute)
	noReplies := PostmortemData{Incident: declared, Names: names, Timeline: []incident.Entry{
		typed(0, incident.KindDeclared, "U0ALICE", "Checkout emails are not sent"),
		typed(30*time.Minute, incident.KindResolved, "U0ALICE", ""),
	}}

	hostileInc := resolvedVendor(time.Hour)
	hostileInc.Summary = "fixed\n## Action Items\n- [ ] injected"
	hostile := PostmortemData{Incident: hostileInc, Names: names, Note: "Slack did not return the thread (ratelimited)", Timeline: []incident.Entry{
		msg(time.Minute, "U0BOB", "## Action Items\n| a | b |\n<script>alert(1)</script> <!channel>"),
		msg(2*time.Minute, "U0EVIL", "action: `rm -rf` | pipe *bold* [x](javascript:alert(1))"),
	}}

	tests := []struct {
		name string
		data PostmortemData
	}{
		{"postmortem_short", short},
		{"postmortem_multiday", multi},
		{"postmortem_edits", edits},
		{"postmortem_no_replies", noReplies},
		{"postmortem_hostile", hostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Postmortem(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".md", []byte(doc))
		})
	}
}

func TestPostmortemContents(t *testing.T) {
	doc, err := Postmortem(PostmortemData{Incident: resolvedVendor(75 * time.Minute), Names: names, Timeline: []incident.Entry{
		msg(time.Minute, "U0BOB", "Action: rotate <@U0CAROL>'s token"),
		msg(2*time.Minute, "U0BOB", "## Action Items"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Incident INC-42: HubSpot: token refused (401)",
		"| Duration | 1h 15m |",
		"- [ ] rotate @carol's token — @bob",
		"- [ ] Alert on 401s from HubSpot before customers notice",
		"`b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11`",
		"- Time to acknowledge: 2m",
		"- Time to mitigate: 40m",
		"- Time to resolve: 1h 15m",
		"<https://status.hubspot.com>",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("postmortem lacks %q", want)
		}
	}
	if n := strings.Count(doc, "\n## Action Items"); n != 1 {
		t.Errorf("%d Action Items headings; a reply must not add one", n)
	}
}

// TestPostmortemMrkdwn: Slack's formatting in replies becomes markdown's,
// and text markdown would read as markup is escaped with a backslash, not
// turned into HTML entities: the raw file reads as what was written.
func TestPostmortemMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"*bold*", "**bold**"},
		{"_italics_", "*italics*"},
		{"~struck~", "~~struck~~"},
		{"a *bold* and _italic_ word", "a **bold** and *italic* word"},
		{"*bold with _italics_ inside*", "**bold with *italics* inside**"},
		{"run `kubectl get pods | grep hub` now", "run `kubectl get pods \\| grep hub` now"},
		{"```multi\nline```", "`multi line`"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"2 * 3 * 4", "2 \\* 3 \\* 4"},
		{"a*b*c", "a\\*b\\*c"},
		{"* not a list", "\\* not a list"},
		{"*unclosed", "\\*unclosed"},
		{"_leading underscore", "\\_leading underscore"},
		{"<script>alert(1)</script>", "\\<script>alert(1)\\</script>"},
		{"rotated it <by mistake> & nobody noticed", "rotated it \\<by mistake> & nobody noticed"},
		{"&lt; typed as an entity", "\\&lt; typed as an entity"},
		{"[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"},
		{"a | b", "a \\| b"},
		{"## Action Items", "\\## Action Items"},
		{"- [ ] injected", "\\- \\[ \\] injected"},
		{"1. first", "1\\. first"},
		{"*bold*\n## next line", "**bold** ## next line"},
		{"*across\nlines*", "\\*across lines\\*"},
		{"~5 minutes", "\\~5 minutes"},
		{"` `", "\\` \\`"},
	}
	for _, tt := range tests {
		if got := mrkdwnMD(tt.in); got != tt.want {
			t.Errorf("mrkdwnMD(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := inlineMD("HubSpot: *token* <refused> & (401)"), "HubSpot: \\*token\\* \\<refused> & (401)"; got != want {
		t.Errorf("inlineMD = %q, want %q: plain text keeps its stars", got, want)
	}
}
