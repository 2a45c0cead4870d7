// Package messages holds everything a person reads from the bot: the Block
// Kit messages and the postmortem, as templates embedded in the binary and
// parsed once at start. Golden files under testdata show exactly what each
// one renders to.
//
// User text is escaped for mrkdwn (& < >) and cut to Block Kit's limits with
// an ellipsis here, in one place, so no caller can forget it.
package messages

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

//go:embed templates/*.tmpl
var files embed.FS

// Message is a Slack message: a fallback text for notifications and the blocks.
type Message struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

// Block Kit limits (docs.slack.dev, reference/block-kit/blocks).
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxField       = 2000
	maxButton      = 75
	maxContext     = 2000 // per element; Slack allows 10 elements
	maxFallback    = 3000 // notification text; Slack truncates far later
)

var tmpl = template.Must(template.New("messages").Option("missingkey=error").Funcs(template.FuncMap{
	"json":      jsonString,
	"mrkdwn":    Escape,
	"trunc":     Truncate,
	"date":      slackDate,
	"utc":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"add":       func(a, b int) int { return a + b },
	"join":      strings.Join,
	"user":      userRef,
	"upper":     strings.ToUpper,
	"maxHeader": func() int { return maxHeader },
	"maxText":   func() int { return maxSectionText },
	"maxField":  func() int { return maxField },
	"maxButton": func() int { return maxButton },
	"maxCtx":    func() int { return maxContext },
	// The ids Slack sends back when a button is pressed or a modal submitted
	// (ids.go): the templates name them only through these.
	"severityAction": func(sev string) string { return ActionID(ActionSeverity, sev) },
	"statusAction":   func(st string) string { return ActionID(ActionStatus, st) },
	"resolveAction":  func() string { return ActionID(ActionResolve, "") },
	"reopenAction":   func() string { return ActionID(ActionReopen, "") },
	"reminderAction": func(what string) (string, error) {
		switch what {
		case ReminderUpdate, ReminderSnooze15m, ReminderSnooze1h, ReminderStop:
			return ActionID(ActionReminder, what), nil
		}
		return "", fmt.Errorf("no reminder button %q", what)
	},
	"postUpdateCallback":  func() string { return CallbackPostUpdate },
	"declareAnywayAction": func() string { return ActionID(ActionDeclareAnyway, "") },
	"watchDeclareAction":  func() string { return ActionID(ActionWatchDeclare, "") },
	"declareCallback":     func() string { return CallbackDeclare },
	"statuspageCallback":  func() string { return CallbackStatuspage },
	"statuspageAction": func(what string) (string, error) {
		switch what {
		case StatuspageEdit, StatuspagePublish:
			return ActionID(ActionStatuspage, what), nil
		}
		return "", fmt.Errorf("no status-page button %q", what)
	},
	"quote": quote,
}).ParseFS(files, "templates/*.tmpl"))

// render executes the named template and checks that it produced valid JSON.
func render(name string, data any) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("messages: render %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b.Bytes()); err != nil {
		return nil, fmt.Errorf("messages: %s rendered invalid JSON: %w", name, err)
	}
	return out.Bytes(), nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// Escape makes user text safe inside mrkdwn: & < > become entities, so
// "<!channel>" or "<@U123>" typed by a user shows as text and pings nobody.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Truncate cuts s to at most n characters, ending in an ellipsis when cut.
// It counts runes, as Slack does, and repairs invalid UTF-8.
func Truncate(n int, s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := string(r[:n-1])
	// Never leave half an escaped entity (&amp; &lt; &gt;) behind.
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && len(cut)-i <= 4 && isLetters(cut[i+1:]) {
		cut = cut[:i]
	}
	return cut + "…"
}

// slackDate renders t in each reader's own time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// userRef mentions a Slack user id, or says nobody.
func userRef(id string) string {
	if id == "" {
		return "_unassigned_"
	}
	return "<@" + id + ">"
}

// renderText renders a template that produces plain text, trimmed.
func renderText(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("messages: render %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
