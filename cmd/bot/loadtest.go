package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incident-bot/bot/internal/slackapp"
)

const loadtestUsage = `Usage: bot loadtest [-url URL] [-c N] [-n N | -d DURATION] [-kind KIND] [-floor]

Drives a running bot with signed Slack requests over HTTP, N at a time, and
prints how long the bot took to acknowledge them (p50, p90, p99, max) and
what failed. Requests are signed with SLACK_SIGNING_SECRET, which must be
the running bot's. Slack allows 3 s; answers slower than that are counted.

  -url URL       the bot's base URL (default http://127.0.0.1 on BOT_ADDR's port, or :8080)
  -c N           concurrent requests (default 32)
  -n N           requests to send (default 2000)
  -d DURATION    send for this long instead of -n requests, e.g. 30s
  -kind KIND     command: /incident TEXT on /slack/commands (default)
                 interaction: a button click without actions on /slack/interactions
                 event: a thread reply on /slack/events
  -text TEXT     the command's text (default "list": reads, changes nothing)
  -team ID, -channel ID, -user ID
                 the Slack ids the requests carry (default T0LOADTEST, C0LOADTEST, U0LOADTEST)
  -thread TS     the thread events reply in (default 1.000001, which is no
                 incident's: the bot looks it up and stores nothing). The
                 thread of a real incident stores every reply in its timeline.
  -floor         also load, in this process and in alternating batches, a
                 bare handler that only verifies the signature and parses
                 the body (the floor), and print the bot's ratio to it

Exit 0 when every request was acknowledged with 200 within 3 s, 1 when
some were not, 2 on a usage or configuration error.
`

// Kinds of request the load command sends.
const (
	loadCommand     = "command"
	loadInteraction = "interaction"
	loadEvent       = "event"
)

// slackAckLimit is how long Slack waits for an acknowledgement.
const slackAckLimit = 3 * time.Second

// cmdLoadtest is bot loadtest: signed requests against a running bot, and
// the latency percentiles of their acknowledgements.
func cmdLoadtest(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprint(stdout, loadtestUsage)
		return nil
	}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	base := fs.String("url", "", "")
	conc := fs.Int("c", 32, "")
	n := fs.Int("n", 0, "")
	dur := fs.Duration("d", 0, "")
	kind := fs.String("kind", loadCommand, "")
	floor := fs.Bool("floor", false, "")
	spec := &loadSpec{}
	fs.StringVar(&spec.Text, "text", "list", "")
	fs.StringVar(&spec.TeamID, "team", "T0LOADTEST", "")
	fs.StringVar(&spec.ChannelID, "channel", "C0LOADTEST", "")
	fs.StringVar(&spec.UserID, "user", "U0LOADTEST", "")
	thread := fs.String("thread", "1.000001", "")
	if err := fs.Parse(args); err != nil {
		return usageError("loadtest: %v (see bot loadtest --help)", err)
	}
	if fs.NArg() > 0 {
		return usageError("loadtest takes no arguments (got %q): see bot loadtest --help", fs.Arg(0))
	}
	switch {
	case *conc < 1:
		return usageError("loadtest: -c must be 1 or more")
	case *n < 0 || *dur < 0:
		return usageError("loadtest: -n and -d must not be negative")
	case *n > 0 && *dur > 0:
		return usageError("loadtest: give -n or -d, not both")
	case *n == 0 && *dur == 0:
		*n = 2000
	}
	switch *kind {
	case loadCommand, loadInteraction, loadEvent:
	default:
		return usageError("loadtest: -kind must be command, interaction or event, not %q", *kind)
	}
	spec.Kind, spec.ThreadTS = *kind, []string{*thread}
	spec.Secret = cfg.Slack.SigningSecret
	if spec.Secret == "" {
		return usageError("loadtest: SLACK_SIGNING_SECRET is not set: set it to the running bot's signing secret")
	}
	if *base == "" {
		*base = defaultLoadURL(cfg.Addr)
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError("loadtest: -url must be the bot's base URL, like http://127.0.0.1:8080")
	}
	target := strings.TrimSuffix(*base, "/")

	client := newLoadClient(*conc)
	defer client.CloseIdleConnections()
	// A bot that is not there is a configuration problem, not a slow bot.
	resp, err := client.Get(target + "/healthz")
	if err != nil {
		return usageError("loadtest: no bot answers at %s: %v", target, err)
	}
	resp.Body.Close()

	fmt.Fprintf(stdout, "loadtest: %s requests to %s%s, %d at a time\n", spec.Kind, target, spec.path(), *conc)
	var bot, flo loadResult
	if *floor {
		fsrv := httptest.NewServer(floorHandler(spec.Secret))
		defer fsrv.Close()
		bot, flo = alternateLoad(ctx, client, *conc, 0, *n, *dur, spec, target, fsrv.URL)
	} else {
		bot = driveLoad(ctx, client, *conc, *n, *dur, spec.next(target))
	}
	bot.write(stdout, "bot")
	if *floor {
		flo.write(stdout, "floor")
		fmt.Fprintf(stdout, "%-7s p50 %.2f×  p99 %.2f× the floor\n", "ratio",
			loadRatio(bot.Percentile(0.50), flo.Percentile(0.50)), loadRatio(bot.Percentile(0.99), flo.Percentile(0.99)))
	}
	if bot.Failed() > 0 || bot.Late > 0 {
		return errProblemFound
	}
	return nil
}

