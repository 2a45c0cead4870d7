package vendors

// Polling many status pages: BenchmarkPoll1000Pages reads 1,000 pages
// twice through one Triager's status memo, as the vendor watch would, with
// bounded concurrency, against loopback stand-ins serving the fixtures of
// every format with ETag and Last-Modified. The second round must be all
// conditional requests answered 304, and the memory the poll holds must
// stay under 64 MB. TestPollConditional is the same at a small scale, run
// with the ordinary tests.
//
//	go test ./internal/vendors -run '^$' -bench Poll1000 -benchtime 1x

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// pollPage is one status page of the farm: the vendor that reads it and
// the documents it serves, by path.
type pollPage struct {
	vendor Vendor
	docs   map[string][]byte
	etags  map[string]string
	state  string
}

// pageFarm is many status pages behind one loopback server, each under
// /p/<n>/, answering conditional requests.
type pageFarm struct {
	*httptest.Server
	pages              []pollPage
	requests, notModif atomic.Int64
}

var farmModified = statusNow.Add(-time.Hour).UTC().Format(http.TimeFormat)

// newPageFarm builds n pages, going round every format and each state it
// has a fixture for; every other page is given as status_kind auto.
func newPageFarm(tb testing.TB, n int) *pageFarm {
	tb.Helper()
	farm := &pageFarm{}
	farm.Server = httptest.NewServer(http.HandlerFunc(farm.serve))
	tb.Cleanup(farm.Close)
	type fixture struct {
		f     statusFormat
		state string
		raw   []byte
	}
	var fixtures []fixture
	for _, f := range statusFormats {
		for _, st := range f.stateNames() {
			raw, err := os.ReadFile(filepath.Join(statusFixtureDir, f.kind, st+f.fixtureExt()))
			if err != nil {
				tb.Fatal(err)
			}
			fixtures = append(fixtures, fixture{f, st, raw})
		}
	}
	for i := 0; i < n; i++ {
		fx := fixtures[i%len(fixtures)]
		base := fmt.Sprintf("%s/p/%d", farm.URL, i)
		statusURL := base
		switch {
		case fx.f.kind == StatusCachet:
			statusURL = base + "/api/v1"
		case fx.f.path == "":
			statusURL = base + "/doc"
		}
		p := pollPage{state: fx.state, docs: map[string][]byte{}, etags: map[string]string{},
			vendor: Vendor{Key: "page" + strconv.Itoa(i), StatusKind: fx.f.kind, StatusURL: statusURL}}
		urls := fx.f.documents(statusURL)
		parts := fixtureDocsOf(fx.f, fx.raw)
		for j, u := range urls {
			path := strings.TrimPrefix(u, farm.URL)
			body := parts[j]
			h := fnv.New64a()
			h.Write(body)
			p.docs[path], p.etags[path] = body, fmt.Sprintf(`"%x"`, h.Sum64())
		}
		if i%2 == 1 { // the operator gave no kind: the bot works it out
			// from the page's base where a format has a well-known path
			// detection tries, from the document's own URL otherwise.
			p.vendor.StatusKind = StatusAuto
			switch fx.f.kind {
			case StatusStatuspage, StatusInstatus, StatusBetterStack, StatusCachet:
				p.vendor.StatusURL = base
			default:
				p.vendor.StatusURL = urls[0]
			}
		}
		farm.pages = append(farm.pages, p)
	}
	return farm
}

