package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
)

const doctorUsage = `Usage: bot doctor

Checks the configuration, the bot token against Slack (auth.test), the
database, and which vendors have a token, and prints what to fix.
Exit 0 when everything needed to serve is in order, 1 otherwise.
`

// cmdDoctor checks what serve needs, one line per check.
func cmdDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, doctorUsage)
		return nil
	}
	failed := false
	say := func(ok bool, what, detail string) {
		mark := "ok  "
		if !ok {
			mark, failed = "FAIL", true
		}
		fmt.Fprintf(stdout, "%s %-14s %s\n", mark, what, detail)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		say(false, "configuration", err.Error())
	} else {
		say(true, "configuration", "Slack settings present")
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c := slackapp.NewClient(cfg.BotToken, cfg.APIURL, nil)
		if who, err := c.API().AuthTestContext(ctx); err != nil {
			say(false, "slack", "auth.test failed ("+outcomeText(err)+"): check SLACK_BOT_TOKEN and SLACK_API_URL")
		} else {
			say(true, "slack", fmt.Sprintf("bot %s in workspace %s", who.User, who.Team))
		}
		store, err := openStore(ctx, cfg.DatabaseURL)
		if err != nil {
			say(false, "database", err.Error())
		} else {
			if err := store.Ping(ctx); err != nil {
				say(false, "database", err.Error())
			} else {
				say(true, "database", storeKind(cfg.DatabaseURL)+" answers")
			}
			store.Close()
		}
	}
	t, err := newTriager(getenv)
	if err != nil {
		say(false, "vendors", err.Error())
	} else {
		for _, k := range t.Catalog.Keys() {
			v, _ := t.Catalog.Lookup(k)
			if getenv(v.TokenEnv) == "" {
				fmt.Fprintf(stdout, "--   %-14s %s not set: triage will report misconfigured\n", k, v.TokenEnv)
			} else {
				fmt.Fprintf(stdout, "ok   %-14s %s set\n", k, v.TokenEnv)
			}
		}
	}
	if failed {
		return errProblemFound
	}
	return nil
}

func outcomeText(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
