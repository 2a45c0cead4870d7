package vendors

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incident-bot/bot/internal/runbook"
)

//go:embed catalog/*.yaml
var catalogFiles embed.FS

// Vendor is one catalog entry: where the vendor's API and status page are,
// how to authenticate, where its answers keep request ids, error codes and
// rate-limit figures, which vendor-specific rules classify an answer, and
// what the runbook needs to say about it.
type Vendor struct {
	Key           string     `yaml:"-"`
	Name          string     `yaml:"name"`            // display name, e.g. "HubSpot"
	APIURL        string     `yaml:"api_url"`         // API base; the probe path is appended
	APIURLExample string     `yaml:"api_url_example"` // shown when api_url must be set
	Probe         Probe      `yaml:"probe"`
	Auth          Auth       `yaml:"auth"`
	TokenEnv      string     `yaml:"token_env"`   // variable that holds the token
	TokenHint     string     `yaml:"token_hint"`  // what the token looks like
	StatusKind    StatusKind `yaml:"status_kind"` // a kind of statusFormats, or none
	StatusURL     string     `yaml:"status_url"`  // base of the status page API
	// StatusComponents are the status-page components (or component
	// groups) that carry the API the probe calls, as the page names them.
	// An incident or maintenance on one of them covers our calls.
	StatusComponents []string      `yaml:"status_components"`
	Timeout          Duration      `yaml:"timeout"`    // per check; the triage deadline still wins
	SlowAfter        Duration      `yaml:"slow_after"` // a slower 2xx answer is flagged
	RequestID        Locations     `yaml:"request_id"`
	Errors           ErrorPaths    `yaml:"errors"`
	RateLimits       []RateSpec    `yaml:"rate_limits"`
	Rules            []Rule        `yaml:"rules"`
	Runbook          RunbookFields `yaml:"runbook"`
	Links            runbook.Links `yaml:"links"`
	Sources          []string      `yaml:"sources"` // where the facts above come from
}

// Probe is the one cheap authenticated call.
type Probe struct {
	Method  string            `yaml:"method"` // default GET
	Path    string            `yaml:"path"`   // appended to api_url, may carry a query
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	Answer  string            `yaml:"answer"` // "json" (default): a body that is not JSON is unparseable; "any"
}

// Auth says how the token goes on the request.
type Auth struct {
	Scheme string `yaml:"scheme"` // bearer (default), basic ("user:secret" in the variable), header
	Header string `yaml:"header"` // header scheme: the header name
	Prefix string `yaml:"prefix"` // header scheme: text before the token, e.g. "Token token="
}

// Locations lists where an answer may carry a value: headers, then JSON body
// paths (dotted, with numeric indexes and * for any array element).
type Locations struct {
	Headers []string `yaml:"headers"`
	Body    []string `yaml:"body"`
}

// ErrorPaths are the JSON body paths of the vendor's error details.
type ErrorPaths struct {
	Code    []string `yaml:"code"`    // category or code, e.g. INVALID_AUTHENTICATION
	Message []string `yaml:"message"` // human message
	Scopes  []string `yaml:"scopes"`  // scopes the vendor says are missing
	Policy  []string `yaml:"policy"`  // rate-limit policy, e.g. HubSpot's policyName
}

// RateSpec is one rate-limit budget and where the answer reports it.
type RateSpec struct {
	Name            string `yaml:"name"`
	LimitHeader     string `yaml:"limit_header"`
	RemainingHeader string `yaml:"remaining_header"`
	ResetHeader     string `yaml:"reset_header"`    // unix time, seconds to go, or a date
	IntervalHeader  string `yaml:"interval_header"` // window length in milliseconds
	Interval        string `yaml:"interval"`        // window length in words, when fixed
	UsageHeader     string `yaml:"usage_header"`    // "key=used/limit" pairs, e.g. Salesforce's Sforce-Limit-Info
	UsageKey        string `yaml:"usage_key"`
	LimitPath       string `yaml:"limit_path"` // JSON body paths, e.g. Shopify's throttleStatus
	RemainingPath   string `yaml:"remaining_path"`
}

// Rule classifies an answer before the HTTP status does. All conditions
// given must hold; the first rule that matches wins.
type Rule struct {
	Status       []int               `yaml:"status"`        // any of these; empty: any status
	Headers      map[string]string   `yaml:"headers"`       // header equals value (case-insensitive); "*": present
	Body         map[string][]string `yaml:"body"`          // body path has one of these values; "*": any value
	BodyContains string              `yaml:"body_contains"` // raw body contains this (case-insensitive)
	Class        runbook.Class       `yaml:"class"`
	Note         string              `yaml:"note"` // why, shown in the report
}

