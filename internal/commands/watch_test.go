package commands

// The vendor watch against real HTTP: loopback stand-ins serve the
// documented Statuspage v2 summary.json bodies and the vendors' documented
// API answers (fixtures under internal/vendors/testdata, each naming its
// source), the real vendors.Triager reads them with its conditional
// requests, and the watch module's Tick is driven directly with the test
// clock: no sleeps.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/internal/store/postgres/pgtest"
	"github.com/incident-bot/bot/internal/vendors"
	"github.com/incident-bot/bot/messages"
)

const vendorFixtures = "../vendors/testdata"

// vendorStandIn is one vendor over loopback: its Statuspage summary.json
// (with an ETag, answering 304 to a matching If-None-Match) and its API.
type vendorStandIn struct {
	*httptest.Server
	mu       sync.Mutex
	status   []byte // the summary.json served now
	api      []byte // the raw HTTP answer of the API probe now
	requests map[string]int
	notMod   int
	down     bool // the status page answers 503
}

func newVendorStandIn(t *testing.T, statusFixture, apiFixture string) *vendorStandIn {
	t.Helper()
	s := &vendorStandIn{requests: map[string]int{}}
	s.setStatus(t, statusFixture)
	s.setAPI(t, apiFixture)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// setStatus serves testdata/status/statuspage/<name>.json.
func (s *vendorStandIn) setStatus(t *testing.T, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vendorFixtures, "status", "statuspage", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.status = b
	s.mu.Unlock()
}

// setAPI answers the API probe with testdata/answers/<vendor>/<cause>.http.
func (s *vendorStandIn) setAPI(t *testing.T, fixture string) {
	t.Helper()
	if fixture == "" {
		return
	}
	raw, err := os.ReadFile(filepath.Join(vendorFixtures, "answers", fixture+".http"))
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.SplitAfter(string(raw), "\n") {
		if !strings.HasPrefix(l, "# ") { // the fixture's source and notes
			keep = append(keep, l)
		}
	}
	s.mu.Lock()
	s.api = []byte(strings.Join(keep, ""))
	s.mu.Unlock()
}

func (s *vendorStandIn) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.URL.Path]++
	if r.URL.Path == "/api/v2/summary.json" && s.down {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == "/api/v2/summary.json" {
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(s.status))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			s.notMod++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.status)
		return
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(s.api)), r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (s *vendorStandIn) count(path string) (requests, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path], s.notMod
}

// vendorTriage adapts vendors.Triager to the Triager port, as cmd/bot does.
type vendorTriage struct{ t *vendors.Triager }

func (v vendorTriage) Triage(ctx context.Context, vendor string) (runbook.Report, error) {
	return v.t.Triage(ctx, vendor)
}

func (v vendorTriage) VendorName(key string) (string, bool) {
	x, ok := v.t.Catalog.Lookup(key)
	return x.Name, ok
}

func (v vendorTriage) Vendors() []string { return v.t.Catalog.Keys() }

func (v vendorTriage) Validators(vendor string) (string, string) { return v.t.Validators(vendor) }

// watchRig is the stand-ins, the clock and the Slack fake that every
// replica of a watch test shares.
type watchRig struct {
	t       *testing.T
	hubspot *vendorStandIn
	pd      *vendorStandIn // PagerDuty: no status page, an API probe only
	clock   *testClock
	slack   *fakeSlack
	path    string
	triage  Triager
}

func newWatchRig(t *testing.T, path string) *watchRig {
	t.Helper()
	r := &watchRig{t: t, path: path, clock: &testClock{t: testT0}}
	r.slack = newFakeSlack(r.clock.Now)
	r.hubspot = newVendorStandIn(t, "operational", "hubspot/healthy")
	r.pd = newVendorStandIn(t, "operational", "pagerduty/healthy")
	cat, err := vendors.LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.SetURLs("hubspot", r.hubspot.URL, "statuspage", r.hubspot.URL); err != nil {
		t.Fatal(err)
	}
	if err := cat.SetURLs("pagerduty", r.pd.URL, "", ""); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HUBSPOT_ACCESS_TOKEN": "pat-na1-test", "PAGERDUTY_ACCESS_TOKEN": "pd-test"}
	r.triage = vendorTriage{&vendors.Triager{Catalog: cat, Client: r.hubspot.Client(), Now: r.clock.Now,
		Getenv: func(k string) string { return env[k] }, Deadline: 20 * time.Second}}
	return r
}

