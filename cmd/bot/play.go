package main

import (
	"context"
	"io"
)

func cmdPlay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError("bot play (the local playground) is not in this build yet; use bot triage VENDOR from the terminal, or bot serve with a Slack app (README.md)")
}
