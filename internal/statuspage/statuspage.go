// Package statuspage publishes an incident to the company's own customer
// status page on Atlassian Statuspage, through its REST API
// (developer.statuspage.io: POST /pages/{page_id}/incidents creates an
// incident, PATCH /pages/{page_id}/incidents/{incident_id} updates it,
// GET /pages/{page_id} reads the page; every request carries
// "Authorization: OAuth <api key>"). It implements commands.StatusPage and
// maps Statuspage's answers onto the domain's error kinds. The API key
// never appears in an error, a log or a message.
package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/incident"
)

// DefaultURL is the base of Statuspage's REST API.
const DefaultURL = "https://api.statuspage.io/v1"

// Client publishes to one Statuspage page. The zero value (no page id or
// key) is a page that is not configured.
type Client struct {
	BaseURL string // DefaultURL when empty
	PageID  string
	APIKey  string
	HTTP    *http.Client // a client with a 10 s timeout when nil
}

var _ commands.StatusPage = (*Client)(nil)

// Enabled reports whether the page id and the key are set.
func (c *Client) Enabled() bool { return c != nil && c.PageID != "" && c.APIKey != "" }

// incidentBody is the request body of a create or an update
// (developer.statuspage.io, "Create an incident": incident[name],
// incident[status], incident[body]).
type incidentBody struct {
	Incident struct {
		Name   string `json:"name,omitempty"`
		Status string `json:"status"`
		Body   string `json:"body"`
	} `json:"incident"`
}

// incidentAnswer is the part of Statuspage's incident object the bot reads.
type incidentAnswer struct {
	ID        string `json:"id"`
	Shortlink string `json:"shortlink"`
	Status    string `json:"status"`
}

// Publish creates an incident on the page (id empty) or updates incident
// id with a new status and text, and returns its id and public link.
func (c *Client) Publish(ctx context.Context, id string, u commands.StatuspageUpdate) (string, string, error) {
	if !c.Enabled() {
		return "", "", incident.Errorf(incident.Invalid, "No status page is configured: set STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY.")
	}
	var b incidentBody
	b.Incident.Name, b.Incident.Status, b.Incident.Body = u.Name, u.Status, u.Body
	method, path := http.MethodPost, "/pages/"+url.PathEscape(c.PageID)+"/incidents"
	if id != "" {
		method, path = http.MethodPatch, path+"/"+url.PathEscape(id)
	}
	var got incidentAnswer
	if err := c.do(ctx, method, path, b, &got); err != nil {
		return "", "", err
	}
	if got.ID == "" {
		got.ID = id
	}
	if got.ID == "" {
		return "", "", fmt.Errorf("statuspage: the answer to %s %s named no incident", method, path)
	}
	return got.ID, got.Shortlink, nil
}

// Page is what GET /pages/{page_id} says of the page.
type Page struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Check reads the page: it tells whether the id and the key work
// (bot doctor).
func (c *Client) Check(ctx context.Context) (Page, error) {
	var p Page
	err := c.do(ctx, http.MethodGet, "/pages/"+url.PathEscape(c.PageID), nil, &p)
	return p, err
}

func (c *Client) do(ctx context.Context, method, path string, body, into any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("statuspage: encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultURL
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return fmt.Errorf("statuspage: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "OAuth "+c.APIKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "incident-bot/1")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL holds the page id, never the key; the error is logged, and
		// the user is told that the page could not be reached.
		return &incident.Error{Kind: incident.Internal, Message: "Statuspage could not be reached.",
			Err: fmt.Errorf("statuspage: %s %s: %w", method, path, err)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return answerError(resp.StatusCode, raw, method, path)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("statuspage: %s %s: unreadable answer: %w", method, path, err)
		}
	}
	return nil
}

// answerError maps a refusal onto what the user can do about it. Statuspage
// documents its error statuses (401, 403, 404, 420 and 429 for the rate
// limit, 422) but not one error body, so the text is read from "error" or
// "message" when there is one.
func answerError(status int, raw []byte, method, path string) error {
	var e struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &e)
	said := e.Message
	if s, ok := e.Error.(string); ok && said == "" {
		said = s
	}
	said = strings.Join(strings.Fields(said), " ")
	if len(said) > 200 {
		said = said[:200] + "…"
	}
	cause := fmt.Errorf("statuspage: %s %s: HTTP %d %s", method, path, status, said)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &incident.Error{Kind: incident.Forbidden, Err: cause,
			Message: fmt.Sprintf("Statuspage refused the API key (HTTP %d): check STATUSPAGE_API_KEY and that its user may manage incidents on the page.", status)}
	case status == http.StatusNotFound:
		return &incident.Error{Kind: incident.NotFound, Err: cause,
			Message: "Statuspage does not know the page or the incident (HTTP 404): check STATUSPAGE_PAGE_ID."}
	case status == 420 || status == http.StatusTooManyRequests || status >= 500:
		return &incident.Error{Kind: incident.Internal, Err: cause, Message: fmt.Sprintf("Statuspage answered HTTP %d.", status)}
	}
	msg := fmt.Sprintf("Statuspage refused the update (HTTP %d)", status)
	if said != "" {
		msg += ": " + said
	}
	return &incident.Error{Kind: incident.Invalid, Err: cause, Message: msg + "."}
}
