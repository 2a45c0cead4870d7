package runbook

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestWriteTextGolden shows a reviewer exactly what a person sees.
func TestWriteTextGolden(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Findings)
	}{
		{"auth_invalid", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION"
			f.API.ErrorMessage = "Authentication credentials not found."
			f.API.RequestID = "b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11"
			f.RateLimit = RateLimitFinding{}
			f.Health = HealthFinding{}
		}},
		{"rate_limited", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Policy = ClassRateLimited, 429, "RATE_LIMIT", "DAILY"
			f.API.ErrorMessage = "You have reached your daily limit."
			f.RateLimit = RateLimitFinding{Windows: []RateWindow{{Name: "daily", Limit: 500000, Remaining: 0}}, RetryAfter: 0}
		}},
		{"healthy", func(f *Findings) {}},
		{"auth_invalid_during_unrelated_incident", func(f *Findings) {
			f.API.Class, f.API.HTTPStatus, f.API.ErrorCode, f.API.Documented = ClassAuthInvalid, 401, "INVALID_AUTHENTICATION", true
			f.API.RequestID = "b7e2c1d0-5f0e-4c1b-9e55-2f1d3a0c7e11"
			f.RateLimit = RateLimitFinding{}
			f.Status = webhooksDelayed()
			f.Status.Incidents[0].Link = "https://stspg.io/wh1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(&f)
			r, err := Diagnose(f)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("text report differs from %s:\n%s", golden, buf.String())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	r := Report{Vendor: "x", Cause: Healthy, StartedAt: time.Unix(0, 0)}
	if err := WriteText(failWriter{}, r); err == nil {
		t.Fatal("WriteText to a failing writer returned nil")
	}
}
