package trackertest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Jira is the stand-in of Jira Cloud's REST API v3 for one project, after
// developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues
// ("Create issue": POST /rest/api/3/issue answers 201 {id, key, self}),
// .../api-group-issue-search ("Search for issues using JQL enhanced
// search": GET /rest/api/3/search/jql answers {issues, isLast}),
// .../api-group-myself (GET /rest/api/3/myself), .../api-group-projects
// (GET /rest/api/3/project/{key}), .../basic-auth-for-rest-apis (basic auth
// with email:API token) and .../rate-limiting (429 with Retry-After). Its
// JQL is only what the bot sends: project = "KEY" AND text ~ "\"phrase\"".
func Jira(project, email, token string) *Server {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
	return newServer(vendor{
		authorized: func(r *http.Request) bool { return r.Header.Get("Authorization") == auth },
		refusal: func(w http.ResponseWriter, status int) {
			msg := map[int]string{401: "Client must be authenticated to access this resource.",
				403: "You do not have permission to create issues in this project.",
				404: "No project could be found with key '" + project + "'."}[status]
			writeJSON(w, status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
		},
		failure: func(w http.ResponseWriter, f failure) {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			if f.status == http.StatusTooManyRequests {
				w.Header().Set("RateLimit-Reason", "jira-burst-based")
			}
			writeJSON(w, f.status, map[string]any{"errorMessages": []string{"Rate limit exceeded."}[:boolInt(f.status == 429)]})
		},
		serve: func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) bool {
			host := "http://" + r.Host
			switch {
			case r.Method == http.MethodGet && r.URL.Path == "/rest/api/3/myself":
				writeJSON(w, 200, map[string]any{"accountId": "5b10a2844c20165700ede21g", "emailAddress": email,
					"displayName": "Incident Bot", "active": true})
			case r.Method == http.MethodGet && r.URL.Path == "/rest/api/3/project/"+project:
				writeJSON(w, 200, map[string]any{"id": "10000", "key": project, "name": "Operations"})
			case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/api/3/project/"):
				writeJSON(w, 404, map[string]any{"errorMessages": []string{"No project could be found with key '" +
					strings.TrimPrefix(r.URL.Path, "/rest/api/3/project/") + "'."}, "errors": map[string]string{}})
			case r.Method == http.MethodPost && r.URL.Path == "/rest/api/3/issue":
				var in struct {
					Fields struct {
						Project     struct{ Key string }  `json:"project"`
						Summary     string                `json:"summary"`
						IssueType   struct{ Name string } `json:"issuetype"`
						Description *adfNode              `json:"description"`
						Labels      []string              `json:"labels"`
					} `json:"fields"`
				}
				err := json.Unmarshal(body, &in)
				problems := map[string]string{}
				switch {
				case err != nil:
					problems["fields"] = "Unable to parse the request body."
				case in.Fields.Project.Key != project:
					problems["project"] = "valid project is required"
				case strings.TrimSpace(in.Fields.Summary) == "":
					problems["summary"] = "You must specify a summary of the issue."
				case in.Fields.IssueType.Name == "":
					problems["issuetype"] = "valid issue type is required"
				case in.Fields.Description == nil || in.Fields.Description.Type != "doc" || in.Fields.Description.Version != 1:
					problems["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
				}
				if len(problems) > 0 {
					writeJSON(w, 400, map[string]any{"errorMessages": []string{}, "errors": problems})
					return true
				}
				n := len(s.Issues()) + 1
				key := project + "-" + strconv.Itoa(n)
				if !s.add(r, Issue{Key: key, URL: host + "/browse/" + key, Title: in.Fields.Summary,
					Body: in.Fields.Description.text(), Labels: in.Fields.Labels, Created: time.Now(), Raw: body}) {
					hangUp(w)
					return true
				}
				writeJSON(w, 201, map[string]string{"id": strconv.Itoa(10000 + n), "key": key,
					"self": host + "/rest/api/3/issue/" + strconv.Itoa(10000+n)})
				return true
			case r.Method == http.MethodGet && r.URL.Path == "/rest/api/3/search/jql":
				m := jqlText.FindStringSubmatch(r.URL.Query().Get("jql"))
				issues := []map[string]any{}
				if m != nil && m[1] == project {
					for _, is := range s.find(strings.ReplaceAll(m[2], `\"`, `"`)) {
						issues = append(issues, map[string]any{"id": "1", "key": is.Key, "self": host + "/rest/api/3/issue/" + is.Key,
							"fields": map[string]string{"summary": is.Title}})
					}
				}
				writeJSON(w, 200, map[string]any{"issues": issues, "isLast": true})
			default:
				writeJSON(w, 404, map[string]any{"errorMessages": []string{"Not found"}})
			}
			return false
		},
	})
}

var jqlText = regexp.MustCompile(`^project = "([^"]*)" AND text ~ "\\"(.*)\\""$`)

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string    `json:"type"`
	Version int       `json:"version"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
	Marks   []struct {
		Type  string            `json:"type"`
		Attrs map[string]string `json:"attrs"`
	} `json:"marks"`
}

// text is the document's text, a paragraph a line; links as "text <href>".
func (n *adfNode) text() string {
	var b strings.Builder
	var walk func(n adfNode)
	walk = func(n adfNode) {
		b.WriteString(n.Text)
		for _, m := range n.Marks {
			if m.Type == "link" {
				b.WriteString(" <" + m.Attrs["href"] + ">")
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
		if n.Type == "paragraph" {
			b.WriteString("\n")
		}
	}
	walk(*n)
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// IsJiraCreate reports whether r asked Jira to create an issue.
func IsJiraCreate(r Request) bool {
	return r.Method == http.MethodPost && r.Path == "/rest/api/3/issue"
}
