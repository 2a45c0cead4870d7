package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

func TestLoadConfigDefaults(t *testing.T) {
	c := loadConfig(func(string) string { return "" })
	if c.Addr != ":8080" || c.Store.URL != "sqlite:data/bot.db" || c.Slack.APIURL != "https://slack.com/api/" {
		t.Errorf("addr %q, database %q, Slack API %q", c.Addr, c.Store.URL, c.Slack.APIURL)
	}
	if c.Log.Level != "info" || c.Log.Format != "json" || c.Log.formatGiven {
		t.Errorf("log %+v", c.Log)
	}
	if c.Triage.Deadline != 8*time.Second || c.Triage.HealthURL != "" || c.Triage.Catalog == nil || c.Triage.check() != nil {
		t.Errorf("triage %+v, problem %v", c.Triage, c.Triage.check())
	}
	if c.Reminders.given || c.Reminders.Intervals[incident.P1] != 15*time.Minute || c.Reminders.Intervals[incident.P4] != 24*time.Hour {
		t.Errorf("reminders %+v", c.Reminders)
	}
	if c.ResolveAllowed != nil || len(c.secrets()) != 0 {
		t.Errorf("resolve allowed %q, secrets %d", c.ResolveAllowed, len(c.secrets()))
	}
	if c := loadConfig(func(k string) string { return map[string]string{"PORT": "9000"}[k] }); c.Addr != ":9000" {
		t.Errorf("PORT=9000: addr %q", c.Addr)
	}
}

func TestLoadConfigReadsEverySetting(t *testing.T) {
	file := filepath.Join(t.TempDir(), "vendors.yaml")
	if err := os.WriteFile(file, []byte("acme:\n  api_url: https://api.acme.example\n  token_env: ACME_KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-config-test-bot", "SLACK_SIGNING_SECRET": "signing-config-test",
		"SLACK_APP_TOKEN": "xapp-config-test-app", "SLACK_API_URL": "http://127.0.0.1:9/api/",
		"BOT_ADDR": "127.0.0.1:7000", "PORT": "9000", "DATABASE_URL": "postgres://u:p@db/bot",
		"VENDORS_FILE": file, "HEALTH_URL": "http://127.0.0.1:9/healthz", "TRIAGE_DEADLINE": "1500ms",
		"HUBSPOT_ACCESS_TOKEN": "pat-config-test-hubspot", "ACME_KEY": "acme-config-test-key",
		"REMINDER_INTERVALS": "P1=5m", "RESOLVE_ALLOWED": "U1, S2,commander",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "console",
	}
	c := loadConfig(func(k string) string { return env[k] })
	if err := c.checkServe(); err != nil {
		t.Fatal(err)
	}
	want := slackConfig{BotToken: env["SLACK_BOT_TOKEN"], SigningSecret: env["SLACK_SIGNING_SECRET"],
		AppToken: env["SLACK_APP_TOKEN"], APIURL: env["SLACK_API_URL"]}
	if c.Slack != want {
		t.Errorf("slack %+v", c.Slack)
	}
	if c.Addr != "127.0.0.1:7000" || c.Store.URL != env["DATABASE_URL"] {
		t.Errorf("addr %q, database %q", c.Addr, c.Store.URL)
	}
	tr, err := newTriager(c.Triage)
	if err != nil {
		t.Fatal(err)
	}
	if tr.HealthURL != env["HEALTH_URL"] || tr.Deadline != 1500*time.Millisecond || c.Triage.VendorsFile != file {
		t.Errorf("triager %+v", tr)
	}
	if _, ok := tr.Catalog.Lookup("acme"); !ok {
		t.Error("VENDORS_FILE's vendor is not in the catalog")
	}
	if tr.Getenv("ACME_KEY") != env["ACME_KEY"] || tr.Getenv("HUBSPOT_ACCESS_TOKEN") != env["HUBSPOT_ACCESS_TOKEN"] {
		t.Error("the triager does not get the vendors' tokens")
	}
	if tr.Getenv("LOG_LEVEL") != "" {
		t.Error("the triager's getenv reads more than the vendors' tokens")
	}
	if c.Reminders.Intervals[incident.P1] != 5*time.Minute || c.Reminders.Intervals[incident.P2] != time.Hour || !c.Reminders.given {
		t.Errorf("reminders %+v", c.Reminders)
	}
	if !slices.Equal(c.ResolveAllowed, []string{"U1", "S2", "commander"}) {
		t.Errorf("resolve allowed %q", c.ResolveAllowed)
	}
	if c.Log.Level != "debug" || c.Log.Format != "console" {
		t.Errorf("log %+v", c.Log)
	}
	secrets := c.secrets()
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "HUBSPOT_ACCESS_TOKEN", "ACME_KEY"} {
		if !slices.Contains(secrets, env[k]) {
			t.Errorf("secrets lack %s", k)
		}
	}
	if len(secrets) != 5 {
		t.Errorf("%d secrets, want 5 (each once)", len(secrets))
	}
}

// TestConfigChecksArePerCommand: a setting one command does not use does
// not stop it.
func TestConfigChecksArePerCommand(t *testing.T) {
	broken := map[string]string{
		"SLACK_BOT_TOKEN": "xoxp-not-a-bot-token", "LOG_LEVEL": "loud", "REMINDER_INTERVALS": "often",
		"DATABASE_URL": "mysql://x", "SLACK_API_URL": "slack.com",
	}
	getenv := func(k string) string { return broken[k] }
	if err := run(context.Background(), []string{"bot", "vendors"}, getenv, io.Discard, io.Discard); err != nil {
		t.Errorf("bot vendors with broken Slack settings: %v", err)
	}
	err := run(context.Background(), []string{"bot", "triage", "no-such-vendor"}, getenv, io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "unknown vendor") {
		t.Errorf("bot triage with broken Slack settings: %v, want the unknown vendor", err)
	}

	broken = map[string]string{"TRIAGE_DEADLINE": "fast", "HEALTH_URL": "nowhere"}
	if err := run(context.Background(), []string{"bot", "vendors"}, getenv, io.Discard, io.Discard); err != nil {
		t.Errorf("bot vendors with a broken TRIAGE_DEADLINE: %v", err)
	}
	err = run(context.Background(), []string{"bot", "triage", "hubspot"}, getenv, io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "TRIAGE_DEADLINE") {
		t.Errorf("bot triage: %v, want the TRIAGE_DEADLINE error first", err)
	}
	broken["VENDORS_FILE"] = filepath.Join(t.TempDir(), "missing.yaml")
	for _, args := range [][]string{{"bot", "triage", "hubspot"}, {"bot", "vendors"}} {
		err = run(context.Background(), args, getenv, io.Discard, io.Discard)
		if exitCode(err) != 2 || !strings.HasPrefix(err.Error(), "VENDORS_FILE: ") {
			t.Errorf("%s: %v, want the VENDORS_FILE error first", strings.Join(args, " "), err)
		}
	}
}
