package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/storetest"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// wantCause fails unless err is an internal error whose message is msg.
func wantCause(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if err == nil || incident.KindOf(err) != incident.Internal || incident.Message(err) != msg {
		t.Errorf("%s: %v (message %q); want an internal error %q", what, err, incident.Message(err), msg)
	}
}

// TestPingWrites: Ping rewrites the health row.
func TestPingWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openFresh(t)
	defer db.Close()
	for range 2 {
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var checked time.Time
	if err := db.pool.QueryRow(ctx, `SELECT count(*), max(checked_at) FROM health`).Scan(&n, &checked); err != nil {
		t.Fatal(err)
	}
	if n != 1 || time.Since(checked) > time.Minute {
		t.Errorf("health: %d rows, checked at %v; want 1 row, just now", n, checked)
	}
}

// TestReadOnly: a database that answers reads but refuses writes, as a
// standby does after a failover, fails Ping and every write with "the
// database is read-only"; reads still work.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dsn := openFresh(t)
	defer db.Close()
	inc := storetest.NewIncident("T1", "C1")
	if err := db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ro := &DB{pool: pool} // the same database, its writes refused
	if err := ro.startCommitters(ctx); err != nil {
		t.Fatal(err)
	}
	defer ro.Close()

	const msg = "the database is read-only"
	wantCause(t, "Ping", ro.Ping(ctx), msg)
	_, err = ro.AddEntry(ctx, &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage, At: time.Now(), SlackTS: "1.1"})
	wantCause(t, "AddEntry", err, msg)
	wantCause(t, "CreateIncident", ro.CreateIncident(ctx, storetest.NewIncident("T1", "C1")), msg)
	_, err = ro.SeenEvent(ctx, "Ev1", time.Now())
	wantCause(t, "SeenEvent", err, msg)
	var pe *pgconn.PgError
	if !errors.As(ro.Ping(ctx), &pe) || pe.Code != "25006" {
		t.Errorf("Ping: Postgres's error is not in the chain")
	}
	if _, err := ro.Incident(ctx, inc.ID); err != nil {
		t.Errorf("a read of a read-only database: %v", err)
	}
}

// TestOpenUnreachable: a database that cannot be reached is named so.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Open(ctx, "postgres://bot@127.0.0.1:1/bot?sslmode=disable&connect_timeout=5")
	if err == nil {
		db.Close()
		t.Fatal("Open of an unreachable database succeeded")
	}
	wantCause(t, "Open", err, "cannot connect to the database")
}
