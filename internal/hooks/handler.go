package hooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/rs/zerolog"
)

// MaxBody is the largest body a hook reads; larger ones are answered 413.
const MaxBody = 1 << 20

// Receiver takes the alerts of one delivery. It returns only once they are
// kept (as jobs), so that the 2xx answer promises nothing it could lose; an
// error means the sender should deliver them again.
type Receiver interface {
	Alerts(ctx context.Context, alerts []commands.Alert) error
}

// Options are the hooks' settings.
type Options struct {
	Token           string // HOOK_TOKEN: every request carries Authorization: Bearer <Token>
	PagerDutySecret string // PAGERDUTY_WEBHOOK_SECRET: when set, X-PagerDuty-Signature must match
	Log             zerolog.Logger
	// Refused, when set, counts each request turned away, by source and
	// reason (unauthorized, bad_signature, too_large, bad_body, busy).
	Refused func(source, reason string)
}

// Handler serves POST /hooks/<source>: the bearer token first, then the
// body (at most MaxBody; PagerDuty's signature over it when a secret is
// set), then the source's format; the alerts go to r. Answers: 200 with
// {"ok":true,"alerts":n}; 401 without the token (or with a wrong one, or a
// PagerDuty signature that does not match); 413 over MaxBody; 400 with the
// reason for a body the bot cannot read; 503 when the alerts could not be
// kept (the sender retries).
func Handler(source string, r Receiver, o Options) http.Handler {
	want := sha256.Sum256([]byte(o.Token))
	refuse := func(w http.ResponseWriter, req *http.Request, code int, reason, text string) {
		if o.Refused != nil {
			o.Refused(source, reason)
		}
		ev := o.Log.Warn()
		if code >= 500 {
			ev = o.Log.Error()
		}
		ev.Str("source", source).Str("path", req.URL.Path).Int("status", code).Str("reason", text).Msg("refused an alert delivery")
		answer(w, code, map[string]any{"ok": false, "error": text})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !bearerOK(req.Header.Get("Authorization"), want) || o.Token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hooks"`)
			refuse(w, req, http.StatusUnauthorized, "unauthorized",
				"missing or wrong token: send the header Authorization: Bearer <HOOK_TOKEN>")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				refuse(w, req, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 1 MiB")
				return
			}
			refuse(w, req, http.StatusBadRequest, "bad_body", "the body could not be read")
			return
		}
		if source == PagerDuty && o.PagerDutySecret != "" &&
			!SignatureOK(req.Header.Get("X-PagerDuty-Signature"), o.PagerDutySecret, body) {
			refuse(w, req, http.StatusUnauthorized, "bad_signature",
				"X-PagerDuty-Signature does not match the body: check PAGERDUTY_WEBHOOK_SECRET against the subscription's secret")
			return
		}
		alerts, err := Parse(source, body)
		if err != nil {
			var b *BadBody
			text := "the body could not be read"
			if errors.As(err, &b) {
				text = b.Reason
			}
			refuse(w, req, http.StatusBadRequest, "bad_body", SourceName(source)+" body: "+text)
			return
		}
		if len(alerts) > 0 {
			if err := r.Alerts(req.Context(), alerts); err != nil {
				o.Log.Error().Err(err).Str("source", source).Msg("keep the alerts")
				w.Header().Set("Retry-After", "60")
				refuse(w, req, http.StatusServiceUnavailable, "busy", "the bot could not take the alerts now; deliver them again")
				return
			}
		}
		o.Log.Info().Str("source", source).Int("alerts", len(alerts)).Msg("alerts received")
		answer(w, http.StatusOK, map[string]any{"ok": true, "alerts": len(alerts)})
	})
}

// bearerOK compares the bearer token in header with the token whose
// SHA-256 is want, in constant time (hashing first hides the length).
func bearerOK(header string, want [32]byte) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// SignatureOK checks PagerDuty's X-PagerDuty-Signature: one or more
// comma-separated v1=<hex HMAC-SHA256 of the body with the secret>, any
// one of which may match (PagerDuty sends two while a secret is rotated).
func SignatureOK(header, secret string, body []byte) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := mac.Sum(nil)
	ok := false
	for _, sig := range strings.Split(header, ",") {
		v, hexSig, found := strings.Cut(strings.TrimSpace(sig), "=")
		if !found || v != "v1" {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

// Sign is the X-PagerDuty-Signature PagerDuty sends for body: for the
// playground and tests that stand in for PagerDuty.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
