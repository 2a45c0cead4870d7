package trackers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// Jira files follow-ups as issues of one Jira Cloud project through REST
// API v3 (developer.atlassian.com/cloud/jira/platform/rest/v3/): POST
// /rest/api/3/issue with the description in Atlassian Document Format,
// basic auth with the account's email and an API token.
type Jira struct {
	URL       string // JIRA_URL, the site: https://acme.atlassian.net
	Project   string // JIRA_PROJECT, the project key: OPS
	Email     string // JIRA_EMAIL
	Token     string // JIRA_TOKEN, an API token of that account
	IssueType string // the issue type's name; default Task
	Client    *http.Client
}

var _ Tracker = (*Jira)(nil)

// DefaultJiraIssueType is the issue type follow-ups are filed as.
const DefaultJiraIssueType = "Task"

// Name is "jira".
func (j *Jira) Name() string { return "jira" }

func (j *Jira) api() api {
	return api{name: "Jira", client: j.Client,
		header: func(h http.Header) {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(j.Email+":"+j.Token)))
			h.Set("Accept", "application/json")
		},
		refusal: func(status int, said string) string {
			what := fmt.Sprintf("Jira refused the request for project %s (%d%s): ", j.Project, status, quote(said))
			switch status {
			case http.StatusUnauthorized:
				return what + "JIRA_EMAIL and JIRA_TOKEN do not sign in; create an API token for that account (id.atlassian.com → Security → API tokens) and set JIRA_TOKEN"
			case http.StatusForbidden:
				return what + "the account may not create issues in the project; give JIRA_EMAIL's account the Create issues permission"
			case http.StatusNotFound:
				return what + "no such project, or the account cannot see it; check JIRA_PROJECT (the key, like OPS) and JIRA_URL"
			case http.StatusBadRequest:
				return what + "Jira did not accept the issue; check that the project has the issue type " + j.issueType()
			}
			return what + "check JIRA_URL, JIRA_PROJECT, JIRA_EMAIL and JIRA_TOKEN"
		}}
}

func (j *Jira) issueType() string {
	if j.IssueType == "" {
		return DefaultJiraIssueType
	}
	return j.IssueType
}

func (j *Jira) base() string { return trimURL(j.URL) }

// CreateIssue creates the issue; the marker is the description's last
// paragraph (ADF has nothing hidden), which FindIssue searches for.
func (j *Jira) CreateIssue(ctx context.Context, d incident.IssueDraft) (incident.Issue, error) {
	fields := map[string]any{
		"project":     map[string]string{"key": j.Project},
		"summary":     d.Title,
		"issuetype":   map[string]string{"name": j.issueType()},
		"description": adf(d),
	}
	if len(d.Labels) > 0 {
		fields["labels"] = jiraLabels(d.Labels)
	}
	var out struct {
		ID, Key, Self string
	}
	if err := j.api().call(ctx, http.MethodPost, j.base()+"/rest/api/3/issue", map[string]any{"fields": fields}, &out); err != nil {
		return incident.Issue{}, err
	}
	if out.Key == "" {
		return incident.Issue{}, &RetryError{Msg: "Jira answered the new issue without its key"}
	}
	return incident.Issue{Key: out.Key, URL: j.base() + "/browse/" + out.Key}, nil
}

// jiraLabels makes labels Jira accepts: no spaces.
func jiraLabels(in []string) []string {
	out := make([]string, 0, len(in))
	for _, l := range in {
		if l = strings.Join(strings.Fields(l), "-"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// FindIssue searches the project with JQL (GET /rest/api/3/search/jql)
// for the marker's phrase in the issues' text.
func (j *Jira) FindIssue(ctx context.Context, marker string, since time.Time) (incident.Issue, bool, error) {
	jql := fmt.Sprintf(`project = "%s" AND text ~ "\"%s\""`, jqlEscape(j.Project), jqlEscape(marker))
	q := url.Values{"jql": {jql}, "fields": {"summary"}, "maxResults": {"5"}}
	var out struct {
		Issues []struct {
			Key string `json:"key"`
		} `json:"issues"`
	}
	if err := j.api().call(ctx, http.MethodGet, j.base()+"/rest/api/3/search/jql?"+q.Encode(), nil, &out); err != nil {
		return incident.Issue{}, false, err
	}
	if len(out.Issues) == 0 || out.Issues[0].Key == "" {
		return incident.Issue{}, false, nil
	}
	k := out.Issues[0].Key
	return incident.Issue{Key: k, URL: j.base() + "/browse/" + k}, true, nil
}

func jqlEscape(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) }

// Check signs in (GET /rest/api/3/myself) and reads the project (GET
// /rest/api/3/project/{key}).
func (j *Jira) Check(ctx context.Context) (string, error) {
	var me struct {
		DisplayName string `json:"displayName"`
	}
	if err := j.api().call(ctx, http.MethodGet, j.base()+"/rest/api/3/myself", nil, &me); err != nil {
		return "", err
	}
	var p struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	}
	if err := j.api().call(ctx, http.MethodGet, j.base()+"/rest/api/3/project/"+url.PathEscape(j.Project), nil, &p); err != nil {
		return "", err
	}
	return fmt.Sprintf("Jira project %s (%s) found, signed in as %s; issues are filed as %s",
		p.Key, printable(p.Name, 80), printable(me.DisplayName, 80), j.issueType()), nil
}

// adf is the description in Atlassian Document Format: one paragraph per
// body paragraph, a link back to the incident, the marker.
func adf(d incident.IssueDraft) map[string]any {
	text := func(s string) map[string]any { return map[string]any{"type": "text", "text": s} }
	para := func(nodes ...map[string]any) map[string]any {
		return map[string]any{"type": "paragraph", "content": nodes}
	}
	var content []map[string]any
	for _, p := range d.Body {
		if p = strings.TrimSpace(p); p != "" {
			content = append(content, para(text(p)))
		}
	}
	if d.Link != "" {
		link := text("The incident's thread in Slack")
		link["marks"] = []map[string]any{{"type": "link", "attrs": map[string]string{"href": d.Link}}}
		content = append(content, para(link))
	}
	content = append(content, para(text(d.Marker)))
	return map[string]any{"type": "doc", "version": 1, "content": content}
}
