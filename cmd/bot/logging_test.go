package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRequestLogDurationHasAUnit: the access log's duration says its unit
// in its name, in JSON and in the console format bot play uses, and holds
// the milliseconds it names.
func TestRequestLogDurationHasAUnit(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Millisecond) })
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			log := newLogger(&out, logConfig{Level: "info", Format: format}, nil)
			logRequests(log)(slow).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/slack/commands", nil))
			line := out.String()
			if strings.Contains(line, "took=") || strings.Contains(line, `"took"`) {
				t.Errorf("a duration without its unit: %s", line)
			}
			var ms float64
			if format == "json" {
				var rec struct {
					TookMS *float64 `json:"took_ms"`
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.TookMS == nil {
					t.Fatalf("no took_ms in %s (%v)", line, err)
				}
				ms = *rec.TookMS
			} else {
				m := regexp.MustCompile(`took_ms=([0-9.]+)`).FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("no took_ms= in %s", line)
				}
				if err := json.Unmarshal([]byte(m[1]), &ms); err != nil {
					t.Fatal(err)
				}
			}
			if ms < 3 || ms > 10_000 {
				t.Errorf("took_ms = %v for a handler that sleeps 3 ms", ms)
			}
		})
	}
}
