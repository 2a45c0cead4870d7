package main

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is what /metrics shows, on a registry of its own so that tests
// can run several bots in one process.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	slackCalls  *prometheus.CounterVec
	slackTime   *prometheus.HistogramVec
	rejected    *prometheus.CounterVec
	triageTotal *prometheus.CounterVec
	jobs        *prometheus.CounterVec
	jobTime     *prometheus.HistogramVec
	jobWait     *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bot_http_requests_total", Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bot_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 3, 5},
		}, []string{"route"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bot_slack_api_calls_total", Help: "Slack Web API calls, by method and outcome (ok, a Slack error code, rate_limited, http_error, network).",
		}, []string{"method", "outcome"}),
		slackTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bot_slack_api_call_duration_seconds", Help: "Slack Web API call time including retries, by method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bot_slack_requests_rejected_total", Help: "Requests to /slack/* refused before any work, by reason.",
		}, []string{"reason"}),
		triageTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bot_triage_total", Help: "Triage runs, by vendor and cause.",
		}, []string{"vendor", "cause"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bot_jobs_total", Help: "Runs of acknowledged work, by kind and outcome (done, retry, failed, released at shutdown).",
		}, []string{"kind", "outcome"}),
		jobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bot_job_duration_seconds", Help: "How long a job ran, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind"}),
		jobWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bot_job_wait_seconds", Help: "How long a job waited in the queue before this run, by kind.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 1800},
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.slackCalls, m.slackTime, m.rejected, m.triageTotal,
		m.jobs, m.jobTime, m.jobWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observeJob(kind, outcome string, ran, waited time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobTime.WithLabelValues(kind).Observe(ran.Seconds())
	m.jobWait.WithLabelValues(kind).Observe(waited.Seconds())
}

// watchQueue exports the queue's depth and the age of its oldest job, read
// from the store when /metrics is scraped.
func (m *metrics) watchQueue(q *engine.Queue) {
	stat := func(f func(incident.JobStats) float64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			st, err := q.Stats(ctx)
			if err != nil {
				return math.NaN()
			}
			return f(st)
		}
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bot_jobs_queued", Help: "Jobs queued or running, in all replicas."},
			stat(func(s incident.JobStats) float64 { return float64(s.Queued) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bot_jobs_failed", Help: "Jobs that gave up after every attempt, kept for operators."},
			stat(func(s incident.JobStats) float64 { return float64(s.Failed) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bot_job_oldest_age_seconds", Help: "Age of the oldest queued or running job; 0 when none."},
			stat(func(s incident.JobStats) float64 {
				if s.Oldest.IsZero() {
					return 0
				}
				return time.Since(s.Oldest).Seconds()
			})),
	)
}

func (m *metrics) observeSlack(method, outcome string, d time.Duration) {
	m.slackCalls.WithLabelValues(method, outcome).Inc()
	m.slackTime.WithLabelValues(method).Observe(d.Seconds())
}

// instrument counts requests by their route pattern (not the raw path, so
// that scanners cannot grow the label set).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "other"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
