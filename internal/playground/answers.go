package playground

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The answers of the newer modes are the vendors' corpus
// (internal/vendors/testdata), copied here byte for byte so that the
// binary carries them (TestAnswersAreTheCorpus keeps the copies equal):
// what the playground sends is what the triage's own tests read.
//
//go:embed answers
var answerFiles embed.FS

// Where each copy comes from, under internal/vendors/testdata.
var answerSources = map[string]string{
	"answers/edge_cloudflare_1020.http":   "answers/_edge/cloudflare_1020.http",
	"answers/intercom_account_plan.http":  "answers/intercom/account_plan.http",
	"answers/statuspage_maintenance.json": "status/statuspage/maintenance.json",
}

// recorded is an HTTP answer of the corpus: the comment lines name its
// source and the request id it carries, then the answer as sent.
type recorded struct {
	status    int
	header    http.Header
	body      string
	requestID string
}

func loadRecorded(name string) (recorded, error) {
	raw, err := answerFiles.ReadFile(name)
	if err != nil {
		return recorded{}, err
	}
	var a recorded
	for bytes.HasPrefix(raw, []byte("#")) {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw = rest
		if k, v, ok := strings.Cut(strings.TrimPrefix(string(line), "#"), ":"); ok && strings.TrimSpace(k) == "request_id" {
			a.requestID = strings.TrimSpace(v)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return recorded{}, fmt.Errorf("playground: %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return recorded{}, fmt.Errorf("playground: %s: %w", name, err)
	}
	a.status, a.header, a.body = resp.StatusCode, resp.Header, string(body)
	return a, nil
}

var hexRun = regexp.MustCompile(`[0-9a-f]{8,}`)

// answer is the recorded answer with a request id of its own: each run of
// eight or more hex digits in the recorded id is replaced, in the body and
// the headers alike, by random digits (a Cloudflare Ray ID keeps its
// -FRA, a UUID its shape), so that every answer carries a fresh id as a
// vendor's does.
func (a recorded) answer() answer {
	swap := map[string]string{}
	for _, run := range hexRun.FindAllString(a.requestID, -1) {
		b := make([]byte, (len(run)+1)/2)
		_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
		swap[run] = hex.EncodeToString(b)[:len(run)]
	}
	fresh := func(s string) string {
		for old, id := range swap {
			s = strings.ReplaceAll(s, old, id)
		}
		return s
	}
	out := answer{status: a.status, headers: map[string]string{}, body: fresh(a.body)}
	for k, vs := range a.header {
		if len(vs) > 0 && k != "Content-Length" {
			out.headers[k] = fresh(vs[0])
		}
	}
	return out
}

// maintenanceDoc is the corpus's Statuspage summary.json with a
// maintenance in progress, moved to now (begun 20 minutes ago, due to end
// in 100) and made the vendor's: its name, its page, and the component
// that carries its API.
func maintenanceDoc(raw []byte, v Sim, pageURL string, now time.Time) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	at := func(d time.Duration) string { return now.Add(d).UTC().Format("2006-01-02T15:04:05.000Z") }
	if page, ok := doc["page"].(map[string]any); ok {
		page["id"], page["name"], page["url"], page["updated_at"] = "play"+v.Key, v.Name, pageURL, at(0)
	}
	rename := func(list any) {
		items, _ := list.([]any)
		for _, it := range items {
			if c, ok := it.(map[string]any); ok {
				c["name"] = v.Component
				if _, ok := c["updated_at"]; ok {
					c["updated_at"] = at(-20 * time.Minute)
				}
			}
		}
	}
	rename(doc["components"])
	ms, _ := doc["scheduled_maintenances"].([]any)
	for _, it := range ms {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		m["created_at"], m["updated_at"] = at(-7*24*time.Hour), at(-20*time.Minute)
		m["started_at"], m["scheduled_for"], m["scheduled_until"] = at(-20*time.Minute), at(-20*time.Minute), at(100*time.Minute)
		m["shortlink"] = pageURL
		rename(m["components"])
	}
	return json.Marshal(doc)
}
