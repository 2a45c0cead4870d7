package vendors

// A storm of triages of one vendor costs the vendor one request per check:
// triages that overlap share their probes, and a report is reused for
// CacheFor. Stand-ins on loopback count what reaches them.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// checkCounts counts the requests reaching each part of a stand-in.
type checkCounts struct {
	status, health atomic.Int64
}

// countChecks makes the stand-in count its status page and health answers
// (it records API requests itself), and answers as HubSpot does when
// healthy. The API holds its answer until hold is closed, when hold is not
// nil.
func countChecks(s *standIn, hold chan struct{}) *checkCounts {
	c := &checkCounts{}
	status, health := s.get(&s.status), s.get(&s.health)
	s.set(&s.status, func(w http.ResponseWriter, r *http.Request) { c.status.Add(1); status(w, r) })
	s.set(&s.health, func(w http.ResponseWriter, r *http.Request) { c.health.Add(1); health(w, r) })
	hubspot, intercom := hubspotAnswers().ok, intercomAnswers().ok
	s.set(&s.api, func(w http.ResponseWriter, r *http.Request) {
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		if r.Header.Get("Intercom-Version") != "" {
			intercom(w, r)
			return
		}
		hubspot(w, r)
	})
	return c
}

func (c *checkCounts) String(s *standIn) string {
	return fmt.Sprintf("api %d, status page %d, health %d", s.calls(), c.status.Load(), c.health.Load())
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTriageStormSharesProbes: 100 triages of one vendor at once make one
// request per check, and all get the same report.
func TestTriageStormSharesProbes(t *testing.T) {
	s := newStandIn(t)
	hold := make(chan struct{})
	counts := countChecks(s, hold)
	tr := triager(t, s) // CacheFor zero: only the overlap is shared

	const n = 100
	reports := make([]runbook.Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { reports[i], errs[i] = tr.Triage(context.Background(), "hubspot") })
	}
	waitFor(t, "every triage to join the first one's probes", func() bool { return tr.Coalesced() == n-1 })
	close(hold)
	wg.Wait()

	for i := range n {
		if errs[i] != nil || reports[i].Cause != runbook.Healthy || !reflect.DeepEqual(reports[i], reports[0]) {
			t.Fatalf("triage %d: %v, %+v; want the shared healthy report", i, errs[i], reports[i])
		}
	}
	if got := counts.String(s); got != "api 1, status page 1, health 1" {
		t.Errorf("the stand-in saw %s; want one request per check", got)
	}

	// No cache: the next triage probes again.
	if _, err := tr.Triage(context.Background(), "hubspot"); err != nil {
		t.Fatal(err)
	}
	if got := counts.String(s); got != "api 2, status page 2, health 2" {
		t.Errorf("after the storm, with no cache, the stand-in saw %s; want a second request per check", got)
	}
	if got := tr.Coalesced(); got != n-1 {
		t.Errorf("Coalesced = %d, want %d", got, n-1)
	}
}

// TestTriageCacheFor: within CacheFor of the probes' end, a triage gets
// their report; after it, the vendor is asked again.
func TestTriageCacheFor(t *testing.T) {
	s := newStandIn(t)
	counts := countChecks(s, nil)
	tr := triager(t, s)
	tr.CacheFor = 500 * time.Millisecond

	first, err := tr.Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	cachedAt := time.Now()
	for range 10 {
		r, err := tr.Triage(context.Background(), "hubspot")
		if err != nil || !reflect.DeepEqual(r, first) {
			t.Fatalf("within the cache window: %v, %+v; want the first report", err, r)
		}
	}
	if time.Since(cachedAt) >= tr.CacheFor {
		t.Skip("the machine is too slow to stay within the cache window")
	}
	if got := counts.String(s); got != "api 1, status page 1, health 1" || tr.Coalesced() != 10 {
		t.Errorf("within the window the stand-in saw %s and %d triages were coalesced; want one request per check, 10",
			got, tr.Coalesced())
	}

	time.Sleep(tr.CacheFor)
	if _, err := tr.Triage(context.Background(), "hubspot"); err != nil {
		t.Fatal(err)
	}
	if got := counts.String(s); got != "api 2, status page 2, health 2" {
		t.Errorf("after the window the stand-in saw %s; want a new request per check", got)
	}
}

