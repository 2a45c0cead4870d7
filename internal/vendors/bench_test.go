//go:build linux || darwin || freebsd

package vendors

// Triage benchmarks (docs/PERFORMANCE.md):
//
//   - BenchmarkTriageOverhead: the four checks against loopback stand-ins
//     that answer at once; what triage costs beyond its slowest check.
//   - BenchmarkTriageHungVendor: every stand-in hangs; the report must come
//     at the deadline, and waiting for it must cost next to no CPU.
//
// The build tag is for syscall.Getrusage.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchVendor is HubSpot on loopback: its API, its Statuspage and our own
// health endpoint, each answering at once, or never when hung.
type benchVendor struct {
	*httptest.Server
	hung    bool
	release chan struct{} // closed at cleanup: hung handlers return
}

const benchToken = "pat-na1-bench-token"

func newBenchVendor(b *testing.B, hung bool) *benchVendor {
	b.Helper()
	v := &benchVendor{hung: hung, release: make(chan struct{})}
	mux := http.NewServeMux()
	answer := func(body string, headers ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if v.hung {
				select {
				case <-r.Context().Done():
				case <-v.release:
				}
				return
			}
			for i := 0; i+1 < len(headers); i += 2 {
				w.Header().Set(headers[i], headers[i+1])
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}
	}
	mux.HandleFunc("/api/", answer(`{"portalId":62515,"timeZone":"US/Eastern","accountType":"STANDARD"}`,
		"X-HubSpot-RateLimit-Max", "100", "X-HubSpot-RateLimit-Remaining", "99",
		"X-HubSpot-RateLimit-Interval-Milliseconds", "10000",
		"X-HubSpot-RateLimit-Daily", "500000", "X-HubSpot-RateLimit-Daily-Remaining", "499000"))
	mux.HandleFunc("/status/", answer(`{"page":{"id":"abc","name":"HubSpot","url":"https://status.hubspot.com"},`+
		`"status":{"indicator":"none","description":"All Systems Operational"},`+
		`"components":[{"id":"c1","name":"API","status":"operational","group":false}],"incidents":[],"scheduled_maintenances":[]}`))
	mux.HandleFunc("/health", answer(`{"services":{"hubspot":{"status":"ok"}}}`))
	v.Server = httptest.NewServer(mux)
	b.Cleanup(func() {
		close(v.release)
		v.Close()
	})
	return v
}

// checkTimer is a RoundTripper that times each check's HTTP exchange, from
// sending the request to closing the answer's body.
type checkTimer struct {
	next http.RoundTripper
	mu   sync.Mutex
	took []time.Duration
}

func (t *checkTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.record(time.Since(start))
		return nil, err
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, done: func() { t.record(time.Since(start)) }}
	return resp, nil
}

func (t *checkTimer) record(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.took = append(t.took, d)
}

// slowest returns the longest exchange since the last call, and forgets them.
func (t *checkTimer) slowest() (time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	longest, n := time.Duration(0), len(t.took)
	for _, d := range t.took {
		longest = max(longest, d)
	}
	t.took = t.took[:0]
	return longest, n
}

type timedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// benchTriager is a Triager for HubSpot at the stand-in, through VENDORS_FILE
// as an operator would set it, with the token and HEALTH_URL set: all four
// checks run.
func benchTriager(b *testing.B, v *benchVendor, deadline time.Duration, rt http.RoundTripper) *Triager {
	b.Helper()
	path := filepath.Join(b.TempDir(), "vendors.yaml")
	yaml := fmt.Sprintf("hubspot:\n  api_url: %s/api\n  status_url: %s/status\n", v.URL, v.URL)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	cat, err := LoadCatalog(path)
	if err != nil {
		b.Fatal(err)
	}
	return &Triager{
		Catalog:   cat,
		Client:    &http.Client{Transport: rt},
		Getenv:    func(k string) string { return map[string]string{"HUBSPOT_ACCESS_TOKEN": benchToken}[k] },
		HealthURL: v.URL + "/health",
		Deadline:  deadline,
	}
}

func benchMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func benchPercentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, max(0, int(float64(len(sorted))*p+0.5)-1))
	return sorted[i]
}

// BenchmarkTriageOverhead: one triage per iteration against stand-ins that
// answer at once. overhead-ms is the triage's time minus its slowest HTTP
// exchange: starting the checks, reading the answers, the diagnosis and
// the report (median and p99 over the iterations).
func BenchmarkTriageOverhead(b *testing.B) {
	v := newBenchVendor(b, false)
	timer := &checkTimer{next: http.DefaultTransport.(*http.Transport).Clone()}
	tr := benchTriager(b, v, DefaultDeadline, timer)
	ctx := context.Background()
	// Warm up: connections open, runbook parsed, as in a running bot.
	if r, err := tr.Triage(ctx, "hubspot"); err != nil || r.Cause != "healthy" {
		b.Fatalf("triage against healthy stand-ins: %q, %v", r.Cause, err)
	}
	timer.slowest()
	var overhead, slowest []float64
	for b.Loop() {
		start := time.Now()
		r, err := tr.Triage(ctx, "hubspot")
		took := time.Since(start)
		longest, n := timer.slowest()
		if err != nil || n != 3 || r.Cause != "healthy" {
			b.Fatalf("triage: %d exchanges, cause %q, %v", n, r.Cause, err)
		}
		overhead = append(overhead, benchMS(took-longest))
		slowest = append(slowest, benchMS(longest))
	}
	slices.Sort(overhead)
	slices.Sort(slowest)
	b.ReportMetric(benchPercentile(overhead, 0.5), "overhead-ms")
	b.ReportMetric(benchPercentile(overhead, 0.99), "overhead-p99-ms")
	b.ReportMetric(benchPercentile(slowest, 0.5), "slowest-check-ms")
}

// BenchmarkTriageHungVendor: every check hangs. The report must come at
// the deadline (it keeps a small margin for writing the report, so a
// little before), and the process must use next to no CPU while it waits:
// cpu-ms is the user and system time of the whole process (stand-ins
// included) during one triage, from getrusage. Deadlines shorter than
// TRIAGE_DEADLINE's 8 s keep make bench quick; that cpu-ms does not grow
// with the deadline is what shows that nothing spins while waiting.
func BenchmarkTriageHungVendor(b *testing.B) {
	for _, deadline := range []time.Duration{250 * time.Millisecond, time.Second} {
		b.Run(fmt.Sprintf("deadline=%s", deadline), func(b *testing.B) {
			v := newBenchVendor(b, true)
			tr := benchTriager(b, v, deadline, http.DefaultTransport.(*http.Transport).Clone())
			ctx := context.Background()
			var wall, cpu []float64
			for b.Loop() {
				before := cpuTime(b)
				start := time.Now()
				r, err := tr.Triage(ctx, "hubspot")
				took := time.Since(start)
				used := cpuTime(b) - before
				if err != nil || r.Cause != "unreachable" {
					b.Fatalf("triage against hung stand-ins: cause %q, %v", r.Cause, err)
				}
				wall = append(wall, benchMS(took))
				cpu = append(cpu, benchMS(used))
			}
			slices.Sort(wall)
			slices.Sort(cpu)
			b.ReportMetric(benchPercentile(wall, 0.5), "report-ms")
			b.ReportMetric(benchPercentile(wall, 1)-benchMS(deadline), "max-over-deadline-ms")
			b.ReportMetric(benchPercentile(cpu, 0.5), "cpu-ms")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
