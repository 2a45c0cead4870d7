package commands

// The vendor watch: /incident watch, unwatch and watching; the engine
// module that checks each watched vendor every WATCH_INTERVAL and turns
// what changed into one message per watching channel; and the Declare
// incident button under such a message. See docs/WATCH.md.
//
// Exactly once across replicas: a check is claimed with a lease on the
// vendor's record (one replica checks a vendor at a time; a stopped
// replica's lease runs out and another takes the vendor over), and what a
// check found is posted by jobs whose keys name the vendor, the record's
// version and the channel, queued before the record is saved. A check
// taken over after a crash finds the same version, so the same keys: the
// store adds each job once.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/messages"
)

// Bounds of the watch.
const (
	// DefaultWatchInterval is how often a watched vendor is checked when
	// Config.WatchInterval does not say.
	DefaultWatchInterval = 60 * time.Second
	// watchParallel is how many vendors one replica checks at once.
	watchParallel = 16
	// healthyForAllClear is how many checks in a row must find nothing
	// wrong before the all-clear (and the Resolve button) is offered.
	healthyForAllClear = 2
	// maxWatchVendors bounds one /incident watch.
	maxWatchVendors = 20
	// maxBackoffSteps doubles the interval at most this many times while
	// a status page keeps failing.
	maxBackoffSteps = 4
)

// watcher is the watch's per-process part: who this replica is, for the
// leases.
type watcher struct {
	once  sync.Once
	owner string
}

func (s *Service) watchOwner() string {
	s.watch.once.Do(func() { s.watch.owner = "watch-" + uuid.Must(uuid.NewV7()).String() })
	return s.watch.owner
}

// watchInterval is WATCH_INTERVAL, or its default.
func (s *Service) watchInterval() time.Duration {
	if s.Config.WatchInterval > 0 {
		return s.Config.WatchInterval
	}
	return DefaultWatchInterval
}

// watchModule looks for due vendors every few seconds: a tenth of the
// interval, between 100 ms and 5 s, so a vendor is checked at most a few
// seconds after it is due.
func (s *Service) watchModule() engine.Module {
	tick := min(max(s.watchInterval()/10, 100*time.Millisecond), 5*time.Second)
	return engine.Module{Name: "vendor watch", Interval: tick, AtStart: true, Tick: s.WatchTick}
}

// watchArgs is what a watch job posts: the changes one check found, and
// the triage's verdict on that check.
type watchArgs struct {
	Changes   []messages.WatchChange `json:"changes,omitempty"`
	Diagnosis *incident.Diagnosis    `json:"diagnosis,omitempty"`
	// AllClear: the vendor is healthy again; the incident's Resolve is offered.
	AllClear bool `json:"all_clear,omitempty"`
	// Lag, when this check measured it: our first failing probe, and the
	// vendor's first post.
	FirstFailing time.Time `json:"first_failing,omitzero"`
	Posted       time.Time `json:"posted,omitzero"`
}

// watchCommand: /incident watch VENDOR [VENDOR…]
func (s *Service) watchCommand(ctx context.Context, cmd Command, rest string) messages.Message {
	keys, msg, ok := s.watchVendors(rest, "watch")
	if !ok {
		return msg
	}
	var added, already []string
	for _, k := range keys {
		name, _ := s.Triage.VendorName(k)
		ok, err := s.Store.Watch(ctx, &incident.Watch{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID, Vendor: k,
			CreatedBy: cmd.UserID, CreatedAt: s.Now()})
		if err != nil {
			return notice(s.userError(err, "watch "+name))
		}
		if ok {
			added = append(added, name)
		} else {
			already = append(already, name)
		}
	}
	var b strings.Builder
	if len(added) > 0 {
		fmt.Fprintf(&b, ":eyes: Watching %s in this channel: each is checked every %s, and every change of its state (an incident or maintenance on its status page, a component degraded, our calls failing, and their end) is posted here.",
			messages.Escape(andList(added)), messages.Duration(s.watchInterval()))
	}
	if len(already) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "This channel already watches %s.", messages.Escape(andList(already)))
	}
	// What the watch already knows of a vendor another channel watched first:
	// this channel hears only of changes from now on.
	if ws, err := s.Store.Watches(ctx, incident.WatchFilter{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID}); err == nil {
		for _, w := range ws {
			if name, ok := s.Triage.VendorName(w.Watch.Vendor); ok && slices.Contains(keys, w.Watch.Vendor) && !w.Vendor.CheckedAt.IsZero() {
				b.WriteString("\n• Now: " + messages.VendorStateLine(name, w.Vendor.State, w.Vendor.CheckedAt))
			}
		}
	}
	b.WriteString("\n`/incident watching` shows their state.")
	return notice(b.String())
}

