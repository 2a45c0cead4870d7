// Package slackapp is the bot's Slack edge. Inbound: the HTTP handlers for
// slash commands, interactions and events, each request verified against
// the signing secret while its body is read, acknowledged within Slack's
// three seconds, and handed to the command layer; or, with an app-level
// token, Socket Mode (Socket): the same payloads as envelopes on a websocket
// the bot dials out, acknowledged on it. A delivery that comes twice (an
// envelope Slack redelivers, a command or click sent again) is handed on
// once (Dedupe), and one click's payload yields at most MaxActions
// actions. Outbound: the Web API
// client (one shared slack-go client, retries honouring Retry-After), which
// implements the command layer's Slack port and maps
// Slack's errors onto the domain's error kinds.
package slackapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// MaxBody is the largest request body accepted from Slack.
const MaxBody = 1 << 20

// MaxSkew is how far a request's timestamp may be from our clock, either way.
const MaxSkew = 5 * time.Minute

// Sign returns Slack's v0 signature of body sent at timestamp ts.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Rejection says why a request was refused, for logs and metrics.
type Rejection string

// Why requests are refused.
const (
	RejectMissing   Rejection = "missing_headers"
	RejectStale     Rejection = "stale_timestamp"
	RejectSignature Rejection = "bad_signature"
	RejectTooLarge  Rejection = "too_large"
	RejectRead      Rejection = "unreadable"
)

// Verifier checks Slack's request signatures.
type Verifier struct {
	Secret string
	Now    func() time.Time
	// Rejected is told about each refused request (a metric, a log line).
	Rejected func(r *http.Request, why Rejection)
}

type bodyKey struct{}

// Body returns the verified request body stored by Middleware.
func Body(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey{}).([]byte)
	return b
}

// Middleware verifies every request before next sees it: the timestamp
// within MaxSkew of now, in both directions, and the HMAC computed while the
// body is read (slack-go's SecretsVerifier fed through a TeeReader). Refused
// requests get 401, bodies over MaxBody 413; no work is done for either.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, why, status := v.verify(r)
		if why != "" {
			if v.Rejected != nil {
				v.Rejected(r, why)
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (v *Verifier) verify(r *http.Request) (*http.Request, Rejection, int) {
	if r.ContentLength > MaxBody {
		return r, RejectTooLarge, http.StatusRequestEntityTooLarge
	}
	tsHeader := r.Header.Get("X-Slack-Request-Timestamp")
	if tsHeader == "" || r.Header.Get("X-Slack-Signature") == "" {
		return r, RejectMissing, http.StatusUnauthorized
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if err != nil || now().Sub(time.Unix(ts, 0)).Abs() > MaxSkew {
		return r, RejectStale, http.StatusUnauthorized
	}
	sv, err := slack.NewSecretsVerifier(r.Header, v.Secret)
	if err != nil {
		if errors.Is(err, slack.ErrExpiredTimestamp) {
			return r, RejectStale, http.StatusUnauthorized
		}
		return r, RejectSignature, http.StatusUnauthorized
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.TeeReader(io.LimitReader(r.Body, MaxBody+1), &sv))
	if err != nil {
		return r, RejectRead, http.StatusBadRequest
	}
	if n > MaxBody {
		return r, RejectTooLarge, http.StatusRequestEntityTooLarge
	}
	if sv.Ensure() != nil {
		return r, RejectSignature, http.StatusUnauthorized
	}
	body := buf.Bytes()
	r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r, "", 0
}
