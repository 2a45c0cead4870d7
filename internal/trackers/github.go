package trackers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// GitHub files follow-ups as issues of one repository through the REST API
// (docs.github.com/en/rest/issues/issues): POST /repos/{owner}/{repo}/issues
// with a Bearer token (a fine-grained token with "Issues: write").
type GitHub struct {
	Repo   string // GITHUB_REPO, owner/name
	Token  string // GITHUB_TOKEN
	APIURL string // GITHUB_API_URL, default https://api.github.com
	Client *http.Client
}

var _ Tracker = (*GitHub)(nil)

// DefaultGitHubAPI is GitHub's REST API.
const DefaultGitHubAPI = "https://api.github.com"

// githubAPIVersion is the REST API version the requests are written for.
const githubAPIVersion = "2022-11-28"

// Name is "github".
func (g *GitHub) Name() string { return "github" }

func (g *GitHub) api() api {
	return api{name: "GitHub", client: g.Client,
		header: func(h http.Header) {
			h.Set("Authorization", "Bearer "+g.Token)
			h.Set("Accept", "application/vnd.github+json")
			h.Set("X-GitHub-Api-Version", githubAPIVersion)
		},
		// Rate limits for the REST API: a 403 (or 429) with
		// x-ratelimit-remaining 0, or a secondary limit's Retry-After.
		rateLimited: func(status int, h http.Header, said string) bool {
			return status == http.StatusForbidden && (h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
				strings.Contains(strings.ToLower(said), "rate limit"))
		},
		refusal: func(status int, said string) string {
			what := fmt.Sprintf("GitHub refused the request for %s (%d%s): ", g.Repo, status, quote(said))
			switch status {
			case http.StatusUnauthorized:
				return what + "GITHUB_TOKEN is invalid or expired; create a new token and set GITHUB_TOKEN"
			case http.StatusForbidden:
				return what + "GITHUB_TOKEN may not write issues there; give a fine-grained token \"Issues: write\" on the repository"
			case http.StatusNotFound:
				return what + "no such repository, or GITHUB_TOKEN cannot see it; check GITHUB_REPO (owner/name) and the token's repository access"
			case http.StatusGone:
				return what + "issues are turned off for the repository; turn them on in its settings, or set GITHUB_REPO to another"
			case http.StatusUnprocessableEntity:
				return what + "GitHub did not accept the issue; see its message"
			}
			return what + "check GITHUB_REPO, GITHUB_TOKEN and GITHUB_API_URL"
		}}
}

func (g *GitHub) base() string {
	if g.APIURL == "" {
		return DefaultGitHubAPI
	}
	return trimURL(g.APIURL)
}

func (g *GitHub) repoURL() string { return g.base() + "/repos/" + g.Repo }

// ghIssue is the part of GitHub's issue object the bot reads.
type ghIssue struct {
	Number      int    `json:"number"`
	HTMLURL     string `json:"html_url"`
	Body        string `json:"body"`
	PullRequest any    `json:"pull_request"`
}

// CreateIssue creates the issue; the marker is an HTML comment at the end
// of the body, which GitHub keeps and does not show.
func (g *GitHub) CreateIssue(ctx context.Context, d incident.IssueDraft) (incident.Issue, error) {
	var out ghIssue
	in := map[string]any{"title": d.Title, "body": markdownBody(d, "<!-- "+d.Marker+" -->")}
	if err := g.api().call(ctx, http.MethodPost, g.repoURL()+"/issues", in, &out); err != nil {
		return incident.Issue{}, err
	}
	if out.Number == 0 || out.HTMLURL == "" {
		return incident.Issue{}, &RetryError{Msg: "GitHub answered the new issue without its number or html_url"}
	}
	return incident.Issue{Key: g.Repo + "#" + strconv.Itoa(out.Number), URL: out.HTMLURL}, nil
}

// findPages bounds the pages of recent issues FindIssue reads.
const findPages = 5

// FindIssue reads the repository's issues updated since the follow-up
// was recorded (GET /repos/{owner}/{repo}/issues?state=all&since=…), not
// the search API: search is indexed a while after an issue is created,
// and would miss the very issue a retry must find.
func (g *GitHub) FindIssue(ctx context.Context, marker string, since time.Time) (incident.Issue, bool, error) {
	q := url.Values{"state": {"all"}, "since": {since.Add(-time.Minute).UTC().Format(time.RFC3339)},
		"per_page": {"100"}, "sort": {"created"}, "direction": {"desc"}}
	for page := 1; page <= findPages; page++ {
		q.Set("page", strconv.Itoa(page))
		var list []ghIssue
		if err := g.api().call(ctx, http.MethodGet, g.repoURL()+"/issues?"+q.Encode(), nil, &list); err != nil {
			return incident.Issue{}, false, err
		}
		for _, is := range list {
			if is.PullRequest == nil && strings.Contains(is.Body, marker) {
				return incident.Issue{Key: g.Repo + "#" + strconv.Itoa(is.Number), URL: is.HTMLURL}, true, nil
			}
		}
		if len(list) < 100 {
			break
		}
	}
	return incident.Issue{}, false, nil
}

// Check reads the repository (GET /repos/{owner}/{repo}): the token works
// and can see it, and its issues are on.
func (g *GitHub) Check(ctx context.Context) (string, error) {
	var repo struct {
		FullName  string `json:"full_name"`
		HasIssues bool   `json:"has_issues"`
	}
	if err := g.api().call(ctx, http.MethodGet, g.repoURL(), nil, &repo); err != nil {
		return "", err
	}
	if !repo.HasIssues {
		return "", incident.Errorf(incident.Invalid, "GitHub: issues are turned off for %s; turn them on in its settings, or set GITHUB_REPO to another", g.Repo)
	}
	return fmt.Sprintf("GitHub repository %s found, issues on (GITHUB_TOKEN needs \"Issues: write\" to file them)", repo.FullName), nil
}

// markdownBody is the body as markdown (GitHub, Linear): the paragraphs,
// the link back to the incident, and the marker line.
func markdownBody(d incident.IssueDraft, marker string) string {
	var b strings.Builder
	for _, p := range d.Body {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString(p + "\n\n")
		}
	}
	if d.Link != "" {
		b.WriteString("[The incident's thread in Slack](" + d.Link + ")\n\n")
	}
	b.WriteString(marker + "\n")
	return b.String()
}
