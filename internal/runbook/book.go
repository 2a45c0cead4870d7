package runbook

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"text/template"

	"go.yaml.in/yaml/v3"
)

//go:embed runbooks/*.yaml
var runbookFiles embed.FS

// Book holds the parsed runbook: for every cause a summary, the mitigation
// steps, the preventive suggestions and the kinds of links to show.
type Book struct {
	entries map[Cause]*entry
}

type entry struct {
	summary    *template.Template
	mitigation []*template.Template
	prevention []*template.Template
	links      []string
}

// entryFile is one runbook file as written.
type entryFile struct {
	Cause      Cause    `yaml:"cause"`
	Summary    string   `yaml:"summary"`
	Mitigation []string `yaml:"mitigation"`
	Prevention []string `yaml:"prevention"`
	Links      []string `yaml:"links"`
}

// linkKinds are the values an entry's links may name.
var linkKinds = map[string]func(Links) string{
	"status":      func(l Links) string { return l.Status },
	"errors":      func(l Links) string { return l.Errors },
	"rate_limits": func(l Links) string { return l.RateLimits },
	"auth":        func(l Links) string { return l.Auth },
	"support":     func(l Links) string { return l.Support },
	"api":         func(l Links) string { return l.API },
}

var (
	defaultOnce sync.Once
	defaultBook *Book
	defaultErr  error
)

// Default returns the runbook embedded in the binary, parsed once.
func Default() (*Book, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(runbookFiles, "runbooks")
		if err != nil {
			defaultErr = fmt.Errorf("runbook: %w", err)
			return
		}
		defaultBook, defaultErr = Load(sub)
	})
	return defaultBook, defaultErr
}

// Load reads every *.yaml file of fsys as a runbook entry. Every cause must
// have exactly one entry.
func Load(fsys fs.FS) (*Book, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("runbook: list files: %w", err)
	}
	b := &Book{entries: make(map[Cause]*entry)}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("runbook: read %s: %w", name, err)
		}
		var ef entryFile
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&ef); err != nil {
			return nil, fmt.Errorf("runbook: %s: %w", name, err)
		}
		if ef.Cause == "" {
			ef.Cause = Cause(strings.TrimSuffix(path.Base(name), ".yaml"))
		}
		if !knownCause(ef.Cause) {
			return nil, fmt.Errorf("runbook: %s: unknown cause %q", name, ef.Cause)
		}
		if _, dup := b.entries[ef.Cause]; dup {
			return nil, fmt.Errorf("runbook: %s: second entry for cause %s", name, ef.Cause)
		}
		e, err := parseEntry(name, ef)
		if err != nil {
			return nil, err
		}
		b.entries[ef.Cause] = e
	}
	for _, c := range Causes {
		if b.entries[c] == nil {
			return nil, fmt.Errorf("runbook: no entry for cause %s", c)
		}
	}
	return b, nil
}

func knownCause(c Cause) bool {
	for _, k := range Causes {
		if k == c {
			return true
		}
	}
	return false
}

func parseEntry(file string, ef entryFile) (*entry, error) {
	parse := func(field string, i int, text string) (*template.Template, error) {
		name := fmt.Sprintf("%s:%s[%d]", file, field, i)
		t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("runbook: %w", err)
		}
		return t, nil
	}
	e := &entry{links: ef.Links}
	var err error
	if e.summary, err = parse("summary", 0, ef.Summary); err != nil {
		return nil, err
	}
	for i, s := range ef.Mitigation {
		t, err := parse("mitigation", i, s)
		if err != nil {
			return nil, err
		}
		e.mitigation = append(e.mitigation, t)
	}
	for i, s := range ef.Prevention {
		t, err := parse("prevention", i, s)
		if err != nil {
			return nil, err
		}
		e.prevention = append(e.prevention, t)
	}
	for _, l := range ef.Links {
		if linkKinds[l] == nil {
			return nil, fmt.Errorf("runbook: %s: unknown link kind %q", file, l)
		}
	}
	return e, nil
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"lower": func(s any) string {
		return strings.ToLower(fmt.Sprint(s))
	},
}

// data is what the runbook templates see: the findings plus phrases worked
// out from them.
type data struct {
	Findings
	Answer         string // "401 INVALID_AUTHENTICATION"
	Failure        string // how the call failed below HTTP
	Misconfig      string // what to set before the API can be called
	Scopes         string // missing scopes, comma separated
	RetryAfter     string // Retry-After as a duration, empty when absent
	PolicyAdvice   string // the vendor's advice for the named rate-limit policy
	LowWindow      string // the window with under 10 % left, described
	StatusText     string // what the status page reports
	Incidents      string // unresolved incidents, described
	Maintenance    string // maintenance in progress, described
	MaintenanceEnd string // when the maintenance in progress is due to end
	Edge           string // the CDN or firewall that answered, in words
	HealthText     string // what our health endpoint said
	SecretCommand  string // store a new token, copy-pasteable
	RestartCommand string // restart the deployment, copy-pasteable
}