// replica starts a Service on the rig's store: one replica of the bot.
func (r *watchRig) replica() *testBot {
	r.t.Helper()
	b := startTestBot(r.t, r.path, r.slack, r.clock, &cannedTriage{}, Config{WatchInterval: time.Minute})
	b.svc.Triage = r.triage
	return b
}

// watchTick runs the watch module of b once and waits for its posts.
func (b *testBot) watchTick() {
	b.t.Helper()
	b.svc.WatchTick(context.Background())
	b.settle()
}

// nextInterval moves the clock past every vendor's next check (the
// interval and its jitter).
func (r *watchRig) nextInterval() { r.clock.Advance(time.Minute + 7*time.Second) }

// watchPosts returns the messages posted since mark.
func watchPosts(b *testBot, mark int) []slackCall {
	var out []slackCall
	for _, c := range b.since(mark, callPost) {
		if c.Err == nil {
			out = append(out, c)
		}
	}
	return out
}

func TestWatchPostsAChangeOncePerChannel(t *testing.T) {
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	if got := b.commandIn("C0ONE", "channel", "U0ALICE", "watch hubspot"); !strings.Contains(got, "Watching HubSpot") {
		t.Fatalf("watch = %q", got)
	}
	if got := b.commandIn("C0TWO", "channel", "U0BOB", "watch HubSpot"); !strings.Contains(got, "Watching HubSpot") {
		t.Fatalf("watch = %q", got)
	}
	mark := b.mark()
	b.watchTick() // the first look: all operational, nothing to say
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Fatalf("the first check of a healthy vendor posted %d messages", len(got))
	}
	r.hubspot.setStatus(t, "incident")
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	got := watchPosts(b, mark)
	if len(got) != 2 {
		t.Fatalf("%d posts after the vendor opened an incident, want one per channel (2): %v", len(got), methods(got))
	}
	channels := []string{got[0].ChannelID, got[1].ChannelID}
	slices.Sort(channels)
	if fmt.Sprint(channels) != "[C0ONE C0TWO]" {
		t.Errorf("posted in %v", channels)
	}
	text := blockText(t, got[0].Msg)
	for _, want := range []string{"HubSpot opened an incident", "Elevated API error rates", "impact major",
		">We are investigating elevated error rates on the API.", "component “API” is major outage", "Triage: `"} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q:\n%s", want, text)
		}
	}
	if ids := actionIDs(t, got[0].Msg); !slices.Equal(ids, []string{string(messages.ActionWatchDeclare)}) {
		t.Errorf("buttons %v, want the Declare incident button", ids)
	}
	// Nothing changes: nothing more is said, and each check asks the page
	// once (a 304 counts as the one request).
	before, _ := r.hubspot.count("/api/v2/summary.json")
	for range 3 {
		r.nextInterval()
		mark = b.mark()
		b.watchTick()
		if got := watchPosts(b, mark); len(got) != 0 {
			t.Fatalf("posted %d messages while nothing changed: %s", len(got), blockText(t, got[0].Msg))
		}
	}
	after, notMod := r.hubspot.count("/api/v2/summary.json")
	if after-before != 3 || notMod < 3 {
		t.Errorf("%d page requests over 3 checks (%d answered 304), want 3, each a 304", after-before, notMod)
	}
	v, err := b.db.VendorWatch(context.Background(), "hubspot")
	if err != nil || v.ETag == "" || len(v.State.Incidents) != 1 || v.State.Incidents[0].ID != "p31zjtct2jer" {
		t.Errorf("stored state %+v, %v; want the page's incident by its id and the ETag", v, err)
	}
	// A channel that starts watching now is told the state as it stands.
	if got := b.commandIn("C0THREE", "channel", "U0BOB", "watch hubspot"); !strings.Contains(got, "Now: :red_circle: *HubSpot*") ||
		!strings.Contains(got, "Elevated API error rates") {
		t.Errorf("watch of a vendor already checked = %q", got)
	}
	// watching shows the state now.
	if got := b.commandIn("C0ONE", "channel", "U0ALICE", "watching"); !strings.Contains(got, "HubSpot") || !strings.Contains(got, "Elevated API error rates") {
		t.Errorf("watching = %q", got)
	}
}

