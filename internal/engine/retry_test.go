package engine

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type waitErr struct{ d time.Duration }

func (e waitErr) Error() string             { return "rate limited" }
func (e waitErr) RetryAfter() time.Duration { return e.d }

// TestRetryDelay: an error that says how long to wait (wrapped or not) is
// waited for, at most an hour; others take the backoff.
func TestRetryDelay(t *testing.T) {
	tests := []struct {
		err      error
		attempts int
		want     time.Duration
	}{
		{errors.New("503"), 1, time.Second},
		{errors.New("503"), 3, 4 * time.Second},
		{waitErr{30 * time.Second}, 1, 30 * time.Second},
		{fmt.Errorf("file the follow-up: %w", waitErr{90 * time.Second}), 5, 90 * time.Second},
		{waitErr{0}, 2, 2 * time.Second},
		{waitErr{3 * time.Hour}, 1, time.Hour},
	}
	for _, tt := range tests {
		if got := retryDelay(tt.err, tt.attempts); got != tt.want {
			t.Errorf("retryDelay(%v, %d) = %s, want %s", tt.err, tt.attempts, got, tt.want)
		}
	}
}