// unwatchCommand: /incident unwatch VENDOR…
func (s *Service) unwatchCommand(ctx context.Context, cmd Command, rest string) messages.Message {
	keys, msg, ok := s.watchVendors(rest, "unwatch")
	if !ok {
		return msg
	}
	var removed, not []string
	for _, k := range keys {
		name, _ := s.Triage.VendorName(k)
		ok, err := s.Store.Unwatch(ctx, cmd.TeamID, cmd.ChannelID, k)
		if err != nil {
			return notice(s.userError(err, "stop watching "+name))
		}
		if ok {
			removed = append(removed, name)
		} else {
			not = append(not, name)
		}
	}
	var parts []string
	if len(removed) > 0 {
		parts = append(parts, fmt.Sprintf("Stopped watching %s in this channel.", messages.Escape(andList(removed))))
	}
	if len(not) > 0 {
		parts = append(parts, fmt.Sprintf("This channel was not watching %s.", messages.Escape(andList(not))))
	}
	return notice(strings.Join(parts, " "))
}

// watchingCommand: /incident watching
func (s *Service) watchingCommand(ctx context.Context, cmd Command, _ string) messages.Message {
	ws, err := s.Store.Watches(ctx, incident.WatchFilter{TeamID: cmd.TeamID, ChannelID: cmd.ChannelID})
	if err != nil {
		return notice(s.userError(err, "list the watched vendors"))
	}
	lines := make([]messages.WatchingLine, 0, len(ws))
	for _, w := range ws {
		name, ok := s.Triage.VendorName(w.Watch.Vendor)
		if !ok {
			name = w.Watch.Vendor + " (no longer in the catalog)"
		}
		lines = append(lines, messages.WatchingLine{Name: name, State: w.Vendor.State, Checked: w.Vendor.CheckedAt})
	}
	return messages.Watching(lines, s.watchInterval())
}

// watchVendors reads the vendor keys of watch or unwatch: all known, or
// the answer saying which are not and what was probably meant.
func (s *Service) watchVendors(rest, verb string) ([]string, messages.Message, bool) {
	words := strings.Fields(strings.ToLower(rest))
	if len(words) == 0 {
		return nil, notice(fmt.Sprintf("Say which vendor: `/incident %s hubspot` (several at once: `/incident %s hubspot stripe`). Known vendors: %s.",
			verb, verb, knownVendors(s.Triage))), false
	}
	if len(words) > maxWatchVendors {
		return nil, notice(fmt.Sprintf("That is %d vendors; name at most %d at a time.", len(words), maxWatchVendors)), false
	}
	var keys, unknown []string
	for _, w := range words {
		w = strings.Trim(w, ",;")
		if w == "" || slices.Contains(keys, w) {
			continue
		}
		if _, ok := s.Triage.VendorName(w); ok {
			keys = append(keys, w)
			continue
		}
		u := "`" + messages.Escape(messages.Truncate(40, w)) + "`"
		if near := closeMatches(w, s.Triage.Vendors()); len(near) > 0 {
			u += " (did you mean " + orList(near) + "?)"
		}
		unknown = append(unknown, u)
	}
	if len(unknown) > 0 {
		return nil, notice(fmt.Sprintf("I don't know the vendor %s, so nothing changed. `bot vendors` (or `/incident %s` alone) lists the known ones; operators add vendors with VENDORS_FILE.",
			strings.Join(unknown, ", "), verb)), false
	}
	if len(keys) == 0 {
		return nil, notice(fmt.Sprintf("Say which vendor: `/incident %s hubspot`.", verb)), false
	}
	return keys, messages.Message{}, true
}