// defaultLoadURL is the bot on this machine, on the port of addr (the
// configuration's BOT_ADDR), or of defaultAddr when addr names none.
func defaultLoadURL(addr string) string {
	_, port, _ := net.SplitHostPort(defaultAddr)
	if _, p, err := net.SplitHostPort(addr); err == nil && p != "" && p != "0" {
		port = p
	}
	return "http://127.0.0.1:" + port
}

// loadRatio is a/b, for latencies.
func loadRatio(a, b time.Duration) float64 {
	if b <= 0 {
		return math.Inf(1)
	}
	return float64(a) / float64(b)
}

// newLoadClient is an HTTP client that keeps a connection per concurrent
// request, as Slack's senders do, instead of net/http's default of two.
func newLoadClient(conc int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conc * 2
	tr.MaxIdleConnsPerHost = conc * 2
	tr.ForceAttemptHTTP2 = false
	return &http.Client{Transport: tr, Timeout: 2 * slackAckLimit}
}

// loadSpec says what the requests of one kind carry.
type loadSpec struct {
	Kind                      string // loadCommand, loadInteraction or loadEvent
	Secret                    string
	TeamID, ChannelID, UserID string
	Text                      string // command: what follows /incident
	// ActionID and Value make the interaction a click on a button (the bot's
	// buttons carry the incident id as value); MessageTS is the message
	// the button is on. Without ActionID the click carries no action.
	ActionID, Value, MessageTS string
	// ThreadTS are the threads events reply in, taken in turn.
	ThreadTS []string
	// Channels, when set, are the channels commands come from, taken in
	// turn instead of ChannelID.
	Channels []string

	runOnce sync.Once
	run     string // random per run: event ids of two runs never collide
	start   int64  // unix seconds of the first event's ts
}

// path is the route the kind is sent to.
func (s *loadSpec) path() string {
	switch s.Kind {
	case loadInteraction:
		return "/slack/interactions"
	case loadEvent:
		return "/slack/events"
	}
	return "/slack/commands"
}

