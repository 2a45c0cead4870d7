package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pragma runs a PRAGMA on the store's one connection, as a test's way of
// putting the database in a state the bot meets in production.
func pragma(t *testing.T, db *DB, p string) {
	t.Helper()
	<-db.gate.ask(context.Background())
	defer db.gate.release()
	if _, err := db.db.Exec(`PRAGMA ` + p); err != nil {
		t.Fatalf("PRAGMA %s: %v", p, err)
	}
}

// wantCause fails unless err is an internal error whose message is msg and
// whose chain still holds SQLite's error with the primary code.
func wantCause(t *testing.T, what string, err error, msg string, code int) {
	t.Helper()
	var se *driver.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %q", what, msg)
	case incident.KindOf(err) != incident.Internal || incident.Message(err) != msg:
		t.Errorf("%s: %v (kind %v, message %q); want an internal error %q", what, err,
			incident.KindOf(err), incident.Message(err), msg)
	case !errors.As(err, &se) || se.Code()&0xff != code:
		t.Errorf("%s: %v; want SQLite's code %d in the chain", what, err, code)
	}
}

// TestPingWrites: Ping rewrites the health row, at the store's time.
func TestPingWrites(t *testing.T) {
	db := openTemp(t)
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	db.now = func() time.Time { return at }
	for range 2 {
		if err := db.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var checked int64
	if err := db.db.QueryRow(`SELECT COUNT(*), MAX(checked_at) FROM health`).Scan(&n, &checked); err != nil {
		t.Fatal(err)
	}
	if n != 1 || checked != at.UnixMicro() {
		t.Errorf("health: %d rows, checked at %v; want 1 row at %v", n, time.UnixMicro(checked).UTC(), at)
	}
}

// TestReadOnly: a database that answers reads but refuses writes (as a
// file or a file system turned read-only does) fails Ping and every write
// with "the database is read-only", and reads still work; once writable
// again, Ping passes. query_only is how a test running as root, whom file
// permissions do not stop, makes the one connection refuse writes.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	pragma(t, db, "query_only = 1")
	const msg = "the database is read-only"
	wantCause(t, "Ping", db.Ping(ctx), msg, sqlite3.SQLITE_READONLY)
	_, err := db.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, At: time.Now(), SlackTS: "1.1"})
	wantCause(t, "AddEntry", err, msg, sqlite3.SQLITE_READONLY)
	wantCause(t, "CreateIncident", db.CreateIncident(ctx, storetest.NewIncident("T1", "C1")), msg, sqlite3.SQLITE_READONLY)
	inc.Title = "renamed"
	wantCause(t, "UpdateIncident", db.UpdateIncident(ctx, inc), msg, sqlite3.SQLITE_READONLY)
	_, err = db.SeenEvent(ctx, "Ev1", time.Now())
	wantCause(t, "SeenEvent", err, msg, sqlite3.SQLITE_READONLY)
	if _, err := db.Incident(ctx, inc.ID); err != nil {
		t.Errorf("a read of a read-only database: %v", err)
	}

	pragma(t, db, "query_only = 0")
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping once writable again: %v", err)
	}
}

// TestFull: a database that cannot grow (max_page_count standing in for a
// full disk) fails the entries that need a new page with "the database is
// full", whether they were committed alone or in a group.
func TestFull(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	pragma(t, db, fmt.Sprintf("max_page_count = %d", pages))
	text := strings.Repeat("x", 3000) // about a page per entry
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		_, err = db.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Text: text,
			At: time.Now(), SlackTS: fmt.Sprintf("1.%d", i)})
	}
	wantCause(t, "AddEntry", err, "the database is full", sqlite3.SQLITE_FULL)

	// a group that meets it: every caller answered with it, none added
	done := make(chan error, 8)
	<-db.gate.ask(context.Background())
	for i := range 8 {
		go func() {
			added, err := db.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, Text: text,
				At: time.Now(), SlackTS: fmt.Sprintf("2.%d", i)})
			if added {
				err = errors.New("added")
			}
			done <- err
		}()
	}
	time.Sleep(20 * time.Millisecond)
	db.gate.release()
	for range 8 {
		wantCause(t, "AddEntry in a group", <-done, "the database is full", sqlite3.SQLITE_FULL)
	}
}
