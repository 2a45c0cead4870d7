package vendors

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// pageServer is a status page on loopback: it serves documents by path,
// 404 elsewhere, with an ETag per document and If-None-Match honoured,
// and counts what it was asked.
type pageServer struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string][]byte
	asked []string
	hang  bool
	cond  int // answers 304
}

func newPageServer(t testing.TB, docs map[string][]byte) *pageServer {
	t.Helper()
	p := &pageServer{docs: docs}
	release := make(chan struct{})
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.asked = append(p.asked, r.URL.Path)
		body, ok := p.docs[r.URL.Path]
		hang := p.hang
		p.mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := `"` + etagOf(body) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			p.mu.Lock()
			p.cond++
			p.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(func() {
		close(release)
		p.Close()
	})
	return p
}

// etagOf is a cheap content hash.
func etagOf(b []byte) string {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return itoa16(h)
}

func itoa16(v uint32) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		out[i] = digits[v&15]
		v >>= 4
	}
	return string(out)
}

func (p *pageServer) paths() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

func (p *pageServer) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked, p.cond = nil, 0
}

// anyHost is a client that sends every request to the loopback server,
// whatever host the URL names: host hints are tested with real names.
func anyHost(srv *httptest.Server) *http.Client {
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

// TestDetect serves each format's fixtures on loopback, at the paths a
// page of that format serves them, and detects the format from the URL
// an operator would give: the page's base, the document itself, or a
// host that names the format.
func TestDetect(t *testing.T) {
	fx := func(kind StatusKind, state string) []byte { return readStatusFixture(t, kind, state) }
	docsOf := func(kind StatusKind, state, prefix string) map[string][]byte {
		f, _ := statusFormatOf(kind)
		out := map[string][]byte{}
		for p, b := range fixtureDocs(t, f, fx(kind, state)) {
			out[prefix+p] = b
		}
		return out
	}
	tests := []struct {
		name     string
		docs     map[string][]byte
		url      string // with BASE for the server's URL
		viaHost  bool   // the URL names a real host (over http); the client dials loopback
		kind     StatusKind
		document string // path of the document read
		ind      runbook.Indicator
	}{
		{"statuspage base", docsOf(StatusStatuspage, "incident", ""), "BASE", false, StatusStatuspage, "/api/v2/summary.json", runbook.IndicatorMajor},
		{"statuspage summary itself", docsOf(StatusStatuspage, "operational", ""), "BASE/api/v2/summary.json", false, StatusStatuspage, "/api/v2/summary.json", runbook.IndicatorNone},
		{"statuspage.io host", docsOf(StatusStatuspage, "operational", ""), "http://acme.statuspage.io", true, StatusStatuspage, "/api/v2/summary.json", runbook.IndicatorNone},
		{"instatus base", docsOf(StatusInstatus, "incident", ""), "BASE", false, StatusInstatus, "/summary.json", runbook.IndicatorMajor},
		{"betterstack base", docsOf(StatusBetterStack, "maintenance", ""), "BASE/", false, StatusBetterStack, "/index.json", runbook.IndicatorMaintenance},
		{"cachet 2 base", docsOf(StatusCachet, "incident", "/api/v1"), "BASE", false, StatusCachet, "/api/v1/components", runbook.IndicatorMajor},
		{"cachet 3 base", docsOf(StatusCachet, "component_outage", "/api"), "BASE", false, StatusCachet, "/api/components", runbook.IndicatorMinor},
		{"cachet incidents URL", docsOf(StatusCachet, "incident_unrelated", "/api/v1"), "BASE/api/v1/incidents", false, StatusCachet, "/api/v1/components", runbook.IndicatorMinor},
		{"statusio document", map[string][]byte{"/1.0/status/51f6f2088643809b7200000d": fx(StatusStatusIO, "incident")}, "BASE/1.0/status/51f6f2088643809b7200000d", false, StatusStatusIO, "/1.0/status/51f6f2088643809b7200000d", runbook.IndicatorMajor},
		{"gcp document", map[string][]byte{"/incidents.json": fx(StatusGCP, "incident")}, "BASE/incidents.json", false, StatusGCP, "/incidents.json", runbook.IndicatorMajor},
		{"gcp host", map[string][]byte{"/incidents.json": fx(StatusGCP, "operational")}, "http://status.cloud.google.com/", true, StatusGCP, "/incidents.json", runbook.IndicatorNone},
		{"aws feed host", map[string][]byte{"/rss/apigateway-us-east-1.rss": fx(StatusAWS, "incident")}, "http://status.aws.amazon.com/rss/apigateway-us-east-1.rss", true, StatusAWS, "/rss/apigateway-us-east-1.rss", runbook.IndicatorMajor},
		{"aws bare host", map[string][]byte{"/rss/all.rss": fx(StatusAWS, "operational")}, "http://status.aws.amazon.com", true, StatusAWS, "/rss/all.rss", runbook.IndicatorNone},
		{"azure feed host", map[string][]byte{"/en-us/status/feed/": fx(StatusAzure, "incident")}, "http://azure.status.microsoft/en-us/status/feed/", true, StatusAzure, "/en-us/status/feed/", runbook.IndicatorMajor},
		{"rss feed", map[string][]byte{"/history.rss": fx(StatusRSS, "incident")}, "BASE/history.rss", false, StatusRSS, "/history.rss", runbook.IndicatorMinor},
		{"atom feed", map[string][]byte{"/history.atom": fx(StatusRSS, "operational")}, "BASE/history.atom", false, StatusRSS, "/history.atom", runbook.IndicatorNone},
		{"feed at the root", map[string][]byte{"/": fx(StatusRSS, "incident")}, "BASE", false, StatusRSS, "", runbook.IndicatorMinor},
		{"salesforce document", map[string][]byte{"/v1/instances/NA135/status": fx(StatusSalesforce, "maintenance")}, "BASE/v1/instances/NA135/status", false, StatusSalesforce, "/v1/instances/NA135/status", runbook.IndicatorMaintenance},
		{"slack document", map[string][]byte{"/api/v2.0.0/current": fx(StatusSlack, "incident")}, "BASE/api/v2.0.0/current", false, StatusSlack, "/api/v2.0.0/current", runbook.IndicatorMinor},
		{"stripe document", map[string][]byte{"/current": fx(StatusStripe, "operational")}, "BASE/current", false, StatusStripe, "/current", runbook.IndicatorNone},
		{"zendesk document", map[string][]byte{"/api/incidents/active": fx(StatusZendesk, "incident")}, "BASE/api/incidents/active", false, StatusZendesk, "/api/incidents/active", runbook.IndicatorMinor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPageServer(t, tt.docs)
			client := srv.Client()
			if tt.viaHost {
				client = anyHost(srv.Server)
			}
			u := strings.Replace(tt.url, "BASE", srv.URL, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			d, err := Detect(ctx, client, u, statusNow)
			if err != nil {
				t.Fatalf("Detect(%s): %v (asked %v)", u, err, srv.paths())
			}
			if d.Kind != tt.kind || !strings.HasSuffix(d.Document, tt.document) {
				t.Errorf("Detect(%s) = %s at %s, want %s at …%s", u, d.Kind, d.Document, tt.kind, tt.document)
			}
			if d.Indicator != tt.ind || d.Reading == "" || !strings.HasPrefix(d.Reading, string(tt.ind)) {
				t.Errorf("indicator %s, reading %q: want %s", d.Indicator, d.Reading, tt.ind)
			}
			// What detection found reads the same as a probe of that kind.
			got := probeStatus(ctx, client, Vendor{StatusKind: d.Kind, StatusURL: d.StatusURL}, statusNow)
			if got.Err != "" || got.Indicator != tt.ind {
				t.Errorf("a %s probe of %s: %+v", d.Kind, d.StatusURL, got)
			}
		})
	}
}

func TestDetectFindsNothing(t *testing.T) {
	tests := []struct {
		name string
		docs map[string][]byte
	}{
		{"404 everywhere", map[string][]byte{}},
		{"an HTML page", map[string][]byte{"/": []byte(htmlPage), "/api/v2/summary.json": []byte(htmlPage)}},
		{"JSON of another shape", map[string][]byte{"/api/v2/summary.json": []byte(`{"ok":true}`), "/": []byte(`{"ok":true}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPageServer(t, tt.docs)
			d, err := Detect(context.Background(), srv.Client(), srv.URL, statusNow)
			if !errors.Is(err, ErrNoFormat) || d.Kind != "" {
				t.Fatalf("Detect = %+v, %v: want ErrNoFormat", d, err)
			}
			if msg := err.Error(); len([]rune(msg)) > 200 || strings.Contains(msg, "\n") {
				t.Errorf("error of %d characters or several lines: %q", len([]rune(msg)), msg)
			}
			if len(d.Tried) < 5 {
				t.Errorf("tried only %q", d.Tried)
			}
		})
	}
	if _, err := Detect(context.Background(), nil, "ftp://status.example.com", statusNow); err == nil || errors.Is(err, ErrNoFormat) {
		t.Errorf("an ftp URL: %v, want a refusal before any request", err)
	}
}

// TestDetectKeepsToTheDeadline: a page that never answers costs the
// caller's deadline, not a timeout per candidate.
func TestDetectKeepsToTheDeadline(t *testing.T) {
	srv := newPageServer(t, map[string][]byte{})
	srv.hang = true
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Detect(ctx, srv.Client(), srv.URL, statusNow)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("detection took %s past a deadline of 300ms", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if n := len(srv.paths()); n > 1 {
		t.Errorf("%d requests after the deadline passed: %v", n, srv.paths())
	}
}

// TestTriagerRemembersDetectedKind: the first triage of a vendor of
// status_kind auto detects the format; later ones ask only for its
// document, conditionally, and read the page the same on a 304.
func TestTriagerRemembersDetectedKind(t *testing.T) {
	srv := newPageServer(t, map[string][]byte{"/summary.json": readStatusFixture(t, StatusInstatus, "incident")})
	c := mustCatalog(t, "acme:\n  status_url: "+srv.URL+"\n")
	if v, _ := c.Lookup("acme"); v.StatusKind != StatusAuto {
		t.Fatalf("a vendor with a status_url and no status_kind: kind %s, want auto", v.StatusKind)
	}
	tr := &Triager{Catalog: c, Client: srv.Client(), Now: func() time.Time { return statusNow }}
	for round := 1; round <= 3; round++ {
		srv.reset()
		r, err := tr.Triage(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if r.VendorStatus.Indicator != runbook.IndicatorMajor || len(r.VendorStatus.Incidents) != 1 {
			t.Fatalf("round %d: vendor status %+v", round, r.VendorStatus)
		}
		paths := srv.paths()
		switch {
		case round == 1 && (len(paths) < 2 || paths[len(paths)-1] != "/summary.json"):
			t.Errorf("round 1 asked %v: want the Statuspage summary, then Instatus's", paths)
		case round > 1 && (len(paths) != 1 || paths[0] != "/summary.json"):
			t.Errorf("round %d asked %v: want only /summary.json", round, paths)
		}
		if round > 1 && srv.cond != 1 {
			t.Errorf("round %d: %d answers 304, want the one conditional request answered 304", round, srv.cond)
		}
	}

	// The page changes format: the next probe fails and forgets, the one
	// after detects anew.
	srv.mu.Lock()
	srv.docs = map[string][]byte{"/api/v2/summary.json": readStatusFixture(t, StatusStatuspage, "operational")}
	srv.mu.Unlock()
	if r, _ := tr.Triage(context.Background(), "acme"); r.VendorStatus.Indicator == runbook.IndicatorNone {
		t.Fatalf("read a page that is gone as healthy: %+v", r.VendorStatus)
	}
	r, _ := tr.Triage(context.Background(), "acme")
	if r.VendorStatus.Indicator != runbook.IndicatorNone {
		t.Errorf("after the page moved to Statuspage: %+v, want none", r.VendorStatus)
	}
}
