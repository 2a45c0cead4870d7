package sqlite_test

// Timeline ingestion at the store: thread replies appended with AddEntry,
// 32 writers at once as the /slack/events handler has them under load, into
// one incident and spread over 100: entries per second, and the p50 and
// p99 time of one AddEntry call, waiting for the connection included. SQLite always; PostgreSQL too when
// TEST_DATABASE_URL names a database (make test's scripts/test.sh starts
// one), in a schema of its own that is dropped afterwards. The end-to-end
// figure, through the HTTP handler, is cmd/bot's BenchmarkIngest.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/jackc/pgx/v5"
)

// ingestWriters is how many replies are stored at once: the events handler
// at 32 concurrent requests.
const ingestWriters = 32

func BenchmarkAddEntry(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) incident.Store
	}{
		{"sqlite", openBenchSQLite},
		{"postgres", openBenchPostgres},
	}
	for _, s := range stores {
		for _, n := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/incidents=%d", s.name, n), func(b *testing.B) {
				benchAddEntry(b, s.open(b), n)
			})
		}
	}
}

// benchAddEntry appends distinct thread replies to n incidents, taken in
// turn, from ingestWriters goroutines, and checks that all were stored.
func benchAddEntry(b *testing.B, store incident.Store, n int) {
	ctx := context.Background()
	ids := make([]uuid.UUID, n)
	now := time.Now().UTC()
	for i := range ids {
		inc := &incident.Incident{ID: uuid.Must(uuid.NewV7()), TeamID: "T0BENCH", Title: "bench",
			Severity: incident.P3, Status: incident.Investigating, ChannelID: "C0BENCH",
			MessageTS: fmt.Sprintf("1700000000.%06d", i), DeclaredAt: now, UpdatedAt: now}
		if err := store.CreateIncident(ctx, inc); err != nil {
			b.Fatal(err)
		}
		ids[i] = inc.ID
	}
	// seq numbers the calls as they start, done as they return: a call's
	// done number minus its seq number is how many calls that started after
	// it finished before it. With first-come-first-served access to the
	// connection that stays near 0 whatever the machine's speed.
	var seq, done atomic.Int64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((ingestWriters + procs - 1) / procs) // RunParallel starts parallelism × GOMAXPROCS
	var mu sync.Mutex
	var lat []time.Duration
	var late []int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		var overtaken []int64
		defer func() {
			mu.Lock()
			lat = append(lat, mine...)
			late = append(late, overtaken...)
			mu.Unlock()
		}()
		for pb.Next() {
			i := seq.Add(1)
			e := &incident.Entry{IncidentID: ids[int(i)%n], Kind: incident.KindMessage, Author: "U0BENCH",
				Text: "Rotated the token; calls are recovering", At: now.Add(time.Duration(i) * time.Microsecond),
				SlackTS: fmt.Sprintf("1700000001.%06d", i), EventID: fmt.Sprintf("EvBENCH%d", i)}
			t0 := time.Now()
			added, err := store.AddEntry(ctx, e)
			mine = append(mine, time.Since(t0))
			overtaken = append(overtaken, done.Add(1)-i)
			if err != nil || !added {
				b.Errorf("AddEntry: added %v, %v", added, err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	stored := 0
	for _, id := range ids {
		tl, err := store.Timeline(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		stored += len(tl)
	}
	if stored != int(seq.Load()) {
		b.Fatalf("%d entries added, %d stored", seq.Load(), stored)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100])/1e6, "p99-ms")
		slices.Sort(late)
		b.ReportMetric(float64(late[(len(late)*99)/100]), "p99-overtaken")
	}
}

func openBenchSQLite(b *testing.B) incident.Store {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bot.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// openBenchPostgres opens the Postgres store in a fresh schema of
// TEST_DATABASE_URL's database, or skips.
func openBenchPostgres(b *testing.B) incident.Store {
	b.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		b.Skip("TEST_DATABASE_URL not set: no PostgreSQL to measure")
	}
	ctx := context.Background()
	schema := "bench_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			b.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		b.Fatal("TEST_DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
