package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/statuspage"
)

const doctorUsage = `Usage: bot doctor

Checks what bot serve needs, from the same environment and .env: for
Socket Mode, as in README.md's Quickstart, SLACK_APP_TOKEN (xapp-…) and
SLACK_BOT_TOKEN (xoxb-…); for HTTP mode SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET. It prints one line per check:
  configuration  the settings (see README.md)
  slack token    the bot token against Slack (auth.test)
  slack scopes   the scopes Slack granted the token against those the bot needs
  socket mode    with SLACK_APP_TOKEN: the app-level token (apps.connections.open)
  database       DATABASE_URL answers
  tracker        with FOLLOWUP_TRACKER: its credentials work and the repository,
                 project or team exists
  statuspage     with STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY: the page
                 answers to the key (GET /pages/{page_id})
  alerts         with HOOK_TOKEN: the /hooks/* routes and ALERT_CHANNEL
  VENDOR         which vendors have a token (a missing one is not a failure)
Each failing line says what to fix. No token is ever printed.
Exit 0 when everything needed to serve is in order, 1 otherwise; 2 when
none of SLACK_APP_TOKEN, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET is set
(nothing to check), with one line saying what to set.
`

// errNothingToCheck is bot doctor's answer when no Slack setting is given
// at all: a configuration error, led by the README's quickstart (Socket
// Mode).
var errNothingToCheck = usageError("doctor: no Slack settings to check: for Socket Mode, as in README.md's Quickstart, " +
	"set SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) in .env or the environment; " +
	"for HTTP mode, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")

// doctorTimeout bounds each of the doctor's calls to Slack.
const doctorTimeout = 10 * time.Second

// cmdDoctor checks what serve needs, one line per check.
func cmdDoctor(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, doctorUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("doctor takes no arguments (got %q): it reads the same environment as serve", args[0])
	}
	if cfg.Slack.unset() {
		return errNothingToCheck
	}
	failed := false
	line := func(mark, what, detail string) { // detail may quote what Slack or a vendor answered
		fmt.Fprintf(stdout, "%-4s %-14s %s\n", mark, runbook.Printable(what, false), runbook.Printable(detail, false))
	}
	pass := func(what, detail string) { line("ok", what, detail) }
	skip := func(what, detail string) { line("--", what, detail) }
	fail := func(what, detail string) {
		failed = true
		line("FAIL", what, detail)
	}

	if err := cfg.checkServe(); err != nil {
		fail("configuration", err.Error())
	} else {
		mode := "HTTP mode (Slack calls /slack/* on BOT_ADDR " + cfg.Addr + ")"
		if cfg.Slack.AppToken != "" {
			mode = "Socket Mode (SLACK_APP_TOKEN set: no public URL needed)"
		}
		pass("configuration", mode)
		doctorSlack(ctx, cfg, pass, skip, fail)
		doctorDatabase(ctx, cfg, pass, fail)
		doctorTracker(ctx, cfg, pass, skip, fail)
		doctorStatuspage(ctx, cfg, pass, skip, fail)
		doctorHooks(cfg.Hooks, pass, skip)
	}

	if err := cfg.Triage.check(); err != nil {
		fail("vendors", err.Error())
	} else {
		statusOnly := 0
		for _, k := range cfg.Triage.Catalog.Keys() {
			v, _ := cfg.Triage.Catalog.Lookup(k)
			if v.APIURL == "" {
				statusOnly++ // no token to check: one line for them all below
				continue
			}
			if cfg.Triage.token(v.TokenEnv) == "" {
				skip(k, v.TokenEnv+" not set: triage will report misconfigured")
			} else {
				pass(k, v.TokenEnv+" set")
			}
		}
		if statusOnly > 0 {
			pass("status pages", fmt.Sprintf("%d vendors watched by their status page alone, no token needed (bot vendors lists them)", statusOnly))
		}
	}
	if failed {
		return errProblemFound
	}
	return nil
}

