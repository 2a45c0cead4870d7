package trackertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Linear is the stand-in of Linear's GraphQL API for one team, after
// linear.app/developers/graphql (one POST endpoint; a personal API key in
// Authorization without Bearer; errors in the standard GraphQL shape with
// extensions.code, AUTHENTICATION_ERROR for a bad key) and Linear's
// rate-limiting page (RATELIMITED, X-RateLimit-Requests-Reset in epoch
// milliseconds). It answers the three operations the bot sends, told
// apart by their operation names: IssueCreate (issueCreate → success,
// issue {id identifier url}), FindFollowup (issues(filter: {team,
// description: {contains}})) and Check (viewer, team(id)).
func Linear(teamID, apiKey string) *Server {
	gqlErr := func(w http.ResponseWriter, status int, code, msg string) {
		writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": msg,
			"extensions": map[string]any{"code": code, "userPresentableMessage": msg}}}})
	}
	return newServer(vendor{
		authorized: func(r *http.Request) bool { return r.Header.Get("Authorization") == apiKey },
		refusal: func(w http.ResponseWriter, status int) {
			switch status {
			case http.StatusUnauthorized:
				gqlErr(w, 400, "AUTHENTICATION_ERROR", "Authentication required, not authenticated")
			case http.StatusForbidden:
				gqlErr(w, 400, "FORBIDDEN", "You don't have access to this team")
			default:
				gqlErr(w, 400, "INVALID_INPUT", "Entity not found: Team")
			}
		},
		failure: func(w http.ResponseWriter, f failure) {
			if f.status == http.StatusTooManyRequests {
				reset := time.Now().Add(time.Second)
				if n, err := strconv.Atoi(f.retryAfter); err == nil {
					reset = time.Now().Add(time.Duration(n) * time.Second)
				}
				w.Header().Set("X-RateLimit-Requests-Remaining", "0")
				w.Header().Set("X-RateLimit-Requests-Reset", strconv.FormatInt(reset.UnixMilli(), 10))
				gqlErr(w, 400, "RATELIMITED", "Rate limit exceeded")
				return
			}
			// Linear documents no body for a 5xx from its edge; this one is plain.
			w.WriteHeader(f.status)
		},
		serve: func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) bool {
			var q struct {
				Query     string          `json:"query"`
				Variables json.RawMessage `json:"variables"`
			}
			if r.Method != http.MethodPost || json.Unmarshal(body, &q) != nil {
				gqlErr(w, 400, "GRAPHQL_PARSE_FAILED", "Syntax Error")
				return false
			}
			switch {
			case strings.Contains(q.Query, "mutation IssueCreate"):
				var v struct {
					Input struct{ TeamID, Title, Description string }
				}
				json.Unmarshal(q.Variables, &v)
				if v.Input.TeamID != teamID {
					gqlErr(w, 400, "INVALID_INPUT", "Entity not found: Team")
					return true
				}
				if strings.TrimSpace(v.Input.Title) == "" {
					gqlErr(w, 400, "INVALID_INPUT", "Argument Validation Error: title should not be empty")
					return true
				}
				n := len(s.Issues()) + 1
				key := "ENG-" + strconv.Itoa(n)
				url := s.web("https://linear.app") + "/acme/issue/" + strings.ToLower(key)
				if !s.add(r, Issue{Key: key, URL: url, Title: v.Input.Title, Body: v.Input.Description, Created: time.Now(), Raw: body}) {
					hangUp(w)
					return true
				}
				writeJSON(w, 200, map[string]any{"data": map[string]any{"issueCreate": map[string]any{"success": true,
					"issue": map[string]string{"id": "9cfb482a-81e3-4154-b5b9-2c805e70a02" + strconv.Itoa(n%10), "identifier": key, "url": url}}}})
				return true
			case strings.Contains(q.Query, "query FindFollowup"):
				var v struct {
					Filter struct {
						Team        struct{ ID struct{ Eq string } } `json:"team"`
						Description struct{ Contains string }        `json:"description"`
					}
				}
				json.Unmarshal(q.Variables, &v)
				nodes := []map[string]string{}
				if v.Filter.Team.ID.Eq == teamID && v.Filter.Description.Contains != "" {
					for _, is := range s.find(v.Filter.Description.Contains) {
						nodes = append(nodes, map[string]string{"id": "x", "identifier": is.Key, "url": is.URL, "description": is.Body})
					}
				}
				writeJSON(w, 200, map[string]any{"data": map[string]any{"issues": map[string]any{"nodes": nodes}}})
			case strings.Contains(q.Query, "query Check"):
				var v struct{ ID string }
				json.Unmarshal(q.Variables, &v)
				if v.ID != teamID {
					gqlErr(w, 400, "INVALID_INPUT", "Entity not found: Team")
					return false
				}
				writeJSON(w, 200, map[string]any{"data": map[string]any{"viewer": map[string]string{"id": "u1", "name": "Incident Bot"},
					"team": map[string]string{"id": teamID, "key": "ENG", "name": "Engineering"}}})
			default:
				gqlErr(w, 400, "GRAPHQL_VALIDATION_FAILED", "Unknown operation")
			}
			return false
		},
	})
}

// IsLinearCreate reports whether r asked Linear to create an issue.
func IsLinearCreate(r Request) bool { return strings.Contains(string(r.Body), "mutation IssueCreate") }
