// Package hooks is the edge where alerting systems reach the bot: it owns
// the /hooks/* HTTP handlers (the HOOK_TOKEN bearer check, the body limit,
// PagerDuty's signature) and the wire formats of Alertmanager (webhook v4),
// Grafana alerting, Datadog webhooks, PagerDuty v3 webhooks and the bot's
// own generic body, each turned into the same commands.Alert values. It
// knows nothing of incidents or Slack: what an alert does is the
// application layer's decision.
package hooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/commands"
)

// The sources, as they appear in the routes (/hooks/SOURCE) and on alerts.
const (
	Alertmanager = "alertmanager"
	Grafana      = "grafana"
	Datadog      = "datadog"
	PagerDuty    = "pagerduty"
	Generic      = "generic"
)

// parsers maps each source to the function that reads its body.
var parsers = map[string]func([]byte) ([]commands.Alert, error){
	Alertmanager: parseAlertmanager,
	Grafana:      parseGrafana,
	Datadog:      parseDatadog,
	PagerDuty:    parsePagerDuty,
	Generic:      parseGeneric,
}

// Sources lists the sources, sorted.
func Sources() []string {
	out := make([]string, 0, len(parsers))
	for s := range parsers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// BadBody is a body the bot cannot read; its text says what is wrong and
// is safe to answer and log (it quotes no values from the body).
type BadBody struct{ Reason string }

func (e *BadBody) Error() string { return e.Reason }

func bad(format string, args ...any) error { return &BadBody{Reason: fmt.Sprintf(format, args...)} }

// Parse reads a body of source into its alerts. A body that carries
// nothing the bot acts on (a PagerDuty acknowledgement) gives no alerts
// and no error. Errors are *BadBody.
func Parse(source string, body []byte) ([]commands.Alert, error) {
	p, ok := parsers[source]
	if !ok {
		return nil, bad("unknown alert source %q: use one of %s", source, strings.Join(Sources(), ", "))
	}
	alerts, err := p(body)
	if err != nil {
		return nil, err
	}
	for i := range alerts {
		alerts[i].Source = source
		if alerts[i].Key == "" {
			return nil, bad("the alert has no grouping key")
		}
		if alerts[i].Title == "" {
			alerts[i].Title = "Alert from " + SourceName(source)
		}
	}
	return alerts, nil
}

// SourceName is how messages name a source.
func SourceName(source string) string { return commands.AlertSourceName(source) }

// decode reads body as JSON into v: one object, nothing after it.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return bad("the body is empty: expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return bad("the body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ) && typ.Field == "":
			return bad("the body must be a JSON object")
		case errors.As(err, &typ):
			return bad("the field %q has the wrong type: expected %s", typ.Field, jsonKind(typ.Type))
		}
		return bad("the body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("the body has more after its JSON object")
	}
	return nil
}

// jsonKind names a Go type as JSON would.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// amAlert is one alert of an Alertmanager or Grafana notification.
type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	// Grafana only.
	DashboardURL string `json:"dashboardURL"`
	PanelURL     string `json:"panelURL"`
}

// amMessage is the body of Alertmanager's webhook (version 4), and of
// Grafana's webhook contact point, which keeps its shape and adds to it.
type amMessage struct {
	Version  string    `json:"version"`
	GroupKey string    `json:"groupKey"`
	Status   string    `json:"status"`
	Alerts   []amAlert `json:"alerts"`
	// Grafana only.
	State string `json:"state"`
	Title string `json:"title"`
}

func parseAlertmanager(body []byte) ([]commands.Alert, error) {
	var m amMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	if m.Version != "" && m.Version != "4" {
		return nil, bad("Alertmanager webhook version %q is not supported: the bot reads version 4", m.Version)
	}
	return amAlerts(m)
}

func parseGrafana(body []byte) ([]commands.Alert, error) {
	var m amMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	return amAlerts(m)
}

