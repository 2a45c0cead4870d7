package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/statuspage"
	"github.com/incident-bot/bot/internal/vendors"
)

// withDotEnv returns a getenv that falls back to the KEY=VALUE lines of the
// file at path (when it exists): the environment wins over the file.
func withDotEnv(getenv func(string) string, path string) (func(string) string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, nil
	}
	if err != nil {
		return nil, usageError("cannot read %s: %v", path, err)
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, usageError("%s line %d: expected KEY=VALUE", path, n)
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		} else if i := strings.Index(val, " #"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		vals[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, usageError("cannot read %s: %v", path, err)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return vals[k]
	}, nil
}

// Defaults of the settings that have one.
const (
	defaultAddr        = ":8080"
	defaultDatabaseURL = "sqlite:data/bot.db"
	defaultSlackAPIURL = "https://slack.com/api/"
)

// config is every setting the bot has, read once by loadConfig from the
// environment (and .env). Reading never fails: a value that does not parse
// is kept as a problem, and each command checks the part it needs (serve
// the Slack settings with checkServe, triage the vendor settings with
// Triage.check), so that a setting one command needs does not stop another.
type config struct {
	Slack          slackConfig
	Addr           string // BOT_ADDR; :$PORT when only PORT is set; else defaultAddr
	Store          storeConfig
	Triage         triageConfig
	Reminders      reminderConfig
	ResolveAllowed []string // RESOLVE_ALLOWED: user ids, user-group ids or "commander"; empty: anyone in the channel
	Log            logConfig
	Workers        int            // WORKERS: jobs run at once after the ack; default defaultWorkers
	Followups      followupConfig // FOLLOWUP_TRACKER and its tracker's settings

	workersErr error // WORKERS does not parse

	WatchInterval time.Duration    // WATCH_INTERVAL: how often each watched vendor is checked; default commands.DefaultWatchInterval
	watchErr      error            // WATCH_INTERVAL does not parse, or is under minWatchInterval
	watchGiven    bool             // WATCH_INTERVAL was set (bot play keeps it, else uses its own)
	Hooks         hooksConfig      // alerts in: /hooks/*
	Statuspage    statuspageConfig // the company's customer status page
	Surfaces      surfacesConfig
}

// statuspageConfig is the company's own status page on Atlassian
// Statuspage, where the bot publishes the customer-facing updates. Unset,
// the drafts are only posted in the thread.
type statuspageConfig struct {
	PageID string // STATUSPAGE_PAGE_ID
	APIKey string // STATUSPAGE_API_KEY (a secret)
	APIURL string // STATUSPAGE_API_URL; default statuspage.DefaultURL
}

// enabled reports whether both the page id and the key are set.
func (s statuspageConfig) enabled() bool { return s.PageID != "" && s.APIKey != "" }

// check names what is wrong with the status page settings, if anything.
func (s statuspageConfig) check() []string {
	var problems []string
	if (s.PageID == "") != (s.APIKey == "") {
		problems = append(problems, "STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY go together: set both (the page id from the page's URL in manage.statuspage.io, an API key from your user's API info) or neither")
	}
	if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "STATUSPAGE_API_URL must be an http(s) URL like https://api.statuspage.io/v1")
	}
	return problems
}

// hooksConfig is how alerting systems reach the bot (/hooks/*) and where
// their alerts open incidents.
type hooksConfig struct {
	Token           string                       // HOOK_TOKEN: the bearer token; empty: /hooks/* not served
	Channel         string                       // ALERT_CHANNEL: the channel id alerts open incidents in
	Severity        map[string]incident.Severity // ALERT_SEVERITY over commands.DefaultAlertSeverity
	PagerDutySecret string                       // PAGERDUTY_WEBHOOK_SECRET: checks X-PagerDuty-Signature when set

	severityErr error // ALERT_SEVERITY does not parse
}

// surfacesConfig is how incidents show in Slack beyond their message.
type surfacesConfig struct {
	Channels         bool          // INCIDENT_CHANNELS=channel: a channel per incident; default thread
	ArchiveAfter     time.Duration // ARCHIVE_AFTER: archive a resolved incident's channel this long after; 0 never
	TimelineReaction string        // TIMELINE_REACTION: the reaction that adds a message to a timeline

	err error // a value that does not parse
}

