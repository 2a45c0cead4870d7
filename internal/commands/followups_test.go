package commands

// Follow-ups: `/incident followup` and `action:` replies are stored once
// and, with a tracker, filed once as its issue, against the GitHub
// stand-in over loopback (internal/trackers/trackertest), however often
// Slack delivers them and however the tracker fails on the way.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/store/sqlite"
	"github.com/incident-bot/bot/internal/trackers"
	"github.com/incident-bot/bot/internal/trackers/trackertest"
	"github.com/rs/zerolog"
)

const testGitHubToken = "github_pat_CANARY_commands_0123456789"

// newFollowupBot is newTestBot with tr as its tracker (nil: none), and a
// job queue that gives up after maxAttempts and tells the service so.
func newFollowupBot(t *testing.T, tr Tracker, maxAttempts int) *testBot {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{t: testT0}
	fs := newFakeSlack(clock.Now)
	for id, name := range map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"} {
		fs.SetName(id, name)
	}
	triage := &cannedTriage{reports: map[string]runbook.Report{"hubspot": hubspot401}}
	b := &testBot{t: t, path: path, db: db, slack: fs, clock: clock, triage: triage}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	w := engine.NewWorker(zerolog.Nop(), time.Minute)
	svc := &Service{Store: db, Slack: fs, Triage: triage, Log: log, Now: clock.Now, Tracker: tr}
	svc.Jobs = engine.NewQueue(db, w, zerolog.Nop(), "test-"+uuid.NewString(), engine.QueueOptions{Workers: 2,
		Poll: 20 * time.Millisecond, MaxAttempts: maxAttempts, Failed: svc.JobFailed})
	t.Cleanup(func() {
		svc.Jobs.Stop()
		w.Shutdown(context.Background())
	})
	b.svc = svc
	svc.Start()
	svc.Jobs.Start()
	t.Cleanup(b.settle)
	return b
}

// gitHub is a GitHub tracker against a new stand-in of acme/web.
func gitHub(t *testing.T) (*trackers.GitHub, *trackertest.Server) {
	t.Helper()
	srv := trackertest.GitHub("acme/web", testGitHubToken)
	t.Cleanup(srv.Close)
	return &trackers.GitHub{Repo: "acme/web", Token: testGitHubToken, APIURL: srv.URL}, srv
}

// threadPosts are the bot's posts in inc's thread since mark.
func (b *testBot) threadPosts(inc *incident.Incident, mark int) []string {
	var out []string
	for _, c := range b.since(mark, callPost) {
		if c.ChannelID == inc.ChannelID && c.ThreadTS == inc.MessageTS && c.Err == nil {
			out = append(out, c.Msg.Text+"\n"+blockText(b.t, c.Msg))
		}
	}
	return out
}

func (b *testBot) followups(inc *incident.Incident) []incident.Followup {
	b.t.Helper()
	fs, err := b.db.Followups(context.Background(), inc.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	return fs
}

// actionReply delivers bob's reply text in inc's thread as event id, at ts.
func (b *testBot) reply(inc *incident.Incident, eventID, ts, text string) {
	b.t.Helper()
	b.event(Event{EventID: eventID, Type: "message", ChannelID: testChannel, UserID: "U0BOB", Text: text,
		TS: ts, ThreadTS: inc.MessageTS})
}

func TestFollowupWithoutTracker(t *testing.T) {
	b := newFollowupBot(t, nil, 3)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	mark := b.mark()
	if got := b.command("U0ALICE", "followup Add a *runbook* entry for the email job"); !strings.HasPrefix(got, "Recorded the follow-up of "+inc.Ref()) {
		t.Fatalf("followup answered %q", got)
	}
	b.reply(inc, "Ev1", slackTS(testT0.Add(time.Minute)), "action: alert when the email queue backs up")
	b.settle()
	posts := b.threadPosts(inc, mark)
	if len(posts) != 1 || !strings.Contains(posts[0], ":memo: "+inc.Ref()+" follow-up recorded: Add a *runbook* entry") {
		t.Fatalf("thread posts %q; want the command's follow-up recorded, and nothing for the reply", posts)
	}
	fs := b.followups(inc)
	if len(fs) != 2 || fs[0].State != incident.FollowupRecorded || fs[1].State != incident.FollowupRecorded || fs[1].Source != "msg:"+slackTS(testT0.Add(time.Minute)) {
		t.Fatalf("follow-ups %+v", fs)
	}
	if got := b.command("U0ALICE", "resolve"); !strings.HasPrefix(got, "Resolving") {
		t.Fatal(got)
	}
	b.settle()
	if got := b.command("U0ALICE", "followup Review the alert thresholds "+inc.Ref()); !strings.Contains(got, "postmortem was written already") {
		t.Errorf("a follow-up after the postmortem answered %q", got)
	}
	doc := b.reload(inc).Postmortem
	for _, want := range []string{"- [ ] Add a **runbook** entry for the email job — @alice\n", "- [ ] alert when the email queue backs up — @bob\n",
		"**Follow-up**: Add a \\*runbook\\* entry"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, doc)
		}
	}
}

