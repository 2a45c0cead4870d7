package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/playground"
	"github.com/incident-bot/bot/internal/vendors"
)

const playUsage = `Usage: bot play [--listen-all]

Serves a local playground at http://127.0.0.1:8080 (the port of BOT_ADDR,
or $PORT), reachable from this machine only: a Slack channel in the
browser, wired to the real bot (the same commands, store, templates and
triage as bot serve), with HubSpot and Intercom simulated and switchable
from the page: healthy, 401 revoked token, 403 missing scope, 429 rate
limited, 5xx, hanging, an incident or a maintenance on their status page,
blocked by a CDN (Cloudflare's block page), or the account refused
(Intercom); and a simulated Alertmanager whose alert (about HubSpot) fires
and resolves from the page, through the bot's /hooks/alertmanager.

No Slack workspace is needed and nothing is called outside this process: the
Slack Web API, the vendors, your service's HEALTH_URL and the company's
Statuspage (STATUSPAGE_* are not used) are stand-ins inside it. The bot token and signing secret are made up for each run and
never shown. The workspace lives in memory and the incidents in a SQLite
file of its own, both gone at exit: DATABASE_URL and VENDORS_FILE are not
used, so the playground never mixes with real data. Update reminders come
after minutes rather than hours (REMINDER_INTERVALS, default
P1=2m,P2=3m,P3=5m,P4=10m here), so that you see one.

  --listen-all  listen on every interface instead, so that other machines
                can open it; so does a BOT_ADDR that names a host
                (BOT_ADDR=0.0.0.0:8080). Anyone who reaches the port can
                use the playground: there is no login.

It prints the URL to open and opens nothing itself. Its incidents are gone
when it stops, so bot postmortem cannot find them afterwards: download a
postmortem from its preview on the page instead.
SIGTERM or SIGINT: stop taking requests, finish work in flight, exit 0.
`

// playReminders are the playground's update intervals, unless
// REMINDER_INTERVALS says otherwise: short, so that a reminder (and its
// "Post update" form) shows up while you try it.
const playReminders = "P1=2m,P2=3m,P3=5m,P4=10m"

// playWatchInterval is how often the playground's channel checks the
// vendors it watches, unless WATCH_INTERVAL says otherwise.
const playWatchInterval = 3 * time.Second

// playGrace bounds the wait for the playground's own deliveries at exit.
const playGrace = 5 * time.Second

// cmdPlay runs the bot against the playground's in-process workspace.
func cmdPlay(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, playUsage)
		return nil
	}
	fs := flag.NewFlagSet("play", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listenAll := fs.Bool("listen-all", false, "")
	if err := fs.Parse(args); err != nil {
		return usageError("play: %v; usage: bot play [--listen-all]", err)
	}
	if fs.NArg() > 0 {
		return usageError("play takes no arguments (got %q): set BOT_ADDR to choose the port, --listen-all to open it to other machines", fs.Arg(0))
	}
	addr, err := playAddr(cfg.Addr, *listenAll)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError("BOT_ADDR %s: cannot listen: %v (another process on that port? set BOT_ADDR=:8081)", addr, err)
	}
	defer ln.Close()
	tcp := ln.Addr().(*net.TCPAddr)
	inside, outside := playURLs(tcp)

	dir, err := os.MkdirTemp("", "bot-play-")
	if err != nil {
		return fmt.Errorf("play: a directory for the playground's database: %w", err)
	}
	defer os.RemoveAll(dir)

	p, err := playground.New(playground.Config{BaseURL: inside})
	if err != nil {
		return fmt.Errorf("play: %w", err)
	}
	cfg, err = playConfig(cfg, p, dir)
	if err != nil {
		return err
	}
	tracker := playTracker(&cfg, p.VendorToken(false))
	defer tracker.Close()
	if err := cfg.checkServe(); err != nil {
		return err
	}
	cfg.Addr = ln.Addr().String()
	triager, err := newTriager(cfg.Triage)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.Log, append(cfg.secrets(), p.Secrets()...))
	p.Log = log

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := newApp(ctx, cfg, triager, log)
	if err != nil {
		return err
	}
	defer a.close()
	// The channel watches the simulated vendors from the start: flipping
	// one in the sidebar brings the watch's message without typing.
	for _, v := range playground.Simulated {
		if _, err := a.store.Watch(ctx, &incident.Watch{TeamID: playground.TeamID, ChannelID: playground.ChannelID,
			Vendor: v.Key, CreatedBy: playground.UserID}); err != nil {
			return fmt.Errorf("play: watch %s: %w", v.Key, err)
		}
	}
	a.handler = p.Handler(a.handler)
	// Live streams and hung vendor answers end at the signal, so that the
	// server's drain does not wait for them.
	context.AfterFunc(ctx, p.Shutdown)

	fmt.Fprintf(stdout, "playground: %s (no Slack needed; Ctrl-C to stop)\n", outside)
	if !tcp.IP.IsLoopback() {
		fmt.Fprintf(stdout, "playground: listening on %s, not only on this machine: anyone who can reach it can use the playground (there is no login)\n", cfg.Addr)
	}
	fmt.Fprintln(stdout, "playground: its incidents live in a temporary database that is deleted when it stops; download a postmortem from its preview to keep it")
	log.Info().Str("addr", cfg.Addr).Str("url", outside).Str("version", version).Msg("playground serving")
	err = a.serve(ctx, ln)
	cctx, cancel := context.WithTimeout(context.Background(), playGrace)
	defer cancel()
	p.Close(cctx)
	return err
}

