package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/incident-bot/bot/internal/hooks"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// routes is every route the bot serves. sock is the Socket Mode edge,
// nil in HTTP mode.
func routes(cfg config, svc slackapp.Service, store incident.Store, m *metrics, log zerolog.Logger, sock *slackapp.Socket,
	alerts hooks.Receiver) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, m.instrument, logRequests(log), recoverer(log))

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	r.Get("/readyz", ready(store, sock, log))
	r.Method(http.MethodGet, "/metrics", m.handler())

	v := &slackapp.Verifier{Secret: cfg.Slack.SigningSecret, Rejected: func(r *http.Request, why slackapp.Rejection) {
		m.rejected.WithLabelValues(string(why)).Inc()
		log.Warn().Str("request_id", middleware.GetReqID(r.Context())).Str("path", r.URL.Path).
			Str("reason", string(why)).Msg("refused a request to /slack")
	}}
	r.Group(func(r chi.Router) {
		if cfg.Slack.SigningSecret == "" {
			return // Socket Mode alone: nothing could verify a request
		}
		r.Use(v.Middleware)
		// A command or click Slack delivers twice (its retry after a slow
		// answer, or a replay within the signature's five minutes) runs
		// once: the second copy is answered and dropped here, and the job
		// table (keyed by the same trigger id) stops a copy that reaches
		// another replica.
		dd := slackapp.NewDedupe(0, 0)
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "bot_slack_duplicates_total", Help: "Slack requests delivered again and not run twice (HTTP).",
		}, func() float64 { return float64(dd.Duplicates()) }))
		r.Method(http.MethodPost, "/slack/commands", slackapp.Commands(svc, slackapp.WithDedupe(dd), slackapp.WithLog(log)))
		r.Method(http.MethodPost, "/slack/interactions", slackapp.Interactions(svc, slackapp.WithDedupe(dd), slackapp.WithLog(log)))
		r.Method(http.MethodPost, "/slack/events", slackapp.Events(svc, slackapp.WithLog(log)))
	})
	hookRoutes(r, cfg.Hooks, alerts, m, log)
	return r
}

// hookRoutes mounts POST /hooks/<source> for each alert source, when
// HOOK_TOKEN is set: without it nothing could authorize a request.
func hookRoutes(r chi.Router, cfg hooksConfig, alerts hooks.Receiver, m *metrics, log zerolog.Logger) {
	if cfg.Token == "" {
		return
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bot_hook_refused_total", Help: "Alert deliveries to /hooks/* refused, by source and reason.",
	}, []string{"source", "reason"})
	m.reg.MustRegister(refused)
	opts := hooks.Options{Token: cfg.Token, PagerDutySecret: cfg.PagerDutySecret, Log: log,
		Refused: func(source, reason string) { refused.WithLabelValues(source, reason).Inc() }}
	for _, src := range hooks.Sources() {
		r.Method(http.MethodPost, "/hooks/"+src, hooks.Handler(src, alerts, opts))
	}
}

// ready answers 200 while the database can write (Ping rewrites a row) and,
// in Socket Mode, the socket is connected; otherwise 503 with the reason. A
// store that names its trouble ("the database is read-only", "the database
// is full") is quoted; other errors, which may carry hosts or paths, are
// only logged. The log gets one line each time readiness changes, not one
// per probe.
func ready(store incident.Store, sock *slackapp.Socket, log zerolog.Logger) http.HandlerFunc {
	var mu sync.Mutex
	last := "" // the reason of the last 503; "" while ready
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		var reason string
		err := store.Ping(ctx)
		switch {
		case err != nil:
			reason = "database: " + dbTrouble(err)
		case sock != nil && !sock.Connected():
			reason = "not connected to Slack (Socket Mode)"
		}
		mu.Lock()
		changed := reason != last
		last = reason
		mu.Unlock()
		if changed && reason != "" {
			log.Error().Err(err).Str("reason", reason).Msg("not ready")
		} else if changed {
			log.Info().Msg("ready again")
		}
		if reason != "" {
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}
}

// readyTimeout bounds the readiness check's write.
const readyTimeout = 2 * time.Second

// dbTrouble is what /readyz may say about a failed Ping: the store's
// message when it named the cause, otherwise no detail.
func dbTrouble(err error) string {
	var named *incident.Error
	switch {
	case errors.As(err, &named):
		return named.Message
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within " + readyTimeout.String()
	}
	return "not answering"
}

// logRequests logs one line per request with its id, never its body.
func logRequests(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			ev := log.Info()
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				ev = log.Debug()
			}
			ev.Str("request_id", middleware.GetReqID(r.Context())).Str("method", r.Method).
				Str("path", r.URL.Path).Int("status", ww.Status()).Float64("took_ms", millis(time.Since(start))).
				Str("retry_num", r.Header.Get("X-Slack-Retry-Num")).Msg("request")
		})
	}
}

// recoverer answers 500 instead of dropping the connection when a handler
// panics, and logs it without a stack trace reaching the client.
func recoverer(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error().Str("request_id", middleware.GetReqID(r.Context())).Interface("panic", v).Msg("handler panicked")
					http.Error(w, "internal error", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