func TestFollowupBadInput(t *testing.T) {
	b := newFollowupBot(t, nil, 3)
	if got := b.command("U0ALICE", "followup"); !strings.Contains(got, "Say what should be done") {
		t.Errorf("followup without text answered %q", got)
	}
	if got := b.command("U0ALICE", "followup rotate tokens"); !strings.Contains(got, "no open incident") {
		t.Errorf("followup without an incident answered %q", got)
	}
	if got := b.command("U0ALICE", "followup rotate tokens INC-9"); !strings.Contains(got, "INC-9 does not exist") {
		t.Errorf("followup of INC-9 answered %q", got)
	}
}

// TestFollowupFiledOnce: a command and an action: reply, each delivered
// twice, are two issues, each linked once in the thread and in the
// postmortem.
func TestFollowupFiledOnce(t *testing.T) {
	tr, srv := gitHub(t)
	b := newFollowupBot(t, tr, 3)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	mark := b.mark()
	cmd := Command{TeamID: testTeam, ChannelID: testChannel, UserID: "U0ALICE", Text: "followup Alert on email queue depth",
		ResponseURL: testHook, TriggerID: "13345224609.738474920.8088930838d88f008e0"}
	for range 2 {
		if got := b.svc.Command(context.Background(), cmd).Text; !strings.Contains(got, "Filing the follow-up of "+inc.Ref()+" in GitHub") {
			t.Fatalf("followup answered %q", got)
		}
	}
	ts := slackTS(testT0.Add(time.Minute))
	b.reply(inc, "Ev1", ts, "Action: rotate the SMTP password")
	b.reply(inc, "Ev1", ts, "Action: rotate the SMTP password") // Slack's retry
	b.settle()
	issues := srv.Issues()
	if len(issues) != 2 {
		t.Fatalf("%d issues, want 2: %+v", len(issues), issues)
	}
	if issues[0].Title != inc.Ref()+" follow-up: Alert on email queue depth" || !strings.Contains(issues[0].Body, "added by @alice") ||
		!strings.Contains(issues[0].Body, "<!-- incident-bot:followup:") || !strings.Contains(issues[0].Body, "https://slack.com/archives/"+testChannel) {
		t.Errorf("the first issue: %+v", issues[0])
	}
	posts := b.threadPosts(inc, mark)
	if len(posts) != 2 {
		t.Fatalf("thread posts %q, want one link each", posts)
	}
	for i, p := range posts {
		if !strings.Contains(p, ":ticket: "+inc.Ref()+" follow-up filed in GitHub as <"+issues[i].URL+"|"+issues[i].Key+">") {
			t.Errorf("thread post %d: %q", i, p)
		}
	}
	fs := b.followups(inc)
	if len(fs) != 2 || fs[0].State != incident.FollowupCreated || fs[1].IssueKey != "acme/web#2" || fs[1].ReplyTS == "" {
		t.Fatalf("follow-ups %+v", fs)
	}
	b.command("U0ALICE", "resolve")
	b.settle()
	doc := b.reload(inc).Postmortem
	for _, want := range []string{"Alert on email queue depth — @alice ([acme/web#1](" + issues[0].URL + "))",
		"rotate the SMTP password — @bob ([acme/web#2](" + issues[1].URL + "))"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, doc)
		}
	}
	if n := srv.Creates(trackertest.IsGitHubCreate); n != 2 {
		t.Errorf("%d create requests, want 2", n)
	}
}

