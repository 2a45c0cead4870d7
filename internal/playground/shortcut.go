package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/statuspage/statuspagetest"
	"github.com/incident-bot/bot/messages"
)

// Shortcuts: the composer's ⚡ button runs the app's global shortcut as
// Slack's shortcuts menu does, a "shortcut" interaction with a trigger id
// of yours; the app opens its form with it.

// serveShortcut delivers the global shortcut the request names.
func (p *Playground) serveShortcut(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CallbackID string `json:"callback_id"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	known := false
	for _, id := range messages.Shortcuts() {
		known = known || id == req.CallbackID
	}
	if !known {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The app has no such shortcut."})
		return
	}
	// docs.slack.dev, reference/interaction-payloads/shortcuts-interaction-payload
	payload := map[string]any{
		"type": "shortcut", "token": "playground-verification-token", "callback_id": req.CallbackID,
		"trigger_id": p.trigger(), "action_ts": fmt.Sprintf("%d.000100", time.Now().Unix()),
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":                  map[string]any{"id": UserID, "username": UserName, "team_id": TeamID},
		"api_app_id":            slackfake.AppID,
		"is_enterprise_install": false,
	}
	if status := p.sendPayload(r.Context(), payload); status != http.StatusOK {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("The app did not take the shortcut (HTTP %d).", status)})
		return
	}
	p.notify()
	writeJSON(w, http.StatusOK, map[string]string{})
}

// StatuspagePageID is the page id of the playground's status page.
const StatuspagePageID = "playgroundpg1"

// StatuspageEnv is the company status page the bot publishes to here: the
// stand-in inside this process, its page id and this run's key.
func (p *Playground) StatuspageEnv() (apiURL, pageID, key string) {
	return p.base + "/play/statuspage", StatuspagePageID, p.statuspageKey
}

// StatuspageIncidents is what the playground's status page shows.
func (p *Playground) StatuspageIncidents() []statuspagetest.Incident { return p.statuspage.Incidents() }

// sendPayload delivers an interaction payload to the app as Slack does (a
// form with one field, payload, holding its JSON) and returns the app's
// HTTP status; 0 when the payload cannot be encoded.
func (p *Playground) sendPayload(ctx context.Context, payload map[string]any) int {
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0
	}
	status, _ := p.send(ctx, "/slack/interactions", "application/x-www-form-urlencoded",
		[]byte(url.Values{"payload": {string(raw)}}.Encode()), nil)
	return status
}