// playAddr is where the playground listens: BOT_ADDR when it names a host
// (0.0.0.0:8080, 192.0.2.7:8080), else loopback on its port, so that a
// playground nobody asked to share is reachable from this machine only.
// listenAll opens the port on every interface.
func playAddr(botAddr string, listenAll bool) (string, error) {
	host, port, err := net.SplitHostPort(botAddr)
	if err != nil {
		return "", usageError("BOT_ADDR %q is not host:port or :port (e.g. :8080): %v", botAddr, err)
	}
	switch {
	case listenAll:
		host = ""
	case host == "":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// playURLs are the playground's address as the bot reaches it (over
// loopback when it listens everywhere) and as a person opens it: the very
// address it listens on, or localhost when that is every interface.
func playURLs(a *net.TCPAddr) (inside, outside string) {
	port := strconv.Itoa(a.Port)
	if a.IP == nil || a.IP.IsUnspecified() {
		return "http://127.0.0.1:" + port, "http://localhost:" + port
	}
	host := "http://" + net.JoinHostPort(a.IP.String(), port)
	return host, host
}

// playConfig is the configuration the bot runs with in the playground:
// cfg, with everything that could reach Slack, a real vendor, a real
// database or a real person's permissions replaced. dir holds the
// playground's database.
func playConfig(cfg config, p *playground.Playground, dir string) (config, error) {
	slack := p.SlackEnv()
	cfg.Slack = slackConfig{
		BotToken: slack["SLACK_BOT_TOKEN"], SigningSecret: slack["SLACK_SIGNING_SECRET"],
		AppToken: slack["SLACK_APP_TOKEN"], APIURL: slack["SLACK_API_URL"],
	}
	// The built-in catalog (VENDORS_FILE is not used), every vendor pointed
	// at its stand-in, with the token the stand-ins take.
	cat, err := vendors.LoadCatalog("")
	if err != nil {
		return cfg, fmt.Errorf("play: the vendor catalog: %w", err)
	}
	tokens := map[string]string{}
	for _, key := range cat.Keys() {
		v, _ := cat.Lookup(key)
		api, status := p.VendorURLs(key)
		kind := vendors.StatusStatuspage
		if v.StatusKind == vendors.StatusNone {
			kind, status = "", ""
		}
		if v.StatusOnly() {
			api = "" // watched by its status page only, here too
		}
		if err := cat.SetURLs(key, api, kind, status); err != nil {
			return cfg, fmt.Errorf("play: the vendor catalog: %w", err)
		}
		if v.StatusOnly() {
			continue
		}
		if tok, ok := slack[v.TokenEnv]; ok { // Slack's is the bot token
			tokens[v.TokenEnv] = tok
		} else {
			tokens[v.TokenEnv] = p.VendorToken(v.Auth.Scheme == "basic")
		}
	}
	cfg.Triage = triageConfig{
		Catalog: cat, Tokens: tokens, HealthURL: p.HealthURL(),
		// TRIAGE_DEADLINE holds here too.
		Deadline: cfg.Triage.Deadline, deadlineErr: cfg.Triage.deadlineErr,
	}
	cfg.Store.URL = "sqlite:" + filepath.Join(dir, "playground.db")
	// The company's status page is a stand-in too: drafts can be published.
	spURL, spPage, spKey := p.StatuspageEnv()
	cfg.Statuspage = statuspageConfig{PageID: spPage, APIKey: spKey, APIURL: spURL}
	cfg.ResolveAllowed = nil // the people here are made up
	// Alerts in: the page's simulated Alertmanager sends to the bot's own
	// /hooks/alertmanager with this run's token; alerts open incidents in
	// the playground's channel. ALERT_SEVERITY holds here too.
	cfg.Hooks = hooksConfig{Token: p.HookToken(), Channel: playground.ChannelID, Severity: cfg.Hooks.Severity,
		severityErr: cfg.Hooks.severityErr}
	if !cfg.Log.formatGiven {
		cfg.Log.Format = "console"
	}
	if !cfg.Reminders.given {
		cfg.Reminders.Intervals, cfg.Reminders.err = parseIntervals(playReminders)
	}
	if !cfg.watchGiven {
		// The stand-ins are in this process: no vendor minds being asked
		// often, and a flipped vendor shows up in the channel at once.
		cfg.WatchInterval = playWatchInterval
	}
	return cfg, nil
}