// body is the i-th request's body and content type, as Slack sends them.
// Events carry a distinct event id and ts each, so that every one is a new
// reply and none is taken for a retried delivery.
func (s *loadSpec) body(i int) (contentType string, body []byte) {
	s.runOnce.Do(func() {
		var b [6]byte
		rand.Read(b[:])
		s.run = strings.ToUpper(hex.EncodeToString(b[:]))
		s.start = time.Now().Unix()
	})
	switch s.Kind {
	case loadInteraction:
		actions := []map[string]string{}
		if s.ActionID != "" {
			actions = append(actions, map[string]string{"action_id": s.ActionID, "value": s.Value,
				"block_id": "loadtest", "type": "button"})
		}
		payload, _ := json.Marshal(map[string]any{
			"type": "block_actions", "team": map[string]string{"id": s.TeamID},
			"user":       map[string]string{"id": s.UserID, "team_id": s.TeamID},
			"channel":    map[string]string{"id": s.ChannelID},
			"container":  map[string]string{"type": "message", "message_ts": s.MessageTS, "channel_id": s.ChannelID},
			"trigger_id": "1.2." + s.run + strconv.Itoa(i), "actions": actions,
		})
		return "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(payload)}}.Encode())
	case loadEvent:
		thread := ""
		if len(s.ThreadTS) > 0 {
			thread = s.ThreadTS[i%len(s.ThreadTS)]
		}
		ts := fmt.Sprintf("%d.%06d", s.start+int64(i/1_000_000), i%1_000_000)
		body, _ := json.Marshal(map[string]any{
			"type": "event_callback", "team_id": s.TeamID, "event_id": "Ev" + s.run + strconv.Itoa(i),
			"event_time": s.start, "event": map[string]string{
				"type": "message", "channel": s.ChannelID, "user": s.UserID, "ts": ts, "thread_ts": thread,
				"text": "loadtest reply " + strconv.Itoa(i), "team": s.TeamID,
			},
		})
		return "application/json", body
	}
	ch := s.ChannelID
	if len(s.Channels) > 0 {
		ch = s.Channels[i%len(s.Channels)]
	}
	form := url.Values{"team_id": {s.TeamID}, "channel_id": {ch}, "user_id": {s.UserID},
		"command": {"/incident"}, "text": {s.Text}, "trigger_id": {"1.2." + s.run + strconv.Itoa(i)}}
	return "application/x-www-form-urlencoded", []byte(form.Encode())
}

// request is the i-th request to base, signed as Slack signs it.
func (s *loadSpec) request(ctx context.Context, base string, i int) (*http.Request, error) {
	ct, body := s.body(i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+s.path(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackapp.Sign(s.Secret, ts, body))
	return req, nil
}

// next returns the request builder driveLoad takes, for base.
func (s *loadSpec) next(base string) func(ctx context.Context, i int) (*http.Request, error) {
	return func(ctx context.Context, i int) (*http.Request, error) { return s.request(ctx, base, i) }
}

// loadResult is what a load run saw.
type loadResult struct {
	Sent     int
	Status   map[int]int // answers by HTTP status
	Errors   int         // no answer: refused, reset, timed out
	FirstErr string      // the first of those, for the operator
	Late     int         // answered 200, but after Slack's 3 s
	Elapsed  time.Duration
	// Latencies are those of the 200 answers, from sending the request to
	// reading the whole answer; sorted once the run ends.
	Latencies []time.Duration
}

// Failed counts the requests not answered 200.
func (r *loadResult) Failed() int { return r.Sent - r.Status[http.StatusOK] }

// Percentile is the nearest-rank p-quantile (0 < p ≤ 1) of the latencies.
func (r *loadResult) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(n))) - 1
	return r.Latencies[min(max(i, 0), n-1)]
}

// merge adds o's requests to r; call sort afterwards.
func (r *loadResult) merge(o loadResult) {
	r.Sent += o.Sent
	r.Errors += o.Errors
	r.Late += o.Late
	r.Elapsed += o.Elapsed
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
	if r.Status == nil {
		r.Status = map[int]int{}
	}
	for k, v := range o.Status {
		r.Status[k] += v
	}
	r.Latencies = append(r.Latencies, o.Latencies...)
}

func (r *loadResult) sort() { slices.Sort(r.Latencies) }

// write prints the result in two lines under the label.
func (r *loadResult) write(w io.Writer, label string) {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Sent) / r.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "%-7s %d requests in %s (%.0f/s): %d ok, %d failed, %d over 3s\n", label, r.Sent,
		r.Elapsed.Round(time.Millisecond), rate, r.Status[http.StatusOK], r.Failed(), r.Late)
	fmt.Fprintf(w, "%-7s p50 %s  p90 %s  p99 %s  max %s\n", "", loadMS(r.Percentile(0.50)), loadMS(r.Percentile(0.90)),
		loadMS(r.Percentile(0.99)), loadMS(r.Percentile(1)))
	if r.Failed() > 0 {
		var codes []int
		for c := range r.Status {
			if c != http.StatusOK {
				codes = append(codes, c)
			}
		}
		slices.Sort(codes)
		parts := []string{}
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%d× HTTP %d", r.Status[c], c))
		}
		if r.Errors > 0 {
			parts = append(parts, fmt.Sprintf("%d× no answer (first: %s)", r.Errors, r.FirstErr))
		}
		fmt.Fprintf(w, "%-7s failed: %s\n", "", strings.Join(parts, ", "))
	}
}

