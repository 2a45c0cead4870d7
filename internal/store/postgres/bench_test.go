package postgres

// Timeline ingestion at the Postgres store: thread replies appended with
// AddEntry by 32 writers at once, as the /slack/events handler has them
// under load, into one incident and spread over 100. It runs only when
// TEST_DATABASE_URL names a database, in a schema of its own. The figure
// that matters is with the database's defaults, fsync and
// synchronous_commit on (scripts/test.sh turns both off for speed):
//
//	TEST_DATABASE_URL=postgres://… go test -run XXX -bench AddEntry ./internal/store/postgres

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
)

// benchWriters is how many replies are stored at once.
const benchWriters = 32

func BenchmarkAddEntry(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			dsn, _ := pgtest.FreshSchema(b)
			db, err := Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			benchAddEntry(b, db, n)
		})
	}
}

// benchAddEntry appends distinct replies to n incidents, taken in turn,
// from benchWriters goroutines, and checks that all were stored.
func benchAddEntry(b *testing.B, db *DB, n int) {
	ctx := context.Background()
	ids := make([]uuid.UUID, n)
	now := time.Now().UTC()
	for i := range ids {
		inc := &incident.Incident{ID: uuid.Must(uuid.NewV7()), TeamID: "T0BENCH", Title: "bench",
			Severity: incident.P3, Status: incident.Investigating, ChannelID: "C0BENCH",
			MessageTS: fmt.Sprintf("1700000000.%06d", i), DeclaredAt: now, UpdatedAt: now}
		if err := db.CreateIncident(ctx, inc); err != nil {
			b.Fatal(err)
		}
		ids[i] = inc.ID
	}
	var seq atomic.Int64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchWriters + procs - 1) / procs) // RunParallel starts parallelism × GOMAXPROCS
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		defer func() {
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
		for pb.Next() {
			i := seq.Add(1)
			e := &incident.Entry{IncidentID: ids[int(i)%n], Kind: incident.KindMessage, Author: "U0BENCH",
				Text: "Rotated the token; calls are recovering", At: now.Add(time.Duration(i) * time.Microsecond),
				SlackTS: fmt.Sprintf("1700000001.%06d", i), EventID: fmt.Sprintf("EvBENCH%d", i)}
			t0 := time.Now()
			added, err := db.AddEntry(ctx, e)
			mine = append(mine, time.Since(t0))
			if err != nil || !added {
				b.Errorf("AddEntry: added %v, %v", added, err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	var stored int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM entries`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != int(seq.Load()) {
		b.Fatalf("%d entries added, %d stored", seq.Load(), stored)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100])/1e6, "p99-ms")
	}
}
