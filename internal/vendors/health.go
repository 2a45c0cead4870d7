package vendors

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// checkHealth asks our own service's health endpoint what it thinks of the
// vendor: JSON with services.<vendor>.status. The runbook applies the
// contract's reading of the answer.
func checkHealth(ctx context.Context, client *http.Client, healthURL, vendorKey string) runbook.HealthFinding {
	h := runbook.HealthFinding{Configured: healthURL != ""}
	if !h.Configured {
		return h
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
	if err != nil {
		h.Err = "cannot build the request: " + err.Error()
		return h
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		h.Latency = time.Since(start)
		h.TimedOut, h.Err = netFailure(ctx, err, req.URL.Host)
		return h
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	h.Latency = time.Since(start)
	h.HTTPStatus = resp.StatusCode
	if err != nil {
		h.TimedOut, h.Err = netFailure(ctx, err, req.URL.Host)
		if !h.TimedOut {
			h.Err = "the answer broke off: " + h.Err
		}
		return h
	}
	doc, ok := parseJSON(raw)
	if !ok {
		return h // a 2xx that is not JSON says nothing about the vendor
	}
	h.Status, h.Entry = serviceStatus(doc, vendorKey)
	return h
}

// serviceStatus finds services.<vendor>.status, matching the key in any
// case; services.<vendor> given as a plain string is read as the status.
func serviceStatus(doc any, key string) (string, bool) {
	root, _ := doc.(map[string]any)
	services, _ := root["services"].(map[string]any)
	for name, entry := range services {
		if !strings.EqualFold(name, key) {
			continue
		}
		if s, ok := scalar(entry); ok {
			return s, true
		}
		if m, ok := entry.(map[string]any); ok {
			if s, ok := scalar(m["status"]); ok {
				return s, true
			}
		}
		return "", false // an entry without a status says nothing either
	}
	return "", false
}
