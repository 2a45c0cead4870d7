package hooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/commands"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseFixtures: each source's documented body becomes the alerts it
// describes.
func TestParseFixtures(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	amKey := `{}/{severity="critical"}:{alertname="ProbeFailure"}`
	tests := []struct {
		source, file string
		want         []commands.Alert
	}{
		{Alertmanager, "alertmanager_firing.json", []commands.Alert{{
			Source: Alertmanager, Key: amKey, Status: "firing", Title: "BlackBox Probe Failure: https://server.example.org",
			Severity: "critical", Vendor: "hubspot",
			Text:     "Instance https://server.example.org has been down for over 5m. Job: http_checks",
			URL:      "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
			StartsAt: ts("2023-02-06T13:08:45.828Z"), Fingerprint: "1a30ba71cca2921f",
		}}},
		{Alertmanager, "alertmanager_resolved.json", []commands.Alert{{
			Source: Alertmanager, Key: amKey, Status: "resolved", Title: "BlackBox Probe Failure: https://server.example.org",
			Severity: "critical", Vendor: "hubspot",
			Text:     "Instance https://server.example.org has been down for over 5m. Job: http_checks",
			URL:      "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
			StartsAt: ts("2023-02-06T13:08:45.828Z"), EndsAt: ts("2023-02-06T13:31:15.828Z"), Fingerprint: "1a30ba71cca2921f",
		}}},
		{Grafana, "grafana_firing.json", []commands.Alert{
			{Source: Grafana, Key: "{}:{}", Status: "firing", Title: "This alert was triggered for zone us-1", Severity: "warning",
				Text: "The system has high memory usage", URL: "https://play.grafana.org/alerting/1afz29v7z/edit",
				StartsAt: ts("2021-10-12T09:51:03.157076+02:00"), Fingerprint: "c6eadffa33fcdf37"},
			{Source: Grafana, Key: "{}:{}", Status: "firing", Title: "This alert was triggered for zone eu-1", Severity: "warning",
				Text: "The system has high CPU usage", URL: "https://play.grafana.org/alerting/d1rdpdv7k/edit",
				StartsAt: ts("2021-10-12T09:56:03.157076+02:00"), Fingerprint: "bc97ff14869b13e3"},
		}},
		{Datadog, "datadog_triggered.json", []commands.Alert{{
			Source: Datadog, Key: "9bd4ac313a4d1e8fae2482df7b77628", Status: "firing", Title: "Host is Down", Severity: "P1",
			Vendor: "stripe", Text: "system.load.1 over host:my-host was > 0 at least once during the last 1m",
			URL:      "https://app.datadoghq.com/event/event?id=7328154419000861891",
			StartsAt: time.UnixMilli(1406662672000).UTC(), Fingerprint: "7328154419000861891",
		}}},
		{Datadog, "datadog_recovered.json", []commands.Alert{{
			Source: Datadog, Key: "9bd4ac313a4d1e8fae2482df7b77628", Status: "resolved", Title: "Host is Down", Severity: "P1",
			Vendor: "stripe", Text: "system.load.1 over host:my-host was > 0 at least once during the last 1m",
			URL:      "https://app.datadoghq.com/event/event?id=7328160023009127333",
			StartsAt: time.UnixMilli(1406663272000).UTC(), Fingerprint: "7328160023009127333",
		}}},
		{PagerDuty, "pagerduty_triggered.json", []commands.Alert{{
			Source: PagerDuty, Key: "PGR0VU2", Status: "firing", Title: "A little bump in the road", Severity: "P1",
			Text: "PagerDuty incident #2 on API Service", URL: "https://acme.pagerduty.com/incidents/PGR0VU2",
			StartsAt: ts("2020-04-09T15:16:27Z"), Fingerprint: "5ac64822-4adc-4fda-ade0-410becf0de4f",
		}}},
		{PagerDuty, "pagerduty_resolved.json", []commands.Alert{{
			Source: PagerDuty, Key: "PGR0VU2", Status: "resolved", Title: "A little bump in the road", Severity: "P1",
			Text: "PagerDuty incident #2 on API Service", URL: "https://acme.pagerduty.com/incidents/PGR0VU2",
			StartsAt: ts("2020-04-09T15:16:27Z"), Fingerprint: "01CFDJZ1YKAWJPAZN5OLLB6VX3",
		}}},
		{PagerDuty, "pagerduty_acknowledged.json", nil},
		{Generic, "generic_firing.json", []commands.Alert{{
			Source: Generic, Key: "checkout-errors", Status: "firing", Title: "Checkout error rate above 5%", Severity: "P2",
			Vendor: "hubspot", Text: "5xx from /api/checkout at 7% for 10 minutes", URL: "https://grafana.example.com/d/checkout",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(tt.source, fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d alerts, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if tt.source == Generic {
					if got[i].Fingerprint == "" {
						t.Error("the generic alert has no fingerprint")
					}
					got[i].Fingerprint = ""
				}
				if got[i] != tt.want[i] {
					t.Errorf("alert %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestParseGenericFingerprint: the same generic body is the same alert; a
// different one is another.
func TestParseGenericFingerprint(t *testing.T) {
	a, _ := Parse(Generic, fixture(t, "generic_firing.json"))
	b, _ := Parse(Generic, fixture(t, "generic_firing.json"))
	c, _ := Parse(Generic, fixture(t, "generic_resolved.json"))
	if a[0].Fingerprint != b[0].Fingerprint || a[0].Fingerprint == c[0].Fingerprint {
		t.Errorf("fingerprints %q, %q, %q: want the first two equal, the third different",
			a[0].Fingerprint, b[0].Fingerprint, c[0].Fingerprint)
	}
}

// TestParseBad: bodies the bot cannot act on are refused with a reason
// that names what is wrong.
func TestParseBad(t *testing.T) {
	tests := []struct {
		name, source, body, reason string
	}{
		{"empty", Alertmanager, "", "the body is empty"},
		{"not JSON", Alertmanager, "{", "not valid JSON"},
		{"trailing data", Generic, `{"title":"x","status":"firing","key":"k"} {}`, "more after its JSON object"},
		{"array", Grafana, `[]`, "must be a JSON object"},
		{"wrong type", Alertmanager, `{"groupKey": 3}`, `"groupKey" has the wrong type: expected a string`},
		{"am no group key", Alertmanager, `{"version":"4","alerts":[{"status":"firing"}]}`, "groupKey is missing"},
		{"am version 3", Alertmanager, `{"version":"3","groupKey":"g","alerts":[]}`, "version 4"},
		{"am no alerts", Alertmanager, `{"version":"4","groupKey":"g","alerts":[]}`, "alerts is empty"},
		{"am bad status", Alertmanager, `{"version":"4","groupKey":"g","alerts":[{"status":"pending"}]}`, "alerts[0].status must be firing or resolved"},
		{"am no status", Alertmanager, `{"version":"4","groupKey":"g","alerts":[{"labels":{}}]}`, "alerts[0].status is missing"},
		{"am bad time", Alertmanager, `{"version":"4","groupKey":"g","alerts":[{"status":"firing","startsAt":"yesterday"}]}`, "alerts[0].startsAt is not an RFC 3339 time"},
		{"grafana no group key", Grafana, `{"alerts":[{"status":"firing"}]}`, "groupKey is missing"},
		{"datadog default payload", Datadog, `{"body":"b","title":"t","id":"1","date":"1406662672000"}`, "aggreg_key is missing"},
		{"datadog no transition", Datadog, `{"aggreg_key":"k","title":"t"}`, "alert_transition is missing"},
		{"datadog bad transition", Datadog, `{"aggreg_key":"k","alert_transition":"Exploded"}`, "alert_transition must be one of"},
		{"datadog bad date", Datadog, `{"aggreg_key":"k","alert_transition":"Triggered","date":"today"}`, "date is not a time"},
		{"pagerduty no event", PagerDuty, `{"messages":[]}`, "event is missing"},
		{"pagerduty no type", PagerDuty, `{"event":{"id":"e"}}`, "event.event_type is missing"},
		{"pagerduty no incident id", PagerDuty, `{"event":{"id":"e","event_type":"incident.triggered","data":{}}}`, "event.data.id is missing"},
		{"pagerduty no event id", PagerDuty, `{"event":{"event_type":"incident.triggered","data":{"id":"P1"}}}`, "event.id is missing"},
		{"generic no key", Generic, `{"title":"t","status":"firing"}`, "key is missing"},
		{"generic no status", Generic, `{"title":"t","key":"k"}`, "status is missing"},
		{"generic bad status", Generic, `{"title":"t","key":"k","status":"on fire"}`, "status must be firing or resolved"},
		{"generic firing without title", Generic, `{"key":"k","status":"firing"}`, "title is missing"},
		{"unknown source", "nagios", `{}`, "unknown alert source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.source, []byte(tt.body))
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want an error", got)
			}
			if _, ok := err.(*BadBody); !ok {
				t.Errorf("error %T, want *BadBody", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("reason %q; want it to say %q", err, tt.reason)
			}
		})
	}
}

// TestParseGenericResolvedWithoutTitle: a resolved generic alert needs only
// its key; it is named for its source.
func TestParseGenericResolvedWithoutTitle(t *testing.T) {
	got, err := Parse(Generic, []byte(`{"key":"k","status":"resolved"}`))
	if err != nil || len(got) != 1 || got[0].Title != "Alert from the generic hook" || got[0].Status != "resolved" {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
}

// FuzzParse: no body makes a parser panic, and every alert it gives has a
// source, a key, a status and a title.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"alertmanager_firing.json", "grafana_firing.json", "datadog_triggered.json",
		"pagerduty_triggered.json", "generic_firing.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, src := range Sources() {
			alerts, err := Parse(src, body)
			if err != nil {
				if _, ok := err.(*BadBody); !ok {
					t.Fatalf("%s: error %T %v, want *BadBody", src, err, err)
				}
				continue
			}
			for _, a := range alerts {
				if a.Source != src || a.Key == "" || a.Title == "" || (a.Status != "firing" && a.Status != "resolved") {
					t.Fatalf("%s: alert %+v lacks a source, key, title or status", src, a)
				}
			}
		}
	})
}
