package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incident.Store {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestMigrationsTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "bot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path) // second start: nothing applied again, nothing lost
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(names))
	}
	if n != len(names) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(names))
	}
	if _, err := db.Incident(ctx, inc.ID); err != nil {
		t.Errorf("incident lost across restart: %v", err)
	}
}
