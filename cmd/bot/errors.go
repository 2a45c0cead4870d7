package main

import (
	"errors"
	"fmt"

	"github.com/incident-bot/bot/internal/runbook"
)

// usageErr is a usage or configuration error: exit 2, one line on stderr
// that says what to fix.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// errProblemFound means the command ran and found a problem (triage found a
// cause other than healthy): exit 1. Its output has already been written.
var errProblemFound = errors.New("problem found")

// exitCode maps run's error onto the CLI's exit codes: 0 done and healthy,
// 1 a problem was found, 2 usage or configuration error.
func exitCode(err error) int {
	var u *usageErr
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	default:
		return 1
	}
}

// errorLine is err as main prints it on stderr: one line of printable
// text, whatever a vendor or Slack put into it.
func errorLine(err error) string { return runbook.Printable(err.Error(), false) }
