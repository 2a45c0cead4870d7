package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/trackers"
	"github.com/incident-bot/bot/internal/trackers/trackertest"
)

// followupConfig is where follow-ups are filed: FOLLOWUP_TRACKER and the
// settings of the tracker it names.
type followupConfig struct {
	Tracker string // FOLLOWUP_TRACKER: github, jira, linear; empty: none
	GitHub  trackers.GitHub
	Jira    trackers.Jira
	Linear  trackers.Linear
}

// loadFollowups reads FOLLOWUP_TRACKER and every tracker's settings.
func loadFollowups(getenv func(string) string) followupConfig {
	f := followupConfig{
		Tracker: strings.ToLower(strings.TrimSpace(getenv("FOLLOWUP_TRACKER"))),
		GitHub: trackers.GitHub{Repo: strings.TrimSpace(getenv("GITHUB_REPO")), Token: strings.TrimSpace(getenv("GITHUB_TOKEN")),
			APIURL: strings.TrimSpace(getenv("GITHUB_API_URL"))},
		Jira: trackers.Jira{URL: strings.TrimSpace(getenv("JIRA_URL")), Project: strings.TrimSpace(getenv("JIRA_PROJECT")),
			Email: strings.TrimSpace(getenv("JIRA_EMAIL")), Token: strings.TrimSpace(getenv("JIRA_TOKEN"))},
		Linear: trackers.Linear{APIKey: strings.TrimSpace(getenv("LINEAR_API_KEY")), TeamID: strings.TrimSpace(getenv("LINEAR_TEAM_ID")),
			APIURL: strings.TrimSpace(getenv("LINEAR_API_URL"))},
	}
	if f.GitHub.APIURL == "" {
		f.GitHub.APIURL = trackers.DefaultGitHubAPI
	}
	if f.Linear.APIURL == "" {
		f.Linear.APIURL = trackers.DefaultLinearAPI
	}
	return f
}

var (
	githubRepo = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	jiraKey    = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)
)

// problems names each setting the configured tracker lacks or cannot use,
// with what it should look like; none when FOLLOWUP_TRACKER is unset.
func (f followupConfig) problems() []string {
	var out []string
	need := func(ok bool, problem string) {
		if !ok {
			out = append(out, problem)
		}
	}
	switch f.Tracker {
	case "":
	case "github":
		need(f.GitHub.Repo != "", "GITHUB_REPO is not set: FOLLOWUP_TRACKER=github files follow-ups in that repository, owner/name like acme/web")
		need(f.GitHub.Repo == "" || githubRepo.MatchString(f.GitHub.Repo), "GITHUB_REPO must be owner/name, like acme/web")
		need(f.GitHub.Token != "", "GITHUB_TOKEN is not set: a fine-grained token with \"Issues: write\" on GITHUB_REPO (see docs/INTEGRATIONS.md)")
		need(httpURL(f.GitHub.APIURL), "GITHUB_API_URL must be an http(s) URL, like https://api.github.com")
	case "jira":
		need(httpURL(f.Jira.URL), "JIRA_URL must be your Jira Cloud site, like https://acme.atlassian.net")
		need(jiraKey.MatchString(f.Jira.Project), "JIRA_PROJECT must be the project's key, like OPS")
		need(strings.Contains(f.Jira.Email, "@"), "JIRA_EMAIL must be the email of the Atlassian account the API token belongs to")
		need(f.Jira.Token != "", "JIRA_TOKEN is not set: an API token of JIRA_EMAIL's account (id.atlassian.com → Security → API tokens)")
	case "linear":
		need(f.Linear.APIKey != "", "LINEAR_API_KEY is not set: a personal API key (Linear → Settings → Security & access)")
		need(f.Linear.TeamID != "", "LINEAR_TEAM_ID is not set: the id of the team issues go to (see docs/INTEGRATIONS.md)")
		need(httpURL(f.Linear.APIURL), "LINEAR_API_URL must be an http(s) URL, like https://api.linear.app/graphql")
	default:
		out = append(out, fmt.Sprintf("FOLLOWUP_TRACKER=%q: want github, jira or linear, or leave it unset", f.Tracker))
	}
	return out
}

func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// tracker is the configured tracker; nil when FOLLOWUP_TRACKER is unset.
func (f followupConfig) tracker() trackers.Tracker {
	switch f.Tracker {
	case "github":
		g := f.GitHub
		return &g
	case "jira":
		j := f.Jira
		return &j
	case "linear":
		l := f.Linear
		return &l
	}
	return nil
}

// port is the tracker as the application layer takes it (nil: none).
func (f followupConfig) port() commands.Tracker {
	if t := f.tracker(); t != nil {
		return t
	}
	return nil
}

// secrets are the trackers' credentials, whichever tracker is chosen.
func (f followupConfig) secrets() []string {
	return []string{f.GitHub.Token, f.Jira.Token, f.Linear.APIKey}
}

// doctorTracker checks the configured tracker: the credentials work, the
// repository, project or team exists.
func doctorTracker(ctx context.Context, cfg config, pass, skip, fail func(what, detail string)) {
	t := cfg.Followups.tracker()
	if t == nil {
		skip("tracker", "FOLLOWUP_TRACKER not set: follow-ups are recorded for the postmortem only")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	said, err := t.Check(ctx)
	if err != nil {
		fail("tracker", err.Error())
		return
	}
	pass("tracker", said)
}

// playRepo is the simulated tracker's repository in bot play.
const playRepo = "playground/follow-ups"

// playTracker points cfg's follow-ups at a simulated GitHub (the
// trackertest stand-in, whose issue links open its own pages), whatever
// FOLLOWUP_TRACKER says: the playground reaches no real tracker. The
// caller closes the stand-in.
func playTracker(cfg *config, token string) *trackertest.Server {
	srv := trackertest.GitHub(playRepo, token)
	srv.ServeIssuePages()
	cfg.Followups = followupConfig{Tracker: "github",
		GitHub: trackers.GitHub{Repo: playRepo, Token: token, APIURL: srv.URL}}
	return srv
}
