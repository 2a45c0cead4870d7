package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/bot/messages"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxAckSize is the size of a Socket Mode message at which Slack silently
// drops it. Acks are kept below it.
const maxAckSize = 20 * 1024

const (
	// defaultMaxBackoff caps the wait between connection attempts.
	defaultMaxBackoff = 30 * time.Second
	// drainBudget bounds the wait for envelopes in flight at shutdown.
	drainBudget = ackBudget + time.Second
	// ackFlush is how long shutdown lets the last acks reach the socket:
	// slack-go writes them from its own goroutine and does not say when.
	ackFlush = 500 * time.Millisecond
	// ackQueueTimeout bounds the hand-over of one ack to slack-go.
	ackQueueTimeout = 2 * time.Second
)

// Socket is the Socket Mode edge: it dials out to Slack with the app-level
// token (no public URL, no signing secret), hands each envelope to the same
// Service the HTTP handlers use, and acknowledges it on the socket: a slash
// command with its ephemeral reply, an interaction at once, an event only
// once the Service has stored it, so that a failure leaves it for Slack to
// deliver again.
//
// slack-go's socketmode client reconnects by itself when Slack asks (a
// disconnect message, whatever its reason), when the connection drops and
// when Slack stops pinging; Socket adds the bounds: no wait between
// attempts longer than MaxBackoff, and attempts go on after the errors on
// which slack-go gives up (a refused token), since /readyz says the bot is
// not connected.
type Socket struct {
	sm  *socketmode.Client
	svc Service
	log zerolog.Logger

	// MaxBackoff caps the wait between connection attempts; slack-go's own
	// doubling goes up to 5 minutes. Slack's Retry-After is honoured even
	// when longer. Set it before Run.
	MaxBackoff time.Duration
	// Dedupe remembers envelopes by envelope_id, so that one Slack
	// redelivers (retry_attempt > 0, because the ack did not reach it in
	// time) is handed on once: a copy of one still being handled is left
	// to that one's ack; a copy of one handled is acknowledged again (a
	// slash command with a note that it runs once). An event the command
	// layer failed to store is forgotten, so that its redelivery runs.
	// NewSocket sets one; nil turns this off. Set it before Run.
	Dedupe *Dedupe

	up       atomic.Bool
	lastAck  atomic.Int64 // unix nanoseconds of the last ack handed over
	inflight sync.WaitGroup
}

// NewSocket returns a Socket Mode edge for the app-level token appToken
// (xapp-…) against the Web API at apiURL (ending in /), where it calls
// apps.connections.open. Run connects it.
func NewSocket(appToken, apiURL string, svc Service, logger zerolog.Logger) *Socket {
	api := slack.New("", slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	// slack-go logs only in debug mode, payloads included: keep it quiet.
	sm := socketmode.New(api, socketmode.OptionLog(stdlog.New(io.Discard, "", 0)))
	return &Socket{sm: sm, svc: svc, log: logger, MaxBackoff: defaultMaxBackoff, Dedupe: NewDedupe(0, 0)}
}

// Connected reports whether a Socket Mode connection is open: Slack said
// hello on it and it has not dropped since.
func (s *Socket) Connected() bool { return s.up.Load() }

// errBackoffCut ends a session whose slack-go backoff went past MaxBackoff.
var errBackoffCut = errors.New("slack-go's reconnection backoff exceeded the cap")

// Run connects to Slack and serves envelopes until ctx ends. Then it takes
// no new envelopes, finishes those in flight (bounded, about 4 s with the
// acks let out) and closes the connection. It returns nil after a
// shutdown; it does not give up before.
func (s *Socket) Run(ctx context.Context) error {
	defer s.up.Store(false)
	var wait time.Duration
	for {
		connected, err := s.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			wait = 0
		}
		wait = min(max(2*wait, time.Second), s.maxBackoff())
		ev := s.log.Warn()
		msg := "Socket Mode: cannot connect to Slack; trying again"
		if code := refusal(err); code != "" {
			ev = s.log.Error().Str("slack_error", code)
			msg = "Socket Mode: Slack refused SLACK_APP_TOKEN: it must be the app-level token (xapp-…) with connections:write of an app with Socket Mode on"
		}
		if !errors.Is(err, errBackoffCut) {
			ev = ev.Err(err)
		}
		ev.Int64("retry_in_ms", wait.Milliseconds()).Msg(msg)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.drain()
			return nil
		}
	}
}

func (s *Socket) maxBackoff() time.Duration {
	if s.MaxBackoff <= 0 {
		return defaultMaxBackoff
	}
	return s.MaxBackoff
}

// refusal returns Slack's error code when it refused the token.
func refusal(err error) string {
	if err == nil {
		return ""
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type":
			return se.Err
		}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusNotFound {
		return "not_found"
	}
	// slack-go turns some error codes into plain errors.
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type":
		return err.Error()
	}
	return ""
}

