package commands

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
)

// stale is how long ago a stopped process last touched the seeded
// incidents: long enough for recovery to take them over.
const stale = 2 * time.Minute

// unposted is an incident a process stored but stopped before posting.
func unposted(b *testBot, age time.Duration) *incident.Incident {
	b.t.Helper()
	now := b.clock.Now()
	return b.seed(&incident.Incident{Title: "Unposted", Severity: incident.P2, Status: incident.Investigating,
		Commander: "U0ALICE", CreatedBy: "U0ALICE", DeclaredAt: now.Add(-age), UpdatedAt: now.Add(-age),
		NextUpdateAt: now.Add(time.Hour)})
}

// unshared is an incident a process resolved but stopped before sharing
// its postmortem: its thread holds a reply the store has, and one said
// while the bot was down. Its message is in Slack unless gone.
func unshared(b *testBot, postmortem string, gone bool) *incident.Incident {
	b.t.Helper()
	now := b.clock.Now()
	thread := "1773640000.000100" // a message Slack no longer has
	if !gone {
		thread = b.slack.Say(testChannel, "", fakeBotUser, "[P3] INCIDENT INC-1: Resolved before the crash")
	}
	inc := b.seed(&incident.Incident{Title: "Resolved before the crash", Severity: incident.P3, Status: incident.Resolved,
		Commander: "U0ALICE", CreatedBy: "U0ALICE", MessageTS: thread, DeclaredAt: now.Add(-time.Hour),
		ResolvedAt: now.Add(-stale), UpdatedAt: now.Add(-stale), Postmortem: postmortem})
	if _, err := b.db.AddEntry(context.Background(), &incident.Entry{IncidentID: inc.ID, Kind: incident.KindMessage,
		Author: "U0BOB", Text: "said before the crash", At: now.Add(-30 * time.Minute), SlackTS: "1773649800.000100"}); err != nil {
		b.t.Fatal(err)
	}
	if !gone {
		b.slack.Say(testChannel, thread, "U0CAROL", "action: alert on bounced mail")
	}
	return inc
}

// recoverNow runs the recovery module once and returns the calls it made.
func (b *testBot) recoverNow() []slackCall {
	b.t.Helper()
	mark := b.mark()
	b.tick("recovery")
	return b.since(mark)
}

