package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// version is stamped by `make build` with -ldflags "-X main.version=…".
var version = "dev"

const usageText = `bot — a Slack incident bot that triages SaaS integrations.

Usage:
  bot [serve]                    run the bot against Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN)
  bot triage VENDOR [--json]     check a vendor from the terminal; exit 1 when a problem is found
  bot postmortem INCIDENT [-o FILE]
                                 print an incident's postmortem (INC-n or its id) from the database
  bot vendors                    list the vendor catalog
  bot doctor                     check the configuration, Slack, the database and vendor tokens
  bot loadtest [-c N] [-n N] [-kind command|interaction|event]
                                 load a running bot with signed requests; prints latency percentiles
  bot play [--listen-all]        a local playground channel in the browser, no Slack needed,
                                 at http://127.0.0.1:8080 (this machine only, unless --listen-all)
  bot version                    print the version
  bot help                       this text; bot CMD --help describes one command

Configuration comes from the environment and a .env file in the working
directory (the environment wins). .env.example lists every variable;
README.md explains them.
Exit codes: 0 done and healthy, 1 a problem was found, 2 usage or configuration error.
`

// run is the whole process: it dispatches the subcommand with the
// configuration read once through getenv (plus .env), and returns its
// error for main to map onto an exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := withDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	var command func(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error
	switch cmd {
	case "serve":
		command = cmdServe
	case "triage":
		command = cmdTriage
	case "vendors":
		command = cmdVendors
	case "postmortem":
		command = cmdPostmortem
	case "doctor":
		command = cmdDoctor
	case "play":
		command = cmdPlay
	case "loadtest":
		command = cmdLoadtest
	case "version", "--version":
		fmt.Fprintln(stdout, "bot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	default:
		return usageError("unknown command %q: run `bot help` for the list (%s)", cmd,
			strings.Join([]string{"serve", "triage", "postmortem", "vendors", "doctor", "play", "loadtest", "version", "help"}, ", "))
	}
	return command(ctx, rest, loadConfig(env), stdout, stderr)
}

// wantsHelp reports whether args ask for a command's help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}
