package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
)

// stormChannels is how many channels the triage storm comes from: one
// incident each.
const stormChannels = 200

// stormRounds is how many storms one iteration runs: a round takes about a
// second, so one iteration is all the benchmark runs, and the p99 of one
// round's 200 acknowledgements is its second slowest, which one stray
// scheduling delay decides. Three rounds give 600.
const stormRounds = 3

// slowHubSpot answers like HubSpot with a revoked token, taking about
// 400 ms over each API call, and counts the probes of each kind.
type slowHubSpot struct {
	*httptest.Server
	status, api atomic.Int64
}

func newSlowHubSpot(b *testing.B, delay time.Duration) *slowHubSpot {
	b.Helper()
	h := &slowHubSpot{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v2/summary.json") {
			h.status.Add(1)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"page":{"name":"HubSpot"},"status":{"indicator":"none","description":"All Systems Operational"},"components":[],"incidents":[]}`)
			return
		}
		h.api.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`)
	}))
	b.Cleanup(h.Close)
	return h
}

// BenchmarkTriageStorm: 200 `/incident triage hubspot` commands from 200
// channels, 32 in flight, against the built binary, with HubSpot taking
// about 400 ms per call. Every acknowledged command must become exactly one
// incident message in its channel. Reported: the acknowledgement latency
// against the floor handler (loaded in alternating batches, as
// BenchmarkAck does), the probes HubSpot saw of each kind, the bot's peak
// resident memory, and how long until the last incident was posted.
func BenchmarkTriageStorm(b *testing.B) {
	requireProcStatus(b)
	bin := benchBinary(b)
	hub := newSlowHubSpot(b, 400*time.Millisecond)
	channels := make([]string, stormChannels)
	opts := []slackfake.Option{slackfake.WithToken(benchBotToken), slackfake.WithUser(benchUser, "bench", "Bench User")}
	for i := range channels {
		channels[i] = fmt.Sprintf("C0STORM%03d", i)
		opts = append(opts, slackfake.WithChannel(channels[i], strings.ToLower(channels[i])))
	}
	fake := slackfake.New(opts...)
	b.Cleanup(fake.Close)
	dir := b.TempDir()
	vendorsFile := filepath.Join(dir, "vendors.yaml")
	if err := os.WriteFile(vendorsFile, []byte(fmt.Sprintf("hubspot:\n  api_url: %s\n  status_url: %s\n", hub.URL, hub.URL)), 0o644); err != nil {
		b.Fatal(err)
	}
	env := benchEnv(fake, dir)
	env["VENDORS_FILE"] = vendorsFile
	env["HUBSPOT_ACCESS_TOKEN"] = "pat-na1-BENCHHUBSPOTTOKEN"
	p := startBenchProcess(b, bin, env)
	defer p.stop(b)
	floor := httptest.NewServer(floorHandler(benchSecret))
	b.Cleanup(floor.Close)
	client := newLoadClient(benchConc)
	b.Cleanup(client.CloseIdleConnections)

	var botRes, floorRes loadResult
	var settled []float64
	round := 0
	for b.Loop() {
		for range stormRounds {
			// Each round triages from channels without an incident yet: a
			// second triage into an open incident is another story.
			spec := &loadSpec{Kind: loadCommand, Secret: benchSecret, TeamID: fmt.Sprintf("T0STORM%d", round),
				UserID: benchUser, Text: "triage hubspot", Channels: channels}
			before := stormPosted(fake, channels)
			start := time.Now()
			br, fr := alternateLoad(context.Background(), client, benchConc, 0, stormChannels, 0, spec, p.url, floor.URL)
			mustAllOK(b, "storm", br)
			mustAllOK(b, "floor", fr)
			botRes.merge(br)
			floorRes.merge(fr)
			want := br.Status[http.StatusOK]
			deadline := time.Now().Add(2 * time.Minute)
			for stormPosted(fake, channels)-before < want && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			settled = append(settled, time.Since(start).Seconds())
			if got := stormPosted(fake, channels) - before; got != want {
				b.Fatalf("round %d: %d incident messages for %d acknowledged triages", round, got, want)
			}
			round++
		}
	}
	botRes.sort()
	floorRes.sort()
	for _, ch := range channels {
		if n := incidentMessages(fake, []string{ch})[ch]; n != round {
			b.Fatalf("%s: %d incident messages over %d rounds, want one a round", ch, n, round)
		}
	}
	b.ReportMetric(benchMS(botRes.Percentile(0.99)), "p99-ms")
	b.ReportMetric(benchMS(floorRes.Percentile(0.99)), "floor-p99-ms")
	b.ReportMetric(loadRatio(botRes.Percentile(0.99), floorRes.Percentile(0.99)), "p99-x-floor")
	b.ReportMetric(float64(hub.api.Load())/float64(round), "api-probes/round")
	b.ReportMetric(float64(hub.status.Load())/float64(round), "status-probes/round")
	b.ReportMetric(p.memMB(b, "VmHWM"), "rss-peak-MB")
	b.ReportMetric(benchMedian(settled), "all-posted-s")
	b.ReportMetric(float64(botRes.Failed()), "failed")
}

// stormPosted counts the incident messages in the channels.
func stormPosted(fake *slackfake.Server, channels []string) int {
	n := 0
	for _, c := range incidentMessages(fake, channels) {
		n += c
	}
	return n
}
