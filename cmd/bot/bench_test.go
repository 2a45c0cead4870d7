package main

// Benchmarks of the whole bot (docs/PERFORMANCE.md; `make bench` runs them
// and prints the table):
//
//   - BenchmarkAck: acknowledgement latency of signed slash commands,
//     interactions and events through the real router, in alternating
//     batches with a bare handler that only verifies and parses (the floor).
//   - BenchmarkIngest: thread replies acknowledged and stored per second
//     through /slack/events, into one incident and into 100.
//   - BenchmarkStartup: the built binary, from exec to /readyz answering 200,
//     and its resident memory then.
//   - BenchmarkResident: the built binary's resident memory idle and under
//     the load of BenchmarkAck.
//
// Every request goes over real loopback HTTP, 32 at a time (benchConc).
// The benchmarks assert nothing about speed; they fail only when the bot
// refuses a request, does not answer, or loses a reply it acknowledged.
// 500s (the bot's 2.5 s acknowledgement budget ran out) are counted as
// "failed".

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/store/postgres"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
	"github.com/incident-bot/bot/internal/store/sqlite"
)

// The benchmarks' Slack identity; nothing here is a real secret.
const (
	benchSecret   = "bench-signing-secret-0123456789abcdef"
	benchBotToken = "xoxb-0000-0000-benchtoken"
	benchTeam     = "T0BENCH"
	benchChannel  = "C0BENCH"
	benchUser     = "U0BENCH"
	// benchConc is the load: 32 requests in flight at once.
	benchConc = 32
)

// benchThread is the ts of the i-th benchmark incident's message: its
// thread is the incident's timeline.
func benchThread(i int) string { return fmt.Sprintf("1700000000.%06d", 100+i) }

// benchIncidents stores n open incidents in the benchmark channel, each
// with its message already posted, as the bot leaves them after a declare.
func benchIncidents(b *testing.B, store incident.Store, n int) []*incident.Incident {
	b.Helper()
	now := time.Now().UTC()
	out := make([]*incident.Incident, n)
	for i := range out {
		inc := &incident.Incident{
			ID: uuid.Must(uuid.NewV7()), TeamID: benchTeam, Title: fmt.Sprintf("Checkout emails are not sent (%d)", i),
			Severity: incident.P3, Status: incident.Investigating, Commander: benchUser, CreatedBy: benchUser,
			ChannelID: benchChannel, MessageTS: benchThread(i), DeclaredAt: now, AcknowledgedAt: now,
			NextUpdateAt: now.Add(4 * time.Hour), UpdatedAt: now,
		}
		if err := store.CreateIncident(context.Background(), inc); err != nil {
			b.Fatal(err)
		}
		out[i] = inc
	}
	return out
}

// benchSlack is the Slack fake the bot under benchmark talks to.
func benchSlack(b *testing.B) *slackfake.Server {
	b.Helper()
	fake := slackfake.New(slackfake.WithToken(benchBotToken), slackfake.WithChannel(benchChannel, "incidents"),
		slackfake.WithUser(benchUser, "bench", "Bench User"))
	b.Cleanup(fake.Close)
	return fake
}

// benchEnv is the configuration of a bot under benchmark: SQLite in dir,
// Slack at the fake, logs at info level as in production.
func benchEnv(fake *slackfake.Server, dir string) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN": benchBotToken, "SLACK_SIGNING_SECRET": benchSecret,
		"SLACK_API_URL": fake.URL() + "/api/", "BOT_ADDR": "127.0.0.1:0",
		"DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "LOG_LEVEL": "info", "LOG_FORMAT": "json",
	}
}

// benchBot is the bot as `bot serve` wires it (newApp, routes and its
// http.Server), serving on a loopback port, with n incidents stored.
type benchBot struct {
	url       string
	store     incident.Store
	incidents []*incident.Incident
}