// TestRecover: recovery finishes what a stopped process left half-done,
// once: it posts an incident that was never posted, writes and shares a
// missing postmortem, shares one written but not shared, and shares in the
// channel when the incident's message is gone.
func TestRecover(t *testing.T) {
	tests := []struct {
		name  string
		seed  func(b *testBot) *incident.Incident
		check func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall)
	}{
		{name: "never posted", seed: func(b *testBot) *incident.Incident { return unposted(b, stale) },
			check: func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall) {
				if len(calls) != 1 || calls[0].Method != callPost || calls[0].ThreadTS != "" {
					t.Fatalf("Slack received %v, want one Post at the top of the channel", methods(calls))
				}
				if h := blockText(t, calls[0].Msg); !strings.HasPrefix(h, "[P2] INCIDENT INC-1: Unposted\n") {
					t.Errorf("posted:\n%s", h)
				}
				if inc.MessageTS != calls[0].TS {
					t.Errorf("stored message %q, posted %q", inc.MessageTS, calls[0].TS)
				}
			}},
		{name: "resolved without a postmortem", seed: func(b *testBot) *incident.Incident { return unshared(b, "", false) },
			check: func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall) {
				up := b.slack.Sent(callUpload)
				if len(up) != 1 || len(b.slack.Calls(callReplies)) != 1 || len(b.slack.Calls(callPost)) != 0 {
					t.Fatalf("Slack received %v, want the thread read and one upload", methods(calls))
				}
				f := up[0].File
				if f.ThreadTS != inc.MessageTS || f.Content != inc.Postmortem || inc.PostmortemFileID != up[0].FileID ||
					inc.PostmortemLink != permalink(inc) {
					t.Errorf("shared %s in %q; stored file %q link %q", f.Name, f.ThreadTS, inc.PostmortemFileID, inc.PostmortemLink)
				}
				for _, want := range []string{"| @bob | said before the crash |", "- [ ] alert on bounced mail — @carol"} {
					if !strings.Contains(f.Content, want) {
						t.Errorf("the postmortem lacks %q:\n%s", want, f.Content)
					}
				}
			}},
		{name: "postmortem written, not shared",
			seed: func(b *testBot) *incident.Incident {
				return unshared(b, "# Incident INC-1: written before the crash\n", false)
			},
			check: func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall) {
				up := b.slack.Sent(callUpload)
				if len(up) != 1 || len(b.slack.Calls(callReplies)) != 0 {
					t.Fatalf("Slack received %v, want one upload and the document not written again", methods(calls))
				}
				if up[0].File.Content != "# Incident INC-1: written before the crash\n" || inc.PostmortemFileID != up[0].FileID {
					t.Errorf("shared %q, stored file %q", up[0].File.Content, inc.PostmortemFileID)
				}
			}},
		{name: "its message is gone", seed: func(b *testBot) *incident.Incident {
			b.slack.FailNext(callUpload, 1, fakeNotFound) // Slack's thread_not_found
			return unshared(b, "", true)
		}, check: func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall) {
			up := b.slack.Calls(callUpload)
			if len(up) != 2 || up[0].Err == nil || up[0].ThreadTS != inc.MessageTS || up[1].Err != nil || up[1].ThreadTS != "" {
				t.Fatalf("uploads %+v, want the thread refused, then the channel", up)
			}
			if !strings.Contains(up[1].File.Content, "Slack did not return the thread when this was written (the incident message is gone from Slack)") ||
				!strings.Contains(up[1].File.Content, "said before the crash") {
				t.Errorf("the postmortem lacks the note or the stored reply:\n%s", up[1].File.Content)
			}
			if inc.PostmortemFileID != up[1].FileID || inc.PostmortemLink != "" {
				t.Errorf("stored file %q link %q, want %q and no link", inc.PostmortemFileID, inc.PostmortemLink, up[1].FileID)
			}
		}},
		{name: "its thread cannot be read", seed: func(b *testBot) *incident.Incident {
			b.slack.FailNext(callReplies, 1, errors.New("slack conversations.replies: 503"))
			return unshared(b, "", false)
		}, check: func(t *testing.T, b *testBot, inc *incident.Incident, calls []slackCall) {
			up := b.slack.Sent(callUpload)
			if len(up) != 1 || up[0].ThreadTS != inc.MessageTS {
				t.Fatalf("Slack received %v, want one upload in the thread", methods(calls))
			}
			doc := up[0].File.Content
			if !strings.Contains(doc, "Slack did not return the thread when this was written (something went wrong on our side; please try again)") ||
				strings.Contains(doc, "alert on bounced mail") || !strings.Contains(doc, "said before the crash") {
				t.Errorf("want the note and only the stored reply:\n%s", doc)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := tt.seed(b)
			calls := b.recoverNow()
			tt.check(t, b, b.reload(inc), calls)
			if got, err := b.db.Incidents(context.Background(), incident.Filter{Unfinished: true}); err != nil || len(got) != 0 {
				t.Errorf("%d incidents still unfinished (%v)", len(got), err)
			}
			b.clock.Advance(recoverEvery)
			if calls := b.recoverNow(); len(calls) != 0 {
				t.Errorf("the next recovery made %v, want nothing", methods(calls))
			}
		})
	}
}

// TestRecoverLeavesFreshWorkAlone: work younger than recoverAfter may
// still be in the hands of the process that started it; recovery leaves
// it until it is that old.
func TestRecoverLeavesFreshWorkAlone(t *testing.T) {
	b := newTestBot(t, Config{})
	inc := unposted(b, 30*time.Second)
	steps := []struct {
		age    time.Duration
		posted bool
	}{{30 * time.Second, false}, {recoverAfter - time.Second, false}, {recoverAfter, true}}
	for _, st := range steps {
		b.clock.AdvanceTo(inc.UpdatedAt.Add(st.age))
		calls := b.recoverNow()
		if got := len(calls) == 1 && calls[0].Method == callPost; got != st.posted || len(calls) > 1 {
			t.Errorf("at %v old: Slack received %v, want posted %v", st.age, methods(calls), st.posted)
		}
		if got := b.reload(inc).MessageTS != ""; got != st.posted {
			t.Errorf("at %v old: message stored %v, want %v", st.age, got, st.posted)
		}
	}
}