// closeMatches lists up to three catalog keys that word probably meant:
// those it is a prefix of or contained in, and those a couple of typos away.
func closeMatches(word string, keys []string) []string {
	if len(word) > 40 {
		return nil // no vendor key is that long, and the distances would cost
	}
	var out []string
	for _, k := range keys {
		if len(out) == 3 {
			break
		}
		if (len(word) >= 3 && (strings.HasPrefix(k, word) || strings.Contains(k, word))) ||
			editDistance(word, k) <= max(1, min(2, len(k)/4)) {
			out = append(out, "`"+messages.Escape(k)+"`")
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func andList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// WatchTick checks every watched vendor that is due, a batch at a time,
// each batch claimed with a lease so that no other replica checks the same
// vendors meanwhile. It is the watch module's Tick; tests call it directly.
func (s *Service) WatchTick(ctx context.Context) {
	lease := s.watchInterval()
	for ctx.Err() == nil {
		due, err := s.Store.ClaimVendorWatches(ctx, s.watchOwner(), watchParallel, s.Now(), lease)
		if err != nil {
			s.Log.Warn().Err(err).Msg("watch: claim due vendors")
			return
		}
		var wg sync.WaitGroup
		for _, v := range due {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.checkVendor(ctx, v)
			}()
		}
		wg.Wait()
		if len(due) < watchParallel {
			return
		}
	}
}

// checkVendor checks one claimed vendor, queues a post of what changed for
// each watching channel, and saves what it saw.
func (s *Service) checkVendor(ctx context.Context, v *incident.VendorWatch) {
	log := s.Log.With().Str("vendor", v.Vendor).Logger()
	rep, err := s.Triage.Triage(ctx, v.Vendor)
	now := s.Now()
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: the lease runs out and the vendor is checked again
		}
		// The vendor left the catalog, or the runbook broke: try later.
		log.Warn().Err(err).Msg("watch: check")
		v.Errors++
		v.NextCheckAt = now.Add(s.backoff(v.Errors))
		s.saveWatch(ctx, v)
		return
	}
	prev := v.State
	cur := observe(rep, prev, now)
	changes, lagKnown := advance(prev, &cur, now)
	if cur.PageError != "" {
		v.Errors++
		v.NextCheckAt = now.Add(s.backoff(v.Errors))
	} else {
		v.Errors = 0
		v.NextCheckAt = now.Add(jitter(s.watchInterval()))
	}
	if vs, ok := s.Triage.(interface {
		Validators(vendor string) (etag, lastModified string)
	}); ok {
		v.ETag, v.LastModified = vs.Validators(v.Vendor)
	}
	if len(changes) > 0 {
		args := watchArgs{Changes: changes, Diagnosis: rep.Diagnosis(),
			AllClear: slices.ContainsFunc(changes, func(c messages.WatchChange) bool { return c.Kind == messages.WatchAllClear })}
		if lagKnown {
			args.FirstFailing, args.Posted = cur.FirstFailingAt, cur.VendorPostedAt
			if s.Config.VendorLag != nil {
				s.Config.VendorLag(v.Vendor, max(cur.VendorPostedAt.Sub(cur.FirstFailingAt), 0))
			}
		}
		if err := s.queueWatchPosts(ctx, v, args); err != nil {
			// Not saved: the next claim (after the lease) checks again and
			// queues the same keys, which the store adds once.
			log.Warn().Err(err).Msg("watch: queue the posts")
			return
		}
		log.Info().Int("changes", len(changes)).Str("cause", string(rep.Cause)).Msg("watch: the vendor changed")
	}
	v.State, v.CheckedAt = cur, now
	s.saveWatch(ctx, v)
}