// startBenchBot starts the bot in this process; it stops, draining its
// background work, when the benchmark ends. Its log lines are formatted
// as in production and then discarded.
func startBenchBot(b *testing.B, incidents int) *benchBot {
	b.Helper()
	env := benchEnv(benchSlack(b), b.TempDir())
	getenv := func(k string) string { return env[k] }
	cfg := loadConfig(getenv)
	if err := cfg.checkServe(); err != nil {
		b.Fatal(err)
	}
	triager, err := newTriager(cfg.Triage)
	if err != nil {
		b.Fatal(err)
	}
	log := newLogger(io.Discard, cfg.Log, cfg.secrets())
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, triager, log)
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		a.close()
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			b.Error(err)
		}
		a.close()
	})
	return &benchBot{url: "http://" + ln.Addr().String(), store: a.store, incidents: benchIncidents(b, a.store, incidents)}
}

// benchSpec is what requests of one kind carry in the benchmarks: the
// slash command `/incident list` (a read of the open incidents), a click
// on an incident's severity button (acknowledged at once; the no-op
// change runs after), or a reply in incident threads (stored before the
// acknowledgement), spread over the given incidents.
func benchSpec(kind string, incs []*incident.Incident) *loadSpec {
	s := &loadSpec{Kind: kind, Secret: benchSecret, TeamID: benchTeam, ChannelID: benchChannel, UserID: benchUser,
		Text: "list"}
	if len(incs) > 0 {
		s.ActionID, s.Value, s.MessageTS = "severity_"+string(incs[0].Severity), incs[0].ID.String(), incs[0].MessageTS
	}
	for _, inc := range incs {
		s.ThreadTS = append(s.ThreadTS, inc.MessageTS)
	}
	return s
}

// mustAllOK fails the benchmark when a request was refused or got no
// answer: the latency of failures means nothing. 500s are the one
// exception: they are the bot giving up on its 2.5 s acknowledgement
// budget (Slack delivers the request again), an overload figure to report
// (failed), not a broken benchmark.
func mustAllOK(b *testing.B, what string, r loadResult) {
	b.Helper()
	if r.Failed() > r.Status[http.StatusInternalServerError] {
		var out bytes.Buffer
		r.write(&out, what)
		b.Fatalf("%s: %d of %d requests failed\n%s", what, r.Failed(), r.Sent, out.String())
	}
}

func benchMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkAck: acknowledgement latency at 32 requests in flight, the
// real router against the floor handler, in alternating batches of 512
// requests, so that other load on the machine hits both alike. One
// iteration is one batch of each; the figures are per request.
func BenchmarkAck(b *testing.B) {
	for _, kind := range []string{loadCommand, loadInteraction, loadEvent} {
		b.Run(kind, func(b *testing.B) {
			bot := startBenchBot(b, 1)
			floor := httptest.NewServer(floorHandler(benchSecret))
			b.Cleanup(floor.Close)
			client := newLoadClient(benchConc)
			b.Cleanup(client.CloseIdleConnections)
			spec := benchSpec(kind, bot.incidents)
			ctx := context.Background()
			batch := benchConc * loadBatch

			// Warm up: open the connections, fill SQLite's page cache.
			warmBot, warmFloor := alternateLoad(ctx, client, benchConc, 0, batch, 0, spec, bot.url, floor.URL)
			mustAllOK(b, "warm-up", warmBot)
			mustAllOK(b, "warm-up floor", warmFloor)
			var botRes, floorRes loadResult
			for next := batch; b.Loop(); next += batch {
				br, fr := alternateLoad(ctx, client, benchConc, next, batch, 0, spec, bot.url, floor.URL)
				botRes.merge(br)
				floorRes.merge(fr)
			}
			botRes.sort()
			floorRes.sort()
			mustAllOK(b, "bot", botRes)
			mustAllOK(b, "floor", floorRes)
			b.ReportMetric(benchMS(botRes.Percentile(0.50)), "p50-ms")
			b.ReportMetric(benchMS(botRes.Percentile(0.99)), "p99-ms")
			b.ReportMetric(benchMS(floorRes.Percentile(0.50)), "floor-p50-ms")
			b.ReportMetric(benchMS(floorRes.Percentile(0.99)), "floor-p99-ms")
			b.ReportMetric(loadRatio(botRes.Percentile(0.50), floorRes.Percentile(0.50)), "p50-x-floor")
			b.ReportMetric(loadRatio(botRes.Percentile(0.99), floorRes.Percentile(0.99)), "p99-x-floor")
			b.ReportMetric(float64(botRes.Sent)/botRes.Elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(botRes.Failed()), "failed")
		})
	}
}

