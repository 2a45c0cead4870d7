package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestVendorsDetect runs bot vendors detect against a Statuspage-style
// page on loopback, a page of no known format, and bad usage.
func TestVendorsDetect(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/summary.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"page":{"id":"p1","name":"Acme"},"status":{"indicator":"minor","description":"Partial System Outage"},` +
			`"components":[{"id":"c1","name":"API","status":"degraded_performance","group":false}],` +
			`"incidents":[{"name":"Elevated API errors \u001b[31m","status":"investigating","impact":"minor","components":[{"name":"API"}]}],` +
			`"scheduled_maintenances":[]}`))
	}))
	t.Cleanup(page.Close)
	nothing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nothing.Close)
	getenv := func(string) string { return "" }

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"found", []string{"detect", page.URL}, 0,
			[]string{"kind:       statuspage", "document:   " + page.URL + "/api/v2/summary.json", "indicator:  minor",
				"reading:    minor (Partial System Outage); 1 open incident(s): Elevated API errors", "status_kind: statuspage"},
			[]string{"\x1b"}},
		{"found, flags after the URL", []string{"detect", page.URL, "--timeout", "5s"}, 0, []string{"kind:       statuspage"}, nil},
		{"JSON", []string{"detect", "--json", page.URL}, 0, []string{`"found": true`, `"status_kind": "statuspage"`, `"indicator": "minor"`}, nil},
		{"not found", []string{"detect", nothing.URL}, 1, []string{"no status-page format found at " + nothing.URL, "tried statuspage at "}, nil},
		{"not found, JSON", []string{"detect", "--json", nothing.URL}, 1, []string{`"found": false`, `"tried": [`}, nil},
		{"help", []string{"detect", "--help"}, 0, []string{"Usage: bot vendors detect URL"}, nil},
		{"no URL", []string{"detect"}, 2, nil, nil},
		{"two URLs", []string{"detect", page.URL, nothing.URL}, 2, nil, nil},
		{"not a URL", []string{"detect", "status.example.com"}, 2, nil, nil},
		{"bad flag", []string{"detect", "--jsn", page.URL}, 2, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"bot", "vendors"}, tt.args...), getenv, &out, &errOut)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d; output:\n%s", got, err, tt.wantCode, out.String())
			}
			if tt.wantCode == 2 && (err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "vendors detect")) {
				t.Errorf("usage error %q: want one line naming vendors detect", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(strings.Join(tt.args, " "), "--json") && tt.wantCode != 2 {
				var row detectRow
				if err := json.Unmarshal(out.Bytes(), &row); err != nil {
					t.Errorf("not JSON: %v\n%s", err, out.String())
				}
			}
		})
	}
}