func (s *Service) saveWatch(ctx context.Context, v *incident.VendorWatch) {
	if err := s.Store.SaveVendorWatch(ctx, v, s.watchOwner()); err != nil {
		s.Log.Warn().Err(err).Str("vendor", v.Vendor).Msg("watch: save the vendor's state")
	}
}

// queueWatchPosts queues one post per watching channel, keyed by the
// vendor, the record's version and the channel.
func (s *Service) queueWatchPosts(ctx context.Context, v *incident.VendorWatch, args watchArgs) error {
	ws, err := s.Store.Watches(ctx, incident.WatchFilter{Vendor: v.Vendor})
	if err != nil {
		return err
	}
	for _, w := range ws {
		a := jobArgs{Cmd: Command{TeamID: w.TeamID, ChannelID: w.ChannelID}, Vendor: v.Vendor, Watch: &args}
		key := fmt.Sprintf("%s:%d:%s:%s", v.Vendor, v.Version, w.TeamID, w.ChannelID)
		if err := s.then(ctx, jobWatch, key, a); err != nil {
			return err
		}
	}
	return nil
}

// backoff is the wait after n checks in a row that could not read the
// vendor's page: the interval doubled n times, at most maxBackoffSteps.
func (s *Service) backoff(n int) time.Duration {
	return jitter(s.watchInterval() << min(max(n, 0), maxBackoffSteps))
}

// jitter spreads d by ±10 %, so that vendors watched at the same moment
// do not stay in step.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// observe turns a triage report into the vendor's state. A status page
// that could not be read says nothing: what it said before stands, so an
// unreadable page never reads as every incident resolved.
func observe(rep runbook.Report, prev incident.VendorState, now time.Time) incident.VendorState {
	cur := incident.VendorState{Checked: now, Cause: string(rep.Cause), Summary: rep.Summary,
		Evidence: rep.Evidence[:min(len(rep.Evidence), 3)]}
	page, api := checkNamed(rep.Checks, runbook.CheckStatusPage), checkNamed(rep.Checks, runbook.CheckAPI)
	switch page.Result {
	case runbook.ResultSkipped, "":
	case runbook.ResultOK, runbook.ResultWarn, runbook.ResultFail:
		vs := rep.VendorStatus
		cur.Indicator = string(vs.Indicator)
		for _, in := range vs.Incidents {
			cur.Incidents = append(cur.Incidents, vendorItem(in.Name, in.Status, in.Impact, in.URL, in.Components, in.Words))
		}
		for _, m := range vs.Maintenances {
			if m.Status == runbook.MaintenanceInProgress || m.Status == runbook.MaintenanceVerifying {
				cur.Maintenances = append(cur.Maintenances, vendorItem(m.Name, m.Status, "", m.URL, m.Components, m.Words))
			}
		}
		for _, c := range vs.DegradedComponents {
			cur.Degraded = append(cur.Degraded, incident.VendorComponent{Name: c.Name, Status: c.Status})
		}
	default:
		cur.PageError = page.Detail
		if cur.PageError == "" {
			cur.PageError = "status unknown"
		}
		cur.Indicator, cur.Incidents, cur.Maintenances, cur.Degraded = prev.Indicator, prev.Incidents, prev.Maintenances, prev.Degraded
	}
	switch api.Result {
	case runbook.ResultOK, runbook.ResultWarn:
		cur.Probe = "ok"
	case runbook.ResultFail, runbook.ResultTimeout:
		cur.Probe = "failing"
		cur.ProbeDetail = api.Detail
	}
	return cur
}

func vendorItem(name, status, impact, url string, comps []string, w runbook.VendorWords) incident.VendorItem {
	id := w.ID
	if id == "" {
		id = name // formats without ids: the name is the best handle there is
	}
	return incident.VendorItem{ID: id, Name: name, Status: status, Impact: impact, URL: url, Update: w.Update,
		UpdatedAt: w.UpdatedAt, StartedAt: w.StartedAt, Components: slices.Clone(comps)}
}

func checkNamed(cs []runbook.Check, name string) runbook.Check {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return runbook.Check{}
}

