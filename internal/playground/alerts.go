package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"
)

// A simulated Alertmanager: the page's buttons send one alert, firing and
// then resolved, to the bot's own /hooks/alertmanager with the run's hook
// token, as Alertmanager's webhook receiver does (payload version 4,
// https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).

// alertGroup is the simulated alert's group; its labels name HubSpot, so
// the bot runs HubSpot's triage into the incident the alert opens.
const alertGroup = `{}:{alertname="HubSpotSyncFailing"}`

// HookToken is the HOOK_TOKEN of this run: made up, like the Slack secrets.
func (p *Playground) HookToken() string {
	p.alertMu.Lock()
	defer p.alertMu.Unlock()
	if p.htoken == "" {
		p.htoken = "playground-hook-" + randomHex(12)
	}
	return p.htoken
}

// serveAlert sends the simulated alert: {"status": "firing"} or
// {"status": "resolved"}. A resolved alert is the one that fired last;
// firing again after it starts a new one.
func (p *Playground) serveAlert(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
	}
	if err := readJSON(r, &req); err != nil || (req.Status != "firing" && req.Status != "resolved") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send {"status": "firing"} or {"status": "resolved"}`})
		return
	}
	body := p.alertBody(req.Status, time.Now().UTC())
	status, answer := p.sendAlert(r.Context(), body)
	if status != http.StatusOK {
		p.addNotice("", fmt.Sprintf("The simulated Alertmanager got HTTP %d from the bot: %s", status, answer))
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("the bot answered HTTP %d", status)})
		return
	}
	p.Log.Info().Str("status", req.Status).Msg("playground: simulated Alertmanager alert sent")
	writeJSON(w, http.StatusOK, map[string]string{"status": req.Status})
}

// alertBody is Alertmanager's notification of the simulated alert.
func (p *Playground) alertBody(status string, now time.Time) []byte {
	p.alertMu.Lock()
	if p.alertStart.IsZero() {
		p.alertStart = now
	}
	start, end := p.alertStart, "0001-01-01T00:00:00Z"
	if status == "resolved" {
		end = now.Format(time.RFC3339Nano)
		p.alertStart = time.Time{}
	}
	p.alertMu.Unlock()
	labels := map[string]string{"alertname": "HubSpotSyncFailing", "severity": "critical", "vendor": "hubspot", "job": "crm-sync"}
	annotations := map[string]string{"summary": "HubSpot sync failing",
		"description": "crm-sync gets errors from HubSpot on most calls for 5 minutes"}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": alertGroup, "truncatedAlerts": 0, "status": status, "receiver": "incident-bot",
		"groupLabels": map[string]string{"alertname": "HubSpotSyncFailing"}, "commonLabels": labels,
		"commonAnnotations": annotations, "externalURL": p.base + "/play/alertmanager",
		"alerts": []map[string]any{{
			"status": status, "labels": labels, "annotations": annotations,
			"startsAt": start.Format(time.RFC3339Nano), "endsAt": end,
			"generatorURL": "http://prometheus.playground.example/graph?g0.expr=hubspot_sync_errors", "fingerprint": "5e1f0c3a9b2d7e64",
		}},
	})
	return body
}

// sendAlert hands body to the bot's /hooks/alertmanager, as Alertmanager
// would, with the bearer token.
func (p *Playground) sendAlert(ctx context.Context, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hooks/alertmanager", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Alertmanager/0.28.0")
	req.Header.Set("Authorization", "Bearer "+p.HookToken())
	rec := httptest.NewRecorder()
	p.bot.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}
