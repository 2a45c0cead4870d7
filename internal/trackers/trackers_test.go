// The trackers against their stand-ins (trackertest), whose answers
// follow the vendors' documentation pages named there: creation, a 5xx then
// success, a 429 with Retry-After, refusals that say what to fix, and the
// marker look-up that keeps a lost answer from a second issue.
package trackers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/trackers"
	"github.com/incident-bot/bot/internal/trackers/trackertest"
)

// The credentials the stand-ins are given; canaries, so a test can look
// for them in every error.
const (
	canaryToken = "ghp_CANARYgithubTOKEN0123456789"
	canaryJira  = "ATATT3xCANARYjiraTOKEN0123456789"
	canaryKey   = "lin_api_CANARYlinearKEY0123456789"
	teamID      = "5b3c9f0e-2d3a-4c1e-9b8e-1f2a3b4c5d6e"
)

// stand is one tracker and its stand-in, in the state a test wants.
type stand struct {
	name     string
	srv      *trackertest.Server
	tracker  func(srv *trackertest.Server) trackers.Tracker
	isCreate func(trackertest.Request) bool
	wrong    func(srv *trackertest.Server) trackers.Tracker // with a refused credential
	keyLike  string
}

func stands() []stand {
	return []stand{
		{name: "github", srv: trackertest.GitHub("acme/web", canaryToken), isCreate: trackertest.IsGitHubCreate, keyLike: "acme/web#",
			tracker: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.GitHub{Repo: "acme/web", Token: canaryToken, APIURL: s.URL}
			},
			wrong: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.GitHub{Repo: "acme/web", Token: canaryToken + "x", APIURL: s.URL}
			}},
		{name: "jira", srv: trackertest.Jira("OPS", "bot@acme.example", canaryJira), isCreate: trackertest.IsJiraCreate, keyLike: "OPS-",
			tracker: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.Jira{URL: s.URL, Project: "OPS", Email: "bot@acme.example", Token: canaryJira}
			},
			wrong: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.Jira{URL: s.URL, Project: "OPS", Email: "bot@acme.example", Token: canaryJira + "x"}
			}},
		{name: "linear", srv: trackertest.Linear(teamID, canaryKey), isCreate: trackertest.IsLinearCreate, keyLike: "ENG-",
			tracker: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.Linear{APIKey: canaryKey, TeamID: teamID, APIURL: s.URL}
			},
			wrong: func(s *trackertest.Server) trackers.Tracker {
				return &trackers.Linear{APIKey: canaryKey + "x", TeamID: teamID, APIURL: s.URL}
			}},
	}
}

func draft(marker string) incident.IssueDraft {
	return incident.IssueDraft{Title: "INC-7 follow-up: alert on HubSpot 401s",
		Body:   []string{"alert on HubSpot 401s", "From INC-7 (HubSpot: token refused (401)), said by alice."},
		Labels: []string{"incident", "INC-7"}, Link: "https://acme.slack.com/archives/C0INC/p1700000000000100",
		Marker: marker, Since: time.Now()}
}

// noCanary fails when err's text carries a credential.
func noCanary(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, c := range []string{canaryToken, canaryJira, canaryKey, "CANARY"} {
		if strings.Contains(err.Error(), c) {
			t.Errorf("the error %q carries a credential", err)
		}
	}
}

func TestCreate(t *testing.T) {
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			is, err := st.tracker(st.srv).CreateIssue(context.Background(), draft("incident-bot:followup:A1"))
			if err != nil {
				t.Fatal(err)
			}
			got := st.srv.Issues()
			if len(got) != 1 || is.Key != got[0].Key || is.URL != got[0].URL || !strings.HasPrefix(is.Key, st.keyLike) {
				t.Fatalf("created %+v; the stand-in holds %+v", is, got)
			}
			body := got[0].Body
			for _, want := range []string{"alert on HubSpot 401s", "incident-bot:followup:A1", "https://acme.slack.com/archives/C0INC/p1700000000000100"} {
				if !strings.Contains(body, want) {
					t.Errorf("the issue's body lacks %q:\n%s", want, body)
				}
			}
			if got[0].Title != "INC-7 follow-up: alert on HubSpot 401s" {
				t.Errorf("title %q", got[0].Title)
			}
		})
	}
}

// TestServerErrorThenSuccess: a 5xx is a RetryError; the next call creates.
func TestServerErrorThenSuccess(t *testing.T) {
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			st.srv.FailNext(1, 502, "")
			tr := st.tracker(st.srv)
			_, err := tr.CreateIssue(context.Background(), draft("m1"))
			var retry *trackers.RetryError
			if !errors.As(err, &retry) || incident.KindOf(err) != incident.Internal {
				t.Fatalf("after a 502: %v (%T), want a RetryError", err, err)
			}
			noCanary(t, err)
			if _, err := tr.CreateIssue(context.Background(), draft("m1")); err != nil {
				t.Fatal(err)
			}
			if n := len(st.srv.Issues()); n != 1 {
				t.Errorf("%d issues, want 1", n)
			}
		})
	}
}

// TestRateLimited: a 429 (Linear: RATELIMITED) is a RetryError carrying
// the wait the tracker asked for.
func TestRateLimited(t *testing.T) {
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			st.srv.FailNext(1, 429, "30")
			_, err := st.tracker(st.srv).CreateIssue(context.Background(), draft("m1"))
			var retry *trackers.RetryError
			if !errors.As(err, &retry) {
				t.Fatalf("after a 429: %v (%T), want a RetryError", err, err)
			}
			if d := retry.RetryAfter(); d < 25*time.Second || d > 30*time.Second {
				t.Errorf("RetryAfter = %s, want the 30 s the tracker asked for", d)
			}
			noCanary(t, err)
			if n := len(st.srv.Issues()); n != 0 {
				t.Errorf("%d issues after a 429", n)
			}
		})
	}
}