// advance compares the state a check observed with the one before it: it
// returns the changes, in the order a person reads them, and carries the
// bad spell on (when it began, when the vendor first posted, how many
// healthy checks since). lagKnown says this check completed the vendor
// lag's two ends.
func advance(prev incident.VendorState, cur *incident.VendorState, now time.Time) (changes []messages.WatchChange, lagKnown bool) {
	before := map[string]incident.VendorItem{}
	for _, in := range prev.Incidents {
		before[in.ID] = in
	}
	for _, in := range cur.Incidents {
		c := messages.WatchChange{Subject: in.Name, Impact: in.Impact, Status: in.Status, Words: in.Update, At: in.UpdatedAt,
			URL: in.URL, Started: in.StartedAt}
		old, seen := before[in.ID]
		switch {
		case !seen:
			c.Kind = messages.WatchIncidentOpened
		case !strings.EqualFold(old.Impact, in.Impact):
			c.Kind, c.Was = messages.WatchIncidentRerated, old.Impact
		case old.Status != in.Status || old.Update != in.Update || !old.UpdatedAt.Equal(in.UpdatedAt):
			c.Kind, c.Was = messages.WatchIncidentUpdated, old.Status
		default:
			continue
		}
		changes = append(changes, c)
	}
	open := map[string]bool{}
	for _, in := range cur.Incidents {
		open[in.ID] = true
	}
	for _, in := range prev.Incidents {
		if !open[in.ID] {
			changes = append(changes, messages.WatchChange{Kind: messages.WatchIncidentResolved, Subject: in.Name, URL: in.URL, At: now})
		}
	}
	changes = append(changes, itemChanges(prev.Maintenances, cur.Maintenances, messages.WatchMaintenanceStart, messages.WatchMaintenanceEnd, now)...)
	was := map[string]string{}
	for _, c := range prev.Degraded {
		was[c.Name] = c.Status
	}
	is := map[string]bool{}
	for _, c := range cur.Degraded {
		is[c.Name] = true
		if was[c.Name] != c.Status {
			changes = append(changes, messages.WatchChange{Kind: messages.WatchComponentDegraded, Subject: c.Name, Status: c.Status, Was: was[c.Name]})
		}
	}
	for _, c := range prev.Degraded {
		if !is[c.Name] {
			changes = append(changes, messages.WatchChange{Kind: messages.WatchComponentRecover, Subject: c.Name})
		}
	}
	if problem(prev.Cause) && problem(cur.Cause) && prev.Cause != cur.Cause {
		changes = append(changes, messages.WatchChange{Kind: messages.WatchCauseChanged, Was: prev.Cause, Status: cur.Cause})
	}
	switch {
	case cur.Probe == "failing" && prev.Probe != "failing":
		changes = append(changes, messages.WatchChange{Kind: messages.WatchProbeFailing, Words: cur.ProbeDetail, Subject: cur.Cause})
	case cur.Probe == "ok" && prev.Probe == "failing":
		changes = append(changes, messages.WatchChange{Kind: messages.WatchProbeRecovered})
	}

	// The bad spell: its start (our first failing probe), the vendor's
	// first post in it, and the all-clear after a few healthy checks.
	lagBefore := !prev.FirstFailingAt.IsZero() && !prev.VendorPostedAt.IsZero()
	cur.FirstFailingAt, cur.VendorPostedAt, cur.Bad = prev.FirstFailingAt, prev.VendorPostedAt, prev.Bad
	if cur.Probe == "failing" && cur.FirstFailingAt.IsZero() {
		cur.FirstFailingAt = now
	}
	if len(cur.Incidents) > 0 && cur.VendorPostedAt.IsZero() {
		cur.VendorPostedAt = now
		for _, in := range cur.Incidents {
			if t := in.StartedAt; !t.IsZero() && t.Before(cur.VendorPostedAt) && !t.After(now) {
				cur.VendorPostedAt = t
			}
		}
	}
	bad := len(cur.Incidents) > 0 || len(cur.Degraded) > 0 || cur.Probe == "failing"
	if bad {
		cur.Bad, cur.Healthy = true, 0
	} else {
		cur.Healthy = prev.Healthy + 1
	}
	lagKnown = !lagBefore && !cur.FirstFailingAt.IsZero() && !cur.VendorPostedAt.IsZero()
	if cur.Bad && !bad && cur.Healthy >= healthyForAllClear {
		changes = append(changes, messages.WatchChange{Kind: messages.WatchAllClear})
		cur.Bad, cur.FirstFailingAt, cur.VendorPostedAt = false, time.Time{}, time.Time{}
	}
	return changes, lagKnown
}