// RunbookFields are the vendor's specifics for the mitigation texts.
type RunbookFields struct {
	TokenConsole   string            `yaml:"token_console"`   // where to regenerate the token
	ScopesConsole  string            `yaml:"scopes_console"`  // where to grant scopes
	SecretID       string            `yaml:"secret_id"`       // default <key>-api-token
	Deployment     string            `yaml:"deployment"`      // default <key>-integration
	SecretCommand  string            `yaml:"secret_command"`  // template over the runbook's Vendor
	RestartCommand string            `yaml:"restart_command"` // template over the runbook's Vendor
	Degrade        string            `yaml:"degrade"`         // graceful degradation for this vendor
	Policies       map[string]string `yaml:"policies"`        // rate-limit policy → what to do

	// secretIDGuessed and deploymentGuessed: secret_id and deployment were
	// not configured, so the commands name the defaults, which are
	// placeholders, not names read from anywhere.
	secretIDGuessed, deploymentGuessed bool
}

// Duration is a time.Duration written as "5s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 5s or 1500ms", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Defaults for a vendor that does not say.
const (
	defaultTimeout   = 5 * time.Second
	defaultSlowAfter = 3 * time.Second
)

// Catalog is the set of vendors the bot knows.
type Catalog struct {
	vendors map[string]Vendor
	keys    []string
}

// Keys lists the vendor keys, sorted.
func (c *Catalog) Keys() []string { return append([]string(nil), c.keys...) }

// Lookup finds a vendor by key, in any case.
func (c *Catalog) Lookup(key string) (Vendor, bool) {
	v, ok := c.vendors[strings.ToLower(strings.TrimSpace(key))]
	return v, ok
}

// SetURLs points vendor key at another API base and, when statusURL is not
// empty, at a status page of kind statusKind there, in memory: bot play uses
// it for its stand-ins. The result is checked as a VENDORS_FILE entry is.
func (c *Catalog) SetURLs(key, apiURL, statusKind, statusURL string) error {
	v, ok := c.Lookup(key)
	if !ok {
		return &UnknownVendorError{Name: key, Known: c.Keys()}
	}
	v.APIURL = apiURL
	if statusURL != "" {
		v.StatusKind, v.StatusURL = statusKind, statusURL
	}
	if err := v.validate(); err != nil {
		return fmt.Errorf("vendors: %w", err)
	}
	c.vendors[v.Key] = v
	return nil
}

