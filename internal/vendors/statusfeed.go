package vendors

// Status pages served as feeds: RSS 2.0 or Atom. A feed says less than a
// status API (no overall state, rarely an impact, components only where
// items carry categories), so these parsers are conservative: an item
// counts only when it is recent, dated, and not marked over.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/runbook"
)

// feedWindow is how recent an item of a generic feed (and the newest item
// of an AWS service) must be to count: a feed never says that something
// is over unless someone wrote so, and an unresolved item older than a
// day is more likely forgotten than ongoing.
const feedWindow = 24 * time.Hour

// azureWindow bounds the Azure feed, which lists only what is going on:
// an item older than this is stale.
const azureWindow = 7 * 24 * time.Hour

// feedSkew is how far in the future an item's date may be and still count
// as now.
const feedSkew = 5 * time.Minute

// feedItem is one RSS item or Atom entry.
type feedItem struct {
	Title      string
	Link       string
	ID         string // RSS guid, Atom id
	Date       time.Time
	Text       string // description, summary or content, without markup
	Categories []string
}

// feedDoc is what a feed says: its title and its items.
type feedDoc struct {
	Title string
	Items []feedItem
}

// readFeed reads an RSS 2.0 or Atom document. HTML and other XML are
// errors.
func readFeed(raw []byte) (feedDoc, error) {
	type text struct {
		Body string `xml:",chardata"`
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
		Term string `xml:"term,attr"`
	}
	var doc struct {
		XMLName xml.Name
		Channel struct {
			Title string `xml:"title"`
			Items []struct {
				Title      string   `xml:"title"`
				Link       string   `xml:"link"`
				GUID       string   `xml:"guid"`
				PubDate    string   `xml:"pubDate"`
				Date       string   `xml:"http://purl.org/dc/elements/1.1/ date"`
				Desc       string   `xml:"description"`
				Categories []string `xml:"category"`
			} `xml:"item"`
		} `xml:"channel"`
		Title   string `xml:"title"`
		Entries []struct {
			Title      string `xml:"title"`
			Links      []text `xml:"link"`
			ID         string `xml:"id"`
			Updated    string `xml:"updated"`
			Published  string `xml:"published"`
			Summary    string `xml:"summary"`
			Content    string `xml:"content"`
			Categories []text `xml:"category"`
		} `xml:"entry"`
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '<' {
		return feedDoc{}, fmt.Errorf("not a feed: the answer is not XML")
	}
	dec := xml.NewDecoder(bytes.NewReader(trimmed))
	dec.Strict = false // feeds in the wild use HTML entities and sloppy markup
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&doc); err != nil {
		return feedDoc{}, fmt.Errorf("not a feed: %s", shorten(err.Error(), 80))
	}
	var out feedDoc
	switch strings.ToLower(doc.XMLName.Local) {
	case "rss":
		out.Title = doc.Channel.Title
		for _, it := range doc.Channel.Items {
			date := it.PubDate
			if date == "" {
				date = it.Date
			}
			out.Items = append(out.Items, feedItem{Title: it.Title, Link: strings.TrimSpace(it.Link), ID: strings.TrimSpace(it.GUID),
				Date: parseFeedTime(date), Text: plainText(it.Desc), Categories: it.Categories})
		}
	case "feed":
		out.Title = doc.Title
		for _, e := range doc.Entries {
			it := feedItem{Title: e.Title, ID: strings.TrimSpace(e.ID), Date: parseFeedTime(e.Updated)}
			if it.Date.IsZero() {
				it.Date = parseFeedTime(e.Published)
			}
			for _, l := range e.Links {
				if it.Link == "" || l.Rel == "alternate" {
					it.Link = strings.TrimSpace(l.Href)
				}
			}
			it.Text = plainText(e.Summary)
			if it.Text == "" {
				it.Text = plainText(e.Content)
			}
			for _, c := range e.Categories {
				it.Categories = append(it.Categories, c.Term)
			}
			out.Items = append(out.Items, it)
		}
	case "html":
		return feedDoc{}, fmt.Errorf("not a feed: an HTML page")
	default:
		return feedDoc{}, fmt.Errorf("not a feed: the document is <%s>, not <rss> or <feed>", shorten(doc.XMLName.Local, 20))
	}
	for i := range out.Items {
		out.Items[i].Title = strings.TrimSpace(html.UnescapeString(out.Items[i].Title))
	}
	out.Title = strings.TrimSpace(out.Title)
	return out, nil
}

