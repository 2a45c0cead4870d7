package vendors

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// statusMemo is what a Triager remembers of status pages between probes:
// each document's validators (ETag, Last-Modified) and body, so the next
// probe asks with If-None-Match / If-Modified-Since and a 304 reuses the
// body it already has, and for each vendor of status_kind auto the format
// detection found. Both are bounded; the zero value is ready, and a nil
// *statusMemo remembers nothing.
type statusMemo struct {
	mu    sync.Mutex
	pages map[string]*pageMemo   // by document URL
	kinds map[string]detectedFor // by vendor key and status_url
	bytes int                    // bodies kept
}

// pageMemo is one document as last read.
type pageMemo struct {
	etag, lastModified string
	body               []byte
}

// detectedFor is what detection found for a vendor's status_url: read it
// as kind, with statusURL as the base of its documents.
type detectedFor struct {
	kind      StatusKind
	statusURL string
	document  string
}

// Bounds of the memo: a few thousand pages, and no more body bytes than
// the benchmark's thousand pages need many times over.
const (
	maxMemoPages = 4096
	maxMemoKinds = 4096
	maxMemoBytes = 32 << 20
)

func (m *statusMemo) page(url string) (pageMemo, bool) {
	if m == nil {
		return pageMemo{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pages[url]
	if !ok {
		return pageMemo{}, false
	}
	return *p, true
}

// keep remembers a document read whole with its validators; one without
// validators is forgotten, since it cannot be asked for conditionally.
func (m *statusMemo) keep(url, etag, lastModified string, body []byte) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.pages[url]; ok {
		m.bytes -= len(old.body)
		delete(m.pages, url)
	}
	if etag == "" && lastModified == "" {
		return
	}
	if m.pages == nil {
		m.pages = map[string]*pageMemo{}
	}
	// Make room: any entries will do, they are only a cache.
	for k, old := range m.pages {
		if len(m.pages) < maxMemoPages && m.bytes+len(body) <= maxMemoBytes {
			break
		}
		m.bytes -= len(old.body)
		delete(m.pages, k)
	}
	if len(body) > maxMemoBytes {
		return
	}
	m.pages[url] = &pageMemo{etag: etag, lastModified: lastModified, body: bytes.Clone(body)}
	m.bytes += len(body)
}

func kindKey(v Vendor) string { return v.Key + "\x00" + v.StatusURL }

func (m *statusMemo) detected(v Vendor) (detectedFor, bool) {
	if m == nil {
		return detectedFor{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.kinds[kindKey(v)]
	return d, ok
}

func (m *statusMemo) remember(v Vendor, d detectedFor) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kinds == nil {
		m.kinds = map[string]detectedFor{}
	}
	for k := range m.kinds {
		if len(m.kinds) < maxMemoKinds {
			break
		}
		delete(m.kinds, k)
	}
	m.kinds[kindKey(v)] = d
}

func (m *statusMemo) forget(v Vendor) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kinds, kindKey(v))
}

// probeStatus reads the vendor's status page without a memo: every probe
// asks for the whole page, and status_kind auto detects anew.
func probeStatus(ctx context.Context, client *http.Client, v Vendor, now time.Time) runbook.StatusFinding {
	return (*statusMemo)(nil).probe(ctx, client, v, now)
}

// probe reads the vendor's status page. Errors, HTML and values we do not
// know give an unknown indicator, never "vendor down". For status_kind
// auto it reads the page as the format detected before, or detects it
// now (within ctx) and remembers it; a page that stops reading as the
// remembered format is detected anew on the next probe.
func (m *statusMemo) probe(ctx context.Context, client *http.Client, v Vendor, now time.Time) runbook.StatusFinding {
	s := runbook.StatusFinding{Checked: v.StatusKind != StatusNone, Indicator: runbook.IndicatorUnknown}
	if !s.Checked {
		return s
	}
	if v.StatusKind != StatusAuto {
		return m.read(ctx, client, v, now)
	}
	if d, ok := m.detected(v); ok {
		as := v
		as.StatusKind, as.StatusURL = d.kind, d.statusURL
		got := m.read(ctx, client, as, now)
		if got.Err != "" && !got.TimedOut {
			m.forget(v)
		}
		return got
	}
	d, err := detect(ctx, client, v.StatusURL, now, m)
	if err != nil {
		s.TimedOut = d.timedOut
		if !s.TimedOut {
			s.Err = err.Error()
		}
		s.Latency, s.HTTPStatus = d.finding.Latency, d.finding.HTTPStatus
		return s
	}
	m.remember(v, detectedFor{kind: d.Kind, statusURL: d.StatusURL, document: d.Document})
	return d.finding
}

// read fetches the documents of the vendor's format and parses them.
func (m *statusMemo) read(ctx context.Context, client *http.Client, v Vendor, now time.Time) runbook.StatusFinding {
	s := runbook.StatusFinding{Checked: true, Indicator: runbook.IndicatorUnknown}
	f, known := statusFormatOf(v.StatusKind)
	urls := []string{v.statusEndpoint()}
	accept := "application/json"
	if known {
		urls, accept = f.documents(v.StatusURL), f.accept()
	}
	start := time.Now()
	docs := make([][]byte, 0, len(urls))
	for _, u := range urls {
		d := m.fetch(ctx, client, u, accept)
		s.Latency, s.HTTPStatus = time.Since(start), d.status
		if d.err != "" || d.timedOut {
			s.TimedOut, s.Err = d.timedOut, d.err
			return s
		}
		if !known || !f.feed {
			if _, ok := parseJSON(d.body); !ok {
				s.Err = notJSON(d.contentType, d.body)
				return s
			}
		}
		docs = append(docs, d.body)
	}
	// The catalog admits only registered kinds; a Vendor built by hand with
	// another kind is fetched but not read, and its indicator stays unknown.
	if !known {
		return s
	}
	raw := docs[0]
	if len(docs) > 1 { // a format of several documents reads them as one JSON array
		raw = append([]byte("["), bytes.Join(docs, []byte(","))...)
		raw = append(raw, ']')
	}
	if err := f.parse(raw, now, &s); err != nil {
		// Nothing half-read counts: the page says nothing either way.
		s = runbook.StatusFinding{Checked: true, HTTPStatus: s.HTTPStatus, Latency: s.Latency,
			Indicator: runbook.IndicatorUnknown, Err: err.Error()}
	}
	return s
}

// fetched is one document as the page answered it.
type fetched struct {
	body        []byte
	status      int
	contentType string
	err         string // one line for the report; empty when the body is usable
	timedOut    bool
}

// fetch GETs one document, conditionally when the memo has it: a 304
// gives back the body kept from last time.
func (m *statusMemo) fetch(ctx context.Context, client *http.Client, url, accept string) fetched {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fetched{err: "cannot build the request: " + err.Error()}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", accept)
	kept, haveKept := m.page(url)
	if haveKept {
		if kept.etag != "" {
			req.Header.Set("If-None-Match", kept.etag)
		}
		if kept.lastModified != "" {
			req.Header.Set("If-Modified-Since", kept.lastModified)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		timedOut, msg := netFailure(ctx, err, req.URL.Host)
		return fetched{err: "no answer: " + msg, timedOut: timedOut}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	out := fetched{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type")}
	if err != nil {
		timedOut, msg := netFailure(ctx, err, req.URL.Host)
		out.err, out.timedOut = "the answer broke off: "+msg, timedOut
		return out
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && haveKept:
		out.body = kept.body
		return out
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		out.err = fmt.Sprintf("status page answered %d", resp.StatusCode)
		return out
	}
	m.keep(url, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), raw)
	out.body = raw
	return out
}