// problem reports whether a triage cause is a problem worth an incident's
// cause: not healthy, and not a setting of ours missing.
func problem(cause string) bool {
	return cause != "" && cause != string(runbook.Healthy) && cause != string(runbook.Misconfigured)
}

// itemChanges: items (maintenances) that began and ended between two checks.
func itemChanges(prev, cur []incident.VendorItem, started, ended string, now time.Time) []messages.WatchChange {
	var out []messages.WatchChange
	had := map[string]bool{}
	for _, m := range prev {
		had[m.ID] = true
	}
	has := map[string]bool{}
	for _, m := range cur {
		has[m.ID] = true
		if !had[m.ID] {
			out = append(out, messages.WatchChange{Kind: started, Subject: m.Name, Status: m.Status, Words: m.Update, At: m.UpdatedAt, URL: m.URL})
		}
	}
	for _, m := range prev {
		if !has[m.ID] {
			out = append(out, messages.WatchChange{Kind: ended, Subject: m.Name, URL: m.URL, At: now})
		}
	}
	return out
}

// runWatch posts what one check of a vendor found in one watching channel:
// into the thread of the vendor's open incident there, or in the channel.
// A channel that stopped watching meanwhile is told nothing.
func (s *Service) runWatch(ctx context.Context, a jobArgs) error {
	w := a.Watch
	if w == nil {
		return nil
	}
	still, err := s.Store.Watches(ctx, incident.WatchFilter{TeamID: a.Cmd.TeamID, ChannelID: a.Cmd.ChannelID, Vendor: a.Vendor})
	if err != nil {
		return err
	}
	if len(still) == 0 {
		return nil
	}
	s.homeChanged(ctx, a.Cmd.TeamID) // App Home lists the vendor's state
	name, ok := s.Triage.VendorName(a.Vendor)
	if !ok {
		name = a.Vendor
	}
	open, err := s.openIncidentOf(ctx, a.Cmd, a.Vendor)
	if err != nil {
		return err
	}
	post := messages.WatchPost{Vendor: a.Vendor, Name: name, Incident: open}
	if d := w.Diagnosis; d != nil {
		post.Cause, post.Summary, post.Evidence = d.Cause, d.Summary, d.Evidence
	}
	lag := ""
	if !w.FirstFailing.IsZero() && !w.Posted.IsZero() {
		lag = messages.VendorLag(name, w.FirstFailing, w.Posted)
		post.Lag = lag
	}
	for _, c := range w.Changes {
		// A new update on an incident already reported is news for the
		// people working the incident, not for the whole channel.
		if (c.Kind == messages.WatchIncidentUpdated || c.Kind == messages.WatchCauseChanged) && (open == nil || open.MessageTS == "") {
			continue
		}
		post.Changes = append(post.Changes, c)
	}
	if len(post.Changes) == 0 {
		return nil
	}
	if open == nil || open.MessageTS == "" {
		post.Incident = nil
		m, err := messages.Watch(post)
		if err != nil {
			return err
		}
		_, err = s.Slack.Post(ctx, a.Cmd.ChannelID, "", m)
		return err
	}
	post.Resolve = w.AllClear
	m, err := messages.Watch(post)
	if err != nil {
		return err
	}
	if _, err := s.Slack.Post(ctx, open.ChannelID, open.MessageTS, m); err != nil {
		return err
	}
	s.recordWatch(ctx, open, name, post.Changes, lag)
	if d := w.Diagnosis; d != nil && problem(d.Cause) && (open.Diagnosis == nil || open.Diagnosis.Cause != d.Cause) {
		inc, changed, err := s.modify(ctx, open.ID, func(i *incident.Incident) (bool, error) {
			if i.Diagnosis != nil && i.Diagnosis.Cause == d.Cause {
				return false, nil
			}
			i.Diagnosis = d
			return true, nil
		})
		if err != nil {
			return err
		}
		if changed {
			s.refresh(ctx, inc)
		}
	}
	return nil
}

