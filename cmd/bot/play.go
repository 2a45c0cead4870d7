package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/incident-bot/bot/internal/playground"
	"github.com/incident-bot/bot/internal/vendors"
)

const playUsage = `Usage: bot play

Serves a local playground on BOT_ADDR (default :8080, or :$PORT): a Slack
channel in the browser, wired to the real bot (the same commands, store,
templates and triage as bot serve), with HubSpot and Intercom simulated and
switchable from the page: healthy, 401 revoked token, 403 missing scope,
429 rate limited, 5xx, hanging, or an incident on their status page.

No Slack workspace is needed and nothing is called outside this process: the
Slack Web API, the vendors and your service's HEALTH_URL are stand-ins
inside it. The bot token and signing secret are made up for each run and
never shown. The workspace lives in memory and the incidents in a SQLite
file of its own, both gone at exit: DATABASE_URL and VENDORS_FILE are not
used, so the playground never mixes with real data. Update reminders come
after minutes rather than hours (REMINDER_INTERVALS, default
P1=2m,P2=3m,P3=5m,P4=10m here), so that you see one.

It prints the URL to open and opens nothing itself.
SIGTERM or SIGINT: stop taking requests, finish work in flight, exit 0.
`

// playReminders are the playground's update intervals, unless
// REMINDER_INTERVALS says otherwise: short, so that a reminder (and its
// "Post update" form) shows up while you try it.
const playReminders = "P1=2m,P2=3m,P3=5m,P4=10m"

// playGrace bounds the wait for the playground's own deliveries at exit.
const playGrace = 5 * time.Second

// cmdPlay runs the bot against the playground's in-process workspace.
func cmdPlay(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, playUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("play takes no arguments (got %q): set BOT_ADDR to choose the address", args[0])
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageError("BOT_ADDR %s: cannot listen: %v (another process on that port? set BOT_ADDR=:8081)", cfg.Addr, err)
	}
	defer ln.Close()
	inside, outside := playURLs(ln.Addr().(*net.TCPAddr))

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
	a.handler = p.Handler(a.handler)
	// Live streams and hung vendor answers end at the signal, so that the
	// server's drain does not wait for them.
	context.AfterFunc(ctx, p.Shutdown)

	fmt.Fprintf(stdout, "playground: %s (no Slack needed; Ctrl-C to stop)\n", outside)
	log.Info().Str("addr", cfg.Addr).Str("url", outside).Str("version", version).Msg("playground serving")
	err = a.serve(ctx, ln)
	cctx, cancel := context.WithTimeout(context.Background(), playGrace)
	defer cancel()
	p.Close(cctx)
	return err
}

// playURLs are the playground's address as the bot reaches it (over
// loopback when it listens everywhere) and as a person opens it.
func playURLs(a *net.TCPAddr) (inside, outside string) {
	port := strconv.Itoa(a.Port)
	switch {
	case a.IP == nil || a.IP.IsUnspecified():
		return "http://127.0.0.1:" + port, "http://localhost:" + port
	case a.IP.IsLoopback():
		host := net.JoinHostPort(a.IP.String(), port)
		return "http://" + host, "http://localhost:" + port
	}
	host := net.JoinHostPort(a.IP.String(), port)
	return "http://" + host, "http://" + host
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
	cfg.ResolveAllowed = nil // the people here are made up
	if !cfg.Log.formatGiven {
		cfg.Log.Format = "console"
	}
	if !cfg.Reminders.given {
		cfg.Reminders.Intervals, cfg.Reminders.err = parseIntervals(playReminders)
	}
	return cfg, nil
}
