package postgres

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
	"github.com/incident-bot/bot/internal/store/storetest"
	"github.com/jackc/pgx/v5"
)

func openFresh(t *testing.T) (*DB, string) {
	t.Helper()
	dsn, _ := pgtest.FreshSchema(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db, dsn
}

func TestConformance(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) incident.Store {
		t.Parallel() // each case has a schema of its own
		db, _ := openFresh(t)
		return db
	})
}

func migrationCount(t *testing.T) int {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(names))
	}
	return len(names)
}

func appliedMigrations(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenConcurrently: replicas starting together on an empty database
// migrate it once, and none of them fails.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	dsn, _ := pgtest.FreshSchema(t)
	const replicas = 4
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dbs[i], errs[i] = Open(context.Background(), dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if got, want := appliedMigrations(t, dbs[0]), migrationCount(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
	for _, db := range dbs {
		if err := db.Ping(context.Background()); err != nil {
			t.Error(err)
		}
	}
}

// TestOpenWaitsForMigrationLock: while another session holds the schema's
// migration lock, Open waits; once it is released, Open goes on.
func TestOpenWaitsForMigrationLock(t *testing.T) {
	t.Parallel()
	dsn, schema := pgtest.FreshSchema(t)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	k1, k2 := migrationLock(schema)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, k1, k2); err != nil {
		t.Fatal(err)
	}
	type result struct {
		db  *DB
		err error
	}
	done := make(chan result, 1)
	go func() {
		db, err := Open(ctx, dsn)
		done <- result{db, err}
	}()
	select {
	case r := <-done:
		if r.db != nil {
			r.db.Close()
		}
		t.Fatalf("Open returned (%v) while another session held the migration lock", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, k1, k2); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Open after the lock was released: %v", r.err)
		}
		r.db.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("Open still waiting 30s after the lock was released")
	}
}

// TestOpenTwice: a second start applies nothing again and loses nothing.
func TestOpenTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dsn := openFresh(t)
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if got, want := appliedMigrations(t, db), migrationCount(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
	if _, err := db.Incident(ctx, inc.ID); err != nil {
		t.Errorf("incident lost across restart: %v", err)
	}
	next := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, next); err != nil || next.Number != 2 {
		t.Errorf("after restart: number %d, err %v; want 2, nil", next.Number, err)
	}
}

// TestNumbersAcrossReplicas: two pools on one database, like two bot
// processes, creating at once in one workspace never share a number.
func TestNumbersAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, dsn := openFresh(t)
	defer a.Close()
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const each = 15
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for _, s := range []*DB{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				inc := storetest.NewIncident("T1", "C1")
				if err := s.CreateIncident(ctx, inc); err != nil {
					t.Errorf("CreateIncident: %v", err)
					return
				}
				mu.Lock()
				if seen[inc.Number] {
					t.Errorf("number %d given twice", inc.Number)
				}
				seen[inc.Number] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for n := 1; n <= 4*each; n++ {
		if !seen[n] {
			t.Errorf("number %d missing", n)
		}
	}
}

// TestNumberAfterImport: incidents written without the counter (copied from
// another store) are not numbered again.
func TestNumberAfterImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openFresh(t)
	defer db.Close()
	if _, err := db.pool.Exec(ctx, `INSERT INTO incidents (id, team_id, number, title, severity, status,
		declared_at, updated_at, version) VALUES ($1, 'T1', 7, 'old', 'P3', 'resolved', now(), now(), 3)`,
		uuid.New()); err != nil {
		t.Fatal(err)
	}
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil || inc.Number != 8 {
		t.Errorf("number %d, err %v; want 8, nil", inc.Number, err)
	}
}

// TestOpenBadURLHidesPassword: a connection string that does not parse is
// not repeated in the error, since it may hold the password.
func TestOpenBadURLHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://bot:s3cr3t@db:notaport/bot")
	if err == nil {
		t.Fatal("Open accepted a bad URL")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error shows the password: %v", err)
	}
}