var feedTimeLayouts = []string{
	time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 02 Jan 2006 15:04:05 Z", time.RFC822Z, time.RFC822, time.RFC3339, "2006-01-02T15:04:05Z07:00",
}

// parseFeedTime reads the dates feeds write (RFC 822 and its variants,
// RFC 3339); zero when none fits.
func parseFeedTime(v string) time.Time {
	v = strings.TrimSpace(v)
	for _, l := range feedTimeLayouts {
		t, err := time.Parse(l, v)
		if err != nil {
			continue
		}
		// Go gives a zone name it does not know (PDT in a UTC process) no
		// offset; RFC 822 defines the North American ones.
		if name, off := t.Zone(); off == 0 {
			if h, ok := rfc822Zones[name]; ok {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(),
					time.FixedZone(name, h*3600))
			}
		}
		return t
	}
	return time.Time{}
}

// rfc822Zones are RFC 822's zone names with their offsets in hours.
var rfc822Zones = map[string]int{"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

var markup = regexp.MustCompile(`<[^>]*>`)

// plainText is a description without its markup and entities, on one
// line, cut to what a parser needs to read.
func plainText(s string) string {
	s = markup.ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	return shorten(strings.Join(strings.Fields(s), " "), 600)
}

var (
	// overWords mark an item as over: resolved, completed, back to
	// normal.
	overWords = regexp.MustCompile(`(?i)\b(resolved|completed|fixed|recovered|restored|mitigated|operating normally|postmortem|post-incident report)\b`)
	// maintenanceWords mark an item as maintenance rather than an incident.
	maintenanceWords = regexp.MustCompile(`(?i)\b(maintenance|planned work|scheduled work)\b`)
	// nowWords mark maintenance as going on now.
	nowWords = regexp.MustCompile(`(?i)\b(in progress|underway|has begun|has started|is being performed|currently performing)\b`)
	// majorWords rate an incident major.
	majorWords = regexp.MustCompile(`(?i)\b(major outage|service outage|outage|service disruption|unavailable|is down)\b`)
)

// latestFirst is the feed's items, newest first; undated items last.
func latestFirst(items []feedItem) []feedItem {
	out := append([]feedItem(nil), items...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.After(out[j].Date) })
	return out
}

// headline is the part of an item a reader of the feed sees first: its
// title and the start of its text, where feeds put the latest update.
func (it feedItem) headline() string {
	return it.Title + " " + shorten(it.Text, 300)
}