// session runs slack-go's client until it gives up or ctx ends, and
// reports whether it got connected on the way.
func (s *Socket) session(ctx context.Context) (connected bool, err error) {
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan error, 1)
	go func() { done <- s.sm.RunContext(runCtx) }()
	for {
		select {
		case <-ctx.Done():
			s.log.Info().Msg("Socket Mode: taking no new envelopes; finishing those in flight")
			s.drain()
			stop()
			<-done
			return connected, nil
		case rerr := <-done:
			s.up.Store(false)
			if runCtx.Err() != nil && ctx.Err() == nil {
				rerr = errBackoffCut
			}
			return connected, rerr
		case evt := <-s.sm.Events:
			if ctx.Err() != nil {
				continue // shutting down: the next loop drains
			}
			if s.dispatch(evt, stop) {
				connected = true
			}
		}
	}
}

// dispatch handles one event of slack-go's client: connection state, or an
// envelope, which it starts in its own goroutine. It reports whether the
// event says the connection is up.
func (s *Socket) dispatch(evt socketmode.Event, stop context.CancelFunc) (hello bool) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.up.Store(false)
		if e, ok := evt.Data.(*slack.ConnectingEvent); ok && e.ConnectionCount > 0 && e.Attempt == 1 {
			s.log.Info().Int("connection", e.ConnectionCount+1).Msg("Socket Mode: reconnecting")
		}
	case socketmode.EventTypeConnectionError:
		s.up.Store(false)
		e, ok := evt.Data.(*slack.ConnectionErrorEvent)
		if !ok {
			break
		}
		var rl *slack.RateLimitedError
		if e.Backoff > s.maxBackoff() && !errors.As(e.ErrorObj, &rl) {
			stop() // Run starts over after MaxBackoff at most
			break
		}
		s.log.Warn().Err(e.ErrorObj).Int("attempt", e.Attempt).Int64("retry_in_ms", e.Backoff.Milliseconds()).
			Msg("Socket Mode: cannot connect to Slack; trying again")
	case socketmode.EventTypeHello:
		s.up.Store(true)
		n := 0
		if evt.Request != nil {
			n = evt.Request.NumConnections
		}
		s.log.Info().Int("connections", n).Msg("Socket Mode: connected to Slack")
		return true
	case socketmode.EventTypeIncomingError:
		if e, ok := evt.Data.(*slack.IncomingEventError); ok {
			s.log.Debug().Err(e.ErrorObj).Msg("Socket Mode: read failed; the connection will be reopened")
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && e.Response != nil {
			s.log.Warn().Err(e.Cause).Str("envelope_id", e.Response.EnvelopeID).
				Msg("Socket Mode: an ack was not written; Slack may deliver the envelope again")
		}
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not parse the envelope (an inner event type it does
		// not know, say): read it ourselves rather than leave it un-acked.
		e, ok := evt.Data.(*socketmode.ErrorBadMessage)
		if !ok {
			break
		}
		var req socketmode.Request
		if json.Unmarshal(e.Message, &req) == nil && req.EnvelopeID != "" && isEnvelope(req.Type) {
			s.start(req)
			break
		}
		s.log.Warn().Err(e.Cause).Msg("Socket Mode: unreadable message from Slack, ignored")
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			s.start(*evt.Request)
		}
	}
	return false
}

func isEnvelope(typ string) bool {
	switch typ {
	case socketmode.RequestTypeSlashCommands, socketmode.RequestTypeInteractive, socketmode.RequestTypeEventsAPI:
		return true
	}
	return false
}

// start handles an envelope in its own goroutine, tracked for the drain.
func (s *Socket) start(req socketmode.Request) {
	s.inflight.Go(func() {
		log := s.log.With().Str("envelope_id", req.EnvelopeID).Str("type", req.Type).Int("retry_attempt", req.RetryAttempt).Logger()
		seen, finish := s.Dedupe.Begin(envelopeKey(req.EnvelopeID))
		switch seen {
		case InFlight:
			log.Info().Msg("Socket Mode: envelope redelivered while still being handled; its ack covers both")
			return
		case Handled:
			var payload any
			if req.Type == socketmode.RequestTypeSlashCommands {
				payload = reply{ResponseType: "ephemeral", Text: duplicateText}
			}
			acked := s.ack(log, req.EnvelopeID, payload)
			log.Info().Bool("acked", acked).Msg("Socket Mode: envelope redelivered after it was handled; acknowledged again, not run again")
			return
		}
		defer func() {
			if v := recover(); v != nil {
				finish(false)
				log.Error().Interface("panic", v).Msg("Socket Mode: handler panicked; the envelope is not acknowledged")
			}
		}()
		start := time.Now()
		acked := s.handle(req, func() { finish(false) })
		finish(true) // a no-op after finish(false)
		log.Info().Bool("acked", acked).Float64("took_ms", float64(time.Since(start).Microseconds())/1000).Msg("envelope")
	})
}

