// Package trackers files an incident's follow-ups as issues in the team's
// issue tracker: GitHub (REST), Jira Cloud (REST v3) and Linear (GraphQL),
// each speaking its documented API. It owns the trackers' wire formats,
// their authentication and what their answers mean: a refusal the
// operator must fix (401, 403, 404, 422) is a permanent incident.Error
// that says what to fix; a rate limit, a 5xx or no answer is a RetryError
// that carries the tracker's Retry-After or rate-limit reset. It retries
// nothing itself: the job queue does. No credential is ever part of an
// error or a log line.
package trackers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/incident-bot/bot/internal/incident"
)

// Tracker is one configured issue tracker.
type Tracker interface {
	// Name is the tracker's kind as FOLLOWUP_TRACKER names it: github, jira, linear.
	Name() string
	// CreateIssue creates an issue from d.
	CreateIssue(ctx context.Context, d incident.IssueDraft) (incident.Issue, error)
	// FindIssue looks for an issue carrying marker, created at or after
	// since: the one an earlier attempt created before it could be recorded.
	FindIssue(ctx context.Context, marker string, since time.Time) (incident.Issue, bool, error)
	// Check is bot doctor's check: the credentials work and the
	// repository, project or team exists. It says what it found.
	Check(ctx context.Context) (string, error)
}

// Names are the trackers FOLLOWUP_TRACKER accepts.
var Names = []string{"github", "jira", "linear"}

// RetryError is a failure worth trying again later: the tracker could not
// be reached, answered 5xx, or rate limited the bot. After is how long the
// tracker asked to wait (Retry-After, or its rate-limit reset); zero when
// it did not say.
type RetryError struct {
	Msg   string
	After time.Duration
}

func (e *RetryError) Error() string { return e.Msg }

// RetryAfter is the wait the tracker asked for; the job queue honours it.
func (e *RetryError) RetryAfter() time.Duration { return e.After }

// maxAnswer bounds what is read of a tracker's answer.
const maxAnswer = 1 << 20

// callTimeout bounds each call when the caller's context does not.
const callTimeout = 15 * time.Second

// api is one tracker's HTTP endpoint and how to authenticate to it.
type api struct {
	name   string // GitHub, Jira, Linear: for messages
	client *http.Client
	header func(h http.Header) // sets the credentials and the API's headers
	// refusal turns a 4xx (other than a rate limit) into what to fix.
	refusal func(status int, said string) string
	// rateLimited reports whether a 4xx answer other than 429 is a rate
	// limit (GitHub's 403 with x-ratelimit-remaining: 0 or Retry-After).
	rateLimited func(status int, h http.Header, said string) bool
}

// call sends in (JSON, unless nil) and decodes the 2xx answer into out.
func (a api) call(ctx context.Context, method, url string, in, out any) error {
	_, err := a.exchange(ctx, method, url, in, out)
	return err
}

// exchange is call, also returning the answer's headers (nil when there
// was no answer).
func (a api) exchange(ctx context.Context, method, url string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s: encode the request: %w", a.name, err)
		}
		body = bytes.NewReader(b)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, incident.Errorf(incident.Invalid, "%s: the API URL does not work (%v): check the tracker's URL setting", a.name, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "incident-bot")
	a.header(req.Header)
	client := a.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &RetryError{Msg: fmt.Sprintf("%s did not answer (%s %s): %s", a.name, method, pathOf(url), netProblem(err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.Header, &RetryError{Msg: fmt.Sprintf("%s: reading its answer failed: %v", a.name, err)}
	}
	said := vendorSaid(raw)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if out == nil {
			return resp.Header, nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.Header, &RetryError{Msg: fmt.Sprintf("%s answered %d with a body that is not the documented JSON: %v", a.name, resp.StatusCode, err)}
		}
		return resp.Header, nil
	case resp.StatusCode == http.StatusTooManyRequests || (a.rateLimited != nil && a.rateLimited(resp.StatusCode, resp.Header, said)):
		return resp.Header, &RetryError{Msg: fmt.Sprintf("%s rate limited the bot (%d%s); it will try again", a.name, resp.StatusCode, quote(said)),
			After: waitFrom(resp.Header, time.Now())}
	case resp.StatusCode >= 500:
		return resp.Header, &RetryError{Msg: fmt.Sprintf("%s answered %d%s; it will try again", a.name, resp.StatusCode, quote(said)),
			After: waitFrom(resp.Header, time.Now())}
	}
	return resp.Header, incident.Errorf(incident.Invalid, "%s", a.refusal(resp.StatusCode, said))
}

// pathOf is url without its query, for messages.
func pathOf(url string) string {
	path, _, _ := strings.Cut(url, "?")
	return path
}

// netProblem is the last part of a transport error: refused, timeout, DNS.
func netProblem(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// quote is the tracker's own words, shortened and printable, for a message.
func quote(said string) string {
	if said == "" {
		return ""
	}
	return ": " + strconv.Quote(said)
}

// vendorSaid finds the tracker's message in an error body: GitHub's
// message, Jira's errorMessages and errors, a GraphQL errors[].message.
func vendorSaid(raw []byte) string {
	var v struct {
		Message       string          `json:"message"`
		ErrorMessages []string        `json:"errorMessages"`
		Errors        json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	parts := []string{}
	if v.Message != "" {
		parts = append(parts, v.Message)
	}
	parts = append(parts, v.ErrorMessages...)
	var fieldErrs map[string]string
	if json.Unmarshal(v.Errors, &fieldErrs) == nil {
		for _, k := range slices.Sorted(maps.Keys(fieldErrs)) {
			parts = append(parts, k+": "+fieldErrs[k])
		}
	}
	var gqlErrs []struct {
		Message    string `json:"message"`
		Extensions struct {
			UserPresentableMessage string `json:"userPresentableMessage"`
		} `json:"extensions"`
	}
	if json.Unmarshal(v.Errors, &gqlErrs) == nil {
		for _, e := range gqlErrs {
			m := e.Message
			if e.Extensions.UserPresentableMessage != "" {
				m = e.Extensions.UserPresentableMessage
			}
			parts = append(parts, m)
		}
	}
	return printable(strings.Join(parts, "; "), 200)
}

// printable drops control characters and cuts s to n bytes.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return strings.TrimSpace(s)
}

// waitFrom is how long an answer asks the bot to wait: Retry-After
// (seconds or an HTTP date), else a rate-limit reset: GitHub's
// x-ratelimit-reset (epoch seconds), Jira's X-RateLimit-Reset (ISO 8601),
// Linear's X-RateLimit-Requests-Reset (epoch milliseconds).
func waitFrom(h http.Header, now time.Time) time.Duration {
	for _, name := range []string{"Retry-After", "X-RateLimit-Reset", "X-RateLimit-Requests-Reset"} {
		if d, ok := parseWait(h.Get(name), now); ok {
			return d
		}
	}
	return 0
}

func parseWait(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		switch {
		case n > 1e12: // epoch milliseconds
			return max(time.UnixMilli(n).Sub(now), 0), true
		case n > 1e9: // epoch seconds
			return max(time.Unix(n, 0).Sub(now), 0), true
		}
		return time.Duration(n) * time.Second, true
	}
	for _, layout := range []string{http.TimeFormat, time.RFC3339, "2006-01-02T15:04Z"} {
		if t, err := time.Parse(layout, v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	return 0, false
}

// trimURL drops the trailing slashes of a base URL.
func trimURL(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }
