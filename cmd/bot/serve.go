package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/store/postgres"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/internal/vendors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// shutdownGrace bounds the drain on SIGTERM: requests in flight, then
// background work (triage, posts, uploads).
const shutdownGrace = 10 * time.Second

// backgroundTimeout bounds one piece of work done after the ack.
const backgroundTimeout = time.Minute

const serveUsage = `Usage: bot serve

Runs the bot: the Slack routes (/slack/commands, /slack/interactions,
/slack/events) and /healthz, /readyz, /metrics on BOT_ADDR. Needs
SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README.md). With
SLACK_APP_TOKEN (xapp-…) it also connects to Slack over Socket Mode, and
needs no signing secret and no public URL; the Slack routes are then served
only when SLACK_SIGNING_SECRET is set too.
SIGTERM or SIGINT: stop taking requests, finish work in flight, exit 0.
`

func cmdServe(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, serveUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("serve takes no arguments (got %q): configure it with environment variables", args[0])
	}
	if err := cfg.checkServe(); err != nil {
		return err
	}
	triager, err := newTriager(cfg.Triage)
	if err != nil {
		return err
	}
	// Triages of one vendor within a few seconds share one set of probes
	// and one report: a channel full of people asking at once spends the
	// vendor's rate limit once. (The playground keeps it off: a triage just
	// after flipping a simulated vendor must see the change.)
	triager.CacheFor = vendors.DefaultCacheFor
	log := newLogger(stderr, cfg.Log, cfg.secrets())
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := newApp(ctx, cfg, triager, log)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageError("BOT_ADDR %s: cannot listen: %v", cfg.Addr, err)
	}
	log.Info().Str("addr", ln.Addr().String()).Str("version", version).Str("database", storeKind(cfg.Store.URL)).
		Str("reminder_intervals", formatIntervals(cfg.Reminders.Intervals)).Msg("serving")
	a.socketStopped = a.startSocket(ctx)
	return a.serve(ctx, ln)
}

// app is the bot wired together: the store, the Slack client, the command
// layer and the routes. serve runs it against Slack; play against the
// playground's own workspace.
type app struct {
	cfg     config
	log     zerolog.Logger
	store   incident.Store
	slack   *slackapp.Client
	svc     *commands.Service
	engine  *engine.Engine // timed work and the work handed off after the ack
	metrics *metrics
	handler http.Handler
	socket  *slackapp.Socket // Socket Mode; nil in HTTP mode

	socketStopped func(context.Context) // set by startSocket; serve waits on it first
}

// newApp opens the store and wires the bot. close releases it.
func newApp(ctx context.Context, cfg config, triager *vendors.Triager, log zerolog.Logger) (*app, error) {
	store, err := openStore(ctx, cfg.Store.URL)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	slack := slackapp.NewClient(cfg.Slack.BotToken, cfg.Slack.APIURL, nil)
	slack.Observe = m.observeSlack
	work := engine.NewWorker(log, backgroundTimeout)
	svc := &commands.Service{
		Store: store, Slack: slack, Triage: &catalogTriager{t: triager, m: m}, Log: log,
		Config: commands.Config{Intervals: cfg.Reminders.Intervals, ResolveAllowed: cfg.ResolveAllowed,
			WatchInterval: cfg.WatchInterval, VendorLag: m.vendorWatch(store)},
	}
	svc.Jobs = engine.NewQueue(store, work, log, processOwner(), engine.QueueOptions{
		Workers: cfg.Workers, Observe: m.observeJob, Failed: svc.JobFailed,
	})
	svc.Start()
	m.watchQueue(svc.Jobs)
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "bot_triage_coalesced_total", Help: "Triages answered from probes another triage of the vendor was running, or had just run.",
	}, func() float64 { return float64(triager.Coalesced()) }))
	svc.Jobs.Start()
	eng := engine.New(work)
	eng.Add(svc.Modules()...)
	eng.Start()
	a := &app{cfg: cfg, log: log, store: store, slack: slack, svc: svc, engine: eng, metrics: m}
	a.socket = newSocket(cfg, svc, log)
	a.handler = routes(cfg, svc, store, m, log, a.socket)
	return a, nil
}

// serve answers HTTP on ln until ctx ends, then drains: no new requests,
// requests in flight finished, then background work, all within
// shutdownGrace.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info().Msg("shutting down: no new requests, finishing work in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if a.socketStopped != nil {
		a.socketStopped(sctx) // Socket Mode first: no new envelopes, those in flight acknowledged
	}
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn().Err(err).Msg("requests still open at the deadline")
	}
	a.svc.Jobs.Drain() // finish what can run now; what the deadline cuts short is given back for the next start
	if !a.engine.Shutdown(sctx) {
		a.log.Warn().Msg("background work cut short at the shutdown deadline")
	}
	a.log.Info().Msg("stopped")
	return nil
}

// processOwner names this process in the leases of the jobs it runs:
// unique among replicas and across restarts.
func processOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
}

// close closes the store; call it after serve returned.
func (a *app) close() { a.store.Close() }

func storeKind(u string) string {
	d, _, _ := parseDatabaseURL(u)
	return d
}

// openStore opens the database DATABASE_URL names.
func openStore(ctx context.Context, url string) (incident.Store, error) {
	driver, addr, err := parseDatabaseURL(url)
	if err != nil {
		return nil, usageError("%v", err)
	}
	switch driver {
	case "sqlite":
		db, err := sqlite.Open(ctx, addr)
		if err != nil {
			return nil, usageError("DATABASE_URL: cannot open the SQLite database %s: %v", addr, err)
		}
		return db, nil
	}
	db, err := postgres.Open(ctx, addr)
	if err != nil {
		return nil, usageError("DATABASE_URL: cannot open the Postgres database: %v", err)
	}
	return db, nil
}

// catalogTriager adapts the vendor triage to the command layer.
type catalogTriager struct {
	t *vendors.Triager
	m *metrics
}

func (c *catalogTriager) Triage(ctx context.Context, vendor string) (runbook.Report, error) {
	r, err := c.t.Triage(ctx, vendor)
	var unknown *vendors.UnknownVendorError
	if errors.As(err, &unknown) {
		return r, &incident.Error{Kind: incident.Invalid, Message: unknown.Error(), Err: err}
	}
	if err == nil && c.m != nil {
		c.m.triageTotal.WithLabelValues(r.Vendor, string(r.Cause)).Inc()
	}
	return r, err
}

func (c *catalogTriager) VendorName(key string) (string, bool) {
	v, ok := c.t.Catalog.Lookup(key)
	return v.Name, ok
}

func (c *catalogTriager) Vendors() []string { return c.t.Catalog.Keys() }

// Validators are the ETag and Last-Modified of the vendor's status page as
// last read: the vendor watch keeps them with the vendor's state.
func (c *catalogTriager) Validators(vendor string) (etag, lastModified string) {
	return c.t.Validators(vendor)
}
