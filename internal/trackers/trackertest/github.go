package trackertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GitHub is the stand-in of GitHub's REST API for one repository, after
// docs.github.com/en/rest/issues/issues ("Create an issue": POST
// /repos/{owner}/{repo}/issues answers 201 with the issue, number and
// html_url; "List repository issues": GET /repos/{owner}/{repo}/issues with
// state, since, per_page, page), docs.github.com/en/rest/repos/repos ("Get
// a repository": has_issues) and docs.github.com/en/rest/using-the-rest-api/
// rate-limits-for-the-rest-api (429/403 with retry-after, x-ratelimit-*).
// It wants Authorization: Bearer TOKEN; anything else is 401 "Bad
// credentials".
func GitHub(repo, token string) *Server {
	return newServer(vendor{
		authorized: func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+token &&
				r.Header.Get("Accept") == "application/vnd.github+json" && r.Header.Get("X-GitHub-Api-Version") != ""
		},
		refusal: func(w http.ResponseWriter, status int) {
			msg := map[int]string{401: "Bad credentials", 403: "Resource not accessible by personal access token",
				404: "Not Found", 410: "Issues are disabled for this repo", 422: "Validation Failed"}[status]
			writeJSON(w, status, map[string]string{"message": msg,
				"documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": itoa(status)})
		},
		failure: func(w http.ResponseWriter, f failure) {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			if f.status == http.StatusTooManyRequests || f.status == http.StatusForbidden {
				w.Header().Set("X-RateLimit-Remaining", "0")
				writeJSON(w, f.status, map[string]string{"message": "You have exceeded a secondary rate limit.",
					"documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"})
				return
			}
			// GitHub documents no body for its 5xx answers; this one is plain.
			w.WriteHeader(f.status)
		},
		serve: func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) bool {
			base := "/repos/" + repo
			switch {
			case r.Method == http.MethodGet && r.URL.Path == base:
				writeJSON(w, 200, map[string]any{"full_name": repo, "has_issues": true, "private": true})
			case r.Method == http.MethodPost && r.URL.Path == base+"/issues":
				var in struct {
					Title  string   `json:"title"`
					Body   string   `json:"body"`
					Labels []string `json:"labels"`
				}
				if json.Unmarshal(body, &in) != nil || strings.TrimSpace(in.Title) == "" {
					writeJSON(w, 422, map[string]any{"message": "Validation Failed",
						"errors": []map[string]string{{"resource": "Issue", "field": "title", "code": "missing_field"}}})
					return true
				}
				n := len(s.Issues()) + 1
				url := s.web("https://github.com") + "/" + repo + "/issues/" + strconv.Itoa(n)
				if !s.add(r, Issue{Key: repo + "#" + strconv.Itoa(n), URL: url, Title: in.Title, Body: in.Body,
					Labels: in.Labels, Created: time.Now(), Raw: body}) {
					hangUp(w)
					return true
				}
				writeJSON(w, 201, ghIssue(repo, n, in.Title, in.Body, url))
				return true
			case r.Method == http.MethodGet && r.URL.Path == base+"/issues":
				// Newest first (sort=created&direction=desc), 100 a page.
				all := s.Issues()
				var list []map[string]any
				for i := len(all) - 1; i >= 0; i-- {
					n, _ := strconv.Atoi(all[i].Key[strings.LastIndex(all[i].Key, "#")+1:])
					list = append(list, ghIssue(repo, n, all[i].Title, all[i].Body, all[i].URL))
				}
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				if page > 1 {
					list = nil
				}
				if list == nil {
					list = []map[string]any{}
				}
				writeJSON(w, 200, list)
			default:
				writeJSON(w, 404, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
			}
			return false
		},
	})
}

func ghIssue(repo string, n int, title, body, htmlURL string) map[string]any {
	return map[string]any{
		"id": 1000 + n, "number": n, "title": title, "body": body, "state": "open",
		"url":      "https://api.github.com/repos/" + repo + "/issues/" + strconv.Itoa(n),
		"html_url": htmlURL,
	}
}

// IsGitHubCreate reports whether r asked GitHub to create an issue.
func IsGitHubCreate(r Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/issues")
}
