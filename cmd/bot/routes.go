package main

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// routes is every route the bot serves. sock is the Socket Mode edge,
// nil in HTTP mode.
func routes(cfg config, svc slackapp.Service, store incident.Store, m *metrics, log zerolog.Logger, sock *slackapp.Socket) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, m.instrument, logRequests(log), recoverer(log))

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	r.Get("/readyz", ready(store, sock))
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
		r.Method(http.MethodPost, "/slack/events", slackapp.Events(svc))
	})
	return r
}

// ready answers 200 while the database answers and, in Socket Mode, the
// socket is connected.
func ready(store incident.Store, sock *slackapp.Socket) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			http.Error(w, "database not answering", http.StatusServiceUnavailable)
			return
		}
		if sock != nil && !sock.Connected() {
			http.Error(w, "not connected to Slack (Socket Mode)", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}
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