func TestWatchUnknownVendor(t *testing.T) {
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	got := b.command("U0ALICE", "watch hubspot hubspt")
	if !strings.Contains(got, "I don't know the vendor `hubspt`") || !strings.Contains(got, "did you mean `hubspot`") ||
		!strings.Contains(got, "nothing changed") {
		t.Errorf("watch of an unknown vendor = %q", got)
	}
	if ws, _ := b.db.Watches(context.Background(), incident.WatchFilter{}); len(ws) != 0 {
		t.Errorf("a watch with an unknown vendor added %d subscriptions; want none", len(ws))
	}
	if got := b.command("U0ALICE", "watch"); !strings.Contains(got, "Say which vendor") {
		t.Errorf("watch alone = %q", got)
	}
	if got := b.command("U0ALICE", "unwatch stripe"); !strings.Contains(got, "was not watching Stripe") {
		t.Errorf("unwatch of a vendor not watched = %q", got)
	}
	if got := b.command("U0ALICE", "watching"); !strings.Contains(got, "watches no vendor") {
		t.Errorf("watching with nothing watched = %q", got)
	}
}

func TestWatchUnwatchStops(t *testing.T) {
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	b.command("U0ALICE", "watch hubspot")
	b.watchTick()
	if got := b.command("U0ALICE", "unwatch hubspot"); !strings.Contains(got, "Stopped watching HubSpot") {
		t.Fatalf("unwatch = %q", got)
	}
	r.hubspot.setStatus(t, "incident")
	r.nextInterval()
	mark := b.mark()
	b.watchTick()
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Fatalf("posted %d messages after unwatch", len(got))
	}
	// A post queued before the unwatch is dropped too.
	b.command("U0ALICE", "watch hubspot")
	r.hubspot.setStatus(t, "operational")
	r.nextInterval()
	b.svc.WatchTick(context.Background()) // queues the incident's end…
	b.command("U0ALICE", "unwatch hubspot")
	mark = b.mark()
	b.settle() // …which finds nobody watching
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Fatalf("a post queued before the unwatch was sent: %s", blockText(t, got[0].Msg))
	}
}

func TestWatchProbeOnlyVendor(t *testing.T) {
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	b.command("U0ALICE", "watch pagerduty")
	b.watchTick()
	r.pd.setAPI(t, "pagerduty/auth_invalid")
	r.nextInterval()
	mark := b.mark()
	b.watchTick()
	got := watchPosts(b, mark)
	if len(got) != 1 {
		t.Fatalf("%d posts when our calls started failing, want 1", len(got))
	}
	if text := blockText(t, got[0].Msg); !strings.Contains(text, "Our calls to PagerDuty started failing") ||
		!strings.Contains(text, "auth_invalid") {
		t.Errorf("probe failing message:\n%s", text)
	}
	if ids := actionIDs(t, got[0].Msg); !slices.Contains(ids, string(messages.ActionWatchDeclare)) {
		t.Errorf("no Declare incident button: %v", ids)
	}
	r.pd.setAPI(t, "pagerduty/healthy")
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	got = watchPosts(b, mark)
	if len(got) != 1 || !strings.Contains(blockText(t, got[0].Msg), "Our calls to PagerDuty work again") {
		t.Fatalf("recovery: %d posts %v", len(got), got)
	}
	if n, _ := r.pd.count("/api/v2/summary.json"); n != 0 {
		t.Errorf("a vendor without a status page: %d page requests", n)
	}
}

