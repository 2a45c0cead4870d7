package messages

import (
	"encoding/json"
	"fmt"

	"github.com/incident-bot/bot/internal/incident"
)

type reminderView struct{ ID, Text string }

// Reminder renders the reminder that an update is due, with its buttons.
// It mentions the commander, on purpose: they owe the update.
func Reminder(inc *incident.Incident, overdue string) (Message, error) {
	who := "Commander"
	if inc.Commander != "" {
		who = "<@" + inc.Commander + ">"
	}
	text := fmt.Sprintf(":alarm_clock: %s, an update on *%s: %s* is due (last one %s ago). Post it with the button, or `/incident status …`.",
		who, inc.Ref(), Escape(Truncate(100, inc.Title)), overdue)
	blocks, err := render("reminder", reminderView{ID: inc.ID.String(), Text: text})
	if err != nil {
		return Message{}, err
	}
	return Message{Text: Truncate(maxFallback, fmt.Sprintf("%s: an update on %s is due", who, inc.Ref())), Blocks: blocks}, nil
}

type updateModalView struct {
	Metadata, Ref, Status, StatusLabel, Impact, Cause, Interval string
	Statuses                                                    []button
}

// UpdateModal renders the "Post update" modal, prefilled from the incident,
// for a click in channelID.
func UpdateModal(inc *incident.Incident, interval, channelID string) (json.RawMessage, error) {
	md := FormMetadata{Incident: inc.ID.String(), Channel: channelID}
	v := updateModalView{Metadata: md.String(), Ref: inc.Ref(), Status: string(inc.Status), StatusLabel: inc.Status.Label(),
		Impact: impactOf(inc), Interval: interval}
	if inc.Diagnosis != nil {
		v.Cause = inc.Diagnosis.Summary
	}
	for _, s := range incident.Statuses[:3] {
		v.Statuses = append(v.Statuses, button{Value: string(s), Label: s.Label()})
	}
	return render("update_modal", v)
}