// defaultArchiveAfter is how long a resolved incident's channel stays open.
const defaultArchiveAfter = 168 * time.Hour

// loadSurfaces reads INCIDENT_CHANNELS, ARCHIVE_AFTER and TIMELINE_REACTION.
func loadSurfaces(getenv func(string) string) surfacesConfig {
	sc := surfacesConfig{ArchiveAfter: defaultArchiveAfter, TimelineReaction: commands.DefaultTimelineReaction}
	var problems []string
	switch v := strings.ToLower(strings.TrimSpace(getenv("INCIDENT_CHANNELS"))); v {
	case "", "thread":
	case "channel":
		sc.Channels = true
	default:
		problems = append(problems, "INCIDENT_CHANNELS must be thread (the default: an incident is a thread where it is declared) or channel (a channel of its own)")
	}
	if v := strings.TrimSpace(getenv("ARCHIVE_AFTER")); v != "" {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			problems = append(problems, "ARCHIVE_AFTER must be a duration like 168h (how long after the resolve an incident channel is archived), or 0 for never")
		} else {
			sc.ArchiveAfter = d
		}
	}
	if v := strings.Trim(strings.TrimSpace(getenv("TIMELINE_REACTION")), ":"); v != "" {
		if strings.IndexFunc(v, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '+' || r == '\'')
		}) >= 0 {
			problems = append(problems, "TIMELINE_REACTION must be a reaction's name, like pushpin (without colons)")
		} else {
			sc.TimelineReaction = v
		}
	}
	if len(problems) > 0 {
		sc.err = errors.New(strings.Join(problems, "; "))
	}
	return sc
}

// defaultAlertSeverity is ALERT_SEVERITY's default, as documented.
const defaultAlertSeverity = "critical=P1,high=P2,error=P2,warning=P3,low=P4,info=P4,P5=P4"

// minHookToken is the shortest HOOK_TOKEN accepted.
const minHookToken = 16

// check returns the problems with the hook settings, for checkServe.
func (h hooksConfig) check() []string {
	var problems []string
	if h.severityErr != nil {
		problems = append(problems, h.severityErr.Error())
	}
	if h.Token == "" {
		return problems
	}
	if len(h.Token) < minHookToken {
		problems = append(problems, fmt.Sprintf("HOOK_TOKEN must be at least %d characters: make one with `openssl rand -hex 32`", minHookToken))
	}
	switch {
	case h.Channel == "":
		problems = append(problems, "ALERT_CHANNEL is not set: HOOK_TOKEN turns on /hooks/*, and alerts need the id of the channel to open incidents in (C…; invite the bot there)")
	case !channelID.MatchString(h.Channel):
		problems = append(problems, "ALERT_CHANNEL must be a channel id like C0123ABCD (the channel's details show it), not a name")
	}
	return problems
}

// channelID is what a Slack channel id looks like.
var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// parseAlertSeverity reads ALERT_SEVERITY, e.g. "critical=P1,warning=P3":
// each of the sources' severities (any case) onto P1…P4, over the default.
func parseAlertSeverity(v string) (map[string]incident.Severity, error) {
	out := map[string]incident.Severity{}
	for k, sev := range commands.DefaultAlertSeverity {
		out[k] = sev
	}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	bad := fmt.Errorf("ALERT_SEVERITY must look like %s (a source's severity = P1…P4, comma-separated)", defaultAlertSeverity)
	for _, part := range strings.Split(v, ",") {
		k, p, ok := strings.Cut(strings.TrimSpace(part), "=")
		k = strings.ToLower(strings.TrimSpace(k))
		sev, err := incident.ParseSeverity(p)
		if !ok || k == "" || err != nil {
			return nil, bad
		}
		out[k] = sev
	}
	return out, nil
}

// minWatchInterval is the shortest WATCH_INTERVAL: a vendor's status page
// is not asked more often than this.
const minWatchInterval = 10 * time.Second

