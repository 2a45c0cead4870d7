package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestWatchInterval: WATCH_INTERVAL defaults to 60s, takes Go durations of
// at least 10s, and anything else stops bot serve with exit code 2 and a
// line saying what to set.
func TestWatchInterval(t *testing.T) {
	base := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret",
		"DATABASE_URL": "sqlite:" + t.TempDir() + "/bot.db"}
	for _, c := range []struct {
		value string
		want  time.Duration
		bad   bool
	}{
		{"", time.Minute, false},
		{"10s", 10 * time.Second, false},
		{" 2m ", 2 * time.Minute, false},
		{"9s", 0, true},
		{"60", 0, true},
		{"soon", 0, true},
		{"-1m", 0, true},
	} {
		env := map[string]string{"WATCH_INTERVAL": c.value}
		getenv := func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return base[k]
		}
		cfg := loadConfig(getenv)
		err := cfg.checkServe()
		if c.bad {
			if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "WATCH_INTERVAL") || !strings.Contains(err.Error(), "at least 10s") {
				t.Errorf("WATCH_INTERVAL=%q: %v, want a configuration error naming it", c.value, err)
			}
			if err := run(context.Background(), []string{"bot", "serve"}, getenv, io.Discard, io.Discard); exitCode(err) != 2 {
				t.Errorf("bot serve with WATCH_INTERVAL=%q: %v, want exit code 2", c.value, err)
			}
			continue
		}
		if err != nil || cfg.WatchInterval != c.want {
			t.Errorf("WATCH_INTERVAL=%q: %v, %v; want %v", c.value, cfg.WatchInterval, err, c.want)
		}
	}
}