// TestWatchIncidentLifecycle: our probe fails first, the vendor posts a
// check later (the vendor lag); Declare incident opens the incident; the
// vendor's resolve goes into its thread, then, once the probe has passed
// twice, the all-clear with Resolve; the postmortem shows the vendor's
// own incident window and the lag.
func TestWatchIncidentLifecycle(t *testing.T) {
	var lags []time.Duration
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	b.svc.Config.VendorLag = func(vendor string, lag time.Duration) { lags = append(lags, lag) }
	b.command("U0ALICE", "watch hubspot")
	b.watchTick()

	r.hubspot.setAPI(t, "hubspot/vendor_error")
	r.nextInterval()
	failedAt := r.clock.Now()
	mark := b.mark()
	b.watchTick()
	if got := watchPosts(b, mark); len(got) != 1 || !strings.Contains(blockText(t, got[0].Msg), "started failing") {
		t.Fatalf("probe failing: %d posts", len(got))
	}

	r.hubspot.setStatus(t, "incident")
	r.nextInterval()
	postedAt := r.clock.Now()
	mark = b.mark()
	b.watchTick()
	got := watchPosts(b, mark)
	if len(got) != 1 {
		t.Fatalf("vendor incident: %d posts", len(got))
	}
	if len(lags) != 1 || lags[0] != postedAt.Sub(failedAt) {
		t.Errorf("vendor lag observed %v, want [%v]", lags, postedAt.Sub(failedAt))
	}
	if text := blockText(t, got[0].Msg); !strings.Contains(text, "Vendor lag: HubSpot posted 1m 7s after our first failing probe") {
		t.Errorf("the message does not say the lag:\n%s", text)
	}

	// Declare incident, from the message.
	b.action(Action{UserID: "U0ALICE", MessageTS: got[0].TS, ActionID: string(messages.ActionWatchDeclare), Value: "hubspot",
		TriggerID: "trig-watch-1", DeliveryID: "watch-declare-1"})
	b.settle()
	incs := b.incidents()
	if len(incs) != 1 || incs[0].Vendor != "hubspot" || incs[0].MessageTS == "" {
		t.Fatalf("Declare incident opened %+v", incs)
	}
	inc := incs[0]
	if lag := b.entries(inc, incident.KindVendorLag); len(lag) != 1 || !strings.Contains(lag[0].Text, "1m 7s after") {
		t.Errorf("vendor lag entries %+v", lag)
	}
	// A second click does not open a second incident.
	b.action(Action{UserID: "U0BOB", MessageTS: got[0].TS, ActionID: string(messages.ActionWatchDeclare), Value: "hubspot",
		TriggerID: "trig-watch-2", DeliveryID: "watch-declare-2"})
	b.settle()
	if n := len(b.incidents()); n != 1 {
		t.Fatalf("a second Declare incident: %d incidents", n)
	}

	// Our calls now fail for another reason (the token): the thread is
	// told, and the incident's message shows the new cause.
	r.hubspot.setAPI(t, "hubspot/auth_invalid")
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	got = watchPosts(b, mark)
	if len(got) != 1 || got[0].ThreadTS != inc.MessageTS || !strings.Contains(blockText(t, got[0].Msg), "finds another cause") {
		t.Fatalf("cause change: %d posts %+v", len(got), got)
	}
	if d := b.reload(inc).Diagnosis; d == nil || d.Cause != "auth_invalid" {
		t.Errorf("the incident's cause is %+v, want auth_invalid", d)
	}
	if ups := b.since(mark, callUpdate); !slices.ContainsFunc(ups, func(c slackCall) bool { return c.ThreadTS == inc.MessageTS }) {
		t.Errorf("the incident message was not updated with the new cause: %v", methods(ups))
	}

	// The vendor resolves and our calls work again: into the thread.
	r.hubspot.setStatus(t, "operational")
	r.hubspot.setAPI(t, "hubspot/healthy")
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	got = watchPosts(b, mark)
	if len(got) != 1 || got[0].ThreadTS != inc.MessageTS {
		t.Fatalf("the vendor's resolve: %d posts, want 1 in the incident's thread: %+v", len(got), got)
	}
	text := blockText(t, got[0].Msg)
	if !strings.Contains(text, inc.Ref()) || !strings.Contains(text, "HubSpot resolved") || !strings.Contains(text, "work again") {
		t.Errorf("resolve in the thread:\n%s", text)
	}
	if ids := actionIDs(t, got[0].Msg); len(ids) != 0 {
		t.Errorf("buttons %v before the probe passed twice", ids)
	}
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	got = watchPosts(b, mark)
	if len(got) != 1 || got[0].ThreadTS != inc.MessageTS || !strings.Contains(blockText(t, got[0].Msg), "looks healthy again") {
		t.Fatalf("all-clear: %d posts %+v", len(got), got)
	}
	if ids := actionIDs(t, got[0].Msg); !slices.Equal(ids, []string{messages.ActionID(messages.ActionResolve, "")}) {
		t.Fatalf("all-clear buttons %v, want Resolve", ids)
	}
	r.nextInterval()
	mark = b.mark()
	b.watchTick()
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Fatalf("%d posts after the all-clear while nothing changed", len(got))
	}

	// Resolve, from the all-clear: the postmortem has the vendor's window.
	b.click("U0ALICE", messages.ActionID(messages.ActionResolve, ""), inc)
	b.settle()
	inc = b.reload(inc)
	if inc.Open() || !strings.Contains(inc.Postmortem, "The vendor's own incident: ") || !strings.Contains(inc.Postmortem, "Vendor lag: HubSpot posted 1m 7s") {
		t.Fatalf("postmortem:\n%s", inc.Postmortem)
	}
}