// LoadCatalog reads the built-in catalog and, when overridePath is not
// empty, merges that YAML file over it vendor by vendor and field by field;
// a key that is not built in adds a vendor. Errors name the file and the bad
// field.
func LoadCatalog(overridePath string) (*Catalog, error) {
	base, err := builtIn()
	if err != nil {
		return nil, err
	}
	if overridePath == "" {
		return finish(base, "")
	}
	raw, err := os.ReadFile(overridePath)
	if err != nil {
		return nil, fmt.Errorf("vendors file %s: %w", overridePath, err)
	}
	over, err := parseOverride(overridePath, raw)
	if err != nil {
		return nil, err
	}
	for key, m := range over {
		merged := mergeMaps(base[key], m)
		adjustStatusKind(merged, m)
		base[key] = merged
	}
	return finish(base, overridePath)
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// builtIn reads every embedded vendor file as a generic map, keyed by the
// file name.
func builtIn() (map[string]map[string]any, error) {
	names, err := fs.Glob(catalogFiles, "catalog/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("vendors: built-in catalog: %w", err)
	}
	out := make(map[string]map[string]any, len(names))
	for _, name := range names {
		raw, err := catalogFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("vendors: built-in catalog: %w", err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("vendors: built-in %s: %w", name, err)
		}
		key := strings.TrimSuffix(path.Base(name), ".yaml")
		if len(doc.Content) == 0 {
			return nil, fmt.Errorf("vendors: built-in %s: empty", name)
		}
		if err := checkFields(doc.Content[0], reflect.TypeOf(Vendor{}), key); err != nil {
			return nil, fmt.Errorf("vendors: built-in %s: %w", name, err)
		}
		var m map[string]any
		if err := doc.Content[0].Decode(&m); err != nil {
			return nil, fmt.Errorf("vendors: built-in %s: %w", name, err)
		}
		out[key] = m
	}
	return out, nil
}

// parseOverride reads VENDORS_FILE: a mapping from vendor key to fields.
func parseOverride(file string, raw []byte) (map[string]map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("vendors file %s: %w", file, err)
	}
	out := map[string]map[string]any{}
	if len(doc.Content) == 0 {
		return out, nil // an empty file changes nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("vendors file %s: line %d: want a mapping from vendor key to fields", file, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := strings.ToLower(strings.TrimSpace(k.Value))
		if !keyPattern.MatchString(key) {
			return nil, fmt.Errorf("vendors file %s: line %d: vendor key %q: use lower-case letters, digits, - and _", file, k.Line, k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // "hubspot:" with nothing under it changes nothing
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("vendors file %s: line %d: %s: want a mapping of fields", file, v.Line, key)
		}
		if err := checkFields(v, reflect.TypeOf(Vendor{}), key); err != nil {
			return nil, fmt.Errorf("vendors file %s: %w", file, err)
		}
		// Decode once on its own so type errors carry this file's lines.
		var probe Vendor
		if err := v.Decode(&probe); err != nil {
			return nil, fmt.Errorf("vendors file %s: %s: %w", file, key, yamlError(err, true))
		}
		var m map[string]any
		if err := v.Decode(&m); err != nil {
			return nil, fmt.Errorf("vendors file %s: %s: %w", file, key, err)
		}
		out[key] = mergeMaps(out[key], m)
	}
	return out, nil
}

// checkFields reports the first mapping key that t has no yaml field for,
// with its line and dotted path.
func checkFields(n *yaml.Node, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		known := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			known[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := known[k.Value]
			if !ok {
				return fmt.Errorf("line %d: %s.%s: unknown field (known: %s)", k.Line, at, k.Value, strings.Join(names, ", "))
			}
			if err := checkFields(n.Content[i+1], ft, at+"."+k.Value); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkFields(c, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeMaps lays over on top of base: maps merge key by key, everything
// else (scalars, lists) is replaced.
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeMaps(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

// adjustStatusKind follows the contract's reading of status_url: an
// operator who sets status_url without status_kind on a vendor that had no
// page means a page whose format the bot works out (auto, which tries the
// Statuspage summary first); one who empties it means no page.
func adjustStatusKind(merged, over map[string]any) {
	u, setURL := over["status_url"]
	if _, setKind := over["status_kind"]; !setURL || setKind {
		return
	}
	switch s, _ := u.(string); {
	case s == "":
		merged["status_kind"] = StatusNone
	case merged["status_kind"] == StatusNone:
		delete(merged, "status_kind")
	}
}

// finish decodes the merged maps into vendors, fills defaults and checks
// the values.
func finish(maps map[string]map[string]any, file string) (*Catalog, error) {
	where := "vendors: built-in catalog"
	if file != "" {
		where = "vendors file " + file
	}
	c := &Catalog{vendors: make(map[string]Vendor, len(maps))}
	for key, m := range maps {
		raw, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, key, err)
		}
		var v Vendor
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, key, yamlError(err, false))
		}
		v.Key = key
		v.defaults()
		if err := v.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		c.vendors[key] = v
		c.keys = append(c.keys, key)
	}
	sort.Strings(c.keys)
	return c, nil
}

// yamlError puts yaml's type errors on one line. Without keepLines it drops
// the line numbers, which then point into the merged document rather than
// the operator's file.
func yamlError(err error, keepLines bool) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, msg := range te.Errors {
		if j := strings.Index(msg, ": "); !keepLines && strings.HasPrefix(msg, "line ") && j > 0 {
			msg = msg[j+2:]
		}
		msgs[i] = msg
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (v *Vendor) defaults() {
	if v.Name == "" {
		v.Name = v.Key
	}
	if v.TokenEnv == "" && !v.StatusOnly() {
		v.TokenEnv = envName(v.Key) + "_ACCESS_TOKEN"
	}
	if v.Probe.Method == "" {
		v.Probe.Method = "GET"
	}
	v.Probe.Method = strings.ToUpper(v.Probe.Method)
	if v.Probe.Answer == "" {
		v.Probe.Answer = "json"
	}
	if v.Auth.Scheme == "" {
		v.Auth.Scheme = "bearer"
	}
	if v.StatusKind == "" {
		v.StatusKind = StatusNone
		if v.StatusURL != "" {
			v.StatusKind = StatusAuto // the bot works the format out
		}
	}
	if v.Timeout == 0 {
		v.Timeout = Duration(defaultTimeout)
	}
	if v.SlowAfter == 0 {
		v.SlowAfter = Duration(defaultSlowAfter)
	}
	if v.Runbook.SecretID == "" {
		v.Runbook.SecretID = v.Key + "-api-token"
		v.Runbook.secretIDGuessed = true
	}
	if v.Runbook.Deployment == "" {
		v.Runbook.Deployment = v.Key + "-integration"
		v.Runbook.deploymentGuessed = true
	}
	if v.Links.Status == "" && v.StatusURL != "" && v.StatusKind != StatusNone {
		v.Links.Status = v.StatusURL
	}
}

// envName turns a vendor key into an environment variable prefix.
func envName(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			return r
		}
		return '_'
	}, key)
}

var envPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *Vendor) validate() error {
	field := func(f, format string, args ...any) error {
		return fmt.Errorf("%s.%s: %s", v.Key, f, fmt.Sprintf(format, args...))
	}
	if !hasPlaceholder(v.APIURL) && v.APIURL != "" {
		if err := checkURL(v.APIURL); err != nil {
			return field("api_url", "%v", err)
		}
	}
	if (v.TokenEnv != "" || !v.StatusOnly()) && !envPattern.MatchString(v.TokenEnv) {
		return field("token_env", "%q is not a variable name", v.TokenEnv)
	}
	switch v.Probe.Method {
	case "GET", "POST", "HEAD":
	default:
		return field("probe.method", "%q: use GET, POST or HEAD", v.Probe.Method)
	}
	if v.Probe.Answer != "json" && v.Probe.Answer != "any" {
		return field("probe.answer", "%q: use json or any", v.Probe.Answer)
	}
	switch v.Auth.Scheme {
	case "bearer", "basic":
	case "header":
		if v.Auth.Header == "" {
			return field("auth.header", "required when auth.scheme is header")
		}
	default:
		return field("auth.scheme", "%q: use bearer, basic or header", v.Auth.Scheme)
	}
	if _, ok := statusFormatOf(v.StatusKind); !ok && v.StatusKind != StatusNone && v.StatusKind != StatusAuto {
		return field("status_kind", "%q: use one of %s", v.StatusKind, strings.Join(StatusKinds(), ", "))
	}
	if v.StatusKind != StatusNone {
		if v.StatusURL == "" {
			return field("status_url", "required when status_kind is %s", v.StatusKind)
		}
		if err := checkURL(v.StatusURL); err != nil {
			return field("status_url", "%v", err)
		}
	}
	for i, r := range v.Rules {
		known := false
		names := make([]string, 0, len(runbook.Classes))
		for _, c := range runbook.Classes {
			known = known || r.Class == c
			names = append(names, string(c))
		}
		if !known {
			return field(fmt.Sprintf("rules[%d].class", i), "%q: use one of %s", r.Class, strings.Join(names, ", "))
		}
		for _, s := range r.Status {
			if s < 100 || s > 599 {
				return field(fmt.Sprintf("rules[%d].status", i), "%d is not an HTTP status", s)
			}
		}
	}
	for i, rs := range v.RateLimits {
		if rs.Name == "" {
			return field(fmt.Sprintf("rate_limits[%d].name", i), "required")
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL like https://api.example.com", s)
	}
	return nil
}

// StatusOnly reports whether the vendor is watched by its status page
// alone: the catalog names no API base, and the page is one the bot reads.
func (v Vendor) StatusOnly() bool { return v.APIURL == "" && v.StatusKind != StatusNone }

// NeedsAPIURL reports whether the operator must still set api_url: the
// built-in base is per account (Zendesk, Salesforce, Jira, Shopify). A
// vendor watched by its status page only needs none.
func (v Vendor) NeedsAPIURL() bool {
	return !v.StatusOnly() && (v.APIURL == "" || hasPlaceholder(v.APIURL))
}

// hasPlaceholder reports whether an API base still holds a {placeholder}
// that VENDORS_FILE must fill, e.g. https://{subdomain}.zendesk.com.
func hasPlaceholder(s string) bool {
	return strings.Contains(s, "{") || strings.Contains(s, "}")
}

// runbookVendor is the runbook's view of the vendor.
func (v Vendor) runbookVendor() runbook.Vendor {
	return runbook.Vendor{
		Key:            v.Key,
		Name:           v.Name,
		TokenEnv:       v.TokenEnv,
		TokenHint:      v.TokenHint,
		TokenConsole:   v.Runbook.TokenConsole,
		ScopesConsole:  v.Runbook.ScopesConsole,
		SecretID:       v.Runbook.SecretID,
		Deployment:     v.Runbook.Deployment,
		SecretCommand:  v.Runbook.SecretCommand,
		RestartCommand: v.Runbook.RestartCommand,
		Degrade:        v.Runbook.Degrade,
		Policies:       v.Runbook.Policies,
		Components:     v.StatusComponents,
		Links:          v.Links,
		// A name is a placeholder where the command that uses it is the
		// default one (or a configured one that still names it) and the
		// name itself was not configured.
		SecretIDPlaceholder: v.Runbook.secretIDGuessed &&
			(v.Runbook.SecretCommand == "" || strings.Contains(v.Runbook.SecretCommand, ".SecretID")),
		DeploymentPlaceholder: v.Runbook.deploymentGuessed &&
			(v.Runbook.RestartCommand == "" || strings.Contains(v.Runbook.RestartCommand, ".Deployment")),
	}
}