// BenchmarkIngest: thread replies through POST /slack/events, 32 at a
// time, each acknowledged only once stored (SQLite, WAL): replies per
// second into one incident's thread and spread over 100 incidents. At the
// end every acknowledged reply must be in a timeline.
//
// inprocess runs the bot in this process, so the load generator shares the
// two cores with it; process runs the built binary and also reports the
// bot's own CPU time per event (threads' on-CPU time from
// /proc/PID/task/*/schedstat), and the rate that CPU cost allows on all of
// this machine's cores (capacity-events/s), which does not depend on what
// else runs on the machine as the wall-clock rate does.
func BenchmarkIngest(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("inprocess/incidents=%d", n), func(b *testing.B) {
			bot := startBenchBot(b, n)
			res, sent, acked := benchIngest(b, bot.url, bot.incidents, nil)
			benchStored(b, bot.store, bot.incidents, sent, acked)
			b.ReportMetric(float64(res.Status[http.StatusOK])/res.Elapsed.Seconds(), "events/s")
			b.ReportMetric(benchMS(res.Percentile(0.99)), "p99-ms")
			b.ReportMetric(float64(res.Failed()), "failed")
		})
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("process/incidents=%d", n), func(b *testing.B) {
			requireProcStatus(b)
			bin := benchBinary(b)
			dir := b.TempDir()
			env := benchEnv(benchSlack(b), dir)
			incs := benchDatabase(b, dir, n)
			benchIngestProcess(b, bin, env, incs, func() incident.Store {
				db, err := sqlite.Open(context.Background(), filepath.Join(dir, "bot.db"))
				if err != nil {
					b.Fatal(err)
				}
				return db
			})
		})
	}
	// The same against PostgreSQL: TEST_DATABASE_URL names the cluster
	// (skipped without it). scripts/test.sh's cluster runs with fsync off;
	// for the durable figure, point it at one with fsync and
	// synchronous_commit on (docs/PERFORMANCE.md says how).
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("process-postgres/incidents=%d", n), func(b *testing.B) {
			requireProcStatus(b)
			dsn, _ := pgtest.FreshSchema(b)
			bin := benchBinary(b)
			env := benchEnv(benchSlack(b), b.TempDir())
			env["DATABASE_URL"] = dsn
			open := func() incident.Store {
				db, err := postgres.Open(context.Background(), dsn)
				if err != nil {
					b.Fatal(err)
				}
				return db
			}
			db := open()
			incs := benchIncidents(b, db, n)
			db.Close()
			benchIngestProcess(b, bin, env, incs, open)
		})
	}
}

// benchIngestProcess runs the built bot on env, sends it thread replies
// over incs, checks that the store open returns holds every acknowledged
// one, and reports the rate, the p99, and the bot's own CPU per event.
func benchIngestProcess(b *testing.B, bin string, env map[string]string, incs []*incident.Incident, open func() incident.Store) {
	p := startBenchProcess(b, bin, env)
	var cpu time.Duration
	res, sent, acked := benchIngest(b, p.url, incs, func(start bool) {
		used, _ := p.schedstat(b)
		if start {
			cpu -= used
		} else {
			cpu += used
		}
	})
	p.stop(b)
	db := open()
	defer db.Close()
	benchStored(b, db, incs, sent, acked)
	perEvent := float64(cpu.Microseconds()) / float64(res.Sent)
	b.ReportMetric(float64(res.Status[http.StatusOK])/res.Elapsed.Seconds(), "events/s")
	b.ReportMetric(benchMS(res.Percentile(0.99)), "p99-ms")
	b.ReportMetric(float64(res.Failed()), "failed")
	b.ReportMetric(perEvent, "bot-cpu-us/event")
	b.ReportMetric(float64(runtime.NumCPU())*1e6/perEvent, "capacity-events/s")
}