func loadMS(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// driveLoad sends requests made by next from conc goroutines at once, each
// sending its next request when the previous one is answered (a closed
// loop), until n requests are sent or, when n is 0, until d has passed.
// Building and signing a request is not part of its latency.
func driveLoad(ctx context.Context, client *http.Client, conc, n int, d time.Duration,
	next func(ctx context.Context, i int) (*http.Request, error)) loadResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var until time.Time
	if n == 0 {
		until = time.Now().Add(d)
	}
	var counter atomic.Int64
	parts := make([]loadResult, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range parts {
		wg.Add(1)
		go func(r *loadResult) {
			defer wg.Done()
			r.Status = map[int]int{}
			for ctx.Err() == nil {
				i := int(counter.Add(1) - 1)
				if (n > 0 && i >= n) || (n == 0 && time.Now().After(until)) {
					return
				}
				req, err := next(ctx, i)
				if err != nil {
					r.Sent++
					r.Errors++
					if r.FirstErr == "" {
						r.FirstErr = err.Error()
					}
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				took := time.Since(t0)
				r.Sent++
				switch {
				case err != nil:
					r.Errors++
					if r.FirstErr == "" {
						r.FirstErr = err.Error()
					}
				case resp.StatusCode != http.StatusOK:
					r.Status[resp.StatusCode]++
				default:
					r.Status[http.StatusOK]++
					r.Latencies = append(r.Latencies, took)
					if took > slackAckLimit {
						r.Late++
					}
				}
			}
		}(&parts[w])
	}
	wg.Wait()
	total := loadResult{Status: map[int]int{}}
	for _, p := range parts {
		total.merge(p)
	}
	total.Elapsed = time.Since(start)
	total.sort()
	return total
}

// loadBatch is how many requests per concurrent sender go into one batch
// when two targets are loaded in turn.
const loadBatch = 16

// alternateLoad loads the bot and the floor in alternating batches, so that
// both see the same machine: whatever else runs on it slows both alike.
// It sends n requests to each (numbered from first on), or keeps going
// until d has passed.
func alternateLoad(ctx context.Context, client *http.Client, conc, first, n int, d time.Duration, spec *loadSpec,
	bot, floor string) (botRes, floorRes loadResult) {
	batch := conc * loadBatch
	until := time.Now().Add(d)
	botNext, floorNext := spec.next(bot), spec.next(floor)
	for sent := 0; ctx.Err() == nil; sent += batch {
		if n > 0 && sent >= n {
			break
		}
		if n == 0 && sent > 0 && time.Now().After(until) {
			break
		}
		k := batch
		if n > 0 {
			k = min(batch, n-sent)
		}
		floorRes.merge(driveLoad(ctx, client, conc, k, 0, shiftLoad(floorNext, first+sent)))
		botRes.merge(driveLoad(ctx, client, conc, k, 0, shiftLoad(botNext, first+sent)))
	}
	botRes.sort()
	floorRes.sort()
	return botRes, floorRes
}

// shiftLoad numbers next's requests from off on.
func shiftLoad(next func(context.Context, int) (*http.Request, error), off int) func(context.Context, int) (*http.Request, error) {
	return func(ctx context.Context, i int) (*http.Request, error) { return next(ctx, off+i) }
}

// floorHandler is the least a Slack endpoint can do: read the body, check
// the timestamp and the signature over it, and parse it (a form, or JSON
// for events), then answer 200. It is what the bot's acknowledgement
// latency is compared with.
func floorHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, slackapp.MaxBody+1))
		if err != nil || len(body) > slackapp.MaxBody {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		ts := r.Header.Get("X-Slack-Request-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > slackapp.MaxSkew ||
			!hmac.Equal([]byte(r.Header.Get("X-Slack-Signature")), []byte(slackapp.Sign(secret, ts, body))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var env struct {
				Type    string          `json:"type"`
				EventID string          `json:"event_id"`
				Event   json.RawMessage `json:"event"`
			}
			err = json.Unmarshal(body, &env)
		} else {
			_, err = url.ParseQuery(string(body))
		}
		if err != nil {
			http.Error(w, "malformed body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