// handle feeds one envelope to the command layer and acknowledges it,
// unless the command layer failed to store an event: then it calls retry,
// before it says so, for Slack to deliver the envelope again. It reports
// whether it acknowledged.
func (s *Socket) handle(req socketmode.Request, retry func()) bool {
	ctx, cancel := context.WithTimeout(context.Background(), ackBudget)
	defer cancel()
	log := s.log.With().Str("envelope_id", req.EnvelopeID).Str("type", req.Type).Logger()
	switch req.Type {
	case socketmode.RequestTypeSlashCommands:
		form, err := formFrom(req.Payload)
		if err != nil || form.Get("team_id") == "" || form.Get("channel_id") == "" || form.Get("user_id") == "" {
			log.Warn().Msg("Socket Mode: malformed slash command: team_id, channel_id and user_id are required")
			return s.ack(log, req.EnvelopeID, reply{ResponseType: "ephemeral", Text: "That command arrived incomplete; please try again."})
		}
		return s.ack(log, req.EnvelopeID, commandAck(log, req.EnvelopeID, s.svc.Command(ctx, CommandFromForm(form))))
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			log.Warn().Err(err).Msg("Socket Mode: malformed interaction payload, acknowledged and ignored")
			return s.ack(log, req.EnvelopeID, nil)
		}
		if answer := interact(ctx, s.svc, cb, log); answer != nil {
			return s.ack(log, req.EnvelopeID, answer) // the form's errors: it stays open
		}
		return s.ack(log, req.EnvelopeID, nil) // an empty ack, as the HTTP 200: a submitted modal closes
	case socketmode.RequestTypeEventsAPI:
		var env envelope
		if err := json.Unmarshal(req.Payload, &env); err != nil {
			log.Warn().Err(err).Msg("Socket Mode: malformed Events API payload, acknowledged and ignored")
			return s.ack(log, req.EnvelopeID, nil)
		}
		if env.Type != "event_callback" {
			return s.ack(log, req.EnvelopeID, nil) // app_rate_limited and the like
		}
		e, err := EventFrom(env.EventID, env.TeamID, env.Event)
		if err != nil {
			log.Warn().Err(err).Str("event_id", env.EventID).Msg("Socket Mode: malformed event, acknowledged and ignored")
			return s.ack(log, req.EnvelopeID, nil)
		}
		if err := s.svc.Event(ctx, e); err != nil {
			retry()
			log.Warn().Err(err).Str("event_id", env.EventID).
				Msg("Socket Mode: event not recorded; left unacknowledged so that Slack delivers it again")
			return false
		}
		return s.ack(log, req.EnvelopeID, nil)
	}
	return false
}

// formFrom reads a Socket Mode slash command payload, the form's fields as
// a JSON object of strings, into the form CommandFromForm reads.
func formFrom(payload json.RawMessage) (url.Values, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, fmt.Errorf("slash command payload: %w", err)
	}
	form := url.Values{}
	for k, v := range fields {
		var str string
		if json.Unmarshal(v, &str) == nil {
			form.Set(k, str)
		}
	}
	return form, nil
}

// ack hands an ack to slack-go, which writes it on the socket, and
// reports whether it took it.
func (s *Socket) ack(log zerolog.Logger, envelopeID string, payload any) bool {
	ctx, cancel := context.WithTimeout(context.Background(), ackQueueTimeout)
	defer cancel()
	if err := s.sm.AckCtx(ctx, envelopeID, payload); err != nil {
		log.Warn().Err(err).Msg("Socket Mode: could not acknowledge; Slack may deliver the envelope again")
		return false
	}
	s.lastAck.Store(time.Now().UnixNano())
	return true
}

// commandAck is the slash command's ack payload: the ephemeral reply the
// HTTP handler answers; when that would reach maxAckSize, its text alone,
// cut short if need be.
func commandAck(log zerolog.Logger, envelopeID string, m messages.Message) reply {
	r := ephemeral(m)
	size := ackSize(envelopeID, r)
	if size < maxAckSize {
		return r
	}
	log.Warn().Int("bytes", size).Msg("Socket Mode: reply too large for an ack; sending its text only")
	r.Blocks = nil
	if ackSize(envelopeID, r) < maxAckSize {
		return r
	}
	// The longest prefix that fits: JSON escaping makes bytes and ack size
	// differ, so search rather than compute.
	text := r.Text
	lo, hi := 0, len(text)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		r.Text = cutBytes(text, mid) + "…"
		if ackSize(envelopeID, r) < maxAckSize {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	r.Text = cutBytes(text, lo) + "…"
	return r
}

// ackSize is the length of the ack as slack-go marshals it.
func ackSize(envelopeID string, payload any) int {
	b, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: payload})
	if err != nil {
		return maxAckSize
	}
	return len(b)
}

// cutBytes returns the longest prefix of s of at most n bytes that ends on
// a rune boundary.
func cutBytes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// drain waits for the envelopes in flight, then gives their acks a moment
// to leave.
func (s *Socket) drain() {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	t := time.NewTimer(drainBudget)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn().Msg("Socket Mode: envelopes still in flight at the shutdown deadline")
	}
	if d := ackFlush - time.Since(time.Unix(0, s.lastAck.Load())); d > 0 {
		time.Sleep(d)
	}
}
