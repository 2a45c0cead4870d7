package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/engine"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// Alerts in: an alerting system (Alertmanager, Grafana, Datadog, PagerDuty,
// or anything that speaks the generic body) reports an alert over
// /hooks/*; internal/hooks reads it into Alert values and hands them to
// Service.Alerts, which keeps each as a job before the sender gets its
// 2xx. The job opens an incident in ALERT_CHANNEL for a firing alert, or
// joins the open incident of the alert's group (the same source and
// grouping key); a resolved alert goes into that incident's timeline and
// thread, and leaves resolving to people. The store's alert groups make
// alerts of one group that arrive together open one incident.
//
// Alerts are authorized by HOOK_TOKEN at the edge; an alert then reaches
// only the incident its own group opened, and only as authorize lets the
// alert channel add to it (opAlert): in the alert channel's workspace and
// place (docs/SECURITY.md).

// The statuses of an alert.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Alert is one alert as an alerting system reported it, in the source's
// own terms: Severity is the source's value ("critical", "P2", "high"),
// mapped onto P1–P4 by Config.AlertSeverity when the alert is taken.
type Alert struct {
	Source      string    `json:"source"` // alertmanager, grafana, datadog, pagerduty, generic
	Key         string    `json:"key"`    // grouping key: alerts with the same one share an incident
	Status      string    `json:"status"` // AlertFiring or AlertResolved
	Title       string    `json:"title"`
	Severity    string    `json:"severity,omitempty"`
	Vendor      string    `json:"vendor,omitempty"` // a catalog key: its triage goes into the incident
	Text        string    `json:"text,omitempty"`
	URL         string    `json:"url,omitempty"`
	StartsAt    time.Time `json:"starts_at,omitzero"`
	EndsAt      time.Time `json:"ends_at,omitzero"`
	Fingerprint string    `json:"fingerprint"` // the alert within its group
}

// alertSources names the sources in messages.
var alertSources = map[string]string{
	"alertmanager": "Alertmanager", "grafana": "Grafana", "datadog": "Datadog", "pagerduty": "PagerDuty",
	"generic": "the generic hook",
}

// AlertSourceName is how messages name a source.
func AlertSourceName(source string) string {
	if n, ok := alertSources[source]; ok {
		return n
	}
	return source
}

// DefaultAlertSeverity maps the sources' own severities (Alertmanager and
// Grafana `severity` labels, Datadog's alert type and priority, PagerDuty's
// urgency) onto incident severities; P1…P4 are taken as they are.
var DefaultAlertSeverity = map[string]incident.Severity{
	"critical": incident.P1, "high": incident.P2, "error": incident.P2, "warning": incident.P3,
	"low": incident.P4, "info": incident.P4, "p5": incident.P4,
}

// alertSeverity maps a source's severity: the mapping first, then P1…P4
// as they are, else P3 (as a declared incident).
func (s *Service) alertSeverity(v string) incident.Severity {
	v = strings.ToLower(strings.TrimSpace(v))
	m := s.Config.AlertSeverity
	if m == nil {
		m = DefaultAlertSeverity
	}
	if sev, ok := m[v]; ok {
		return sev
	}
	if strings.HasPrefix(v, "p") {
		if sev, err := incident.ParseSeverity(v); err == nil {
			return sev
		}
	}
	return incident.P3
}

// Alerts keeps each alert as a job, keyed by what makes it the same alert
// (source, group, fingerprint, status, start), so that a delivery the
// source repeats adds nothing. It returns once every alert is kept; an
// error means none should be counted on, and the sender should deliver
// them again (the ones kept are not kept twice).
func (s *Service) Alerts(ctx context.Context, alerts []Alert) error {
	if s.Config.AlertChannel == "" {
		return incident.Errorf(incident.Invalid, "ALERT_CHANNEL is not set: alerts have no channel to open incidents in")
	}
	if s.Jobs.Busy() {
		return engine.ErrBusy
	}
	for _, al := range alerts {
		al = al.cleaned()
		a := jobArgs{Cmd: Command{ChannelID: s.Config.AlertChannel}, Alert: &al, Severity: s.alertSeverity(al.Severity)}
		if err := s.then(ctx, jobAlert, al.id(), a); err != nil {
			return err
		}
	}
	return nil
}

