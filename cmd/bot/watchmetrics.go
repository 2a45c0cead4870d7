package main

import (
	"context"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/prometheus/client_golang/prometheus"
)

// The vendor watch's metrics: bot_vendor_lag_seconds, observed each time
// the watch measures a vendor lag, and bot_vendor_state, read from the
// store at each scrape (so every replica shows the same, whoever checked).

// Values of bot_vendor_state.
const (
	vendorStateUnknown     = -1 // not checked yet, or its page unreadable and no probe
	vendorStateOK          = 0
	vendorStateMaintenance = 1
	vendorStateDegraded    = 2 // a component degraded, or a minor incident
	vendorStateDown        = 3 // a major or critical incident, or our calls failing
)

// vendorWatch registers the watch's metrics and returns what the command
// layer calls with each vendor lag (commands.Config.VendorLag).
func (m *metrics) vendorWatch(store incident.Store) func(vendor string, lag time.Duration) {
	lag := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bot_vendor_lag_seconds", Help: "Vendor lag: from our first failing probe of a watched vendor to the vendor's first post on its status page, by vendor (0 when the vendor posted first).",
		Buckets: []float64{0, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400},
	}, []string{"vendor"})
	m.reg.MustRegister(lag, &vendorStates{store: store, desc: prometheus.NewDesc("bot_vendor_state",
		"A watched vendor's state at its last check: -1 unknown, 0 healthy, 1 maintenance, 2 degraded (a component, a minor incident), 3 down (a major or critical incident, or our calls failing).",
		[]string{"vendor"}, nil)})
	return func(vendor string, d time.Duration) { lag.WithLabelValues(vendor).Observe(d.Seconds()) }
}

// vendorStates collects bot_vendor_state from the store.
type vendorStates struct {
	store incident.Store
	desc  *prometheus.Desc
}

func (v *vendorStates) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

func (v *vendorStates) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ws, err := v.store.Watches(ctx, incident.WatchFilter{})
	if err != nil {
		return // the scrape goes on without it; /readyz tells the database's health
	}
	seen := map[string]bool{}
	for _, w := range ws {
		if seen[w.Vendor.Vendor] {
			continue
		}
		seen[w.Vendor.Vendor] = true
		ch <- prometheus.MustNewConstMetric(v.desc, prometheus.GaugeValue, vendorStateValue(w.Vendor), w.Vendor.Vendor)
	}
}

// vendorStateValue is a vendor's state as bot_vendor_state shows it.
func vendorStateValue(v incident.VendorWatch) float64 {
	s := v.State
	worst := vendorStateOK
	if s.Probe == "failing" {
		worst = vendorStateDown
	}
	for _, in := range s.Incidents {
		switch in.Impact {
		case "major", "critical":
			worst = max(worst, vendorStateDown)
		default:
			worst = max(worst, vendorStateDegraded)
		}
	}
	if len(s.Degraded) > 0 {
		worst = max(worst, vendorStateDegraded)
	}
	if len(s.Maintenances) > 0 {
		worst = max(worst, vendorStateMaintenance)
	}
	if worst == vendorStateOK && (v.CheckedAt.IsZero() || (s.PageError != "" && s.Probe == "")) {
		return vendorStateUnknown
	}
	return float64(worst)
}