// TestWatchTwoReplicasOnPostgres: two replicas on one PostgreSQL tick at
// once, round after round, while the vendor's page changes; each change
// is posted exactly once in each watching channel.
func TestWatchTwoReplicasOnPostgres(t *testing.T) {
	pgtest.URL(t)
	dsn, _ := pgtest.FreshSchema(t)
	r := newWatchRig(t, dsn)
	a, b := r.replica(), r.replica()
	a.commandIn("C0ONE", "channel", "U0ALICE", "watch hubspot")
	a.commandIn("C0TWO", "channel", "U0ALICE", "watch hubspot")
	pages := []string{"operational", "incident", "incident", "component_outage", "operational", "maintenance",
		"maintenance", "operational", "incident_unrelated", "operational"}
	total := 0
	for i, page := range pages {
		r.hubspot.setStatus(t, page)
		for round := range 3 { // a few rounds per page: only the first may see a change
			mark := a.mark()
			var wg sync.WaitGroup
			for _, rep := range []*testBot{a, b} {
				wg.Add(1)
				go func() { defer wg.Done(); rep.svc.WatchTick(context.Background()) }()
			}
			wg.Wait()
			a.settle()
			r.nextInterval()
			seen := map[string]int{}
			for _, c := range watchPosts(a, mark) {
				seen[c.ChannelID+" "+blockText(t, c.Msg)]++
				total++
			}
			one, two, late := 0, 0, 0
			for k, n := range seen {
				if round > 0 && !(round == 1 && strings.Contains(k, "looks healthy again")) {
					late++ // only the all-clear waits for a second healthy check
				}
				if n != 1 {
					t.Errorf("page %d (%s), round %d: posted %d times: %s", i, page, round, n, k)
				}
				if strings.HasPrefix(k, "C0ONE ") {
					one++
				} else {
					two++
				}
			}
			if one != two || late > 0 {
				t.Errorf("page %d (%s), round %d: %d posts in one channel, %d in the other, %d late; want the same, and none late",
					i, page, round, one, two, late)
			}
		}
	}
	if total == 0 {
		t.Fatal("nothing was posted")
	}
	t.Logf("%d posts over %d page states", total, len(pages))
}

