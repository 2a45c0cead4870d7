package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// selectView is a modal with one input holding element.
func selectView(element map[string]any) string {
	v := map[string]any{"type": "modal", "title": map[string]any{"type": "plain_text", "text": "Declare"},
		"submit": map[string]any{"type": "plain_text", "text": "Go"},
		"blocks": []any{map[string]any{"type": "input", "block_id": "b", "label": map[string]any{"type": "plain_text", "text": "L"},
			"element": element}}}
	b, _ := json.Marshal(v)
	return string(b)
}

func options(n int, text string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"text": map[string]any{"type": "plain_text", "text": fmt.Sprintf("%s %d", text, i)}, "value": fmt.Sprint(i)}
	}
	return out
}

func group(label string, n int) map[string]any {
	return map[string]any{"label": map[string]any{"type": "plain_text", "text": label}, "options": options(n, "o")}
}

// TestSelectLimits: the select menu and text input limits a view is held
// to, each from the Block Kit reference page limits names.
func TestSelectLimits(t *testing.T) {
	groups := func(n, each int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = group("G", each)
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		element map[string]any
		pointer string // empty: accepted
	}{
		{"100 options", map[string]any{"type": "static_select", "options": options(100, "o")}, ""},
		{"101 options", map[string]any{"type": "static_select", "options": options(101, "o")}, "/options"},
		{"131 options in two groups", map[string]any{"type": "static_select", "option_groups": []any{group("A–M", 66), group("N–Z", 65)}}, ""},
		{"a group of 101", map[string]any{"type": "static_select", "option_groups": []any{group("A", 101)}}, "/option_groups/0/options"},
		{"101 groups", map[string]any{"type": "static_select", "option_groups": groups(101, 1)}, "/option_groups"},
		{"both", map[string]any{"type": "static_select", "options": options(1, "o"), "option_groups": []any{group("A", 1)}}, "/view/blocks/0/element"},
		{"neither", map[string]any{"type": "static_select"}, "/options"},
		{"option text over 75", map[string]any{"type": "static_select", "options": options(1, strings.Repeat("x", 75))}, "/options/0/text/text"},
		{"group label over 75", map[string]any{"type": "static_select", "option_groups": []any{group(strings.Repeat("g", 76), 1)}}, "/option_groups/0/label/text"},
		{"option value over 150", map[string]any{"type": "static_select", "options": []any{map[string]any{
			"text": map[string]any{"type": "plain_text", "text": "o"}, "value": strings.Repeat("v", 151)}}}, "/options/0/value"},
		{"max_length 3000", map[string]any{"type": "plain_text_input", "max_length": 3000}, ""},
		{"max_length 3001", map[string]any{"type": "plain_text_input", "max_length": 3001}, "/max_length"},
		{"initial value over 3000", map[string]any{"type": "plain_text_input", "initial_value": strings.Repeat("i", 3001)}, "/initial_value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkView(selectView(tt.element), "modal")
			switch {
			case tt.pointer == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.pointer != "" && err == nil:
				t.Errorf("accepted, want a refusal at %s", tt.pointer)
			case tt.pointer != "" && !strings.HasSuffix(err.pointer, tt.pointer):
				t.Errorf("refused at %s (%s), want %s", err.pointer, err.msg, tt.pointer)
			}
		})
	}
}