// id names the alert across deliveries.
func (al Alert) id() string {
	start := ""
	if !al.StartsAt.IsZero() {
		start = strconv.FormatInt(al.StartsAt.UnixNano(), 10)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{al.Source, al.Key, al.Fingerprint, al.Status, start}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// cleaned bounds what an alert carries into the store and into Slack: no
// control characters, titles and texts cut, only http(s) links.
func (al Alert) cleaned() Alert {
	al.Title = messages.Truncate(maxTitle, strings.Join(strings.Fields(clean(al.Title)), " "))
	al.Text = messages.Truncate(1500, strings.TrimSpace(clean(al.Text)))
	al.Severity = messages.Truncate(40, strings.TrimSpace(clean(al.Severity)))
	al.Vendor = strings.ToLower(messages.Truncate(60, strings.TrimSpace(clean(al.Vendor))))
	if u, err := url.Parse(strings.TrimSpace(al.URL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" || strings.ContainsAny(al.URL, "|<> \n") || len(al.URL) > 1000 {
		al.URL = ""
	}
	return al
}

// errNotPosted sends an alert's thread reply back to the queue until the
// incident's message (its thread) is posted.
var errNotPosted = errors.New("the incident message is not posted yet")

// runAlert opens the alert's incident or finds its group's, and records
// the alert in the timeline; the thread reply follows as its own job, once
// the incident's message is there to reply to.
func (s *Service) runAlert(ctx context.Context, a jobArgs) error {
	al := a.Alert
	if al == nil {
		return incident.Errorf(incident.Invalid, "The alert was empty.")
	}
	team, err := s.team(ctx)
	if err != nil {
		return err
	}
	var (
		inc    *incident.Incident
		opened bool
	)
	if al.Status == AlertFiring {
		fresh := s.newIncident(Command{TeamID: team, ChannelID: a.Cmd.ChannelID}, al.Title, a.Severity)
		if name, ok := s.Triage.VendorName(al.Vendor); ok && al.Vendor != "" {
			fresh.Vendor, fresh.VendorName = al.Vendor, name
		}
		if inc, opened, err = s.Store.OpenAlertIncident(ctx, fresh, al.Source, al.Key); err != nil {
			return err
		}
		if opened {
			s.record(ctx, inc, incident.KindDeclared, "", inc.Title)
			s.Log.Info().Str("incident", inc.Ref()).Str("source", al.Source).Str("severity", string(inc.Severity)).
				Msg("incident opened from an alert")
		}
	} else {
		inc, err = s.Store.AlertIncident(ctx, team, al.Source, al.Key)
		if incident.KindOf(err) == incident.NotFound {
			s.Log.Info().Str("source", al.Source).Msg("a resolved alert of a group that opened no incident: nothing to do")
			return nil
		}
		if err != nil {
			return err
		}
	}
	return s.alertInto(ctx, actor{team: team, channel: a.Cmd.ChannelID}, inc, al, opened)
}

// alertInto records the alert in inc's timeline and queues its thread
// reply, when authorize lets the alert channel (who) add to inc: an
// incident its group opened there. One the group names elsewhere (the
// incident moved, or ALERT_CHANNEL changed) is left alone; the refusal is
// in its timeline and the log.
func (s *Service) alertInto(ctx context.Context, who actor, inc *incident.Incident, al *Alert, opened bool) error {
	if ok, _ := s.authorize(ctx, who, opAlert, inc); !ok {
		s.Log.Warn().Str("incident", inc.Ref()).Str("source", al.Source).
			Msg("an alert's group names an incident the alert channel may not change: the alert is not added")
		return nil
	}
	entry := fmt.Sprintf("Alert from %s %s: %s", AlertSourceName(al.Source), al.Status, al.Title)
	e := &incident.Entry{IncidentID: inc.ID, Kind: incident.KindAlert, Text: entry, At: s.Now(), EventID: "alert:" + al.id()}
	if _, err := s.Store.AddEntry(ctx, e); err != nil {
		return err
	}
	cmd := Command{TeamID: inc.TeamID, ChannelID: inc.ChannelID}
	if inc.MessageTS == "" {
		if err := s.then(ctx, jobPost, inc.ID.String(), jobArgs{Cmd: cmd, Incident: inc.ID}); err != nil {
			return err
		}
	}
	return s.then(ctx, jobAlertNote, al.id(), jobArgs{Cmd: cmd, Incident: inc.ID, Alert: al, Opened: opened})
}

// runAlertNote says in the incident's thread what the alert did, and asks
// for the triage of the vendor it names.
func (s *Service) runAlertNote(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	if inc.MessageTS == "" {
		return errNotPosted
	}
	al := a.Alert
	if _, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(s.alertText(inc, al, a.Opened))); err != nil {
		return err
	}
	if al.Status == AlertFiring && al.Vendor != "" {
		if _, ok := s.Triage.VendorName(al.Vendor); ok {
			return s.then(ctx, jobAlertTriage, inc.ID.String()+":"+al.Vendor,
				jobArgs{Cmd: a.Cmd, Incident: inc.ID, Vendor: al.Vendor})
		}
	}
	return nil
}

// alertText is the thread reply about an alert.
func (s *Service) alertText(inc *incident.Incident, al *Alert, opened bool) string {
	src := AlertSourceName(al.Source)
	title := "*" + messages.Escape(messages.Truncate(150, al.Title)) + "*"
	var b strings.Builder
	switch {
	case al.Status == AlertResolved && !inc.Open():
		fmt.Fprintf(&b, ":white_check_mark: The alert %s from %s resolved; %s was resolved already.", title, src, inc.Ref())
	case al.Status == AlertResolved:
		fmt.Fprintf(&b, ":white_check_mark: The alert %s from %s resolved. %s stays open until someone resolves it: `/incident resolve %s`.",
			title, src, inc.Ref(), inc.Ref())
	case opened:
		fmt.Fprintf(&b, ":rotating_light: %s was opened by an alert from %s: %s", inc.Ref(), src, title)
		if al.Severity != "" {
			fmt.Fprintf(&b, " (severity `%s` → %s)", messages.Escape(al.Severity), inc.Severity)
		}
	default:
		fmt.Fprintf(&b, ":heavy_plus_sign: Another alert from %s joined %s: %s", src, inc.Ref(), title)
	}
	if al.Text != "" {
		b.WriteString("\n>" + strings.ReplaceAll(messages.Escape(messages.Truncate(1200, al.Text)), "\n", "\n>"))
	}
	if al.URL != "" {
		link := "Open in " + src
		if _, named := alertSources[al.Source]; !named || al.Source == "generic" {
			link = "Open the alert's link"
		}
		fmt.Fprintf(&b, "\n<%s|%s>", al.URL, link)
	}
	if al.Vendor != "" && al.Status == AlertFiring {
		if name, ok := s.Triage.VendorName(al.Vendor); ok {
			fmt.Fprintf(&b, "\nRunning the %s triage; its report follows here.", messages.Escape(name))
		} else {
			fmt.Fprintf(&b, "\nThe alert names the vendor `%s`, which is not in the catalog: no triage was run.",
				messages.Escape(al.Vendor))
		}
	}
	return b.String()
}

// runAlertTriage runs the triage of the vendor an alert names and puts the
// report into the incident, as a triage of a vendor with an open incident
// does.
func (s *Service) runAlertTriage(ctx context.Context, a jobArgs) error {
	inc, err := s.Store.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	name, ok := s.Triage.VendorName(a.Vendor)
	if !ok {
		return nil
	}
	rep, err := s.Triage.Triage(ctx, a.Vendor)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		s.Log.Warn().Err(err).Str("incident", inc.Ref()).Str("vendor", a.Vendor).Msg("triage for an alert")
		_, err := s.Slack.Post(ctx, inc.ChannelID, inc.MessageTS, notice(fmt.Sprintf(
			":warning: The %s triage for %s could not run: %s Run `/incident triage %s` to try again.",
			messages.Escape(name), inc.Ref(), incident.Message(err), a.Vendor)))
		return err
	}
	if rep.VendorName == "" {
		rep.VendorName = name
	}
	return s.retriage(ctx, a.Cmd, inc, name, rep)
}

// team is the workspace the bot serves, asked of Slack once.
func (s *Service) team(ctx context.Context) (string, error) {
	s.teamMu.Lock()
	defer s.teamMu.Unlock()
	if s.teamID != "" {
		return s.teamID, nil
	}
	id, err := s.Slack.Team(ctx)
	if err != nil {
		return "", fmt.Errorf("find the bot's workspace (auth.test): %w", err)
	}
	if id == "" {
		return "", errors.New("find the bot's workspace: auth.test named none")
	}
	s.teamID = id
	return id, nil
}