// fixtureDocsOf is fixtureDocs without a testing.T: a fixture's documents
// in the order of documents().
func fixtureDocsOf(f statusFormat, raw []byte) [][]byte {
	if len(f.also) == 0 {
		return [][]byte{raw}
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		panic(fmt.Sprintf("a %s fixture is not a JSON array of documents: %v", f.kind, err))
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

func (farm *pageFarm) serve(w http.ResponseWriter, r *http.Request) {
	farm.requests.Add(1)
	rest := strings.TrimPrefix(r.URL.Path, "/p/")
	num, _, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || i >= len(farm.pages) {
		http.NotFound(w, r)
		return
	}
	p := farm.pages[i]
	body, ok := p.docs[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := p.etags[r.URL.Path]
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", farmModified)
	if inm := r.Header.Get("If-None-Match"); inm == etag || (inm == "" && r.Header.Get("If-Modified-Since") == farmModified) {
		farm.notModif.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

// pollRound probes every page once through m, workers at a time, and
// returns the findings.
func (farm *pageFarm) pollRound(m *statusMemo, client *http.Client, workers int) []runbook.StatusFinding {
	out := make([]runbook.StatusFinding, len(farm.pages))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(farm.pages) {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				out[i] = m.probe(ctx, client, farm.pages[i].vendor, statusNow)
				cancel()
			}
		}()
	}
	wg.Wait()
	return out
}

func pollClient(workers int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: 30 * time.Second}}
}

// checkRound fails unless every page read cleanly and as its state says.
func (farm *pageFarm) checkRound(tb testing.TB, round int, got []runbook.StatusFinding) {
	tb.Helper()
	bad := 0
	for i, s := range got {
		msg := ""
		if s.Err != "" || s.TimedOut {
			msg = "not read: " + s.Err
		} else if m := statusStates[farm.pages[i].state](s); m != "" {
			msg = m
		}
		if msg != "" && bad < 5 {
			tb.Errorf("round %d, page %d (%s %s, %s): %s", round, i, farm.pages[i].vendor.StatusKind, farm.pages[i].vendor.StatusURL, farm.pages[i].state, msg)
		}
		if msg != "" {
			bad++
		}
	}
	if bad > 0 {
		tb.Errorf("round %d: %d of %d pages misread", round, bad, len(got))
	}
}

// TestPollConditional: the second poll of the same pages asks every
// document conditionally, is answered 304 throughout, and reads every
// page exactly as the first did.
func TestPollConditional(t *testing.T) {
	farm := newPageFarm(t, 2*len(statusFormats)*3)
	m, client := &statusMemo{}, pollClient(8)
	first := farm.pollRound(m, client, 8)
	farm.checkRound(t, 1, first)
	docs := 0
	for _, p := range farm.pages {
		docs += len(p.docs)
	}
	farm.requests.Store(0)
	farm.notModif.Store(0)
	second := farm.pollRound(m, client, 8)
	farm.checkRound(t, 2, second)
	if r, nm := farm.requests.Load(), farm.notModif.Load(); r != int64(docs) || nm != r {
		t.Errorf("second round: %d requests, %d answered 304; want one per document (%d), all 304", r, nm, docs)
	}
	for i := range first {
		a, b := first[i], second[i]
		a.Latency, b.Latency, a.HTTPStatus, b.HTTPStatus = 0, 0, 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("page %d read differently from a 304:\n%+v\n%+v", i, a, b)
		}
	}
}

// BenchmarkPoll1000Pages polls 1,000 pages twice per iteration, 32 at a
// time, and reports requests per page in each round, the share of the
// second round answered 304, the heap in use after the poll (what the
// memo holds) and the process's peak RSS.
func BenchmarkPoll1000Pages(b *testing.B) {
	const pages, workers = 1000, 32
	farm := newPageFarm(b, pages)
	client := pollClient(workers)
	var r1, r2, nm2 int64
	var heap uint64
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		m := &statusMemo{}
		farm.requests.Store(0)
		first := farm.pollRound(m, client, workers)
		r1 = farm.requests.Load()
		farm.requests.Store(0)
		farm.notModif.Store(0)
		second := farm.pollRound(m, client, workers)
		r2, nm2 = farm.requests.Load(), farm.notModif.Load()
		b.StopTimer()
		farm.checkRound(b, 1, first)
		farm.checkRound(b, 2, second)
		first, second = nil, nil
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(r1)/pages, "req/page-1st")
	b.ReportMetric(float64(r2)/pages, "req/page-2nd")
	b.ReportMetric(float64(nm2)/float64(max(r2, 1)), "304-share-2nd")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	if rss := maxRSSBytes(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "maxrss-MB")
	}
	if heap > 64<<20 {
		b.Errorf("heap in use %d MB after polling %d pages: want under 64 MB", heap>>20, pages)
	}
}
