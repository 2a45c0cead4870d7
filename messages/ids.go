package messages

import (
	"encoding/json"
	"strings"
)

// ActionKind names what a button does. Its action_id is the kind, or the
// kind and an argument joined by "_" (severity_P2, status_monitoring,
// reminder_snooze1h); the value carries the incident id. The templates make
// them only through ActionID (the "action" template function) and the
// command layer reads them only through ParseActionID, so the two cannot
// drift apart.
type ActionKind string

// The buttons the bot posts.
const (
	ActionSeverity ActionKind = "severity" // argument: P1…P4
	ActionStatus   ActionKind = "status"   // argument: investigating, identified, monitoring
	ActionResolve  ActionKind = "resolve"  // no argument
	ActionReopen   ActionKind = "reopen"   // no argument; on a resolved incident's message
	ActionReminder ActionKind = "reminder" // argument: one of the Reminder* below
	// ActionDeclareAnyway opens an incident about a vendor a triage found
	// healthy; its value is the vendor's key, not an incident id.
	ActionDeclareAnyway ActionKind = "declare_anyway"
	// ActionWatchDeclare opens an incident about a watched vendor that went
	// bad, from the vendor watch's message; its value is the vendor's key.
	ActionWatchDeclare ActionKind = "watch_declare"
	// ActionStatuspage acts on an incident's customer status-page draft:
	// argument StatuspageEdit opens the edit form, StatuspagePublish
	// publishes the draft to the company's Statuspage.
	ActionStatuspage ActionKind = "statuspage"
)

// The status-page draft's buttons' arguments.
const (
	StatuspageEdit    = "edit"
	StatuspagePublish = "publish"
)

// The reminder buttons' arguments.
const (
	ReminderUpdate    = "update"
	ReminderSnooze15m = "snooze15m"
	ReminderSnooze1h  = "snooze1h"
	ReminderStop      = "stop"
)

// Callback ids of the modals the bot opens.
const (
	CallbackPostUpdate = "post_update" // the reminder's "Post update" form
	CallbackDeclare    = "declare"     // the declare form: /incident declare without a title, the global shortcut
	CallbackStatuspage = "statuspage"  // the customer status-page draft's edit form
	// CallbackAddToTimeline is the message shortcut "Add to incident
	// timeline" (in the app manifests), and the form it opens when the
	// incident must be chosen.
	CallbackAddToTimeline = "add_to_timeline"
)

// ShortcutDeclare is the callback_id of the global shortcut that opens the
// declare form (slack/manifest*.yaml name it).
const ShortcutDeclare = "declare"

// Shortcuts lists the callback ids of the app's global shortcuts.
func Shortcuts() []string { return []string{ShortcutDeclare} }

var actionKinds = []ActionKind{ActionSeverity, ActionStatus, ActionResolve, ActionReopen, ActionReminder, ActionDeclareAnyway,
	ActionWatchDeclare, ActionStatuspage}

// ActionKinds lists every kind of button the bot posts: a table for tests
// that must cover each (the permission matrix).
func ActionKinds() []ActionKind { return append([]ActionKind(nil), actionKinds...) }

// ReminderArgs lists the reminder buttons' arguments.
func ReminderArgs() []string {
	return []string{ReminderUpdate, ReminderSnooze15m, ReminderSnooze1h, ReminderStop}
}

// Callbacks lists the callback ids of every modal the bot opens.
func Callbacks() []string {
	return []string{CallbackPostUpdate, CallbackDeclare, CallbackStatuspage, CallbackAddToTimeline}
}

// FormMetadata is the private_metadata of a modal the bot opens: the
// incident it is about and the channel of the click that opened it, which
// Slack does not send with the submission. Slack keeps private_metadata
// out of users' reach: only the bot writes it.
type FormMetadata struct {
	Incident string `json:"incident"`
	Channel  string `json:"channel"`
	// Public: Channel is a public channel (the declare form, opened by a
	// slash command that said so).
	Public bool `json:"public,omitempty"`
}

// String is the metadata as private_metadata carries it.
func (m FormMetadata) String() string {
	b, _ := json.Marshal(m) // two strings: cannot fail
	return string(b)
}

// ParseFormMetadata reads private_metadata. Forms opened by versions that
// wrote the incident id alone name no channel.
func ParseFormMetadata(s string) FormMetadata {
	var m FormMetadata
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		if json.Unmarshal([]byte(s), &m) == nil {
			return m
		}
		return FormMetadata{}
	}
	return FormMetadata{Incident: strings.TrimSpace(s)}
}

// ActionID returns the action_id of a button of kind k with argument arg
// (empty for none).
func ActionID(k ActionKind, arg string) string {
	if arg == "" {
		return string(k)
	}
	return string(k) + "_" + arg
}

// ParseActionID splits an action_id into its kind and argument; ok is false
// for an action_id the bot does not make.
func ParseActionID(id string) (k ActionKind, arg string, ok bool) {
	for _, known := range actionKinds {
		if id == string(known) {
			return known, "", true
		}
		if rest, found := strings.CutPrefix(id, string(known)+"_"); found {
			return known, rest, true
		}
	}
	return "", "", false
}
