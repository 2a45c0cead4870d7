// Package playground is a local Slack workspace in the browser, wired to the
// real bot, for trying it without Slack: `bot play`.
//
// It serves, on one port:
//
//   - the page: a channel with a composer (slash commands and messages),
//     Block Kit and mrkdwn rendered as Slack shows them, threads beside the
//     channel, ephemeral messages, the postmortem file previewed, and the
//     simulated vendors' switches; updated live over server-sent events;
//   - the Slack Web API the bot calls (internal/slackfake, mounted at
//     /play/slack/): the workspace's state lives there;
//   - simulated vendors (/play/sim/…): HubSpot and Intercom answering with
//     their documented bodies and headers in the mode chosen on the page,
//     a healthy generic API for the rest of the catalog, and our own
//     service's HEALTH_URL;
//   - everything else goes to the bot's own routes.
//
// What people do on the page reaches the bot the way Slack delivers it: a
// slash command, a block_actions or view_submission payload, or an
// event_callback (a message, a thread reply, an app_mention, an edit, a
// deletion), signed with the signing secret and sent through the bot's
// /slack/* handlers. Nothing here calls Slack or a real vendor. The tokens
// and the signing secret are made up for each run and never shown.
package playground

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/statuspage/statuspagetest"
	"github.com/rs/zerolog"
)

// The workspace: one channel, the person at the keyboard, two teammates.
const (
	TeamID      = slackfake.TeamID
	TeamDomain  = "playground"
	ChannelID   = "C0PLAYINC1"
	ChannelName = "incidents"
	UserID      = "U0PLAYYOU1" // you
	UserName    = "alex"
	UserReal    = "Alex Kim"
	Command     = "/incident"
)

// teammates can be mentioned (@jordan) and named commander.
var teammates = []struct{ ID, Name, Real string }{
	{"U0PLAYJOR1", "jordan", "Jordan Lee"},
	{"U0PLAYSAM1", "sam", "Sam Patel"},
}

//go:embed assets
var assets embed.FS

// Config is what the playground needs from the process.
type Config struct {
	// BaseURL is how the bot reaches this server, like
	// http://127.0.0.1:8080 (no trailing slash): its Web API calls and
	// vendor probes come back here.
	BaseURL string
}

// Playground is the local workspace. Create it with New, serve Handler,
// and Close it after the server stopped.
type Playground struct {
	// Log is where the playground says what it does; set it before
	// serving. The zero value logs nothing.
	Log zerolog.Logger

	base   string
	fake   *slackfake.Server
	sims   *sims
	secret string // the signing secret
	token  string // the bot token the fake accepts
	vtoken string // the token every simulated vendor accepts
	bot    http.Handler
	tmpl   *template.Template
	static fs.FS

	ctx    context.Context // ends at Close: deliveries, hung answers, streams
	cancel context.CancelFunc
	wg     sync.WaitGroup // deliveries in flight

	mu      sync.Mutex
	changed chan struct{} // closed on the playground's own changes
	notices []notice      // Slackbot's messages to you
	// triggers are the trigger ids of your clicks and commands; a view
	// opened with one is yours, until submitted or closed (viewDone).
	triggers map[string]bool
	viewDone map[string]bool
	lastTS   int64 // of the last notice, in microseconds

	alertMu    sync.Mutex // guards htoken and alertStart
	htoken     string     // HOOK_TOKEN of this run, made on first use
	alertStart time.Time  // when the simulated alert fired; zero while resolved
	// statuspage is the company's status page, a stand-in of Atlassian
	// Statuspage's API mounted under /play/statuspage.
	statuspage        *statuspagetest.Server
	statuspageHandler http.Handler
	statuspageKey     string
}

// notice is a message from Slackbot, only visible to you: what Slack says
// when a command cannot run.
type notice struct {
	TS, ThreadTS, Text string
}

// New prepares a playground: its workspace, its vendors and this run's
// secrets.
func New(cfg Config) (*Playground, error) {
	tmpl, err := template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, err
	}
	p := &Playground{
		base:     strings.TrimRight(cfg.BaseURL, "/"),
		secret:   randomHex(16),
		token:    "xoxb-playground-" + randomHex(12),
		vtoken:   "playground-" + randomHex(12),
		tmpl:     tmpl,
		static:   static,
		changed:  make(chan struct{}),
		triggers: map[string]bool{},
		viewDone: map[string]bool{},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	opts := []slackfake.Option{
		slackfake.WithToken(p.token),
		slackfake.WithChannel(ChannelID, ChannelName),
		slackfake.WithUser(UserID, UserName, UserReal),
	}
	for _, t := range teammates {
		opts = append(opts, slackfake.WithUser(t.ID, t.Name, t.Real))
	}
	p.fake = slackfake.NewMounted(p.base+"/play/slack", opts...)
	p.statuspageKey = "playground-sp-" + randomHex(12)
	p.statuspage, p.statuspageHandler = statuspagetest.NewHandler(StatuspagePageID, p.statuspageKey)
	if p.sims, err = newSims(p.vtoken, p.ctx.Done(), p.notify); err != nil {
		p.cancel()
		return nil, err
	}
	return p, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// SlackEnv is the Slack configuration the bot runs with against this
// workspace: a token and a signing secret made up for this run, and the
// Web API URL of the mounted fake. Socket Mode is off.
func (p *Playground) SlackEnv() map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      p.token,
		"SLACK_SIGNING_SECRET": p.secret,
		"SLACK_API_URL":        p.fake.URL() + "/api/",
		"SLACK_APP_TOKEN":      "",
	}
}

