package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlackRateLimitsTheFirstPosts: Slack answers 429 with Retry-After,
// then 500, before accepting. The incident is posted once, after waiting.
func TestSlackRateLimitsTheFirstPosts(t *testing.T) {
	fake := newSlack(t)
	fake.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, time.Second, "")
	fake.FailNext("chat.postMessage", 1, http.StatusInternalServerError, 0, "")
	b := startBotWith(t, fake, nil)
	b.command("U0ALICE", "declare Card payments failing")
	fake.MustWait(t, "chat.postMessage", 3)
	calls := fake.Calls("chat.postMessage")
	if gap := calls[1].Time.Sub(calls[0].Time); gap < 900*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 1, want at least 1s", gap)
	}
	eventually(t, "the incident listed with its message", func() bool {
		return strings.Contains(b.command("U0ALICE", "list"), "/p")
	})
	if err := b.shutdown(); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Messages(channel)); n != 1 {
		t.Errorf("%d messages in the channel, want the incident once", n)
	}
	if !strings.Contains(b.stderr.String(), `"outcome"`) && !strings.Contains(b.stderr.String(), "incident opened") {
		t.Log(b.stderr.String())
	}
}

// TestResolveAllowed: with RESOLVE_ALLOWED=commander, others may not
// resolve or change the severity; they are told so, only them, and the
// refusal is in the timeline. The commander may.
func TestResolveAllowed(t *testing.T) {
	b := startBot(t, map[string]string{"RESOLVE_ALLOWED": "commander"})
	fake := b.slack
	inc := b.open("U0ALICE", "declare DNS flapping")
	if got := b.command("U0BOB", "resolve"); !strings.Contains(got, "Only the commander") {
		t.Errorf("resolve by a non-commander = %q", got)
	}
	if got := b.command("U0BOB", "severity P1"); !strings.Contains(got, "Only the commander") {
		t.Errorf("severity by a non-commander = %q", got)
	}
	b.click("U0BOB", "severity_P1", incidentID(t, inc.Blocks), inc.TS)
	fake.MustWaitFor(t, "the refused click answered", func() bool {
		for _, e := range fake.Ephemerals() {
			if e.User == "U0BOB" && strings.Contains(e.Text, "Only the commander") {
				return true
			}
		}
		return false
	})
	b.command("U0ALICE", "resolve Flapping resolver replaced")
	fake.MustWaitFor(t, "postmortem", func() bool { return len(fake.Files()) == 1 })
	b.shutdown()
	doc := string(fake.Files()[0].Content)
	if n := strings.Count(doc, "**Refused**: "); n != 3 {
		t.Errorf("%d refusals in the timeline, want 3:\n%s", n, doc)
	}
	if len(fake.Calls("chat.update")) == 0 || strings.HasPrefix(header(fake.Messages(channel)[0].Blocks), "[P1]") {
		t.Error("a refused severity change was applied")
	}
}