// defaultWorkers is how many acknowledged jobs run at once by default.
const defaultWorkers = 8

// slackConfig is how the bot reaches Slack and how Slack reaches it.
type slackConfig struct {
	BotToken      string // SLACK_BOT_TOKEN, xoxb-…
	SigningSecret string // SLACK_SIGNING_SECRET: verifies HTTP requests from Slack
	AppToken      string // SLACK_APP_TOKEN, xapp-…: Socket Mode when set
	APIURL        string // SLACK_API_URL, ending in /; default defaultSlackAPIURL
}

// unset reports whether none of the Slack credentials is given: there is
// nothing the bot could serve with.
func (s slackConfig) unset() bool {
	return s.BotToken == "" && s.AppToken == "" && s.SigningSecret == ""
}

// storeConfig is where incidents are kept.
type storeConfig struct {
	URL string // DATABASE_URL: sqlite:PATH or postgres://…; default defaultDatabaseURL
}

// triageConfig is what a vendor triage needs: the catalog, the vendors'
// tokens, our own health endpoint and the deadline.
type triageConfig struct {
	VendorsFile string            // VENDORS_FILE, merged over the built-in catalog; may be empty
	Catalog     *vendors.Catalog  // nil when VENDORS_FILE does not load
	Tokens      map[string]string // each catalog vendor's token_env → its value, as given
	HealthURL   string            // HEALTH_URL; empty: that check is skipped
	Deadline    time.Duration     // TRIAGE_DEADLINE; default vendors.DefaultDeadline

	// The problems found while reading, as usage errors.
	catalogErr, deadlineErr, healthErr error
}

// token is the value of a vendor's token variable: the triager's getenv.
func (t triageConfig) token(name string) string { return t.Tokens[name] }

