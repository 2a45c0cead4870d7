package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/rs/zerolog"
)

// pingStore is a store whose Ping answers what the test says; ready calls
// nothing else.
type pingStore struct {
	incident.Store
	mu  sync.Mutex
	err error
}

func (s *pingStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *pingStore) set(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// probe asks h for /readyz.
func probe(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// TestReadyNamesTheCause: /readyz answers 503 while the store cannot write,
// quoting the cause a store named and nothing of other errors, and logs
// once per change of readiness.
func TestReadyNamesTheCause(t *testing.T) {
	store := &pingStore{}
	var logs bytes.Buffer
	h := ready(store, nil, zerolog.New(&logs))
	readOnly := fmt.Errorf("sqlite: ping: write: %w", &incident.Error{Kind: incident.Internal,
		Message: "the database is read-only", Err: errors.New("attempt to write a readonly database (8)")})
	steps := []struct {
		name     string
		err      error
		wantCode int
		want     string // in the body
		notWant  string // not in the body
	}{
		{"healthy", nil, http.StatusOK, "ready", ""},
		{"read-only", readOnly, http.StatusServiceUnavailable, "the database is read-only", "attempt to write"},
		{"still read-only", readOnly, http.StatusServiceUnavailable, "the database is read-only", ""},
		{"full", fmt.Errorf("sqlite: ping: write: %w", &incident.Error{Kind: incident.Internal, Message: "the database is full"}),
			http.StatusServiceUnavailable, "the database is full", ""},
		{"unnamed error", errors.New("dial tcp 10.1.2.3:5432: connection refused"), http.StatusServiceUnavailable,
			"database: not answering", "10.1.2.3"},
		{"too slow", fmt.Errorf("sqlite: ping: %w", context.DeadlineExceeded), http.StatusServiceUnavailable,
			"database: no answer within 2s", ""},
		{"healthy again", nil, http.StatusOK, "ready", ""},
	}
	for _, st := range steps {
		store.set(st.err)
		code, body := probe(t, h)
		if code != st.wantCode || !strings.Contains(body, st.want) || (st.notWant != "" && strings.Contains(body, st.notWant)) {
			t.Errorf("%s: %d %q; want %d with %q", st.name, code, body, st.wantCode, st.want)
		}
	}
	// One line per change: read-only, full, unnamed, slow, ready again.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want 5:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], `"reason":"database: the database is read-only"`) ||
		!strings.Contains(lines[0], "attempt to write a readonly database") {
		t.Errorf("the log does not give the reason and the cause: %s", lines[0])
	}
	if !strings.Contains(lines[2], "10.1.2.3") {
		t.Errorf("the log does not give the unnamed error: %s", lines[2])
	}
	if !strings.Contains(lines[4], "ready again") {
		t.Errorf("last line: %s", lines[4])
	}
}

// TestReadySQLiteCannotWrite: the real SQLite store whose files refuse
// writes makes /readyz answer 503 naming it, though it still answers
// reads, and 200 once they take writes again. Tests run as root, whom file modes do not stop, so the files are
// made immutable (chattr +i stops root too, even through descriptors
// already open).
func TestReadySQLiteCannotWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chattr +i needs root; the sqlite package's tests cover a read-only database")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "bot.db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := ready(store, nil, zerolog.Nop())
	if code, body := probe(t, h); code != http.StatusOK {
		t.Fatalf("writable store: %d %q", code, body)
	}
	files := []string{path, path + "-wal"}
	if out, err := exec.Command("chattr", append([]string{"+i"}, files...)...).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { // should the test stop early: before the temporary directory is removed
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				exec.Command("chattr", "-i", f).Run()
			}
		}
	})
	code, body := probe(t, h)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database: the database's disk refuses writes") {
		t.Errorf("store that cannot write: %d %q; want 503 naming the disk", code, body)
	}
	t.Logf("/readyz: %d %q", code, body)
	if _, err := store.Incidents(ctx, incident.Filter{}); err != nil {
		t.Errorf("reads: %v", err)
	}

	if out, err := exec.Command("chattr", append([]string{"-i"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v %s", err, out)
	}
	if code, body := probe(t, h); code != http.StatusOK {
		t.Errorf("writable again: %d %q", code, body)
	}
}
