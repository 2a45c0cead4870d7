package runbook

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for people: what was checked and found, the
// cause and suggested severity, what to do, and where to read more.
func WriteText(w io.Writer, r Report) error {
	ew := &errWriter{w: w}
	name := r.VendorName
	if name == "" {
		name = r.Vendor
	}
	sev := "none"
	if r.Severity != "" {
		sev = string(r.Severity) + " (suggested)"
	}
	ew.printf("Triage of %s (%s)\n\n", name, r.Vendor)
	ew.printf("Cause:     %s\n", r.Cause)
	ew.printf("Severity:  %s\n", sev)
	ew.printf("Summary:   %s\n", r.Summary)
	if r.RequestID != "" && r.Problem() {
		ew.printf("Request:   %s (the vendor's request id; quote it to their support)\n", r.RequestID)
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
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, c.Result, status, latency, c.Detail)
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
