package commands

import (
	"testing"
	"time"
)

func TestSplitVerb(t *testing.T) {
	tests := []struct{ in, verb, rest string }{
		{"", "", ""},
		{"  HELP  ", "help", ""},
		{"triage  hubspot ", "triage", "hubspot"},
		{"declare Checkout\temails\nbroken", "declare", "Checkout\temails\nbroken"},
		{"status\x00\x07 fixed", "status", "fixed"},
		{"resolve\xff", "resolve\ufffd", ""},
	}
	for _, tt := range tests {
		verb, rest := splitVerb(tt.in)
		if verb != tt.verb || rest != tt.rest {
			t.Errorf("splitVerb(%q) = %q, %q; want %q, %q", tt.in, verb, rest, tt.verb, tt.rest)
		}
	}
}

func TestTakeRef(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		rest string
	}{
		{"P2 INC-3", 3, "P2"},
		{"INC-3 P2", 3, "P2"},
		{"inc-12 token rotated", 12, "token rotated"},
		{"token rotated", 0, "token rotated"},
		{"3 retries failed", 0, "3 retries failed"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		n, rest := takeRef(tt.in)
		if n != tt.n || rest != tt.rest {
			t.Errorf("takeRef(%q) = %d, %q; want %d, %q", tt.in, n, rest, tt.n, tt.rest)
		}
	}
}

func TestParseUser(t *testing.T) {
	for in, want := range map[string]string{"<@U123ABC|alice>": "U123ABC", "<@W42>": "W42", "U0BOB": "U0BOB"} {
		if got, ok := parseUser(in); !ok || got != want {
			t.Errorf("parseUser(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"@alice", "alice", "<!channel>", "<@U1|x> extra", ""} {
		if got, ok := parseUser(in); ok {
			t.Errorf("parseUser(%q) = %q, want refused", in, got)
		}
	}
}

func TestSlackTime(t *testing.T) {
	fb := time.Unix(1, 0)
	if got := slackTime("1700000000.000100", fb); !got.Equal(time.Unix(1700000000, 100_000)) {
		t.Errorf("slackTime = %v", got)
	}
	for _, bad := range []string{"", "abc", "-5.1"} {
		if got := slackTime(bad, fb); !got.Equal(fb) {
			t.Errorf("slackTime(%q) = %v, want the fallback", bad, got)
		}
	}
}

func TestNextBusinessDay(t *testing.T) {
	fri := time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		at   time.Time
		d    time.Duration
		want time.Time
	}{
		{fri.Add(24 * time.Hour), 24 * time.Hour, fri.Add(3 * 24 * time.Hour)}, // Saturday → Monday
		{fri.Add(48 * time.Hour), 24 * time.Hour, fri.Add(3 * 24 * time.Hour)}, // Sunday → Monday
		{fri, 24 * time.Hour, fri},
		{fri.Add(24 * time.Hour), time.Hour, fri.Add(24 * time.Hour)}, // short intervals run on weekends
	}
	for _, tt := range tests {
		if got := nextBusinessDay(tt.at, tt.d); !got.Equal(tt.want) {
			t.Errorf("nextBusinessDay(%v, %v) = %v, want %v", tt.at.Weekday(), tt.d, got.Weekday(), tt.want.Weekday())
		}
	}
}
