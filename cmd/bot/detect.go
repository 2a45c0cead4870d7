package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/vendors"
)

const vendorsDetectUsage = `Usage: bot vendors detect URL [--json] [--timeout DURATION]

Works out the format of the status page at URL, the way a vendor with
status_kind auto is read: the format the host names (status.cloud.google.com,
status.aws.amazon.com, *.statuspage.io, …), the URL itself when it names a
document (JSON by its shape, RSS or Atom), then the Statuspage summary
(also served by incident.io pages), Instatus's summary.json, Better Stack's
index.json and Cachet's API. Prints the kind, the document read, the
status_url to give that kind in VENDORS_FILE, the page's indicator now and
what it says, in one line.

  --json              print the finding as JSON
  --timeout DURATION  give up after this long (default TRIAGE_DEADLINE, 8s)

Exit 0 when a format was found, 1 when none was, 2 on a usage error.
`

// detectRow is bot vendors detect's answer as JSON.
type detectRow struct {
	URL       string   `json:"url"`
	Found     bool     `json:"found"`
	Kind      string   `json:"status_kind,omitempty"`
	StatusURL string   `json:"status_url,omitempty"`
	Document  string   `json:"document,omitempty"`
	Indicator string   `json:"indicator,omitempty"`
	Reading   string   `json:"reading,omitempty"`
	Tried     []string `json:"tried,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// cmdVendorsDetect is bot vendors detect URL [--json] [--timeout D].
func cmdVendorsDetect(ctx context.Context, args []string, cfg config, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("vendors detect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the finding as JSON")
	timeout := fs.Duration("timeout", 0, "give up after this long")
	urls, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, vendorsDetectUsage)
		return nil
	}
	const usage = "usage: bot vendors detect URL [--json] [--timeout DURATION]"
	switch {
	case err != nil:
		return usageError("vendors detect: %v; %s", err, usage)
	case len(urls) != 1:
		return usageError("vendors detect takes one status page URL, got %d; %s", len(urls), usage)
	case *timeout < 0:
		return usageError("vendors detect: --timeout %s: want a positive duration like 10s", *timeout)
	}
	raw := strings.TrimSpace(urls[0])
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError("vendors detect: %q is not an http(s) URL, e.g. https://status.example.com", raw)
	}
	limit := *timeout
	if limit == 0 {
		limit = cfg.Triage.Deadline
	}
	if limit <= 0 {
		limit = vendors.DefaultDeadline
	}
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	d, derr := vendors.Detect(dctx, nil, raw, time.Now())
	row := detectRow{URL: raw, Found: derr == nil, Kind: d.Kind, StatusURL: d.StatusURL, Document: d.Document,
		Indicator: string(d.Indicator), Reading: d.Reading, Tried: d.Tried}
	if derr != nil {
		row.Error = derr.Error()
	}
	if *asJSON {
		if err := writeJSON(stdout, row); err != nil {
			return fmt.Errorf("vendors detect: %w", err)
		}
	} else {
		writeDetectText(stdout, row)
	}
	if derr != nil {
		return errProblemFound
	}
	return nil
}

// writeDetectText prints the finding for a person, every vendor-given
// word made safe for a terminal.
func writeDetectText(w io.Writer, r detectRow) {
	text := func(s string) string { return runbook.Printable(s, false) }
	if !r.Found {
		fmt.Fprintf(w, "no status-page format found at %s\n", text(r.URL))
		for _, t := range r.Tried {
			fmt.Fprintf(w, "  tried %s\n", text(t))
		}
		if len(r.Tried) == 0 && r.Error != "" {
			fmt.Fprintf(w, "  %s\n", text(r.Error))
		}
		return
	}
	fmt.Fprintf(w, "kind:       %s\n", text(r.Kind))
	fmt.Fprintf(w, "document:   %s\n", text(r.Document))
	fmt.Fprintf(w, "status_url: %s\n", text(r.StatusURL))
	fmt.Fprintf(w, "indicator:  %s\n", text(r.Indicator))
	fmt.Fprintf(w, "reading:    %s\n", text(r.Reading))
	fmt.Fprintf(w, "\nIn VENDORS_FILE:\n  status_kind: %s\n  status_url: %s\n", text(r.Kind), text(r.StatusURL))
}
