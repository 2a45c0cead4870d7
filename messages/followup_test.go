package messages

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

func sampleFollowup(state incident.FollowupState) incident.Followup {
	return incident.Followup{Source: "cmd:Tr1", Text: "Alert on HubSpot 401s <before> customers & support notice",
		Author: "U0BOB", Tracker: "github", State: state, IssueKey: "acme/web#12",
		IssueURL: "https://github.com/acme/web/issues/12", CreatedAt: at(50 * time.Minute)}
}

func TestFollowupMessagesGolden(t *testing.T) {
	tests := []struct {
		name string
		m    Message
	}{
		{"followup_filed", FollowupFiled("INC-42", sampleFollowup(incident.FollowupCreated))},
		{"followup_recorded", FollowupRecorded("INC-42", sampleFollowup(incident.FollowupRecorded))},
		{"followup_failed", FollowupFailed("INC-42", sampleFollowup(incident.FollowupFailed),
			"GitHub refused the request for acme/web (401: \"Bad credentials\"): GITHUB_TOKEN is invalid or expired; create a new token and set GITHUB_TOKEN")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+".golden", pretty(t, tt.m))
			if strings.Contains(tt.m.Text, "<before>") {
				t.Errorf("user text not escaped: %s", tt.m.Text)
			}
		})
	}
}

// TestPostmortemFollowups: the command's follow-ups are action items in
// the order they were said among the replies' ones, each with its issue's
// link, or where it stands.
func TestPostmortemFollowups(t *testing.T) {
	filed := sampleFollowup(incident.FollowupCreated)
	pending := incident.Followup{Source: "cmd:Tr2", Text: "Document token rotation", Author: "U0ALICE", Tracker: "github",
		State: incident.FollowupPending, CreatedAt: at(20 * time.Minute)}
	reply := msg(30*time.Minute, "U0CAROL", "action: rotate the token every 90 days")
	reply.SlackTS = "1773651600.000100"
	fromReply := incident.Followup{Source: "msg:" + reply.SlackTS, Text: "rotate the token every 90 days", Author: "U0CAROL",
		Tracker: "github", State: incident.FollowupCreated, IssueKey: "acme/web#13", IssueURL: "https://github.com/acme/web/issues/13",
		CreatedAt: at(30 * time.Minute)}
	failed := incident.Followup{Source: "cmd:Tr3", Text: "Ask HubSpot for expiry warnings", Author: "U0BOB", Tracker: "github",
		State: incident.FollowupFailed, Error: "401", CreatedAt: at(55 * time.Minute)}
	recorded := incident.Followup{Source: "cmd:Tr4", Text: "Add a *runbook* entry", Author: "U0ALICE",
		State: incident.FollowupRecorded, CreatedAt: at(56 * time.Minute)}
	doc, err := Postmortem(PostmortemData{Incident: resolvedVendor(time.Hour), Names: names,
		Timeline: []incident.Entry{
			typed(0, incident.KindDeclared, "U0ALICE", "HubSpot Integration"),
			typed(20*time.Minute, incident.KindFollowup, "U0ALICE", "Document token rotation"),
			reply,
			typed(time.Hour, incident.KindResolved, "U0ALICE", ""),
		},
		Followups: []incident.Followup{filed, pending, fromReply, failed, recorded}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "postmortem_followups.md", []byte(doc))
	order := []string{
		"- [ ] Document token rotation — @alice _(GitHub issue being filed)_",
		"- [ ] rotate the token every 90 days — @carol ([acme/web#13](https://github.com/acme/web/issues/13))",
		"- [ ] Alert on HubSpot 401s \\<before> customers & support notice — @bob ([acme/web#12](https://github.com/acme/web/issues/12))",
		"- [ ] Ask HubSpot for expiry warnings — @bob _(not filed in GitHub: see the incident thread)_",
		"- [ ] Add a **runbook** entry — @alice\n",
	}
	last := -1
	for _, want := range order {
		i := strings.Index(doc, want)
		if i < 0 {
			t.Errorf("postmortem lacks %q", want)
			continue
		}
		if i < last {
			t.Errorf("%q is out of order", want)
		}
		last = i
	}
}

func TestIssueDraft(t *testing.T) {
	inc := resolvedVendor(time.Hour)
	f := sampleFollowup(incident.FollowupPending)
	f.Text = "ask <@U0CAROL> to rotate &lt;the&gt; token"
	d := IssueDraft(inc, f, names, "https://slack.com/archives/C1/p1", "incident-bot:followup:X")
	if d.Title != "INC-42 follow-up: ask @carol to rotate <the> token" {
		t.Errorf("title %q", d.Title)
	}
	if !strings.Contains(strings.Join(d.Body, "\n"), "added by @bob") || d.Link == "" || d.Marker == "" {
		t.Errorf("draft %+v", d)
	}
}