// TestTriageVendorsDoNotShare: triages of different vendors at the same
// time each make their own requests.
func TestTriageVendorsDoNotShare(t *testing.T) {
	s := newStandIn(t)
	hold := make(chan struct{})
	counts := countChecks(s, hold)
	tr := triager(t, s)
	tr.CacheFor = time.Minute

	var wg sync.WaitGroup
	causes := map[string]runbook.Cause{}
	var mu sync.Mutex
	for _, v := range []string{"hubspot", "intercom", "hubspot", "intercom"} {
		wg.Go(func() {
			r, err := tr.Triage(context.Background(), v)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			causes[v] = r.Cause
			mu.Unlock()
		})
	}
	waitFor(t, "both vendors' API probes", func() bool { return s.calls() >= 2 })
	waitFor(t, "the second triage of each vendor to join", func() bool { return tr.Coalesced() == 2 })
	close(hold)
	wg.Wait()
	if got := counts.String(s); got != "api 2, status page 2, health 2" {
		t.Errorf("the stand-in saw %s; want one request per check and vendor", got)
	}
	paths := map[string]bool{}
	s.mu.Lock()
	for _, r := range s.requests {
		paths[r.URL.Path] = true
	}
	s.mu.Unlock()
	if len(paths) != 2 || causes["hubspot"] != runbook.Healthy || causes["intercom"] != runbook.Healthy {
		t.Errorf("API paths %v, causes %v; want each vendor probed and healthy", paths, causes)
	}
}

// TestTriageCallerLeavesEarly: a caller whose context ends gets its error
// at once; the probes it started go on, under the triage deadline, for a
// caller that waits.
func TestTriageCallerLeavesEarly(t *testing.T) {
	s := newStandIn(t)
	s.set(&s.api, s.hang())
	tr := triager(t, s)
	tr.Deadline = 800 * time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	impatient := make(chan error, 1)
	go func() {
		_, err := tr.Triage(ctx, "hubspot")
		impatient <- err
	}()
	waitFor(t, "the API probe", func() bool { return s.calls() == 1 })
	start := time.Now()
	r, err := tr.Triage(context.Background(), "hubspot")
	took := time.Since(start)
	if err := <-impatient; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the impatient caller got %v, want its context's deadline", err)
	}
	if err != nil || r.Cause != runbook.Unreachable {
		t.Fatalf("the waiting caller got %v, cause %q; want the report with the API timed out", err, r.Cause)
	}
	// The probe ran to the triage deadline (less its margin), not to the
	// first caller's 100 ms.
	if took < 400*time.Millisecond || took > 2*time.Second {
		t.Errorf("the waiting caller got the report after %s; the probes run to the 800ms deadline", took)
	}
	for _, c := range r.Checks {
		if c.Name == "api" && !c.TimedOut {
			t.Errorf("api check %+v, want timed out", c)
		}
	}
	if s.calls() != 1 || tr.Coalesced() != 1 {
		t.Errorf("%d API requests and %d coalesced, want 1 and 1", s.calls(), tr.Coalesced())
	}
}

// TestTriageReportsAreCopies: a caller changing its report does not change
// another's, nor the cached one.
func TestTriageReportsAreCopies(t *testing.T) {
	s := newStandIn(t)
	countChecks(s, nil)
	tr := triager(t, s)
	tr.CacheFor = time.Minute
	a, err := tr.Triage(context.Background(), "hubspot")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tr.Triage(context.Background(), "hubspot")
	a.Checks[0].Detail = "changed"
	a.Mitigation = append(a.Mitigation[:0], "changed")
	if a.RateLimit != nil && len(a.RateLimit.Windows) > 0 {
		a.RateLimit.Windows[0].Name = "changed"
	}
	b, _ := tr.Triage(context.Background(), "hubspot")
	if !reflect.DeepEqual(b, want) {
		t.Errorf("a caller's change reached the cached report")
	}
}

// TestCloneReportSharesNothing walks runbook.Report: every slice, map and
// pointer in a clone is a copy. It fails when a field added to the report
// is not copied by cloneReport.
func TestCloneReportSharesNothing(t *testing.T) {
	var r runbook.Report
	fill(reflect.ValueOf(&r).Elem())
	c := cloneReport(r)
	if !reflect.DeepEqual(c, r) {
		t.Fatal("the clone differs from the report")
	}
	assertNoAlias(t, "Report", reflect.ValueOf(r), reflect.ValueOf(c))
}

// fill gives every slice one element, every pointer and map a value, all
// the way down.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("x")
	}
}

func assertNoAlias(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				assertNoAlias(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice, reflect.Pointer, reflect.Map:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			t.Errorf("%s is shared between a report and its clone", path)
			return
		}
		switch a.Kind() {
		case reflect.Slice:
			for i := range a.Len() {
				assertNoAlias(t, path+"[i]", a.Index(i), b.Index(i))
			}
		case reflect.Pointer:
			if !a.IsNil() {
				assertNoAlias(t, path, a.Elem(), b.Elem())
			}
		}
	}
}