// check returns the first problem with the triage settings, in the order
// VENDORS_FILE, TRIAGE_DEADLINE, HEALTH_URL.
func (t triageConfig) check() error {
	for _, err := range []error{t.catalogErr, t.deadlineErr, t.healthErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

// catalog is the vendor catalog, or the reason VENDORS_FILE did not load.
func (t triageConfig) catalog() (*vendors.Catalog, error) {
	return t.Catalog, t.catalogErr
}

// reminderConfig is when an open incident's next update is due.
type reminderConfig struct {
	Intervals map[incident.Severity]time.Duration // REMINDER_INTERVALS over commands.DefaultIntervals

	given bool  // REMINDER_INTERVALS was set (bot play keeps it, else uses its own)
	err   error // REMINDER_INTERVALS does not parse
}

// logConfig is how the bot logs.
type logConfig struct {
	Level  string // LOG_LEVEL: debug, info, warn, error; default info
	Format string // LOG_FORMAT: json or console; default json

	formatGiven bool // LOG_FORMAT was set (bot play keeps it, else logs for a terminal)
}

// loadConfig reads every setting once through getenv. It never fails:
// problems are kept for the commands that need the settings to report.
func loadConfig(getenv func(string) string) config {
	c := config{
		Slack: slackConfig{
			BotToken: getenv("SLACK_BOT_TOKEN"), SigningSecret: getenv("SLACK_SIGNING_SECRET"),
			AppToken: getenv("SLACK_APP_TOKEN"), APIURL: getenv("SLACK_API_URL"),
		},
		Addr:  strings.TrimSpace(getenv("BOT_ADDR")),
		Store: storeConfig{URL: getenv("DATABASE_URL")},
		Log:   logConfig{Level: getenv("LOG_LEVEL"), Format: getenv("LOG_FORMAT")},
	}
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = defaultSlackAPIURL
	}
	if c.Addr == "" {
		c.Addr = defaultAddr
		if p := strings.TrimSpace(getenv("PORT")); p != "" {
			c.Addr = ":" + p
		}
	}
	if c.Store.URL == "" {
		c.Store.URL = defaultDatabaseURL
	}
	c.Triage = loadTriage(getenv)
	v := getenv("REMINDER_INTERVALS")
	c.Reminders.given = v != ""
	c.Reminders.Intervals, c.Reminders.err = parseIntervals(v)
	if v := strings.TrimSpace(getenv("RESOLVE_ALLOWED")); v != "" {
		c.ResolveAllowed = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
	}
	c.Workers = defaultWorkers
	if v := strings.TrimSpace(getenv("WORKERS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			c.workersErr = errors.New("WORKERS must be a whole number from 1 to 256 (jobs run at once; default 8)")
		} else {
			c.Workers = n
		}
	}
	c.WatchInterval, c.watchErr = parseWatchInterval(getenv("WATCH_INTERVAL"))
	c.Hooks = hooksConfig{Token: strings.TrimSpace(getenv("HOOK_TOKEN")), Channel: strings.TrimSpace(getenv("ALERT_CHANNEL")),
		PagerDutySecret: strings.TrimSpace(getenv("PAGERDUTY_WEBHOOK_SECRET"))}
	c.Hooks.Severity, c.Hooks.severityErr = parseAlertSeverity(getenv("ALERT_SEVERITY"))
	c.Statuspage = statuspageConfig{PageID: strings.TrimSpace(getenv("STATUSPAGE_PAGE_ID")),
		APIKey: strings.TrimSpace(getenv("STATUSPAGE_API_KEY")), APIURL: strings.TrimSpace(getenv("STATUSPAGE_API_URL"))}
	if c.Statuspage.APIURL == "" {
		c.Statuspage.APIURL = statuspage.DefaultURL
	}
	c.Surfaces = loadSurfaces(getenv)
	c.watchGiven = strings.TrimSpace(getenv("WATCH_INTERVAL")) != ""
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.Log.formatGiven = c.Log.Format != ""
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	c.Followups = loadFollowups(getenv)
	return c
}

// loadTriage reads VENDORS_FILE, the tokens its catalog names,
// TRIAGE_DEADLINE and HEALTH_URL.
func loadTriage(getenv func(string) string) triageConfig {
	t := triageConfig{VendorsFile: strings.TrimSpace(getenv("VENDORS_FILE")), Tokens: map[string]string{}}
	cat, err := vendors.LoadCatalog(t.VendorsFile)
	if err != nil {
		t.catalogErr = usageError("VENDORS_FILE: %v", err)
	} else {
		t.Catalog = cat
		for _, k := range cat.Keys() {
			if v, _ := cat.Lookup(k); v.TokenEnv != "" {
				t.Tokens[v.TokenEnv] = getenv(v.TokenEnv)
			}
		}
	}
	t.Deadline, t.deadlineErr = parseDeadline(getenv("TRIAGE_DEADLINE"))
	t.HealthURL = strings.TrimSpace(getenv("HEALTH_URL"))
	if t.HealthURL != "" {
		u, err := url.Parse(t.HealthURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.healthErr = usageError("HEALTH_URL=%q: want an http(s) URL like https://app.example.com/healthz, or leave it unset", t.HealthURL)
		}
	}
	return t
}

// checkServe checks what serving Slack needs (bot serve, bot play and bot
// doctor): every problem is named in one line, with what the value should
// look like. The vendor settings are Triage.check's.
func (c config) checkServe() error {
	var problems []string
	switch {
	case c.Slack.BotToken == "":
		problems = append(problems, "SLACK_BOT_TOKEN is not set: set it to the app's bot token (xoxb-…), see \"Create the Slack app\" in README.md")
	case !strings.HasPrefix(c.Slack.BotToken, "xoxb-"):
		problems = append(problems, "SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token)")
	}
	switch {
	case c.Slack.AppToken != "" && !strings.HasPrefix(c.Slack.AppToken, "xapp-"):
		problems = append(problems, "SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write)")
	case c.Slack.AppToken == "" && c.Slack.SigningSecret == "":
		problems = append(problems, "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if u := c.Slack.APIURL; !strings.HasSuffix(u, "/") || !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
		problems = append(problems, "SLACK_API_URL must be an http(s) URL ending in /, like https://slack.com/api/")
	}
	if _, _, err := parseDatabaseURL(c.Store.URL); err != nil {
		problems = append(problems, err.Error())
	}
	if c.Reminders.err != nil {
		problems = append(problems, c.Reminders.err.Error())
	}
	if c.workersErr != nil {
		problems = append(problems, c.workersErr.Error())
	}
	if c.watchErr != nil {
		problems = append(problems, c.watchErr.Error())
	}
	problems = append(problems, c.Hooks.check()...)
	if c.Surfaces.err != nil {
		problems = append(problems, c.Surfaces.err.Error())
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, "LOG_LEVEL must be one of debug, info, warn, error")
	}
	if c.Log.Format != "json" && c.Log.Format != "console" {
		problems = append(problems, "LOG_FORMAT must be json or console")
	}
	problems = append(problems, c.Followups.problems()...)
	problems = append(problems, c.Statuspage.check()...)
	if len(problems) > 0 {
		return usageError("configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// secrets returns the values that must never be written anywhere: the
// Slack credentials and the vendors' tokens.
func (c config) secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= 8 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range []string{c.Slack.BotToken, c.Slack.SigningSecret, c.Slack.AppToken, c.Hooks.Token, c.Hooks.PagerDutySecret,
		c.Statuspage.APIKey} {
		add(s)
	}
	for _, s := range c.Followups.secrets() {
		add(s)
	}
	if c.Triage.Catalog != nil {
		for _, k := range c.Triage.Catalog.Keys() {
			v, _ := c.Triage.Catalog.Lookup(k)
			add(c.Triage.token(v.TokenEnv))
		}
	}
	return out
}

// parseDatabaseURL splits DATABASE_URL into a driver and its address.
func parseDatabaseURL(u string) (driver, addr string, err error) {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		addr = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if addr == "" {
			return "", "", errors.New("DATABASE_URL sqlite: needs a path, like sqlite:data/bot.db")
		}
		return "sqlite", addr, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	}
	return "", "", errors.New("DATABASE_URL must be sqlite:PATH (like sqlite:data/bot.db) or postgres://user:password@host/db")
}

// Bounds of TRIAGE_DEADLINE.
const (
	minDeadline = 100 * time.Millisecond
	maxDeadline = 10 * time.Minute
)

// parseDeadline reads TRIAGE_DEADLINE: a Go duration ("8s", "1500ms"), or
// a plain number of seconds.
func parseDeadline(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return vendors.DefaultDeadline, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			return 0, usageError("TRIAGE_DEADLINE=%q: want a duration like 8s or 1500ms", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < minDeadline || d > maxDeadline {
		return 0, usageError("TRIAGE_DEADLINE=%q: want a duration between %s and %s, like 8s", v, minDeadline, maxDeadline)
	}
	return d, nil
}

// parseIntervals reads REMINDER_INTERVALS, e.g. "P1=15m,P2=1h"; severities
// left out keep their defaults.
func parseIntervals(v string) (map[incident.Severity]time.Duration, error) {
	out := map[incident.Severity]time.Duration{}
	for k, d := range commands.DefaultIntervals {
		out[k] = d
	}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	bad := errors.New("REMINDER_INTERVALS must look like P1=15m,P2=1h,P3=4h,P4=24h (Go durations, each above zero)")
	for _, part := range strings.Split(v, ",") {
		k, d, ok := strings.Cut(strings.TrimSpace(part), "=")
		sev, err := incident.ParseSeverity(k)
		if !ok || err != nil {
			return nil, bad
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, bad
		}
		out[sev] = dur
	}
	return out, nil
}

// formatIntervals is the inverse of parseIntervals, for logs.
func formatIntervals(m map[incident.Severity]time.Duration) string {
	var parts []string
	for k, d := range m {
		parts = append(parts, fmt.Sprintf("%s=%s", k, d))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// parseWatchInterval reads WATCH_INTERVAL: a Go duration of at least
// minWatchInterval; empty is the default.
func parseWatchInterval(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return commands.DefaultWatchInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minWatchInterval {
		return commands.DefaultWatchInterval, fmt.Errorf("WATCH_INTERVAL=%q: want a duration of at least 10s, like 60s or 2m (how often each watched vendor is checked)", v)
	}
	return d, nil
}