// TestFollowupRetried: GitHub answers 502, then 429 with Retry-After, then
// creates; and an issue whose answer was lost is found by its marker, not
// created again. Each follow-up is one issue and one link.
func TestFollowupRetried(t *testing.T) {
	tr, srv := gitHub(t)
	b := newFollowupBot(t, tr, 5)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	mark := b.mark()
	srv.FailNext(1, 502, "")
	srv.FailNext(1, 429, "1")
	b.command("U0ALICE", "followup Alert on email queue depth")
	b.settle()
	srv.LoseNextCreate(1)
	b.command("U0BOB", "followup Page the mail team")
	b.settle()
	issues := srv.Issues()
	if len(issues) != 2 {
		t.Fatalf("%d issues, want 2: %+v", len(issues), issues)
	}
	posts := b.threadPosts(inc, mark)
	if len(posts) != 2 || !strings.Contains(posts[0], issues[0].URL) || !strings.Contains(posts[1], issues[1].URL) {
		t.Fatalf("thread posts %q", posts)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	// The first look-up answered 502, the next 429; the lost create's retry
	// looked the issue up and found it.
	if len(statuses) < 2 || statuses[0] != 502 || statuses[1] != 429 {
		t.Errorf("GitHub answered %v; want 502, 429 first", statuses)
	}
	if n := srv.Creates(trackertest.IsGitHubCreate); n != 2 {
		t.Errorf("%d create requests, want 2", n)
	}
}

// TestFollowupRefused: a token GitHub refuses is told in the thread at
// once, saying what to fix and not the token; nothing is retried.
func TestFollowupRefused(t *testing.T) {
	tr, srv := gitHub(t)
	b := newFollowupBot(t, tr, 5)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	srv.Refuse(401)
	mark := b.mark()
	b.reply(inc, "Ev1", slackTS(testT0.Add(time.Minute)), "action: rotate the SMTP password")
	b.settle()
	posts := b.threadPosts(inc, mark)
	if len(posts) != 1 || !strings.Contains(posts[0], ":warning: "+inc.Ref()+" follow-up could not be filed in GitHub") ||
		!strings.Contains(posts[0], "GITHUB_TOKEN") || strings.Contains(posts[0], testGitHubToken) {
		t.Fatalf("thread posts %q", posts)
	}
	if fs := b.followups(inc); len(fs) != 1 || fs[0].State != incident.FollowupFailed || fs[0].Error == "" {
		t.Fatalf("follow-ups %+v", fs)
	}
	if n := len(srv.Requests()); n != 1 { // the look-up, refused
		t.Errorf("%d requests to GitHub, want 1 (no retries)", n)
	}
}

// TestFollowupGivesUp: a tracker that keeps failing is tried as often as
// the queue allows, then the thread is told; the follow-up is not dropped.
func TestFollowupGivesUp(t *testing.T) {
	tr, srv := gitHub(t)
	b := newFollowupBot(t, tr, 2)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	srv.FailNext(100, 503, "")
	mark := b.mark()
	b.command("U0ALICE", "followup Alert on email queue depth")
	b.settle()
	// The queue tells the service it gave up once the job is marked
	// failed, which is when settle returns: wait for the thread's post.
	var posts []string
	for deadline := time.Now().Add(time.Minute); len(posts) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		posts = b.threadPosts(inc, mark)
	}
	if len(posts) != 1 || !strings.Contains(posts[0], "could not be filed in GitHub") || !strings.Contains(posts[0], "kept failing") {
		t.Fatalf("thread posts %q", posts)
	}
	if fs := b.followups(inc); len(fs) != 1 || fs[0].State != incident.FollowupFailed {
		t.Fatalf("follow-ups %+v", fs)
	}
	if n := len(srv.Issues()); n != 0 {
		t.Errorf("%d issues", n)
	}
}

// TestFollowupCaughtUp: an action: reply whose event never came is found
// when the thread is read for the postmortem, and filed then, once.
func TestFollowupCaughtUp(t *testing.T) {
	tr, srv := gitHub(t)
	b := newFollowupBot(t, tr, 3)
	inc := b.open("U0ALICE", "Checkout emails are not sent")
	b.slack.Say(testChannel, inc.MessageTS, "U0BOB", "action: page the mail team") // no event
	b.command("U0ALICE", "resolve")
	b.settle()
	if fs := b.followups(inc); len(fs) != 1 || fs[0].Text != "page the mail team" || fs[0].State != incident.FollowupCreated {
		t.Fatalf("follow-ups %+v", fs)
	}
	if n := len(srv.Issues()); n != 1 {
		t.Errorf("%d issues, want 1", n)
	}
	if doc := b.reload(inc).Postmortem; !strings.Contains(doc, "page the mail team — @bob _(GitHub issue being filed)_") {
		t.Errorf("the postmortem:\n%s", doc)
	}
}
