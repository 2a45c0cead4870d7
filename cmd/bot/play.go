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
	"strings"
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
func cmdPlay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, playUsage)
		return nil
	}
	if len(args) > 0 {
		return usageError("play takes no arguments (got %q): set BOT_ADDR to choose the address", args[0])
	}
	addr := strings.TrimSpace(getenv("BOT_ADDR"))
	if addr == "" {
		addr = ":8080"
		if p := strings.TrimSpace(getenv("PORT")); p != "" {
			addr = ":" + p
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError("BOT_ADDR %s: cannot listen: %v (another process on that port? set BOT_ADDR=:8081)", addr, err)
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
	env, err := playEnv(getenv, p, dir)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	cfg.Addr = ln.Addr().String()
	triager, err := newTriager(env)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat, append(append(cfg.secrets(), p.Secrets()...), vendorTokens(triager)...))
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

// playEnv is the configuration the bot runs with in the playground: the
// environment, with everything that could reach Slack, a real vendor, a
// real database or a real person's permissions replaced.
func playEnv(getenv func(string) string, p *playground.Playground, dir string) (func(string) string, error) {
	over := p.SlackEnv()
	cat, err := vendors.LoadCatalog("")
	if err != nil {
		return nil, fmt.Errorf("play: the vendor catalog: %w", err)
	}
	var yaml strings.Builder
	yaml.WriteString("# Written by bot play: every vendor points at the playground's stand-ins.\n")
	for _, key := range cat.Keys() {
		v, _ := cat.Lookup(key)
		api, status := p.VendorURLs(key)
		fmt.Fprintf(&yaml, "%s:\n  api_url: %s\n", key, strconv.Quote(api))
		if v.StatusKind != vendors.StatusNone {
			fmt.Fprintf(&yaml, "  status_kind: %s\n  status_url: %s\n", vendors.StatusStatuspage, strconv.Quote(status))
		}
		if _, set := over[v.TokenEnv]; v.TokenEnv != "" && !set { // Slack's is the bot token
			over[v.TokenEnv] = p.VendorToken(v.Auth.Scheme == "basic")
		}
	}
	file := filepath.Join(dir, "vendors.yaml")
	if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
		return nil, fmt.Errorf("play: write the vendors file: %w", err)
	}
	over["VENDORS_FILE"] = file
	over["HEALTH_URL"] = p.HealthURL()
	over["DATABASE_URL"] = "sqlite:" + filepath.Join(dir, "playground.db")
	over["RESOLVE_ALLOWED"] = "" // the people here are made up
	if getenv("LOG_FORMAT") == "" {
		over["LOG_FORMAT"] = "console"
	}
	if getenv("REMINDER_INTERVALS") == "" {
		over["REMINDER_INTERVALS"] = playReminders
	}
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}
