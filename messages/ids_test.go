package messages

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestActionIDRoundTrip(t *testing.T) {
	for _, k := range actionKinds {
		for _, arg := range []string{"", "P2", "snooze15m"} {
			got, gotArg, ok := ParseActionID(ActionID(k, arg))
			if !ok || got != k || gotArg != arg {
				t.Errorf("ParseActionID(ActionID(%s, %q)) = %s, %q, %v", k, arg, got, gotArg, ok)
			}
		}
	}
	if _, _, ok := ParseActionID("frobnicate_P2"); ok {
		t.Error("an action_id the bot does not make parsed")
	}
}

// TestGoldenActionIDsParse: every action_id the templates render (as the
// golden files show them) is one the command layer reads back.
func TestGoldenActionIDsParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.golden")
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if id, ok := v["action_id"].(string); ok && v["type"] == "button" {
					seen++
					if _, _, ok := ParseActionID(id); !ok {
						t.Errorf("%s: action_id %q does not parse", f, id)
					}
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			continue // not JSON
		}
		walk(doc)
	}
	if seen == 0 {
		t.Fatal("no buttons found in the golden files")
	}
	m, err := Reminder(vendorIncident(), "1h")
	if err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{ReminderUpdate, ReminderSnooze15m, ReminderSnooze1h, ReminderStop} {
		if !strings.Contains(string(m.Blocks), `"`+ActionID(ActionReminder, what)+`"`) {
			t.Errorf("the reminder has no %s button", what)
		}
	}
}