// Secrets are this run's made-up secrets, for a log that must never show
// them.
func (p *Playground) Secrets() []string {
	return []string{p.token, p.secret, p.vtoken, p.HookToken(), p.statuspageKey}
}

// VendorURLs are the API base and status page base of vendor key's
// stand-in: HubSpot's and Intercom's speak their documented answers, any
// other key a healthy generic API with an operational Statuspage.
func (p *Playground) VendorURLs(key string) (apiURL, statusURL string) {
	return p.base + "/play/sim/" + key + "/api", p.base + "/play/sim/" + key + "/status"
}

// VendorToken is the token the stand-ins accept; basic gives it as
// user:secret for vendors that authenticate with basic auth.
func (p *Playground) VendorToken(basic bool) string {
	if basic {
		return "playground:" + p.vtoken
	}
	return p.vtoken
}

// HealthURL is our own service's simulated health endpoint.
func (p *Playground) HealthURL() string { return p.base + "/play/sim/health" }

// Handler serves the page, its API, the workspace's Web API and the
// simulated vendors; every other request goes to bot, the bot's own
// routes, where the page's deliveries go too.
func (p *Playground) Handler(bot http.Handler) http.Handler {
	p.bot = bot
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.servePage)
	mux.Handle("GET /play/static/", http.StripPrefix("/play/static/", staticFiles(p.static)))
	mux.HandleFunc("GET /play/view", p.serveView)
	mux.HandleFunc("GET /play/stream", p.serveStream)
	mux.Handle("POST /play/send", sameOrigin(http.HandlerFunc(p.serveSend)))
	mux.Handle("POST /play/action", sameOrigin(http.HandlerFunc(p.serveAction)))
	mux.Handle("POST /play/mode", sameOrigin(http.HandlerFunc(p.serveMode)))
	mux.Handle("POST /play/submit", sameOrigin(http.HandlerFunc(p.serveSubmit)))
	mux.Handle("POST /play/edit", sameOrigin(http.HandlerFunc(p.serveEdit)))
	mux.Handle("POST /play/react", sameOrigin(http.HandlerFunc(p.serveReact)))
	mux.Handle("POST /play/message-shortcut", sameOrigin(http.HandlerFunc(p.serveMessageShortcut)))
	mux.Handle("POST /play/alert", sameOrigin(http.HandlerFunc(p.serveAlert)))
	mux.Handle("POST /play/shortcut", sameOrigin(http.HandlerFunc(p.serveShortcut)))
	mux.HandleFunc("GET /play/archives/{channel}/{p}", p.serveArchive)
	mux.HandleFunc("GET /play/files/{id}/preview", p.serveFilePreview)
	mux.HandleFunc("GET /play/files/{id}/{name}", p.serveFile)
	mux.Handle("/play/slack/", http.StripPrefix("/play/slack", p.fake.Handler()))
	mux.HandleFunc("/play/sim/health", p.sims.serveHealth)
	mux.Handle("/play/statuspage/", http.StripPrefix("/play/statuspage", p.statuspageHandler))
	mux.HandleFunc("/play/sim/{vendor}/api/", p.sims.serveAPI)
	mux.HandleFunc("/play/sim/{vendor}/status/", p.sims.serveStatus)
	mux.HandleFunc("/play/", http.NotFound)
	mux.Handle("/", bot)
	return mux
}

// Close ends hung vendor answers and live streams, stops new deliveries and
// waits (until ctx ends) for those in flight. Call it after the server
// stopped taking requests.
func (p *Playground) Close(ctx context.Context) {
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	p.fake.Close()
}

// Shutdown ends live streams and hung vendor answers, and stops new
// deliveries, so that the server's drain need not wait for them. Call it
// when the process is told to stop; Close afterwards.
func (p *Playground) Shutdown() { p.cancel() }

// notify wakes the live views after a change the fake does not see.
func (p *Playground) notify() {
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

func (p *Playground) changes() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// addNotice shows you a message from Slackbot.
func (p *Playground) addNotice(threadTS, text string) {
	p.mu.Lock()
	us := time.Now().UnixMicro()
	if us <= p.lastTS {
		us = p.lastTS + 1
	}
	p.lastTS = us
	p.notices = append(p.notices, notice{TS: fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000), ThreadTS: threadTS, Text: text})
	p.mu.Unlock()
	p.notify()
}

// sameOrigin refuses POSTs another site's page could make: the page's API
// takes JSON only (which a cross-site form cannot send without a CORS
// preflight this server never grants), and a browser's Sec-Fetch-Site, when
// sent, must say same-origin.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		site := r.Header.Get("Sec-Fetch-Site")
		if ct != "application/json" || (site != "" && site != "same-origin" && site != "none") {
			http.Error(w, "the playground's API answers its own page only", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		next.ServeHTTP(w, r)
	})
}

func readJSON(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errors.New("the body is not the JSON expected")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// staticFiles serves the embedded CSS and JavaScript.
func staticFiles(static fs.FS) http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// pageSecurity are the headers of every page the playground serves: its
// own scripts and styles only, no frames, no outside connections.
func pageSecurity(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}
