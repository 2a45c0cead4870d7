package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
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

const vendorsUsage = `Usage: bot vendors [WORD…] [--json]

Lists the vendor catalog in two groups: the vendors whose API triage calls
(key, name, the variable that holds the token and whether it is set, never
its value, the API base, the status page) and those watched by their status
page alone. With WORDs, only the vendors whose key, name or status page host
contains one of them (any case): bot vendors stripe, bot vendors atlassian.
VENDORS_FILE merges over the built-in catalog, vendor by vendor, field by
field.

  --json   print the catalog as JSON: [{"key", "name", "status_kind",
           "status_url", "api_url", "token_env", …}], status_kind empty
           where the bot reads no status page, api_url and token_env empty
           for a vendor watched by its status page alone

bot vendors detect URL works out the format of a status page (see
bot vendors detect --help).

Exit 0, or 1 when no vendor matches the WORDs.
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

// vendorRow is one catalog entry as bot vendors shows it. The first six
// fields are the contract's; the rest are additions.
type vendorRow struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// StatusKind is the status page's format, empty where the bot reads
	// no page (status_kind none).
	StatusKind string `json:"status_kind"`
	// StatusURL is the vendor's status page, empty where none is known.
	StatusURL string `json:"status_url"`
	// APIURL is the API base, empty for a vendor watched by its status
	// page alone.
	APIURL string `json:"api_url"`
	// TokenEnv is the variable that holds the API token, empty where there
	// is no API to call.
	TokenEnv string `json:"token_env"`
	TokenSet bool   `json:"token_set"`
	NeedsAPI bool   `json:"api_url_needed,omitempty"`
}

// newVendorRow is v as bot vendors shows it; tokenSet says whether its
// token variable holds a value.
func newVendorRow(v vendors.Vendor, tokenSet func(env string) bool) vendorRow {
	r := vendorRow{Key: v.Key, Name: v.Name, StatusURL: v.StatusURL}
	if v.StatusKind != vendors.StatusNone {
		r.StatusKind = v.StatusKind
	}
	if r.StatusURL == "" {
		r.StatusURL = v.Links.Status // a page a person reads, if the catalog knows one
	}
	if v.APIURL != "" {
		r.APIURL, r.TokenEnv, r.TokenSet = v.APIURL, v.TokenEnv, tokenSet(v.TokenEnv)
		r.NeedsAPI = v.NeedsAPIURL()
	}
	return r
}

// matches reports whether the row's key, name or status page host contains
// one of the words, in any case; no words match every row.
func (r vendorRow) matches(words []string) bool {
	if len(words) == 0 {
		return true
	}
	host := ""
	if u, err := url.Parse(r.StatusURL); err == nil {
		host = u.Hostname()
	}
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		for _, field := range []string{r.Key, r.Name, host} {
			if strings.Contains(strings.ToLower(field), w) {
				return true
			}
		}
	}
	return false
}

// cmdVendors is bot vendors [WORD…] [--json].
func cmdVendors(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "detect" {
		return cmdVendorsDetect(ctx, args[1:], cfg, stdout, stderr)
	}
	fs := flag.NewFlagSet("vendors", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the catalog as JSON")
	words, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, vendorsUsage)
		return nil
	}
	if err != nil {
		return usageError("vendors: %v; usage: bot vendors [WORD…] [--json]", err)
	}
	cat, err := cfg.Triage.catalog()
	if err != nil {
		return err
	}
	tokenSet := func(env string) bool { return strings.TrimSpace(cfg.Triage.token(env)) != "" }
	rows := make([]vendorRow, 0, len(cat.Keys()))
	for _, k := range cat.Keys() {
		v, _ := cat.Lookup(k)
		if r := newVendorRow(v, tokenSet); r.matches(words) {
			rows = append(rows, r)
		}
	}
	if *asJSON {
		if err := writeJSON(stdout, rows); err != nil {
			return fmt.Errorf("vendors: %w", err)
		}
	} else if len(rows) > 0 {
		if err := writeVendorTable(stdout, rows, len(cat.Keys()), words); err != nil {
			return fmt.Errorf("vendors: %w", err)
		}
	}
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "no vendor's key, name or status page host contains %s: bot vendors lists them all\n",
			runbook.Printable(strings.Join(quoted(words), " or "), false))
		return errProblemFound
	}
	return nil
}

func quoted(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fmt.Sprintf("%q", w)
	}
	return out
}

// writeVendorTable prints the rows in two groups: the vendors whose API
// triage calls, then those watched by their status page alone.
func writeVendorTable(w io.Writer, rows []vendorRow, total int, words []string) error {
	text := func(s string) string { return runbook.Printable(s, false) }
	var probed, paged []vendorRow
	for _, r := range rows {
		if r.APIURL != "" {
			probed = append(probed, r)
		} else {
			paged = append(paged, r)
		}
	}
	status := func(r vendorRow) string {
		switch {
		case r.StatusKind != "":
			return r.StatusKind + " " + r.StatusURL
		case r.StatusURL != "":
			return "not read: " + r.StatusURL
		}
		return "none"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(probed) > 0 {
		fmt.Fprintf(tw, "API PROBE AND STATUS PAGE (%d)\n", len(probed))
		fmt.Fprintln(tw, "KEY\tNAME\tTOKEN\tAPI\tSTATUS PAGE")
		for _, r := range probed {
			token := r.TokenEnv + " (unset)"
			if r.TokenSet {
				token = r.TokenEnv + " (set)"
			}
			api := r.APIURL
			if r.NeedsAPI {
				api = "set " + r.Key + ".api_url in VENDORS_FILE"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", text(r.Key), text(r.Name), text(token), text(api), text(status(r)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(probed) > 0 && len(paged) > 0 {
		fmt.Fprintln(w)
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(paged) > 0 {
		fmt.Fprintf(tw, "STATUS PAGE ONLY (%d)\n", len(paged))
		fmt.Fprintln(tw, "KEY\tNAME\tSTATUS PAGE")
		for _, r := range paged {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", text(r.Key), text(r.Name), text(status(r)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(words) == 0 {
		_, err := fmt.Fprintf(w, "\n%d vendors. bot vendors WORD shows those whose key, name or status page host contains WORD.\n", total)
		return err
	}
	return nil
}