// benchIngest sends thread replies to the bot at url, spread over incs, in
// batches of 512, one batch per iteration, after a warm-up batch; mark, when
// set, is called just before the first timed batch (true) and after the
// last (false). It returns the timed requests, and how many were sent and
// acknowledged in all.
func benchIngest(b *testing.B, url string, incs []*incident.Incident, mark func(start bool)) (res loadResult, sent, acked int) {
	b.Helper()
	client := newLoadClient(benchConc)
	defer client.CloseIdleConnections()
	spec := benchSpec(loadEvent, incs)
	ctx := context.Background()
	batch := benchConc * loadBatch
	warm := driveLoad(ctx, client, benchConc, batch, 0, spec.next(url))
	mustAllOK(b, "warm-up", warm)
	if mark != nil {
		mark(true)
	}
	for next := batch; b.Loop(); next += batch {
		res.merge(driveLoad(ctx, client, benchConc, batch, 0, shiftLoad(spec.next(url), next)))
	}
	if mark != nil {
		mark(false)
	}
	res.sort()
	mustAllOK(b, "events", res)
	return res, warm.Sent + res.Sent, warm.Status[http.StatusOK] + res.Status[http.StatusOK]
}

// benchStored fails unless the incidents' timelines hold every reply
// acknowledged, and no more than were sent (a reply can be stored and
// still answered 500 when the acknowledgement budget ran out meanwhile).
func benchStored(b *testing.B, store incident.Store, incs []*incident.Incident, sent, acked int) {
	b.Helper()
	stored := 0
	for _, inc := range incs {
		tl, err := store.Timeline(context.Background(), inc.ID)
		if err != nil {
			b.Fatal(err)
		}
		stored += len(tl)
	}
	if stored < acked || stored > sent {
		b.Fatalf("%d replies sent, %d acknowledged, %d stored", sent, acked, stored)
	}
}

// benchProcess is the built bot running as a process of its own.
type benchProcess struct {
	cmd   *exec.Cmd
	url   string
	ready time.Duration // from exec to the first 200 of /readyz
	logs  chan struct{} // closed when the process's stderr is drained
}

// benchBinary returns the bot binary: BENCH_BOT_BINARY when set (make bench
// builds it once), otherwise built here as `make build` builds it.
func benchBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("BENCH_BOT_BINARY"); p != "" {
		return p
	}
	bin := filepath.Join(b.TempDir(), "bot")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("cannot build the bot binary (set BENCH_BOT_BINARY): %v\n%s", err, out)
	}
	return bin
}

// requireProcStatus skips where /proc/PID/status, the source of the
// resident-memory figures, does not exist.
func requireProcStatus(b *testing.B) {
	b.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("no /proc/self/status: resident memory is read from Linux's /proc")
	}
}

// startBenchProcess runs `bin serve` with env and returns once /readyz
// answers 200. The bot listens on a port of its choosing, which it names
// in its "serving" log line: no polling for the port.
func startBenchProcess(b *testing.B, bin string, env map[string]string) *benchProcess {
	b.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = b.TempDir() // no .env of the developer's
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	p := &benchProcess{cmd: cmd, logs: make(chan struct{})}
	addr := make(chan string, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		defer close(p.logs)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Message, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "serving" {
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.logs:
		cmd.Wait()
		b.Fatalf("the bot exited before serving: %v", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-p.logs
		cmd.Wait()
		b.Fatal("the bot did not start serving within 30s")
	}
	resp, err := http.Get(p.url + "/readyz")
	if err != nil {
		p.stop(b)
		b.Fatal(err)
	}
	resp.Body.Close()
	p.ready = time.Since(start)
	if resp.StatusCode != http.StatusOK {
		p.stop(b)
		b.Fatalf("/readyz answered %d once serving", resp.StatusCode)
	}
	return p
}

// stop sends SIGTERM, as an orchestrator would, and waits for the exit.
func (p *benchProcess) stop(b *testing.B) {
	b.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Error(err)
	}
	<-p.logs
	if err := p.cmd.Wait(); err != nil {
		b.Errorf("the bot exited with %v after SIGTERM", err)
	}
}

// memMB reads a field of /proc/PID/status (VmRSS: resident now, VmHWM:
// the peak resident) in MB (10^6 bytes).
func (p *benchProcess) memMB(b *testing.B, field string) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s: %q", field, line)
			}
			return kb * 1024 / 1e6
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}

