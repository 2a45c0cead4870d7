package commands

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
)

const alertChannel = "C0ALERTS"

func newAlertBot(t *testing.T) *testBot {
	t.Helper()
	return newTestBot(t, Config{AlertChannel: alertChannel})
}

// alert is a firing Alertmanager alert of group g.
func alert(g, fingerprint string) Alert {
	return Alert{Source: "alertmanager", Key: g, Status: AlertFiring, Title: "Checkout <5xx> above 5%",
		Severity: "critical", Text: "p99 at 4s\nsee the dashboard", URL: "https://grafana.example.com/d/1",
		StartsAt: testT0, Fingerprint: fingerprint}
}

func (b *testBot) alerts(alerts ...Alert) {
	b.t.Helper()
	if err := b.svc.Alerts(context.Background(), alerts); err != nil {
		b.t.Fatalf("Alerts: %v", err)
	}
	b.settle()
}

// threadTexts are the texts of the bot's posts in inc's thread.
func (b *testBot) threadTexts(inc *incident.Incident) []string {
	var out []string
	for _, c := range b.slack.Calls(callPost) {
		if c.ChannelID == inc.ChannelID && c.ThreadTS == inc.MessageTS && c.Err == nil {
			out = append(out, c.Msg.Text)
		}
	}
	return out
}

// TestAlertOpensJoinsResolves: a firing alert opens an incident in the
// alert channel, with its severity mapped; another alert of the group
// joins it; a resolved alert is said in the thread and leaves the incident
// open; each is in the timeline.
func TestAlertOpensJoinsResolves(t *testing.T) {
	b := newAlertBot(t)
	b.alerts(alert("g1", "fp1"))
	incs := b.incidents()
	if len(incs) != 1 {
		t.Fatalf("%d incidents, want 1", len(incs))
	}
	inc := incs[0]
	if inc.ChannelID != alertChannel || inc.Severity != incident.P1 || inc.Title != "Checkout <5xx> above 5%" ||
		inc.MessageTS == "" || inc.Commander != "" || inc.TeamID != testTeam {
		t.Fatalf("incident %+v: want it in %s, P1, titled by the alert, posted, no commander", inc, alertChannel)
	}
	thread := b.threadTexts(inc)
	if len(thread) != 1 || !strings.Contains(thread[0], inc.Ref()+" was opened by an alert from Alertmanager") ||
		!strings.Contains(thread[0], "*Checkout &lt;5xx&gt; above 5%*") || !strings.Contains(thread[0], "\n>p99 at 4s\n>see the dashboard") ||
		!strings.Contains(thread[0], "<https://grafana.example.com/d/1|Open in Alertmanager>") ||
		!strings.Contains(thread[0], "(severity `critical` → P1)") {
		t.Fatalf("thread %q", thread)
	}

	b.alerts(alert("g1", "fp2"))
	if n := len(b.incidents()); n != 1 {
		t.Fatalf("%d incidents after a second alert of the group, want 1", n)
	}
	thread = b.threadTexts(inc)
	if len(thread) != 2 || !strings.Contains(thread[1], "Another alert from Alertmanager joined "+inc.Ref()) {
		t.Fatalf("thread %q", thread)
	}

	res := alert("g1", "fp1")
	res.Status = AlertResolved
	b.alerts(res)
	after := b.reload(inc)
	if !after.Open() {
		t.Fatal("a resolved alert resolved the incident")
	}
	thread = b.threadTexts(inc)
	if len(thread) != 3 || !strings.Contains(thread[2], "resolved. "+inc.Ref()+" stays open") {
		t.Fatalf("thread %q", thread)
	}
	tl := b.entries(inc, incident.KindAlert)
	if len(tl) != 3 || tl[0].Text != "Alert from Alertmanager firing: Checkout <5xx> above 5%" ||
		tl[2].Text != "Alert from Alertmanager resolved: Checkout <5xx> above 5%" {
		t.Fatalf("timeline %+v", tl)
	}

	// Another group is another incident; once resolved by a person, the
	// group's next firing alert opens a new one.
	b.alerts(alert("g2", "fp1"))
	if n := len(b.incidents()); n != 2 {
		t.Fatalf("%d incidents after an alert of another group, want 2", n)
	}
	if got := b.commandIn(alertChannel, "channel", "U0ALICE", "resolve "+inc.Ref()); !strings.HasPrefix(got, "Resolving") {
		t.Fatalf("resolve = %q", got)
	}
	b.settle()
	late := alert("g1", "fp2")
	late.Status = AlertResolved
	b.alerts(late)
	if thread := b.threadTexts(inc); !strings.Contains(thread[len(thread)-1], inc.Ref()+" was resolved already") {
		t.Errorf("a resolved alert after the resolve: thread ends %q", thread[len(thread)-1])
	}
	b.alerts(alert("g1", "fp3"))
	if n := len(b.incidents()); n != 3 {
		t.Fatalf("%d incidents after the group fired again after its resolve, want 3", n)
	}
}

// TestAlertRedelivered: the same alert delivered again does nothing more.
func TestAlertRedelivered(t *testing.T) {
	b := newAlertBot(t)
	for range 3 {
		b.alerts(alert("g1", "fp1"), alert("g1", "fp1"))
	}
	incs := b.incidents()
	if len(incs) != 1 {
		t.Fatalf("%d incidents, want 1", len(incs))
	}
	if thread := b.threadTexts(incs[0]); len(thread) != 1 {
		t.Errorf("thread %q: want one reply", thread)
	}
	if tl := b.entries(incs[0], incident.KindAlert); len(tl) != 1 {
		t.Errorf("%d alert entries, want 1", len(tl))
	}
}

