package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackfake"
)

// TestHooksConfig: HOOK_TOKEN turns the hooks on and needs ALERT_CHANNEL;
// ALERT_SEVERITY merges over the default; the token and the PagerDuty
// secret are secrets.
func TestHooksConfig(t *testing.T) {
	base := map[string]string{"SLACK_BOT_TOKEN": "xoxb-hooks-config-test", "SLACK_SIGNING_SECRET": "signing-hooks-config"}
	load := func(extra map[string]string) config {
		return loadConfig(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		})
	}
	c := load(map[string]string{"HOOK_TOKEN": "hooks-config-token-0123", "ALERT_CHANNEL": "C0ALERTS",
		"ALERT_SEVERITY": "Sev1=P1, warning=P2", "PAGERDUTY_WEBHOOK_SECRET": "pd-hooks-config-secret"})
	if err := c.checkServe(); err != nil {
		t.Fatal(err)
	}
	if c.Hooks.Severity["sev1"] != incident.P1 || c.Hooks.Severity["warning"] != incident.P2 || c.Hooks.Severity["critical"] != incident.P1 {
		t.Errorf("severity %v: want sev1=P1, warning=P2 over the default", c.Hooks.Severity)
	}
	if s := c.secrets(); !slices.Contains(s, "hooks-config-token-0123") || !slices.Contains(s, "pd-hooks-config-secret") {
		t.Errorf("secrets %d: want the hook token and the PagerDuty secret among them", len(s))
	}
	if c := load(nil); c.Hooks.Token != "" || c.Hooks.Severity["critical"] != incident.P1 || c.checkServe() != nil {
		t.Errorf("no hooks: %+v, %v", c.Hooks, c.checkServe())
	}

	for _, tt := range []struct {
		name string
		env  map[string]string
		says string
	}{
		{"no channel", map[string]string{"HOOK_TOKEN": "hooks-config-token-0123"}, "ALERT_CHANNEL is not set"},
		{"channel name", map[string]string{"HOOK_TOKEN": "hooks-config-token-0123", "ALERT_CHANNEL": "#alerts"}, "ALERT_CHANNEL must be a channel id"},
		{"short token", map[string]string{"HOOK_TOKEN": "short", "ALERT_CHANNEL": "C0ALERTS"}, "HOOK_TOKEN must be at least 16 characters"},
		{"bad severity", map[string]string{"ALERT_SEVERITY": "critical:P1"}, "ALERT_SEVERITY must look like"},
		{"bad severity value", map[string]string{"ALERT_SEVERITY": "critical=P9"}, "ALERT_SEVERITY must look like"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := load(tt.env).checkServe()
			if err == nil || !strings.Contains(err.Error(), tt.says) || exitCode(err) != 2 {
				t.Errorf("checkServe = %v (exit %d); want exit 2 saying %q", err, exitCode(err), tt.says)
			}
		})
	}
}

// TestServeRefusesHookTokenWithoutChannel: bot serve exits 2 with one line
// on stderr that names ALERT_CHANNEL, and never prints the token.
func TestServeRefusesHookTokenWithoutChannel(t *testing.T) {
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-hooks-config-test", "SLACK_SIGNING_SECRET": "signing-hooks-config",
		"HOOK_TOKEN": "hooks-config-token-CANARY", "DATABASE_URL": "sqlite:" + t.TempDir() + "/bot.db"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bot", "serve"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	msg := err.Error()
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 || !strings.Contains(msg, "ALERT_CHANNEL") {
		t.Errorf("error %q: want one line naming ALERT_CHANNEL", msg)
	}
	if strings.Contains(msg+stdout.String()+stderr.String(), "CANARY") {
		t.Error("the hook token is in the output")
	}
}

// TestDoctorHooks: bot doctor says whether alerts come in and where they
// go, and never prints the token.
func TestDoctorHooks(t *testing.T) {
	fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
	t.Cleanup(fake.Close)
	env := doctorEnv(t, fake.URL()+"/api/")
	lines, out, _ := runDoctor(t, env)
	if l := lines["alerts"]; l.mark != "--" || !strings.Contains(l.detail, "HOOK_TOKEN not set") {
		t.Errorf("without HOOK_TOKEN: %+v\n%s", l, out)
	}
	env["HOOK_TOKEN"], env["ALERT_CHANNEL"], env["PAGERDUTY_WEBHOOK_SECRET"] = "hooks-doctor-CANARY-token", "C0ALERTS", "pd-doctor-CANARY"
	lines, out, err := runDoctor(t, env)
	if l := lines["alerts"]; err != nil || l.mark != "ok" || !strings.Contains(l.detail, "C0ALERTS") || !strings.Contains(l.detail, "signature is checked") {
		t.Errorf("with HOOK_TOKEN: %+v, %v\n%s", l, err, out)
	}
	if strings.Contains(out, "CANARY") {
		t.Error("doctor printed the hook token or the PagerDuty secret")
	}
}