// parseFeed reads any RSS 2.0 or Atom feed, conservatively. Items are
// grouped by link (or id, or title), one group per incident, and only
// the newest item of each group is read. That item is an incident when
// it is dated within feedWindow of now, and neither its title nor the
// start of its text says resolved, completed, fixed, recovered, restored,
// mitigated or operating normally. An item about maintenance is
// maintenance: in progress when it says so, otherwise to come. An item
// is rated minor unless its title says outage, disruption or unavailable.
// Its categories are its components. An undated item never counts.
func parseFeed(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	doc, err := readFeed(raw)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	ind := runbook.IndicatorNone
	for _, it := range latestFirst(doc.Items) {
		key := it.Link
		if key == "" {
			key = it.ID
		}
		if key == "" {
			key = strings.ToLower(it.Title)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if it.Date.IsZero() || it.Date.Before(now.Add(-feedWindow)) || it.Date.After(now.Add(feedSkew)) {
			continue
		}
		head := it.headline()
		if overWords.MatchString(head) {
			continue
		}
		if maintenanceWords.MatchString(head) {
			m := runbook.StatusMaintenance{Name: it.Title, Status: runbook.MaintenanceScheduled, Link: it.Link, Components: it.Categories}
			if nowWords.MatchString(head) {
				m.Status = runbook.MaintenanceInProgress
				ind = worse(ind, runbook.IndicatorMaintenance)
			}
			addMaintenance(s, m, now)
			continue
		}
		impact := "minor"
		if majorWords.MatchString(it.Title) {
			impact = "major"
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: it.Title, Impact: impact, Status: "open", Link: it.Link, Components: it.Categories})
	}
	s.Indicator = ind
	s.Description = shorten(fmt.Sprintf("%s: %d recent item(s) not marked resolved", orDefault(doc.Title, "feed"), len(s.Incidents)+len(s.Maintenances)), maxStatusName)
	return nil
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// awsServiceKey is the service (and region) an AWS status item is about:
// its guid reads https://status.aws.amazon.com/#<service>-<region>_<time>.
func awsServiceKey(it feedItem) string {
	id := it.ID
	if i := strings.LastIndex(id, "#"); i >= 0 {
		id = id[i+1:]
	}
	if i := strings.LastIndex(id, "_"); i > 0 {
		return id[:i]
	}
	return ""
}

// parseAWS reads an AWS Health Dashboard RSS feed, one service's
// (…/rss/<service>-<region>.rss) or all of them. AWS posts every update
// as an item whose title starts with the state: "Service is operating
// normally", "Informational message", "Performance issues" or "Service
// disruption", and marks the last update of an event [RESOLVED]. The
// newest item of each service says its state, when it is within
// feedWindow: operating normally or [RESOLVED] is over, a disruption is
// major, anything else minor. The component is the service as the feed's
// title names it (a one-service feed) or as the item's guid does.
func parseAWS(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	doc, err := readFeed(raw)
	if err != nil {
		return err
	}
	// A one-service feed's title names the service; a feed of several
	// services has only their keys.
	service := strings.TrimSpace(strings.TrimSuffix(doc.Title, "Service Status"))
	keys := map[string]bool{}
	for _, it := range doc.Items {
		keys[awsServiceKey(it)] = true
	}
	seen := map[string]bool{}
	ind := runbook.IndicatorNone
	for _, it := range latestFirst(doc.Items) {
		key := awsServiceKey(it)
		if seen[key] {
			continue
		}
		seen[key] = true
		if it.Date.IsZero() || it.Date.Before(now.Add(-feedWindow)) || it.Date.After(now.Add(feedSkew)) {
			continue
		}
		title, state := it.Title, "open"
		lower := strings.ToLower(title)
		if strings.HasPrefix(lower, "service is operating normally") || strings.Contains(lower, "[resolved]") {
			continue
		}
		if i := strings.Index(title, ": "); i > 0 && i < 40 {
			state, title = lower[:i], title[i+2:]
		}
		impact := "minor"
		if state == "service disruption" {
			impact = "major"
		}
		comp := service
		if len(keys) > 1 || comp == "" {
			comp = key
		}
		var comps []string
		if comp != "" {
			comps = []string{comp}
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: title, Impact: impact, Status: state, Link: it.Link, Components: comps})
	}
	s.Indicator, s.Description = ind, shorten(orDefault(doc.Title, "AWS"), maxStatusName)
	return nil
}

// parseAzure reads the Azure status RSS feed
// (https://azure.status.microsoft/en-us/status/feed/), which lists the
// events the public Azure status page shows now and is empty otherwise.
// Each item is an open incident unless its title or the start of its text
// says it is resolved or mitigated, or it is older than azureWindow.
// Its categories are its components; it is rated minor unless its title
// says outage, disruption or unavailable.
func parseAzure(raw []byte, now time.Time, s *runbook.StatusFinding) error {
	doc, err := readFeed(raw)
	if err != nil {
		return err
	}
	ind := runbook.IndicatorNone
	for _, it := range latestFirst(doc.Items) {
		if !it.Date.IsZero() && it.Date.Before(now.Add(-azureWindow)) {
			continue
		}
		if overWords.MatchString(it.headline()) {
			continue
		}
		impact := "minor"
		if majorWords.MatchString(it.Title) {
			impact = "major"
		}
		ind = worse(ind, impactIndicator(impact))
		addIncident(s, runbook.StatusIncident{Name: it.Title, Impact: impact, Status: "active", Link: it.Link, Components: it.Categories})
	}
	s.Indicator, s.Description = ind, "no active events"
	if len(s.Incidents) > 0 {
		s.Description = fmt.Sprintf("%d active event(s)", len(s.Incidents))
	}
	return nil
}
