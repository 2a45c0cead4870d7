package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/rs/zerolog"
)

// recorder is a Receiver that keeps what it was handed.
type recorder struct {
	mu     sync.Mutex
	alerts []commands.Alert
	err    error
}

func (r *recorder) Alerts(_ context.Context, alerts []commands.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.alerts = append(r.alerts, alerts...)
	return nil
}

const (
	testToken  = "hook-token-for-tests-0123456789"
	testSecret = "pd-secret-for-tests-0123456789"
)

// TestHandler: the bearer token, the body limit, PagerDuty's signature
// and the body's format are checked in that order, each answered with its
// status and a reason; only a delivery that passes them all reaches the
// receiver.
func TestHandler(t *testing.T) {
	pd := fixture(t, "pagerduty_triggered.json")
	tests := []struct {
		name, source, auth, sig string
		body                    []byte
		receiverErr             error
		status, alerts          int
		says                    string
	}{
		{name: "alertmanager", source: Alertmanager, auth: "Bearer " + testToken, body: fixture(t, "alertmanager_firing.json"),
			status: 200, alerts: 1, says: `"ok":true`},
		{name: "grafana", source: Grafana, auth: "bearer " + testToken, body: fixture(t, "grafana_firing.json"), status: 200, alerts: 2},
		{name: "no token", source: Alertmanager, body: fixture(t, "alertmanager_firing.json"), status: 401, says: "Authorization: Bearer"},
		{name: "wrong token", source: Alertmanager, auth: "Bearer " + testToken + "x", body: fixture(t, "alertmanager_firing.json"), status: 401},
		{name: "basic auth", source: Alertmanager, auth: "Basic " + testToken, body: fixture(t, "alertmanager_firing.json"), status: 401},
		{name: "bad body", source: Datadog, auth: "Bearer " + testToken, body: []byte(`{"title":"x"}`), status: 400,
			says: "Datadog body: aggreg_key is missing"},
		{name: "too large", source: Generic, auth: "Bearer " + testToken, body: bytes.Repeat([]byte(" "), MaxBody+1), status: 413},
		{name: "pagerduty signed", source: PagerDuty, auth: "Bearer " + testToken, sig: "v1=00ff," + Sign(testSecret, pd), body: pd,
			status: 200, alerts: 1},
		{name: "pagerduty unsigned", source: PagerDuty, auth: "Bearer " + testToken, body: pd, status: 401, says: "X-PagerDuty-Signature"},
		{name: "pagerduty signed otherwise", source: PagerDuty, auth: "Bearer " + testToken, sig: Sign("another", pd), body: pd, status: 401},
		{name: "pagerduty acknowledged", source: PagerDuty, auth: "Bearer " + testToken,
			sig: Sign(testSecret, fixture(t, "pagerduty_acknowledged.json")), body: fixture(t, "pagerduty_acknowledged.json"),
			status: 200, says: `"alerts":0`},
		{name: "receiver busy", source: Generic, auth: "Bearer " + testToken, body: fixture(t, "generic_firing.json"),
			receiverErr: errors.New("busy"), status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.receiverErr}
			var logs bytes.Buffer
			var refused []string
			h := Handler(tt.source, rec, Options{Token: testToken, PagerDutySecret: testSecret, Log: zerolog.New(&logs),
				Refused: func(source, reason string) { refused = append(refused, source+"/"+reason) }})
			req := httptest.NewRequest(http.MethodPost, "/hooks/"+tt.source, bytes.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.sig != "" {
				req.Header.Set("X-PagerDuty-Signature", tt.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			var answer map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
				t.Errorf("the answer %q is not JSON: %v", w.Body, err)
			}
			if !strings.Contains(w.Body.String(), tt.says) {
				t.Errorf("answer %s; want it to say %q", w.Body, tt.says)
			}
			if len(rec.alerts) != tt.alerts {
				t.Errorf("the receiver got %d alerts, want %d", len(rec.alerts), tt.alerts)
			}
			if (tt.status != 200) != (len(refused) == 1) {
				t.Errorf("refusals counted: %v", refused)
			}
			if tt.status >= 400 && !strings.Contains(logs.String(), "refused an alert delivery") {
				t.Errorf("the refusal was not logged: %s", logs.String())
			}
			for _, secret := range []string{testToken, testSecret} {
				if strings.Contains(logs.String()+w.Body.String(), secret) {
					t.Errorf("a secret is in the log or the answer: %s %s", logs.String(), w.Body)
				}
			}
		})
	}
}

// TestHandlerNoToken: with no token configured nothing is accepted, not
// even an empty bearer.
func TestHandlerNoToken(t *testing.T) {
	h := Handler(Generic, &recorder{}, Options{Log: zerolog.Nop()})
	for _, auth := range []string{"", "Bearer ", "Bearer"} {
		req := httptest.NewRequest(http.MethodPost, "/hooks/generic", strings.NewReader(`{"key":"k","status":"resolved"}`))
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 401 {
			t.Errorf("Authorization %q: status %d, want 401", auth, w.Code)
		}
	}
}

// TestSignatureOK follows PagerDuty's page: any one of several v1
// signatures may match; other versions are ignored.
func TestSignatureOK(t *testing.T) {
	body := []byte(`{"event":{}}`)
	good := Sign("s3cret", body)
	for _, tt := range []struct {
		header string
		want   bool
	}{
		{good, true},
		{"v1=abc," + good, true},
		{good + ",v1=abc", true},
		{strings.Replace(good, "v1=", "v2=", 1), false},
		{"v1=zz", false},
		{"", false},
	} {
		if got := SignatureOK(tt.header, "s3cret", body); got != tt.want {
			t.Errorf("SignatureOK(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
