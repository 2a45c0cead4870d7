package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/incident"
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

// config is what `bot serve` runs with.
type config struct {
	BotToken, SigningSecret, AppToken string
	APIURL, Addr, DatabaseURL         string
	Intervals                         map[incident.Severity]time.Duration
	ResolveAllowed                    []string
	LogLevel, LogFormat               string
}

// secrets returns the values that must never be written anywhere.
func (c config) secrets() []string {
	var out []string
	for _, s := range []string{c.BotToken, c.SigningSecret, c.AppToken} {
		if len(s) >= 8 {
			out = append(out, s)
		}
	}
	return out
}

// loadConfig reads and checks the serve configuration. Every problem is
// named in one line, with what the value should look like.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		BotToken: getenv("SLACK_BOT_TOKEN"), SigningSecret: getenv("SLACK_SIGNING_SECRET"),
		AppToken: getenv("SLACK_APP_TOKEN"), APIURL: getenv("SLACK_API_URL"), Addr: getenv("BOT_ADDR"),
		DatabaseURL: getenv("DATABASE_URL"), LogLevel: getenv("LOG_LEVEL"), LogFormat: getenv("LOG_FORMAT"),
	}
	var problems []string
	switch {
	case c.BotToken == "":
		problems = append(problems, "SLACK_BOT_TOKEN is not set: set it to the app's bot token (xoxb-…), see \"Create the Slack app\" in README.md")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		problems = append(problems, "SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token)")
	}
	switch {
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-"):
		problems = append(problems, "SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write)")
	case c.AppToken == "" && c.SigningSecret == "":
		problems = append(problems, "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if c.APIURL == "" {
		c.APIURL = "https://slack.com/api/"
	} else if !strings.HasSuffix(c.APIURL, "/") || !(strings.HasPrefix(c.APIURL, "http://") || strings.HasPrefix(c.APIURL, "https://")) {
		problems = append(problems, "SLACK_API_URL must be an http(s) URL ending in /, like https://slack.com/api/")
	}
	if c.Addr == "" {
		c.Addr = ":8080"
		if p := getenv("PORT"); p != "" {
			c.Addr = ":" + p
		}
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:data/bot.db"
	}
	if _, _, err := parseDatabaseURL(c.DatabaseURL); err != nil {
		problems = append(problems, err.Error())
	}
	var err error
	if c.Intervals, err = parseIntervals(getenv("REMINDER_INTERVALS")); err != nil {
		problems = append(problems, err.Error())
	}
	if v := strings.TrimSpace(getenv("RESOLVE_ALLOWED")); v != "" {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			c.ResolveAllowed = append(c.ResolveAllowed, f)
		}
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, "LOG_LEVEL must be one of debug, info, warn, error")
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		problems = append(problems, "LOG_FORMAT must be json or console")
	}
	if len(problems) > 0 {
		return c, usageError("configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
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
