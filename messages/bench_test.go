package messages

// BenchmarkPostmortem renders postmortems of 100, 1,000 and 10,000
// timeline entries (docs/PERFORMANCE.md). It asserts nothing; the per-entry
// figures show whether the cost grows linearly: they stay flat when it does.

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
)

// benchPostmortemData is a resolved vendor incident whose timeline has n
// entries, one every 20 s (so long timelines span several days): mostly
// replies, with mentions, links, Slack entities, markdown that must be
// escaped and action items, and every 25th a typed entry (status update,
// severity change) or an edit.
func benchPostmortemData(n int) PostmortemData {
	start := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	people := []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
	texts := []string{
		"Looking. The token was rotated yesterday by <@U0CAROL>?",
		"Calls to /crm/v3/objects fail with 401 | see <https://status.hubspot.com|the status page>",
		"# not a heading, *not* a list & <b>not</b> html",
		"action: alert on HubSpot 401s before customers notice",
		"Retrying the sync job; 1,204 records queued in <#C0SYNC|sync-jobs>",
	}
	tl := make([]incident.Entry, 0, n)
	tl = append(tl, incident.Entry{Kind: incident.KindDeclared, Author: "U0ALICE", Text: "HubSpot Integration", At: start})
	for i := 1; i < n; i++ {
		at := start.Add(time.Duration(i) * 20 * time.Second)
		e := incident.Entry{Kind: incident.KindMessage, Author: people[i%len(people)],
			Text: texts[i%len(texts)], At: at, SlackTS: fmt.Sprintf("%d.%06d", at.Unix(), i)}
		switch i % 25 {
		case 5:
			e = incident.Entry{Kind: incident.KindUpdate, Author: "U0ALICE", Text: "Rotating the token now", At: at}
		case 10:
			e = incident.Entry{Kind: incident.KindSeverity, Author: "U0BOB", Text: "P2 → P1", At: at}
		case 15:
			e.Edited = true
		case 20:
			e = incident.Entry{Kind: incident.KindEdit, Author: e.Author, Text: e.Text, At: at, SlackTS: e.SlackTS}
		}
		tl = append(tl, e)
	}
	end := start.Add(time.Duration(n) * 20 * time.Second)
	inc := &incident.Incident{
		ID: uuid.MustParse("0190f3c4-7b1a-7cc0-8f5e-1a2b3c4d5e6f"), TeamID: "T0TEAM", Number: 42,
		Title: "HubSpot Integration", Vendor: "hubspot", VendorName: "HubSpot", Severity: incident.P1,
		Status: incident.Resolved, Commander: "U0ALICE", CreatedBy: "U0ALICE", ChannelID: "C0INCIDENTS",
		MessageTS: "1777887000.000100", Summary: "Token revoked by an admin; rotated and the sync replayed.",
		Diagnosis: &incident.Diagnosis{Cause: "auth_invalid", HTTPStatus: 401,
			Summary:    "HubSpot answers 401 INVALID_AUTHENTICATION: the token is invalid or revoked",
			RequestIDs: []string{"b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11"},
			Prevention: []string{"Alert on the first 401 from HubSpot"},
			Links:      []string{"https://developers.hubspot.com/docs/api/private-apps"}},
		DeclaredAt: start, AcknowledgedAt: start.Add(2 * time.Minute), MitigatedAt: end.Add(-time.Hour),
		ResolvedAt: end, UpdatedAt: end,
	}
	return PostmortemData{Incident: inc, Timeline: tl,
		Names: map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}}
}

func BenchmarkPostmortem(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			d := benchPostmortemData(n)
			b.ReportAllocs()
			var size int
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				doc, err := Postmortem(d)
				if err != nil {
					b.Fatal(err)
				}
				size = len(doc)
			}
			runtime.ReadMemStats(&after)
			elapsed, per := b.Elapsed(), float64(b.N)*float64(n)
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/1e6, "ms/render")
			b.ReportMetric(float64(elapsed.Nanoseconds())/per, "ns/entry")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/entry")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/entry")
			b.ReportMetric(float64(size)/float64(n), "doc-B/entry")
		})
	}
}