// Placeholders says which of the names in the commands before it are the
// catalog's placeholders, and what to set instead; empty when the
// operator configured them (or the step names neither). secret and deploy
// say which names the step uses.
func (d data) Placeholders(secret, deploy bool) string {
	v := d.Vendor
	var names, fields []string
	if secret && v.SecretIDPlaceholder {
		names, fields = append(names, "`"+v.SecretID+"`"), append(fields, "`runbook.secret_id`")
	}
	if deploy && v.DeploymentPlaceholder {
		names, fields = append(names, "`"+v.Deployment+"`"), append(fields, "`runbook.deployment`")
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("The name %s is a placeholder: set yours as %s of `%s` in VENDORS_FILE.", names[0], fields[0], v.Key)
	}
	return fmt.Sprintf("The names %s are placeholders: set yours as %s of `%s` in VENDORS_FILE.",
		strings.Join(names, " and "), strings.Join(fields, " and "), v.Key)
}

// Default command templates, over Vendor, when the catalog gives none.
const (
	defaultSecretCommand  = `kubectl create secret generic {{.SecretID}} --from-literal={{.TokenEnv}}="$NEW_TOKEN" --dry-run=client -o yaml | kubectl apply -f -`
	defaultRestartCommand = `kubectl rollout restart deployment/{{.Deployment}}`
)

func newData(f Findings) (data, error) {
	d := data{
		Findings:   f,
		Answer:     answer(f.API),
		Failure:    networkText(f.API),
		Misconfig:  misconfigText(f),
		Scopes:     strings.Join(f.API.Scopes, ", "),
		StatusText: statusText(f.Status),
		HealthText: healthText(f),
	}
	if f.RateLimit.RetryAfter > 0 {
		d.RetryAfter = roundDuration(f.RateLimit.RetryAfter)
	}
	if p := f.API.Policy; p != "" {
		for name, advice := range f.Vendor.Policies {
			if strings.EqualFold(name, p) {
				d.PolicyAdvice = advice
			}
		}
	}
	if w, ok := f.RateLimit.Low(); ok {
		d.LowWindow = windowText(w)
	}
	if len(f.Status.Incidents) > 0 {
		d.Incidents = incidentsText(f.Status.Incidents)
	}
	d.Maintenance = maintenanceText(f.Status)
	if end := maintenanceEnd(f.Status); !end.IsZero() {
		d.MaintenanceEnd = end.UTC().Format("2006-01-02 15:04 MST")
	}
	d.Edge = f.API.Edge
	if d.Edge == "" {
		d.Edge = "a CDN or firewall"
	}
	var err error
	if d.SecretCommand, err = vendorCommand("secret command", f.Vendor.SecretCommand, defaultSecretCommand, f.Vendor); err != nil {
		return data{}, err
	}
	if d.RestartCommand, err = vendorCommand("restart command", f.Vendor.RestartCommand, defaultRestartCommand, f.Vendor); err != nil {
		return data{}, err
	}
	return d, nil
}

// vendorCommand fills a command template with the vendor's fields.
func vendorCommand(what, text, fallback string, v Vendor) (string, error) {
	if strings.TrimSpace(text) == "" {
		text = fallback
	}
	t, err := template.New(what).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("runbook: %s %s: %w", v.Key, what, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("runbook: %s %s: %w", v.Key, what, err)
	}
	return buf.String(), nil
}

// write fills the summary, mitigation, prevention and links of r.
func (b *Book) write(r *Report, cause Cause, f Findings) error {
	e := b.entries[cause]
	if e == nil {
		return fmt.Errorf("runbook: no entry for cause %s", cause)
	}
	d, err := newData(f)
	if err != nil {
		return err
	}
	if r.Summary, err = render(e.summary, d); err != nil {
		return err
	}
	if r.Mitigation, err = renderAll(e.mitigation, d); err != nil {
		return err
	}
	if r.Prevention, err = renderAll(e.prevention, d); err != nil {
		return err
	}
	r.Links = links(e.links, f.Vendor.Links)
	return nil
}

func render(t *template.Template, d data) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("runbook: %w", err)
	}
	return strings.Join(strings.Fields(buf.String()), " "), nil
}

// renderAll renders each template and drops the ones that come out empty, so
// an entry can hold steps that only apply in some cases.
func renderAll(ts []*template.Template, d data) ([]string, error) {
	out := []string{}
	for _, t := range ts {
		s, err := render(t, d)
		if err != nil {
			return nil, err
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func links(kinds []string, l Links) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, k := range kinds {
		u := linkKinds[k](l)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