// TestAlertBurst: 100 alerts of 10 groups, delivered at once to two
// replicas, open 10 incidents and post 10 incident messages.
func TestAlertBurst(t *testing.T) {
	alertBurst(t, newAlertBot(t))
}

// TestAlertBurstOnPostgres is the burst with the two replicas on
// PostgreSQL (TEST_DATABASE_URL), where their workers truly run at once.
func TestAlertBurstOnPostgres(t *testing.T) {
	pgtest.URL(t)
	dsn, _ := pgtest.FreshSchema(t)
	alertBurst(t, newTestBotIn(t, Config{AlertChannel: alertChannel}, dsn))
}

func alertBurst(t *testing.T, b *testBot) {
	other := b.replica()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := b.svc
			if i%2 == 1 {
				svc = other.svc
			}
			errs <- svc.Alerts(context.Background(), []Alert{alert(fmt.Sprintf("g%d", i%10), fmt.Sprintf("fp%d", i))})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b.settle()
	incs := b.incidents()
	if len(incs) != 10 {
		t.Fatalf("%d incidents, want 10", len(incs))
	}
	posted := 0
	for _, c := range b.slack.Calls(callPost) {
		if c.ThreadTS == "" && c.Err == nil {
			posted++
		}
	}
	if posted != 10 {
		t.Errorf("%d incident messages posted, want 10", posted)
	}
	for _, inc := range incs {
		if n := len(b.threadTexts(inc)); n != 10 {
			t.Errorf("%s: %d replies in its thread, want 10", inc.Ref(), n)
		}
	}
}

// TestAlertVendorTriage: an alert that names a catalog vendor puts the
// vendor's triage into its incident; one naming an unknown vendor says so.
func TestAlertVendorTriage(t *testing.T) {
	b := newAlertBot(t)
	a := alert("g1", "fp1")
	a.Vendor = "hubspot"
	b.alerts(a)
	inc := b.incidents()[0]
	if inc.Vendor != "hubspot" || inc.Diagnosis == nil || inc.Diagnosis.Cause != "auth_invalid" {
		t.Fatalf("incident %+v (diagnosis %+v): want HubSpot's triage in it", inc, inc.Diagnosis)
	}
	if tl := b.entries(inc, incident.KindTriage); len(tl) != 1 {
		t.Errorf("%d triage entries, want 1", len(tl))
	}
	thread := b.threadTexts(inc)
	if len(thread) != 2 || !strings.Contains(thread[0], "Running the HubSpot triage") {
		t.Errorf("thread %q: want the alert, then the triage report", thread)
	}
	a = alert("g2", "fp1")
	a.Vendor = "nosuchvendor"
	b.alerts(a)
	inc = b.incidents()[0]
	if thread := b.threadTexts(inc); len(thread) != 1 || !strings.Contains(thread[0], "`nosuchvendor`, which is not in the catalog") {
		t.Errorf("thread %q", thread)
	}
}

// TestAlertResolvedAlone: a resolved alert of a group that opened nothing
// opens nothing.
func TestAlertResolvedAlone(t *testing.T) {
	b := newAlertBot(t)
	a := alert("g1", "fp1")
	a.Status = AlertResolved
	b.alerts(a)
	if n := len(b.incidents()); n != 0 {
		t.Errorf("%d incidents, want none", n)
	}
}

// TestAlertSeverity: the source's severity through the mapping, P1…P4 as
// they are, P3 otherwise.
func TestAlertSeverity(t *testing.T) {
	s := &Service{}
	for v, want := range map[string]incident.Severity{
		"critical": incident.P1, "CRITICAL": incident.P1, "error": incident.P2, "high": incident.P2, "warning": incident.P3,
		"info": incident.P4, "low": incident.P4, "P2": incident.P2, "p4": incident.P4, "P5": incident.P4, "": incident.P3,
		"whatever": incident.P3, "1": incident.P3,
	} {
		if got := s.alertSeverity(v); got != want {
			t.Errorf("alertSeverity(%q) = %s, want %s", v, got, want)
		}
	}
	s.Config.AlertSeverity = map[string]incident.Severity{"p1": incident.P2, "sev1": incident.P1}
	if got := s.alertSeverity("P1"); got != incident.P2 {
		t.Errorf("mapped P1 = %s, want P2 (the mapping first)", got)
	}
	if got := s.alertSeverity("SEV1"); got != incident.P1 {
		t.Errorf("SEV1 = %s, want P1", got)
	}
}

// TestAlertCleaned: what an alert carries is bounded and links are http(s).
func TestAlertCleaned(t *testing.T) {
	a := Alert{Title: "a\x00b\n  c", URL: "javascript:alert(1)", Text: strings.Repeat("x", 5000), Vendor: " HubSpot "}.cleaned()
	if a.Title != "ab c" || a.URL != "" || len([]rune(a.Text)) > 1500 || a.Vendor != "hubspot" {
		t.Errorf("cleaned = %+v", a)
	}
	if a := (Alert{URL: "https://x.example/a|b"}).cleaned(); a.URL != "" {
		t.Errorf("a link with | kept: %q", a.URL)
	}
	if a := (Alert{URL: "https://x.example/a?b=1"}).cleaned(); a.URL != "https://x.example/a?b=1" {
		t.Errorf("a plain link dropped: %q", a.URL)
	}
}
