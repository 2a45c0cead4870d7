package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// The App Home and the capture form are built as data here rather than
// from templates: their blocks repeat per incident and per vendor, and
// Slack's view limits (100 blocks, 3000 characters a section) are easier
// to keep by counting than in a template.

// maxViewBlocks is Slack's limit of blocks in a view (docs.slack.dev,
// reference/views: "Maximum of 100 blocks").
const maxViewBlocks = 100

// HomeShown is the most incidents and the most vendors App Home lists.
const HomeShown = 40

// HomeIncident is one open incident as App Home shows it.
type HomeIncident struct {
	Inc  *incident.Incident
	Link string // the incident message's permalink, when posted
}

// HomeVendor is one watched vendor as App Home shows it: what the vendor
// watch last saw of it, and when (zero: not checked yet).
type HomeVendor struct {
	Name    string
	State   incident.VendorState
	Checked time.Time
}

// HomeData is what App Home shows a user.
type HomeData struct {
	Incidents      []HomeIncident
	IncidentsTotal int // all open incidents the user may see, beyond those listed
	Vendors        []HomeVendor
	Now            time.Time
}

type textObj struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id,omitempty"`
	Text     *textObj  `json:"text,omitempty"`
	Elements []textObj `json:"elements,omitempty"`
}

func header(text string) block {
	return block{Type: "header", Text: &textObj{Type: "plain_text", Text: Truncate(maxHeader, text), Emoji: true}}
}

func section(mrkdwn string) block {
	return block{Type: "section", Text: &textObj{Type: "mrkdwn", Text: Truncate(maxSectionText, mrkdwn)}}
}

func contextLine(mrkdwn string) block {
	return block{Type: "context", Elements: []textObj{{Type: "mrkdwn", Text: Truncate(maxContext, mrkdwn)}}}
}

// Home renders a user's App Home: the open incidents they may see (with
// severity, status, age, commander and when the next update is due) and
// the watched vendors' state.
func Home(d HomeData) (json.RawMessage, error) {
	blocks := []block{header(fmt.Sprintf("Open incidents (%d)", max(d.IncidentsTotal, len(d.Incidents))))}
	if len(d.Incidents) == 0 {
		blocks = append(blocks, section("No open incidents. :tada: Declare one with `/incident declare TITLE`."))
	}
	for i, hi := range d.Incidents {
		if i == HomeShown {
			break
		}
		inc := hi.Inc
		name := Escape(inc.Ref() + ": " + Truncate(150, inc.Title))
		if hi.Link != "" {
			name = "<" + hi.Link + "|" + name + ">"
		}
		due := "reminders stopped"
		if !inc.NextUpdateAt.IsZero() {
			due = "next update due " + slackDate(inc.NextUpdateAt)
		}
		age := "under a minute"
		if a := d.Now.Sub(inc.DeclaredAt); a >= time.Minute {
			age = Duration(a.Truncate(time.Minute))
		}
		blocks = append(blocks, section(fmt.Sprintf("*%s*\n[%s] %s · open %s · commander %s · %s",
			name, inc.Severity, inc.Status.Label(), age, userRef(inc.Commander), due)))
	}
	if more := max(d.IncidentsTotal, len(d.Incidents)) - min(len(d.Incidents), HomeShown); more > 0 {
		blocks = append(blocks, contextLine(fmt.Sprintf("…and %d more, older: `/incident list all` in a channel shows them.", more)))
	}
	blocks = append(blocks, block{Type: "divider"}, header("Watched vendors"))
	if len(d.Vendors) == 0 {
		blocks = append(blocks, section("No vendor is watched. `/incident watch VENDOR` in a channel tells it whenever the vendor's state changes."))
	}
	var lines []string
	for i, v := range d.Vendors {
		if i == HomeShown {
			lines = append(lines, fmt.Sprintf("…and %d more.", len(d.Vendors)-HomeShown))
			break
		}
		lines = append(lines, "• "+VendorStateLine(Truncate(80, v.Name), v.State, v.Checked))
	}
	// Vendors go ten to a section, to stay far within the block limit.
	for len(lines) > 0 {
		n := min(10, len(lines))
		blocks = append(blocks, section(strings.Join(lines[:n], "\n")))
		lines = lines[n:]
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("Updated %s.", slackDate(d.Now))))
	if len(blocks) > maxViewBlocks {
		blocks = append(blocks[:maxViewBlocks-1], blocks[len(blocks)-1])
	}
	return marshalView(map[string]any{"type": "home", "blocks": blocks})
}

// marshalView encodes a view as Slack reads it, without escaping < > &
// into \u escapes (the mrkdwn's own &lt; stays as it is).
func marshalView(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
}

// CaptureChoice is an incident the capture form offers.
type CaptureChoice struct {
	ID, Label string
}

// maxOptions is Slack's limit of options in a static select.
const maxOptions = 100

// CaptureModal is the form the message shortcut opens when the message's
// place names no single incident: a choice among the open incidents
// visible there. metadata is private_metadata (the message, the channel).
func CaptureModal(choices []CaptureChoice, metadata string) (json.RawMessage, error) {
	type option struct {
		Text  textObj `json:"text"`
		Value string  `json:"value"`
	}
	opts := make([]option, 0, min(len(choices), maxOptions))
	for i, c := range choices {
		if i == maxOptions {
			break
		}
		opts = append(opts, option{Text: textObj{Type: "plain_text", Text: Truncate(75, c.Label)}, Value: c.ID})
	}
	view := map[string]any{
		"type": "modal", "callback_id": CallbackAddToTimeline, "private_metadata": metadata,
		"title":  textObj{Type: "plain_text", Text: "Add to timeline"},
		"submit": textObj{Type: "plain_text", Text: "Add"},
		"close":  textObj{Type: "plain_text", Text: "Cancel"},
		"blocks": []any{map[string]any{
			"type": "input", "block_id": "incident",
			"label": textObj{Type: "plain_text", Text: "Incident"},
			"element": map[string]any{"type": "static_select", "action_id": "incident",
				"placeholder": textObj{Type: "plain_text", Text: "Choose an open incident"}, "options": opts},
		}},
	}
	return marshalView(view)
}
