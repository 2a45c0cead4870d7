// Command bot is the incident bot: `bot serve` runs it against Slack, and
// the other subcommands (triage, postmortem, vendors, doctor, play,
// version) work from a terminal. main only calls run; run owns the process.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if err != errProblemFound {
			fmt.Fprintln(os.Stderr, "bot:", errorLine(err))
		}
		os.Exit(exitCode(err))
	}
}
