package messages

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/incident-bot/bot/internal/incident"
)

// Limits of the declare form's fields (block-kit/block-elements,
// plain-text-input: max_length at most 3000).
const (
	MaxDeclareTitle  = 150 // the title heads the incident message: a header block's 150
	MaxDeclareImpact = 3000
	MaxStatuspage    = 3000 // the draft's text, in the edit form
)

// Select menu limits (block-kit/composition-objects/option-group-object:
// at most 100 options per group; option-object: text at most 75).
const maxGroupOptions = 100

// VendorOption is one vendor of the declare form's vendor menu.
type VendorOption struct{ Value, Label string }

type optionGroup struct {
	Label   string
	Options []VendorOption
}

type declareModalView struct {
	Metadata, User      string
	AskChannel          bool
	MaxTitle, MaxImpact int
	VendorGroups        []optionGroup
	Severity            button
	Severities          []button
}

// DeclareModal renders the declare form. channelID is where it was asked
// for (the slash command's channel); empty for the global shortcut, which
// then asks for the channel, defaulting to the one the user is viewing.
// user is who opens it: the commander when the field is left alone.
// vendors is the catalog, shown in groups by initial (a select menu takes
// 100 options; the catalog has more).
func DeclareModal(channelID string, public bool, user string, vendors []VendorOption, sev incident.Severity) (json.RawMessage, error) {
	v := declareModalView{Metadata: FormMetadata{Channel: channelID, Public: public}.String(), User: user, AskChannel: channelID == "",
		MaxTitle: MaxDeclareTitle, MaxImpact: MaxDeclareImpact, VendorGroups: groupVendors(vendors, 40)}
	for _, s := range incident.Severities {
		b := button{Value: string(s), Label: string(s) + ": " + s.Impact()}
		b.Label = Truncate(75, b.Label)
		if s == sev {
			v.Severity = b
		}
		v.Severities = append(v.Severities, b)
	}
	if v.Severity.Value == "" {
		return nil, fmt.Errorf("messages: declare form: no severity %q", sev)
	}
	return render("declare_modal", v)
}

// groupVendors sorts vendors by label and cuts them into groups of at
// most size (and never more than a group may hold), each labelled by the
// initials it spans ("A–C").
func groupVendors(vendors []VendorOption, size int) []optionGroup {
	size = min(max(size, 1), maxGroupOptions)
	sorted := append([]VendorOption(nil), vendors...)
	sort.Slice(sorted, func(i, j int) bool {
		return strings.ToLower(sorted[i].Label) < strings.ToLower(sorted[j].Label)
	})
	var out []optionGroup
	for len(sorted) > 0 {
		n := min(size, len(sorted))
		part := sorted[:n]
		sorted = sorted[n:]
		first, last := initial(part[0].Label), initial(part[len(part)-1].Label)
		label := first
		if last != first {
			label = first + "–" + last
		}
		out = append(out, optionGroup{Label: label, Options: part})
	}
	return out
}

func initial(s string) string {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "#"
}

// impactOf is who or what the incident affects: as the declare form
// described it, else the severity's standard sentence. Plain text.
func impactOf(inc *incident.Incident) string {
	if inc.Impact != "" {
		return inc.Impact
	}
	return inc.Severity.Impact()
}

// quote shows user text as a mrkdwn block quote, escaped.
func quote(s string) string {
	lines := strings.Split(Escape(s), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// StatuspageDraft is what the company's status page would say about an
// incident: the incident's name there and the text of the update.
type StatuspageDraft struct {
	Name, Body string
}

// DraftStatuspage writes the customer-facing update for inc from the
// status-page template (templates/surfaces.tmpl, "statuspage_body"): it
// names the vendor's integration, never internal details (tokens, HTTP
// codes, request ids), and says where the response stands. text, when
// given, replaces the template's words.
func DraftStatuspage(inc *incident.Incident, text string) (StatuspageDraft, error) {
	v := struct {
		Vendor, Status string
	}{Vendor: inc.VendorName, Status: string(inc.Status)}
	name, err := renderText("statuspage_name", v)
	if err != nil {
		return StatuspageDraft{}, err
	}
	body := strings.TrimSpace(text)
	if body == "" {
		if body, err = renderText("statuspage_body", v); err != nil {
			return StatuspageDraft{}, err
		}
	}
	return StatuspageDraft{Name: Truncate(200, name), Body: Truncate(MaxStatuspage, body)}, nil
}

type statuspageView struct {
	ID, Ref, Name, Status, Body, Note, PublishLabel string
	CanPublish                                      bool
}

// Statuspage renders the draft posted in the incident thread, with its
// Edit button and, when the company's Statuspage is configured, Publish.
// link is the published incident's page, when it has been published.
func Statuspage(inc *incident.Incident, d StatuspageDraft, canPublish bool, link string) (Message, error) {
	v := statuspageView{ID: inc.ID.String(), Ref: inc.Ref(), Name: d.Name, Status: inc.Status.Label(), Body: d.Body,
		CanPublish: canPublish, PublishLabel: "Publish"}
	switch {
	case inc.StatuspageID != "" && link != "":
		v.Note = "Published on the company status page: <" + link + "|the incident there>. Publishing again posts this text as an update."
		v.PublishLabel = "Publish update"
	case inc.StatuspageID != "":
		v.Note = "Published on the company status page. Publishing again posts this text as an update."
		v.PublishLabel = "Publish update"
	case canPublish:
		v.Note = "Not published yet: *Publish* puts it on the company status page."
	default:
		v.Note = "Copy it to the company status page, or set STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY to publish it from here."
	}
	blocks, err := render("statuspage", v)
	if err != nil {
		return Message{}, err
	}
	return Message{Text: Truncate(maxFallback, Escape(inc.Ref()+" status page draft: "+d.Body)), Blocks: blocks}, nil
}

// StatuspageModal renders the draft's edit form for a click in channelID.
func StatuspageModal(inc *incident.Incident, body, channelID string) (json.RawMessage, error) {
	md := FormMetadata{Incident: inc.ID.String(), Channel: channelID}
	return render("statuspage_modal", struct {
		Metadata, Ref, Body string
		Max                 int
	}{md.String(), inc.Ref(), Truncate(MaxStatuspage, body), MaxStatuspage})
}
