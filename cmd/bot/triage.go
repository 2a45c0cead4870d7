package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/vendors"
)

const triageUsage = `Usage: bot triage VENDOR [--json]

Checks VENDOR the way the runbooks do, all at once and within
TRIAGE_DEADLINE (default 8s): its status page, one authenticated call to its
API with the token from its variable (e.g. HUBSPOT_ACCESS_TOKEN), the
rate-limit figures of that answer, and our own HEALTH_URL when set. Prints
the cause, a suggested severity, what to do and where to read more.

  --json   print the report as JSON, for scripts

Exit codes:
  0  the vendor is healthy
  1  the report names a problem, including misconfigured: the vendor's
     token variable is not set (or its api_url is a placeholder), so the
     API was not called; the report says what to set
  2  the triage could not run: no vendor or an unknown one, a bad flag,
     or a setting that does not load (VENDORS_FILE, TRIAGE_DEADLINE,
     HEALTH_URL); one line on stderr says what to fix

bot vendors lists the vendor keys and whether each token is set;
VENDORS_FILE overrides or adds vendors.
`

const vendorsUsage = `Usage: bot vendors [--json]

Lists the vendor catalog: key, name, the variable that holds each token and
whether it is set (never its value), the API base and the status page.
VENDORS_FILE merges over the built-in catalog, vendor by vendor, field by
field.

  --json   print the catalog as JSON
`

// cmdTriage is bot triage VENDOR [--json].
func cmdTriage(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("triage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	names, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, triageUsage)
		return nil
	}
	if err != nil {
		return usageError("triage: %v; usage: bot triage VENDOR [--json]", err)
	}
	switch len(names) {
	case 0:
		return usageError("triage: name a vendor: bot triage VENDOR [--json] (bot vendors lists them)")
	case 1:
	default:
		return usageError("triage takes one vendor, got %d (%s): bot triage VENDOR [--json]", len(names), strings.Join(names, " "))
	}
	t, err := newTriager(cfg.Triage)
	if err != nil {
		return err
	}
	r, err := t.Triage(ctx, names[0])
	var unknown *vendors.UnknownVendorError
	if errors.As(err, &unknown) {
		return usageError("unknown vendor %q: known vendors are %s", unknown.Name, strings.Join(unknown.Known, ", "))
	}
	if err != nil {
		return fmt.Errorf("triage %s: %w", names[0], err)
	}
	if *asJSON {
		err = writeJSON(stdout, r)
	} else {
		err = runbook.WriteText(stdout, r)
	}
	if err != nil {
		return fmt.Errorf("triage %s: write the report: %w", names[0], err)
	}
	if r.Problem() {
		return errProblemFound
	}
	return nil
}

// writeJSON prints v as indented JSON that is safe in a terminal: the
// vendor's words keep their meaning, but no character a terminal acts on
// is written raw (runbook.TerminalJSON).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(runbook.TerminalJSON(buf.Bytes()))
	return err
}

// parseInterspersed parses flags before and after the positional
// arguments, which the flag package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// newTriager builds the triager from the triage settings, or returns the
// first problem with them.
func newTriager(t triageConfig) (*vendors.Triager, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return &vendors.Triager{
		Catalog:   t.Catalog,
		Getenv:    t.token,
		HealthURL: t.HealthURL,
		Deadline:  t.Deadline,
	}, nil
}

// vendorRow is one catalog entry as bot vendors shows it.
type vendorRow struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	TokenEnv   string `json:"token_env"`
	TokenSet   bool   `json:"token_set"`
	APIURL     string `json:"api_url"`
	NeedsAPI   bool   `json:"api_url_needed,omitempty"`
	StatusKind string `json:"status_kind"`
	StatusURL  string `json:"status_url,omitempty"`
}

// cmdVendors is bot vendors [--json].
func cmdVendors(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vendors", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the catalog as JSON")
	extra, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, vendorsUsage)
		return nil
	}
	if err != nil {
		return usageError("vendors: %v; usage: bot vendors [--json]", err)
	}
	if len(extra) > 0 {
		return usageError("vendors takes no arguments (got %q): bot vendors [--json]", extra[0])
	}
	cat, err := cfg.Triage.catalog()
	if err != nil {
		return err
	}
	rows := make([]vendorRow, 0, len(cat.Keys()))
	for _, k := range cat.Keys() {
		v, _ := cat.Lookup(k)
		row := vendorRow{
			Key: v.Key, Name: v.Name, TokenEnv: v.TokenEnv, TokenSet: strings.TrimSpace(cfg.Triage.token(v.TokenEnv)) != "",
			APIURL: v.APIURL, StatusKind: v.StatusKind,
			NeedsAPI: v.NeedsAPIURL(),
		}
		if v.StatusKind != vendors.StatusNone {
			row.StatusURL = v.StatusURL
		}
		rows = append(rows, row)
	}
	if *asJSON {
		if err := writeJSON(stdout, rows); err != nil {
			return fmt.Errorf("vendors: %w", err)
		}
		return nil
	}
	text := func(s string) string { return runbook.Printable(s, false) }
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tTOKEN\tAPI\tSTATUS PAGE")
	for _, r := range rows {
		token := r.TokenEnv + " (unset)"
		if r.TokenSet {
			token = r.TokenEnv + " (set)"
		}
		api := r.APIURL
		if r.NeedsAPI {
			api = "set " + r.Key + ".api_url in VENDORS_FILE"
		}
		status := "none"
		if r.StatusURL != "" {
			status = r.StatusKind + " " + r.StatusURL
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", text(r.Key), text(r.Name), text(token), text(api), text(status))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("vendors: %w", err)
	}
	return nil
}