// doctorSlack checks the bot token, its scopes and, in Socket Mode, the
// app-level token.
func doctorSlack(ctx context.Context, cfg config, pass, skip, fail func(what, detail string)) {
	c := slackapp.NewClient(cfg.Slack.BotToken, cfg.Slack.APIURL, nil)
	c.CallTimeout = doctorTimeout
	id, err := c.Identify(ctx)
	switch {
	case err != nil:
		fail("slack token", slackProblem("auth.test", err))
	default:
		pass("slack token", fmt.Sprintf("bot %s in workspace %s", id.User, id.Team))
		manifest := "slack/manifest.yaml"
		if cfg.Slack.AppToken != "" {
			manifest = "slack/manifest.socket.yaml"
		}
		doctorScopes(id, manifest, pass, skip, fail)
	}

	if cfg.Slack.AppToken == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	if err := slackapp.CheckAppToken(sctx, cfg.Slack.AppToken, cfg.Slack.APIURL, nil); err != nil {
		fail("socket mode", err.Error())
		return
	}
	pass("socket mode", "the app-level token opens connections (apps.connections.open)")
}

// doctorScopes compares the scopes Slack granted with those the bot needs.
// manifest is the app manifest for the mode the bot runs in.
func doctorScopes(id slackapp.Identity, manifest string, pass, skip, fail func(what, detail string)) {
	if !id.ScopesKnown {
		skip("slack scopes", "Slack did not say which scopes the token has (no X-OAuth-Scopes header): not checked")
		return
	}
	missing, extra := slackapp.MissingScopes(id.Scopes)
	if len(missing) > 0 {
		var parts []string
		for _, s := range missing {
			parts = append(parts, s.Name+" ("+s.For+")")
		}
		fail("slack scopes", "missing "+strings.Join(parts, "; ")+
			". Add them at api.slack.com/apps → your app → OAuth & Permissions → Scopes → Bot Token Scopes "+
			"(or paste "+manifest+" again under App Manifest), then reinstall the app to the workspace")
		return
	}
	detail := fmt.Sprintf("all %d scopes the bot needs are granted", len(slackapp.BotScopes()))
	if len(extra) > 0 {
		detail += " (also granted, not needed: " + strings.Join(extra, ", ") + ")"
	}
	pass("slack scopes", detail)
}

// slackProblem is the one-line reason a Slack call failed: the domain
// message, which says what to do, or the cause for internal errors.
func slackProblem(method string, err error) string {
	var ie *incident.Error
	if errors.As(err, &ie) && ie.Kind != incident.Internal {
		return ie.Message
	}
	if errors.As(err, &ie) && ie.Err != nil {
		err = ie.Err // "slack METHOD: cause"
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
	}
	return method + " failed (" + outcomeText(err) + "): check SLACK_API_URL and that Slack is reachable"
}

// doctorDatabase checks that DATABASE_URL opens and answers.
func doctorDatabase(ctx context.Context, cfg config, pass, fail func(what, detail string)) {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	store, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		fail("database", err.Error())
		return
	}
	defer store.Close()
	if err := store.Ping(ctx); err != nil {
		fail("database", err.Error())
		return
	}
	pass("database", storeKind(cfg.Store.URL)+" answers")
}

func outcomeText(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "")
	}
	return s
}

// doctorStatuspage reads the company's status page with the key: it tells
// whether publishing from the incident thread will work.
func doctorStatuspage(ctx context.Context, cfg config, pass, skip, fail func(what, detail string)) {
	sp := cfg.Statuspage
	if !sp.enabled() {
		skip("statuspage", "STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY not set: status page drafts are posted in the thread, not published")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	c := &statuspage.Client{BaseURL: sp.APIURL, PageID: sp.PageID, APIKey: sp.APIKey}
	page, err := c.Check(ctx)
	if err != nil {
		fail("statuspage", incident.Message(err))
		return
	}
	pass("statuspage", fmt.Sprintf("page %s (%s) answers to the key: drafts can be published", page.ID, page.Name))
}

// doctorHooks says whether alerts come in, and where they open incidents.
// (Whether the bot is in ALERT_CHANNEL would take the channels:read scope,
// which the app does not request: the first alert's post says so.)
func doctorHooks(h hooksConfig, pass, skip func(what, detail string)) {
	if h.Token == "" {
		skip("alerts", "HOOK_TOKEN not set: /hooks/* not served (docs/INTEGRATIONS.md)")
		return
	}
	detail := "POST /hooks/alertmanager, /grafana, /datadog, /pagerduty, /generic take alerts with the bearer token; " +
		"firing alerts open incidents in " + h.Channel + " (invite the bot there)"
	if h.PagerDutySecret != "" {
		detail += "; PagerDuty's signature is checked"
	}
	pass("alerts", detail)
}