// TestWatchLeaseTakeover: a replica that claimed a vendor and stopped
// holds it only until its lease runs out; the other then checks it, within
// two intervals of the claim.
func TestWatchLeaseTakeover(t *testing.T) {
	watchLeaseTakeover(t, filepath.Join(t.TempDir(), "bot.db"))
}

// TestWatchLeaseTakeoverOnPostgres is the same with two replicas on one
// PostgreSQL.
func TestWatchLeaseTakeoverOnPostgres(t *testing.T) {
	pgtest.URL(t)
	dsn, _ := pgtest.FreshSchema(t)
	watchLeaseTakeover(t, dsn)
}

func watchLeaseTakeover(t *testing.T, path string) {
	r := newWatchRig(t, path)
	a, b := r.replica(), r.replica()
	a.command("U0ALICE", "watch hubspot")
	// a claims the vendor and stops before checking it.
	claimed, err := a.db.ClaimVendorWatches(context.Background(), a.svc.watchOwner(), 10, r.clock.Now(), a.svc.watchInterval())
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	claimedAt := r.clock.Now()
	r.hubspot.setStatus(t, "incident")
	checks := func() int { n, _ := r.hubspot.count("/api/v2/summary.json"); return n }
	b.watchTick()
	if n := checks(); n != 0 {
		t.Fatalf("b checked a vendor a holds: %d requests", n)
	}
	tick := b.module("vendor watch").Interval
	for checks() == 0 {
		r.clock.Advance(tick)
		b.watchTick()
		if waited := r.clock.Now().Sub(claimedAt); waited > 2*a.svc.watchInterval() {
			t.Fatalf("b had not taken the vendor over %s after a's claim", waited)
		}
	}
	if got := watchPosts(b, 0); len(got) != 1 || !strings.Contains(blockText(t, got[0].Msg), "opened an incident") {
		t.Fatalf("after the takeover: %d posts", len(got))
	}
}

// TestWatchBackoff: a status page that cannot be read is asked less and
// less often, says nothing (what it said before stands: no "resolved"),
// and once it answers again the interval is back to one.
func TestWatchBackoff(t *testing.T) {
	r := newWatchRig(t, filepath.Join(t.TempDir(), "bot.db"))
	b := r.replica()
	b.command("U0ALICE", "watch hubspot")
	r.hubspot.setStatus(t, "incident")
	b.watchTick()
	r.hubspot.mu.Lock()
	r.hubspot.down = true
	r.hubspot.mu.Unlock()
	mark := b.mark()
	ctx := context.Background()
	var waits []time.Duration
	for range 3 {
		v, _ := b.db.VendorWatch(ctx, "hubspot")
		r.clock.AdvanceTo(v.NextCheckAt)
		b.watchTick()
		v, _ = b.db.VendorWatch(ctx, "hubspot")
		waits = append(waits, v.NextCheckAt.Sub(r.clock.Now()))
		if v.State.PageError == "" || len(v.State.Incidents) != 1 {
			t.Fatalf("state while the page is down: %+v; want the error, and the incident it showed before", v.State)
		}
	}
	for i, w := range waits {
		if lo := time.Minute << (i + 1) * 9 / 10; w < lo {
			t.Errorf("wait after %d failures: %v, want at least %v", i+1, w, lo)
		}
	}
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Errorf("an unreadable page posted %d messages: %s", len(got), blockText(t, got[0].Msg))
	}
	r.hubspot.mu.Lock()
	r.hubspot.down = false
	r.hubspot.mu.Unlock()
	v, _ := b.db.VendorWatch(ctx, "hubspot")
	r.clock.AdvanceTo(v.NextCheckAt)
	b.watchTick()
	v, _ = b.db.VendorWatch(ctx, "hubspot")
	if v.Errors != 0 || v.NextCheckAt.Sub(r.clock.Now()) > time.Minute+time.Minute/10 {
		t.Errorf("after the page answered again: %d errors, next check in %v", v.Errors, v.NextCheckAt.Sub(r.clock.Now()))
	}
	if got := watchPosts(b, mark); len(got) != 0 {
		t.Errorf("the page back, unchanged: %d posts", len(got))
	}
}
