package commands

import (
	"context"
	"strings"
	"testing"
)

// TestVerbTable walks the table: every verb has a usage and a help line,
// help lists each, every name dispatches to its own verb, and no name is
// claimed twice.
func TestVerbTable(t *testing.T) {
	seen := map[string]bool{}
	text := help().Text
	for _, v := range verbs {
		if len(v.names) == 0 || v.usage == "" || v.help == "" || v.run == nil {
			t.Errorf("verb %v: needs names, usage, help and run", v.names)
			continue
		}
		if !strings.HasPrefix(v.usage, v.names[0]) {
			t.Errorf("verb %s: usage %q does not start with its name", v.names[0], v.usage)
		}
		if !strings.Contains(text, "`/incident "+v.usage+"`") {
			t.Errorf("help does not list %q", v.usage)
		}
		for _, n := range v.names {
			if seen[n] {
				t.Errorf("name %q is claimed twice", n)
			}
			seen[n] = true
			got, ok := lookupVerb(n)
			if !ok || got.names[0] != v.names[0] {
				t.Errorf("lookupVerb(%q) = %v, want %s", n, got.names, v.names[0])
			}
		}
	}
	for _, n := range []string{"triage", "declare", "severity", "status", "update", "commander", "list", "resolve", "reopen", "help"} {
		if !seen[n] {
			t.Errorf("the contract's subcommand %q is not in the table", n)
		}
	}
	if len(verbNames()) != len(seen)-1 { // "" (no words) is not a name
		t.Errorf("verbNames() = %v", verbNames())
	}
}

func TestUnknownVerbPointsToHelp(t *testing.T) {
	h := newFzHarness(t, fzOpenStore(t), false)
	got := h.svc.Command(context.Background(), Command{TeamID: h.team, ChannelID: "C1", UserID: "U1", Text: "frobnicate <!channel>"})
	if !strings.Contains(got.Text, "I don't know `frobnicate`") || !strings.Contains(got.Text, "/incident help") {
		t.Fatalf("answer = %q", got.Text)
	}
}
