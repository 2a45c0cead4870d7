package commands

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/internal/vendors"
	"github.com/rs/zerolog"
)

// BenchmarkWatch1000Vendors: one process watches 1,000 vendors, each with
// its own Statuspage summary.json on a loopback stand-in, at the default
// 60 s interval; each op is one interval, compressed by the test clock.
// Figures: the CPU time one interval costs as a percentage of one core
// over 60 s (the whole process: the stand-ins and SQLite included, so an
// upper bound), the process's peak resident memory (the test binary and
// stand-ins included), and the requests each page received per interval
// (1: the conditional request, answered 304 while nothing changes).
func BenchmarkWatch1000Vendors(b *testing.B) {
	const vendorsN = 1000
	const interval = time.Minute
	body, err := os.ReadFile(filepath.Join(vendorFixtures, "status", "statuspage", "operational.json"))
	if err != nil {
		b.Fatal(err)
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
	var hits [vendorsN]atomic.Int64
	stand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/w"), "/")
		if n, err := strconv.Atoi(key); err == nil && n >= 0 && n < vendorsN {
			hits[n].Add(1)
		}
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer stand.Close()

	// A VENDORS_FILE adding the thousand vendors, each watched by its page.
	var yaml strings.Builder
	for i := range vendorsN {
		fmt.Fprintf(&yaml, "w%04d:\n  name: Watched %d\n  status_kind: statuspage\n  status_url: %s/w%04d\n", i, i, stand.URL, i)
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "vendors.yaml")
	if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cat, err := vendors.LoadCatalog(file)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * watchParallel}}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "bot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	clock := &testClock{t: testT0}
	svc := &Service{Store: db, Slack: newFakeSlack(clock.Now), Log: zerolog.Nop(), Jobs: newTestQueue(b, db), Now: clock.Now,
		Triage: vendorTriage{&vendors.Triager{Catalog: cat, Client: client, Now: clock.Now}},
		Config: Config{WatchInterval: interval}}
	svc.Start()
	svc.Jobs.Start()
	ctx := context.Background()
	for i := range vendorsN {
		if _, err := db.Watch(ctx, &incident.Watch{TeamID: testTeam, ChannelID: testChannel, Vendor: fmt.Sprintf("w%04d", i), CreatedAt: clock.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	oneInterval := func() {
		svc.WatchTick(ctx)
		clock.Advance(interval + interval/8) // past the jitter: every vendor is due again
	}
	oneInterval() // the first look reads each page whole
	var before int64
	for i := range hits {
		before += hits[i].Load()
	}
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for range b.N {
		oneInterval()
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	var after int64
	for i := range hits {
		after += hits[i].Load()
	}
	drainJobs(b, db)
	if n := len(svc.Slack.(*fakeSlack).Calls(callPost)); n != 0 {
		b.Fatalf("%d posts while nothing changed", n)
	}
	b.ReportMetric(100*cpu.Seconds()/float64(b.N)/interval.Seconds(), "cpu-%-of-core")
	b.ReportMetric(procStatusMB(b, "VmHWM"), "rss-peak-MB")
	b.ReportMetric(float64(after-before)/float64(vendorsN*b.N), "requests/page/interval")
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusMB reads a memory figure of /proc/self/status, in MB.
func procStatusMB(b *testing.B, field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
