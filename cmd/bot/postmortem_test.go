package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestPostmortemAfterThePlayground: someone who tried bot play and then
// asks bot postmortem INC-1 learns why it is not there, whether the bot's
// own database exists yet or not.
func TestPostmortemAfterThePlayground(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "bot.db")
	st, err := openStore(context.Background(), "sqlite:"+existing)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for name, db := range map[string]string{
		"no database yet": filepath.Join(dir, "data", "missing.db"),
		"not in it":       existing,
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "sqlite:" + db}
			err := run(context.Background(), []string{"bot", "postmortem", "INC-1"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if exitCode(err) != 2 {
				t.Fatalf("bot postmortem INC-1: %v (exit %d), want exit 2", err, exitCode(err))
			}
			for _, want := range []string{"bot play", "temporary database", "deleted when it stops"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error %q does not say %q", err, want)
				}
			}
		})
	}
}
