package main

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// newLogger writes JSON (or console) lines to w, as c says, with every
// secret replaced before the line leaves the process.
func newLogger(w io.Writer, c logConfig, secrets []string) zerolog.Logger {
	w = &redactor{w: w, secrets: secrets}
	if c.Format == "console" {
		w = zerolog.ConsoleWriter{Out: w, NoColor: true}
	}
	lvl, err := zerolog.ParseLevel(c.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// millis is d in milliseconds, to the microsecond, for a field whose name
// says its unit (took_ms): zerolog's Dur writes a bare number whose unit is
// a process-wide setting, which reads as "took=0.737485" in a terminal.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// redactor is the last line of defence: nothing logs a token on purpose,
// and this makes sure nothing does by accident (an error that quotes a
// request, a URL with a query string).
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

func (r *redactor) Write(p []byte) (int, error) {
	out := p
	for _, s := range r.secrets {
		if bytes.Contains(out, []byte(s)) {
			out = bytes.ReplaceAll(out, []byte(s), []byte("[REDACTED]"))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