// schedstat sums, over the process's threads, the time they ran on a CPU
// and the time they were ready to run but waited for one
// (/proc/PID/task/*/schedstat).
func (p *benchProcess) schedstat(b *testing.B) (onCPU, waited time.Duration) {
	b.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		b.Fatalf("no schedstat for the bot's threads: %v", err)
	}
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		var run, wait int64
		if _, err := fmt.Sscan(string(raw), &run, &wait); err != nil {
			b.Fatalf("%s: %q", t, raw)
		}
		onCPU += time.Duration(run)
		waited += time.Duration(wait)
	}
	return onCPU, waited
}

// benchDatabase creates the bot's SQLite database in dir with n incidents,
// as a restart finds it, and returns those incidents.
func benchDatabase(b *testing.B, dir string, n int) []*incident.Incident {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "bot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	return benchIncidents(b, db, n)
}

func benchMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkStartup: the built binary restarted on an existing database,
// from exec until /readyz answers 200, and its resident memory right
// then. One iteration is one start (the SIGTERM shutdown is not timed);
// the figures are medians over the iterations. ready-cpu-ms is the CPU
// time the bot used until ready, and ready-runq-wait-ms the time its
// threads were ready to run but waited for a CPU: on a busy machine the
// second explains most of ready-ms.
func BenchmarkStartup(b *testing.B) {
	requireProcStatus(b)
	bin := benchBinary(b)
	dir := b.TempDir()
	env := benchEnv(benchSlack(b), dir)
	benchDatabase(b, dir, 1)
	var ready, cpu, runq, rss []float64
	for b.Loop() {
		p := startBenchProcess(b, bin, env)
		b.StopTimer()
		ready = append(ready, benchMS(p.ready))
		used, waited := p.schedstat(b)
		cpu, runq = append(cpu, benchMS(used)), append(runq, benchMS(waited))
		rss = append(rss, p.memMB(b, "VmRSS"))
		p.stop(b)
		b.StartTimer()
	}
	b.ReportMetric(benchMedian(ready), "ready-ms")
	b.ReportMetric(benchMedian(cpu), "ready-cpu-ms")
	b.ReportMetric(benchMedian(runq), "ready-runq-wait-ms")
	b.ReportMetric(benchMedian(rss), "rss-idle-MB")
}

// BenchmarkResident: the built binary's resident memory at rest, then
// under BenchmarkAck's load: commands, clicks and thread replies in turn,
// 32 at a time. One iteration is a batch of 512 of each.
func BenchmarkResident(b *testing.B) {
	requireProcStatus(b)
	bin := benchBinary(b)
	dir := b.TempDir()
	env := benchEnv(benchSlack(b), dir)
	incs := benchDatabase(b, dir, 1)
	p := startBenchProcess(b, bin, env)
	defer p.stop(b)
	idle := p.memMB(b, "VmRSS")
	client := newLoadClient(benchConc)
	defer client.CloseIdleConnections()
	specs := []*loadSpec{benchSpec(loadCommand, incs), benchSpec(loadInteraction, incs), benchSpec(loadEvent, incs)}
	batch := benchConc * loadBatch
	var res loadResult
	for next := 0; b.Loop(); next += batch {
		for _, s := range specs {
			res.merge(driveLoad(context.Background(), client, benchConc, batch, 0, shiftLoad(s.next(p.url), next)))
		}
	}
	mustAllOK(b, "load", res)
	b.ReportMetric(float64(res.Failed()), "failed")
	b.ReportMetric(idle, "rss-idle-MB")
	b.ReportMetric(p.memMB(b, "VmRSS"), "rss-load-MB")
	b.ReportMetric(p.memMB(b, "VmHWM"), "rss-peak-MB")
	b.ReportMetric(float64(res.Sent)/res.Elapsed.Seconds(), "req/s")
}
