package trackers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// Linear files follow-ups as issues of one team through Linear's GraphQL
// API (linear.app/developers/graphql): the issueCreate mutation, with a
// personal API key in the Authorization header (no Bearer).
type Linear struct {
	APIKey string // LINEAR_API_KEY
	TeamID string // LINEAR_TEAM_ID, the team's id (a UUID)
	APIURL string // LINEAR_API_URL, default https://api.linear.app/graphql
	Client *http.Client
}

var _ Tracker = (*Linear)(nil)

// DefaultLinearAPI is Linear's GraphQL endpoint.
const DefaultLinearAPI = "https://api.linear.app/graphql"

// Name is "linear".
func (l *Linear) Name() string { return "linear" }

func (l *Linear) url() string {
	if l.APIURL == "" {
		return DefaultLinearAPI
	}
	return strings.TrimSpace(l.APIURL)
}

func (l *Linear) api() api {
	return api{name: "Linear", client: l.Client,
		header: func(h http.Header) { h.Set("Authorization", l.APIKey) },
		rateLimited: func(status int, h http.Header, said string) bool {
			return h.Get("X-RateLimit-Requests-Remaining") == "0" || strings.Contains(strings.ToLower(said), "rate limit")
		},
		refusal: func(status int, said string) string {
			what := fmt.Sprintf("Linear refused the request (%d%s): ", status, quote(said))
			if status == http.StatusUnauthorized || strings.Contains(strings.ToLower(said), "authenticat") {
				return what + "LINEAR_API_KEY is invalid or revoked; create a personal API key (Settings → Security & access) and set LINEAR_API_KEY"
			}
			return what + "check LINEAR_TEAM_ID (the team's id) and LINEAR_API_KEY"
		}}
}

// gqlError is one GraphQL error as Linear returns them.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code                   string `json:"code"`
		Type                   string `json:"type"`
		UserPresentableMessage string `json:"userPresentableMessage"`
	} `json:"extensions"`
}

// graphql runs one query; errors in a 200 answer are judged as the HTTP
// status would be: RATELIMITED is retried, the rest are refusals.
func (l *Linear) graphql(ctx context.Context, query string, vars map[string]any, data any) error {
	raw := struct {
		Data   any        `json:"data"`
		Errors []gqlError `json:"errors"`
	}{Data: data}
	h, err := l.api().exchange(ctx, http.MethodPost, l.url(), map[string]any{"query": query, "variables": vars}, &raw)
	if err != nil {
		return err
	}
	if len(raw.Errors) == 0 {
		return nil
	}
	e := raw.Errors[0]
	msg := e.Message
	if e.Extensions.UserPresentableMessage != "" {
		msg = e.Extensions.UserPresentableMessage
	}
	msg = printable(msg, 200)
	switch strings.ToUpper(e.Extensions.Code) {
	case "RATELIMITED":
		return &RetryError{Msg: "Linear rate limited the bot (RATELIMITED); it will try again", After: waitFrom(h, time.Now())}
	case "AUTHENTICATION_ERROR":
		return incident.Errorf(incident.Invalid, "Linear refused LINEAR_API_KEY (%q): create a personal API key (Settings → Security & access) and set LINEAR_API_KEY", msg)
	case "FORBIDDEN":
		return incident.Errorf(incident.Invalid, "Linear refused the request (%q): the API key's user may not create issues in team %s", msg, l.TeamID)
	case "INTERNAL_SERVER_ERROR":
		return &RetryError{Msg: fmt.Sprintf("Linear failed (%q); it will try again", msg)}
	}
	return incident.Errorf(incident.Invalid, "Linear refused the request (%q): check LINEAR_TEAM_ID (the team's id) and LINEAR_API_KEY", msg)
}

type linearIssue struct {
	ID          string `json:"id"`
	Identifier  string `json:"identifier"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

const linearCreate = `mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url } }
}`

// CreateIssue runs issueCreate; the marker is the description's last line.
func (l *Linear) CreateIssue(ctx context.Context, d incident.IssueDraft) (incident.Issue, error) {
	var data struct {
		IssueCreate struct {
			Success bool         `json:"success"`
			Issue   *linearIssue `json:"issue"`
		} `json:"issueCreate"`
	}
	input := map[string]any{"teamId": l.TeamID, "title": d.Title, "description": markdownBody(d, d.Marker)}
	if err := l.graphql(ctx, linearCreate, map[string]any{"input": input}, &data); err != nil {
		return incident.Issue{}, err
	}
	is := data.IssueCreate.Issue
	if !data.IssueCreate.Success || is == nil || is.Identifier == "" {
		return incident.Issue{}, &RetryError{Msg: "Linear answered issueCreate without success or the issue"}
	}
	return incident.Issue{Key: is.Identifier, URL: is.URL}, nil
}

const linearFind = `query FindFollowup($filter: IssueFilter) {
  issues(filter: $filter, first: 5) { nodes { id identifier url description } }
}`

// FindIssue asks for the team's issues whose description contains the marker.
func (l *Linear) FindIssue(ctx context.Context, marker string, since time.Time) (incident.Issue, bool, error) {
	var data struct {
		Issues struct {
			Nodes []linearIssue `json:"nodes"`
		} `json:"issues"`
	}
	filter := map[string]any{
		"team":        map[string]any{"id": map[string]string{"eq": l.TeamID}},
		"description": map[string]string{"contains": marker},
	}
	if err := l.graphql(ctx, linearFind, map[string]any{"filter": filter}, &data); err != nil {
		return incident.Issue{}, false, err
	}
	for _, is := range data.Issues.Nodes {
		if strings.Contains(is.Description, marker) {
			return incident.Issue{Key: is.Identifier, URL: is.URL}, true, nil
		}
	}
	return incident.Issue{}, false, nil
}

const linearCheck = `query Check($id: String!) { viewer { id name } team(id: $id) { id key name } }`

// Check asks who the key belongs to and for the team.
func (l *Linear) Check(ctx context.Context) (string, error) {
	var data struct {
		Viewer struct{ Name string }       `json:"viewer"`
		Team   *struct{ Key, Name string } `json:"team"`
	}
	if err := l.graphql(ctx, linearCheck, map[string]any{"id": l.TeamID}, &data); err != nil {
		return "", err
	}
	if data.Team == nil {
		return "", incident.Errorf(incident.Invalid, "Linear: no team with the id LINEAR_TEAM_ID names; copy the team's id (see docs/INTEGRATIONS.md)")
	}
	return fmt.Sprintf("Linear team %s (%s) found, API key of %s", printable(data.Team.Key, 20),
		printable(data.Team.Name, 80), printable(data.Viewer.Name, 80)), nil
}