// recordWatch puts what the vendor said into the incident's timeline, at
// the vendor's own times, so the postmortem shows the vendor's incident
// window; and the vendor lag when it was measured. Each entry is keyed, so
// a retried job adds it once.
func (s *Service) recordWatch(ctx context.Context, inc *incident.Incident, name string, cs []messages.WatchChange, lag string) {
	for _, c := range cs {
		kind, text := incident.KindVendor, name+": "+strings.ReplaceAll(c.Kind, "_", " ")
		if c.Subject != "" {
			text += ": " + c.Subject
		}
		at := c.At
		switch c.Kind {
		case messages.WatchIncidentOpened:
			kind = incident.KindVendorOpened
			if !c.Started.IsZero() && !c.Started.After(s.Now()) {
				at = c.Started
			}
		case messages.WatchIncidentResolved:
			kind = incident.KindVendorResolved
		}
		if c.Words != "" {
			text += " — “" + c.Words + "”"
		}
		if at.IsZero() {
			at = s.Now()
		}
		s.addWatchEntry(ctx, inc, kind, text, at)
	}
	if lag != "" {
		s.addWatchEntry(ctx, inc, incident.KindVendorLag, lag, s.Now())
	}
}

func (s *Service) addWatchEntry(ctx context.Context, inc *incident.Incident, kind incident.EntryKind, text string, at time.Time) {
	e := &incident.Entry{IncidentID: inc.ID, Kind: kind, Text: messages.Truncate(1000, text), At: at,
		EventID: fmt.Sprintf("watch:%s:%s:%s", inc.ID, kind, uuid.NewSHA1(uuid.NameSpaceOID, []byte(text+at.String())))}
	if _, err := s.Store.AddEntry(ctx, e); err != nil {
		s.Log.Error().Err(err).Str("incident", inc.Ref()).Str("kind", string(kind)).Msg("record timeline entry")
	}
}

// runWatchDeclare opens an incident from a watch message's Declare
// incident button: through the triage, as Declare anyway does, unless the
// channel has the vendor's incident open already. The vendor lag the watch
// measured goes into the new incident's timeline.
func (s *Service) runWatchDeclare(ctx context.Context, j jobArgs) error {
	open, err := s.openIncidentOf(ctx, j.Cmd, j.Vendor)
	if err != nil {
		return err
	}
	if open != nil && open.ID != j.Incident {
		s.tell(ctx, j.Cmd, fmt.Sprintf("%s is already open about this vendor here; the watch posts into its thread.", open.Ref()))
		return nil
	}
	if err := s.runTriage(ctx, jobArgs{Cmd: j.Cmd, Vendor: j.Vendor, Incident: j.Incident, Force: true}); err != nil {
		return err
	}
	inc, err := s.Store.Incident(ctx, j.Incident)
	if err != nil {
		return nil // the triage told the user why nothing opened
	}
	v, err := s.Store.VendorWatch(ctx, j.Vendor)
	if err != nil {
		return nil
	}
	st := v.State
	name := inc.VendorName
	for _, in := range st.Incidents {
		s.addWatchEntry(ctx, inc, incident.KindVendorOpened, name+": incident opened: "+in.Name, firstNonZero(in.StartedAt, st.VendorPostedAt, s.Now()))
	}
	if !st.FirstFailingAt.IsZero() && !st.VendorPostedAt.IsZero() {
		s.addWatchEntry(ctx, inc, incident.KindVendorLag, messages.VendorLag(name, st.FirstFailingAt, st.VendorPostedAt), s.Now())
	}
	return nil
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