// TestRefused: a refused credential is permanent (not Internal) and says
// which setting to fix, without the credential.
func TestRefused(t *testing.T) {
	fix := map[string]string{"github": "GITHUB_TOKEN", "jira": "JIRA_TOKEN", "linear": "LINEAR_API_KEY"}
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			_, err := st.wrong(st.srv).CreateIssue(context.Background(), draft("m1"))
			if err == nil || incident.KindOf(err) == incident.Internal {
				t.Fatalf("with a refused credential: %v, want a permanent error", err)
			}
			if !strings.Contains(incident.Message(err), fix[st.name]) {
				t.Errorf("%q does not say to fix %s", incident.Message(err), fix[st.name])
			}
			noCanary(t, err)
			if _, err := st.wrong(st.srv).Check(context.Background()); err == nil || !strings.Contains(err.Error(), fix[st.name]) {
				t.Errorf("Check with a refused credential: %v", err)
			}
		})
	}
}

// TestForbiddenAndNotFound: 403 and 404 are permanent and say what to fix.
func TestForbiddenAndNotFound(t *testing.T) {
	for _, st := range stands() {
		for _, status := range []int{403, 404} {
			t.Run(st.name+"/"+itoa(status), func(t *testing.T) {
				st := st
				st.srv.Refuse(status)
				defer st.srv.Refuse(0)
				_, err := st.tracker(st.srv).CreateIssue(context.Background(), draft("m1"))
				if err == nil || incident.KindOf(err) == incident.Internal {
					t.Fatalf("after %d: %v, want a permanent error", status, err)
				}
				if msg := incident.Message(err); !strings.Contains(msg, "check") && !strings.Contains(msg, "give") {
					t.Errorf("%q says nothing to do", msg)
				}
			})
		}
		st.srv.Close()
	}
}

// TestMarkerPreventsDuplicate: the tracker created the issue but its
// answer was lost; FindIssue finds it by the marker, so the retry does
// not create a second.
func TestMarkerPreventsDuplicate(t *testing.T) {
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			tr := st.tracker(st.srv)
			if _, ok, err := tr.FindIssue(context.Background(), "incident-bot:followup:B2", time.Now()); err != nil || ok {
				t.Fatalf("FindIssue before any issue: %v, %v", ok, err)
			}
			st.srv.LoseNextCreate(1)
			_, err := tr.CreateIssue(context.Background(), draft("incident-bot:followup:B2"))
			var retry *trackers.RetryError
			if !errors.As(err, &retry) {
				t.Fatalf("a lost answer: %v, want a RetryError", err)
			}
			is, ok, err := tr.FindIssue(context.Background(), "incident-bot:followup:B2", time.Now().Add(-time.Minute))
			if err != nil || !ok {
				t.Fatalf("FindIssue after the lost answer: %v, %v", ok, err)
			}
			if got := st.srv.Issues(); len(got) != 1 || got[0].Key != is.Key || got[0].URL != is.URL {
				t.Errorf("found %+v; the stand-in holds %+v", is, got)
			}
			if _, ok, _ := tr.FindIssue(context.Background(), "incident-bot:followup:OTHER", time.Now()); ok {
				t.Error("FindIssue found an issue for another marker")
			}
			if n := st.srv.Creates(st.isCreate); n != 1 {
				t.Errorf("%d create requests, want 1", n)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, st := range stands() {
		t.Run(st.name, func(t *testing.T) {
			defer st.srv.Close()
			said, err := st.tracker(st.srv).Check(context.Background())
			if err != nil || said == "" {
				t.Fatalf("Check = %q, %v", said, err)
			}
			noCanary(t, errors.New(said))
		})
	}
	// The repository, project or team that does not exist.
	gh := trackertest.GitHub("acme/web", canaryToken)
	defer gh.Close()
	if _, err := (&trackers.GitHub{Repo: "acme/nope", Token: canaryToken, APIURL: gh.URL}).Check(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "GITHUB_REPO") {
		t.Errorf("GitHub Check of a missing repository: %v", err)
	}
	jira := trackertest.Jira("OPS", "bot@acme.example", canaryJira)
	defer jira.Close()
	if _, err := (&trackers.Jira{URL: jira.URL, Project: "NOPE", Email: "bot@acme.example", Token: canaryJira}).Check(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "JIRA_PROJECT") {
		t.Errorf("Jira Check of a missing project: %v", err)
	}
	lin := trackertest.Linear(teamID, canaryKey)
	defer lin.Close()
	if _, err := (&trackers.Linear{APIKey: canaryKey, TeamID: "nope", APIURL: lin.URL}).Check(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "LINEAR_TEAM_ID") {
		t.Errorf("Linear Check of a missing team: %v", err)
	}
}

// TestUnreachable: nothing listening is a RetryError without the credential.
func TestUnreachable(t *testing.T) {
	srv := trackertest.GitHub("acme/web", canaryToken)
	url := srv.URL
	srv.Close()
	_, err := (&trackers.GitHub{Repo: "acme/web", Token: canaryToken, APIURL: url}).CreateIssue(context.Background(), draft("m"))
	var retry *trackers.RetryError
	if !errors.As(err, &retry) {
		t.Fatalf("unreachable: %v, want a RetryError", err)
	}
	noCanary(t, err)
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}