// amAlerts turns each alert of the group into one alert, keyed by the group.
func amAlerts(m amMessage) ([]commands.Alert, error) {
	if m.GroupKey == "" {
		return nil, bad("groupKey is missing: the bot groups alerts into incidents by it")
	}
	if len(m.Alerts) == 0 {
		return nil, bad("alerts is empty: nothing to report")
	}
	out := make([]commands.Alert, 0, len(m.Alerts))
	for i, a := range m.Alerts {
		st, err := status(a.Status, "alerts[%d].status", i)
		if err != nil {
			return nil, err
		}
		start, err := timeField(a.StartsAt, fmt.Sprintf("alerts[%d].startsAt", i))
		if err != nil {
			return nil, err
		}
		end, err := timeField(a.EndsAt, fmt.Sprintf("alerts[%d].endsAt", i))
		if err != nil {
			return nil, err
		}
		title := first(a.Annotations["summary"], a.Labels["alertname"])
		fp := a.Fingerprint
		if fp == "" {
			fp = labelsPrint(a.Labels)
		}
		out = append(out, commands.Alert{
			Key: m.GroupKey, Status: st, Title: title, Severity: a.Labels["severity"], Vendor: a.Labels["vendor"],
			Text: first(a.Annotations["description"], a.Annotations["message"]),
			URL:  first(a.PanelURL, a.DashboardURL, a.GeneratorURL), StartsAt: start, EndsAt: end, Fingerprint: fp,
		})
	}
	return out, nil
}

// status reads firing or resolved.
func status(v, field string, args ...any) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case commands.AlertFiring:
		return commands.AlertFiring, nil
	case commands.AlertResolved:
		return commands.AlertResolved, nil
	case "":
		return "", bad(field+" is missing: expected firing or resolved", args...)
	}
	return "", bad(field+" must be firing or resolved", args...)
}

// timeField reads an RFC 3339 time; Alertmanager's year-one "no end" is zero.
func timeField(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, bad("%s is not an RFC 3339 time", field)
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// labelsPrint identifies an alert by its labels, for senders that give no
// fingerprint.
func labelsPrint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q,", k, labels[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func first(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// ddMessage is a Datadog webhook body: the default payload's fields and
// the alert variables docs/INTEGRATIONS.md asks the operator to add.
type ddMessage struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	Body            string `json:"body"`
	Date            string `json:"date"`
	AlertID         string `json:"alert_id"`
	AlertTitle      string `json:"alert_title"`
	AlertTransition string `json:"alert_transition"`
	AlertPriority   string `json:"alert_priority"`
	AlertStatus     string `json:"alert_status"`
	Tags            string `json:"tags"`
	AggregKey       string `json:"aggreg_key"`
	AlertCycleKey   string `json:"alert_cycle_key"`
	Link            string `json:"link"`
}

func parseDatadog(body []byte) ([]commands.Alert, error) {
	var m ddMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	if m.AggregKey == "" {
		return nil, bad(`aggreg_key is missing: add "aggreg_key": "$AGGREG_KEY" to the webhook's payload (docs/INTEGRATIONS.md)`)
	}
	var st string
	switch t := strings.ToLower(strings.TrimSpace(m.AlertTransition)); {
	case t == "":
		return nil, bad(`alert_transition is missing: add "alert_transition": "$ALERT_TRANSITION" to the webhook's payload (docs/INTEGRATIONS.md)`)
	case t == "recovered":
		st = commands.AlertResolved
	case t == "triggered", t == "re-triggered", t == "warn", t == "re-warn", t == "no data", t == "re-no data", t == "renotify":
		st = commands.AlertFiring
	default:
		return nil, bad("alert_transition must be one of Triggered, Re-Triggered, Warn, Re-Warn, No Data, Re-No Data, Renotify, Recovered")
	}
	var start time.Time
	if m.Date != "" {
		ms, err := strconv.ParseInt(m.Date, 10, 64)
		if err != nil {
			return nil, bad("date is not a time in milliseconds since the epoch ($DATE)")
		}
		start = time.UnixMilli(ms).UTC()
	}
	tags := ddTags(m.Tags)
	return []commands.Alert{{
		Key: m.AggregKey, Status: st, Title: ddTitle(first(m.AlertTitle, m.Title)), Severity: m.AlertPriority,
		Vendor: tags["vendor"], Text: first(m.AlertStatus, m.Body), URL: m.Link, StartsAt: start,
		Fingerprint: first(m.ID, m.AlertCycleKey, m.AlertID),
	}}, nil
}

// ddTags reads $TAGS (key:value, comma-separated) into a map.
func ddTags(v string) map[string]string {
	out := map[string]string{}
	for _, t := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(t), ":")
		if ok && k != "" {
			out[strings.ToLower(k)] = strings.TrimSpace(val)
		}
	}
	return out
}