// TestRecoverRetriesAfterSlackFails: when Slack fails the first attempt,
// the job recovery queued tries again by itself and finishes the work,
// once; later runs of recovery add nothing.
func TestRecoverRetriesAfterSlackFails(t *testing.T) {
	down := errors.New("slack: 503 Service Unavailable")
	tests := []struct {
		name   string
		seed   func(b *testBot) *incident.Incident
		method string // what Slack fails first, and then takes once
		done   func(inc *incident.Incident) bool
	}{
		{name: "the post", method: callPost, seed: func(b *testBot) *incident.Incident { return unposted(b, stale) },
			done: func(inc *incident.Incident) bool { return inc.MessageTS != "" }},
		{name: "the upload", method: callUpload, seed: func(b *testBot) *incident.Incident { return unshared(b, "", false) },
			done: func(inc *incident.Incident) bool { return inc.PostmortemFileID != "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBot(t, Config{})
			inc := tt.seed(b)
			b.slack.FailNext(tt.method, 1, down)
			b.recoverNow()
			if tried := b.slack.Calls(tt.method); len(tried) != 2 || tried[0].Err == nil || tried[1].Err != nil || !tt.done(b.reload(inc)) {
				t.Fatalf("after the failure: %d %s calls, done %v; want a failed one, then one taken", len(tried), tt.method, tt.done(b.reload(inc)))
			}
			for range 3 {
				b.clock.Advance(recoverEvery)
				b.recoverNow()
			}
			if sent := b.slack.Sent(tt.method); len(sent) != 1 || !tt.done(b.reload(inc)) {
				t.Errorf("%d %s calls taken, done %v; want one and done", len(sent), tt.method, tt.done(b.reload(inc)))
			}
			if tt.method == callUpload {
				if got, stored := b.slack.Sent(callUpload)[0].File.Content, b.reload(inc).Postmortem; got != stored {
					t.Errorf("shared a document other than the one stored")
				}
			}
		})
	}
}

// TestRecoverTwoReplicas: two replicas start (or tick) recovery at the
// same moment on one SQLite file; each half-done incident is finished
// once, not twice.
func TestRecoverTwoReplicas(t *testing.T) {
	tests := []struct {
		name   string
		seed   func(b *testBot) *incident.Incident
		method string
	}{
		{name: "never posted", method: callPost, seed: func(b *testBot) *incident.Incident { return unposted(b, stale) }},
		{name: "resolved without a postmortem", method: callUpload, seed: func(b *testBot) *incident.Incident { return unshared(b, "", false) }},
		{name: "postmortem written, not shared", method: callUpload,
			seed: func(b *testBot) *incident.Incident {
				return unshared(b, "# Incident INC-1: written before the crash\n", false)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestBot(t, Config{})
			b := a.replica()
			tt.seed(a)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, m := range []engine.Module{a.module("recovery"), b.module("recovery")} {
				wg.Go(func() {
					<-start
					m.Tick(context.Background())
				})
			}
			close(start)
			wg.Wait()
			a.settle()
			if got := a.slack.Calls(tt.method); len(got) != 1 {
				t.Errorf("%d %s calls, want 1", len(got), tt.method)
			}
			if left, err := b.db.Incidents(context.Background(), incident.Filter{Unfinished: true}); err != nil || len(left) != 0 {
				t.Errorf("%d incidents left unfinished (%v)", len(left), err)
			}
		})
	}
}

// TestPruneJobs: finished jobs older than a day are deleted by the hourly
// module; younger ones stay, so their keys still stop redeliveries.
func TestPruneJobs(t *testing.T) {
	b := newTestBot(t, Config{})
	b.open("U0ALICE", "Webhooks delayed") // a declare job and a post job, done
	ctx := context.Background()
	before, err := b.db.PruneJobs(ctx, time.Now().Add(-time.Hour))
	if err != nil || before != 0 {
		t.Fatalf("jobs done an hour ago pruned: %d, %v", before, err)
	}
	b.clock.Advance(keepDoneJobs + time.Hour)
	// The store stamps jobs with the wall clock: move the module's "now"
	// past them by a day.
	b.svc.Now = func() time.Time { return time.Now().Add(keepDoneJobs + time.Minute) }
	b.tick("prune jobs")
	st, err := b.db.JobStats(ctx)
	if err != nil || st.Queued != 0 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	if n, _ := b.db.PruneJobs(ctx, time.Now().Add(keepDoneJobs+time.Hour)); n != 0 {
		t.Errorf("%d finished jobs were left after the prune", n)
	}
}
