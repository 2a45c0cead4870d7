package runbook

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// WriteText writes the report for people: what was checked and found, the
// cause and suggested severity, what to do, and where to read more.
func WriteText(w io.Writer, r Report) error {
	ew := &errWriter{w: w}
	// Everything shown comes from the report, much of it from the vendor:
	// each field is one line of printable text.
	text := func(s string) string { return Printable(s, false) }
	name := r.VendorName
	if name == "" {
		name = r.Vendor
	}
	sev := "none"
	if r.Severity != "" {
		sev = string(r.Severity) + " (suggested)"
	}
	ew.printf("Triage of %s (%s)\n\n", text(name), text(r.Vendor))
	ew.printf("Cause:     %s\n", text(string(r.Cause)))
	ew.printf("Severity:  %s\n", text(sev))
	ew.printf("Summary:   %s\n", text(r.Summary))
	if r.RequestID != "" && r.Problem() {
		ew.printf("Request:   %s (the vendor's request id; quote it to their support)\n", text(r.RequestID))
	}
	writeList(ew, "Why", r.Evidence, false)
	ew.printf("\nChecks\n")
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	for _, c := range r.Checks {
		status := ""
		if c.HTTPStatus != 0 {
			status = fmt.Sprint(c.HTTPStatus)
		}
		latency := ""
		if c.LatencyMS > 0 || c.HTTPStatus != 0 || c.TimedOut {
			latency = fmt.Sprintf("%d ms", c.LatencyMS)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", text(string(c.Name)), text(string(c.Result)), status, latency, text(c.Detail))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	writeList(ew, "What to do", r.Mitigation, true)
	writeList(ew, "To prevent it next time", r.Prevention, false)
	writeList(ew, "Links", r.Links, false)
	ew.printf("\nChecked in %d ms at %s.\n", r.DurationMS, r.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	if ew.err != nil {
		return fmt.Errorf("write report: %w", ew.err)
	}
	return nil
}

func writeList(ew *errWriter, title string, items []string, numbered bool) {
	if len(items) == 0 {
		return
	}
	ew.printf("\n%s\n", title)
	for i, it := range items {
		it = Printable(it, true)
		mark := "-"
		if numbered {
			mark = fmt.Sprintf("%d.", i+1)
		}
		ew.printf("  %s %s\n", mark, indent(it, strings.Repeat(" ", len(mark)+3)))
	}
}

// indent indents every line after the first, for multi-line items.
func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}

// errWriter remembers the first write error so the renderer stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

// Printable is s as a terminal should show it. Text from vendors reaches
// the terminal through it: a terminal acts on control characters rather
// than showing them (ANSI escapes clear the screen, move the cursor, retitle
// the window; a carriage return overwrites the line), so C0 controls, DEL
// and C1 controls are dropped, as are the bidirectional controls that make
// text read otherwise than it is. Newlines and tabs stay where lines are
// kept, and are spaces otherwise, so one field cannot start a line that
// looks like another. Invalid UTF-8 becomes U+FFFD.
func Printable(s string, lines bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			if lines {
				return r
			}
			return ' '
		case unsafeRune(r):
			return -1
		}
		return r
	}, s)
}

// unsafeRune: a control character or a bidirectional control.
func unsafeRune(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }

// TerminalJSON makes JSON that encoding/json wrote safe to print:
// encoding/json escapes C0 controls itself but writes DEL, C1 controls and
// bidirectional controls raw. Outside strings JSON is ASCII, so each such
// character is inside a string, where its \uXXXX escape means the same:
// the document decodes to the same values.
func TerminalJSON(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return r != '\n' && unsafeRune(r) }) {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) {
		if r != '\n' && unsafeRune(r) {
			fmt.Fprintf(&out, "\\u%04x", r)
			continue
		}
		out.WriteRune(r)
	}
	return out.Bytes()
}