// ddTitle drops the transition Datadog puts in front of the title
// ("[Triggered on {host:…}] Host is Down"), so that every notification of
// one monitor reads the same.
func ddTitle(t string) string {
	if strings.HasPrefix(t, "[") {
		if i := strings.Index(t, "] "); i > 0 {
			return strings.TrimSpace(t[i+2:])
		}
	}
	return t
}

// pdMessage is a PagerDuty v3 webhook body: one event.
type pdMessage struct {
	Event *struct {
		ID         string `json:"id"`
		EventType  string `json:"event_type"`
		OccurredAt string `json:"occurred_at"`
		Data       *struct {
			ID        string `json:"id"`
			Type      string `json:"type"`
			HTMLURL   string `json:"html_url"`
			Number    int    `json:"number"`
			Title     string `json:"title"`
			CreatedAt string `json:"created_at"`
			Urgency   string `json:"urgency"`
			Service   *struct {
				Summary string `json:"summary"`
			} `json:"service"`
			Priority *struct {
				Summary string `json:"summary"`
			} `json:"priority"`
		} `json:"data"`
	} `json:"event"`
}

func parsePagerDuty(body []byte) ([]commands.Alert, error) {
	var m pdMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	e := m.Event
	if e == nil {
		return nil, bad("event is missing: expected a PagerDuty v3 webhook body {\"event\": {…}}")
	}
	var st string
	switch e.EventType {
	case "incident.triggered", "incident.reopened":
		st = commands.AlertFiring
	case "incident.resolved":
		st = commands.AlertResolved
	case "":
		return nil, bad("event.event_type is missing")
	default:
		return nil, nil // acknowledgements, notes, reassignments: nothing for the bot to do
	}
	d := e.Data
	if d == nil || d.ID == "" {
		return nil, bad("event.data.id is missing: the bot groups by the PagerDuty incident id")
	}
	if e.ID == "" {
		return nil, bad("event.id is missing")
	}
	start, err := timeField(d.CreatedAt, "event.data.created_at")
	if err != nil {
		return nil, err
	}
	sev := d.Urgency
	if d.Priority != nil && d.Priority.Summary != "" {
		sev = d.Priority.Summary
	}
	text := fmt.Sprintf("PagerDuty incident #%d", d.Number)
	if d.Service != nil && d.Service.Summary != "" {
		text += " on " + d.Service.Summary
	}
	return []commands.Alert{{
		Key: d.ID, Status: st, Title: d.Title, Severity: sev, Text: text, URL: d.HTMLURL,
		StartsAt: start, Fingerprint: e.ID,
	}}, nil
}

// genericMessage is the bot's own body (the contract's "Alerts in").
type genericMessage struct {
	Title       string `json:"title"`
	Status      string `json:"status"`
	Key         string `json:"key"`
	Severity    string `json:"severity"`
	Vendor      string `json:"vendor"`
	Text        string `json:"text"`
	URL         string `json:"url"`
	StartsAt    string `json:"starts_at"`
	Fingerprint string `json:"fingerprint"`
}

func parseGeneric(body []byte) ([]commands.Alert, error) {
	var m genericMessage
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Key) == "" {
		return nil, bad("key is missing: alerts with the same key join one incident")
	}
	st, err := status(m.Status, "status")
	if err != nil {
		return nil, err
	}
	if st == commands.AlertFiring && strings.TrimSpace(m.Title) == "" {
		return nil, bad("title is missing: a firing alert opens an incident with it")
	}
	start, err := timeField(m.StartsAt, "starts_at")
	if err != nil {
		return nil, err
	}
	fp := m.Fingerprint
	if fp == "" { // the same body delivered again is the same alert
		sum := sha256.Sum256([]byte(m.Key + "\x00" + m.Status + "\x00" + m.Title + "\x00" + m.Text + "\x00" + m.URL + "\x00" + m.Severity))
		fp = hex.EncodeToString(sum[:8])
	}
	return []commands.Alert{{
		Key: m.Key, Status: st, Title: strings.TrimSpace(m.Title), Severity: m.Severity, Vendor: m.Vendor,
		Text: m.Text, URL: m.URL, StartsAt: start, Fingerprint: fp,
	}}, nil
}
