package incident

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"INC-42", 42, true}, {"inc-7", 7, true}, {"#3", 3, true}, {"12", 12, true},
		{"INC-0", 0, false}, {"INC-", 0, false}, {"INC-4a", 0, false}, {"INC--1", 0, false},
		{"INC-007", 0, false}, {"", 0, false}, {"../etc", 0, false}, {"INC-99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRef(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRef(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseSeverityAndStatus(t *testing.T) {
	for in, want := range map[string]Severity{"P1": P1, "p2": P2, " 3 ": P3, "P4": P4} {
		if got, err := ParseSeverity(in); got != want || err != nil {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"P5", "P0", "", "high"} {
		if _, err := ParseSeverity(in); KindOf(err) != Invalid {
			t.Errorf("ParseSeverity(%q): err = %v, want Invalid", in, err)
		}
	}
	if st, err := ParseStatus("Monitoring"); st != Monitoring || err != nil {
		t.Errorf("ParseStatus = %q, %v", st, err)
	}
	if _, err := ParseStatus("done"); KindOf(err) != Invalid {
		t.Error("ParseStatus(done) accepted")
	}
}

func TestErrorKinds(t *testing.T) {
	wrapped := fmt.Errorf("sqlite: get: %w", ErrNotFound)
	if KindOf(wrapped) != NotFound || !errors.Is(wrapped, ErrNotFound) {
		t.Error("a wrapped ErrNotFound lost its kind")
	}
	if KindOf(errors.New("disk full")) != Internal {
		t.Error("a plain error is not Internal")
	}
	if Message(errors.New("dial tcp 10.0.0.1: secret detail")) == "dial tcp 10.0.0.1: secret detail" {
		t.Error("an internal error's text reached the user")
	}
}

func TestDedupKey(t *testing.T) {
	at := time.Unix(1800000000, 500)
	tests := []struct {
		e    Entry
		want string
	}{
		{Entry{Kind: KindMessage, SlackTS: "1.2"}, "message:1.2"},
		{Entry{Kind: KindDeletion, SlackTS: "1.2"}, "deletion:1.2"},
		{Entry{Kind: KindEdit, SlackTS: "1.2", At: at}, "edit:1.2:1800000000000000"},
		{Entry{Kind: KindSeverity}, ""},
		{Entry{Kind: KindMessage}, ""},
	}
	for _, tt := range tests {
		if got := tt.e.DedupKey(); got != tt.want {
			t.Errorf("DedupKey(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}
