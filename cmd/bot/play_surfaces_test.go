package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// surfacesView is the page's view with the surfaces' parts.
type surfacesView struct {
	Channel  string `json:"channel"`
	Home     string `json:"home"`
	Channels []struct {
		ID, Name string
		Archived bool
	} `json:"channels"`
}

func (p *played) surfacesView(t *testing.T, query string) surfacesView {
	t.Helper()
	resp, err := http.Get(p.url + "/play/view?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v surfacesView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (p *played) waitSurfaces(t *testing.T, what, query string, ok func(v surfacesView) bool) surfacesView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := p.surfacesView(t, query)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; view %+v\nstderr:\n%s", what, v, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var msgTS = regexp.MustCompile(`class="msg[^"]*" data-ts="([0-9.]+)"`)

// TestPlaySurfaces: with INCIDENT_CHANNELS=channel the playground lists
// the incident's own channel in the sidebar and shows it; the pushpin and
// the message shortcut add messages to the timeline (the postmortem shows
// them); the Home tab shows the open incident.
func TestPlaySurfaces(t *testing.T) {
	p := startPlayWith(t, nil, map[string]string{"INCIDENT_CHANNELS": "channel"})
	p.post(t, "/play/send", map[string]string{"text": "/incident declare Printer on fire"})
	v := p.waitSurfaces(t, "the incident channel in the sidebar", "", func(v surfacesView) bool {
		return len(v.Channels) == 2 && v.Channels[1].Name == "inc-1-printer-on-fire"
	})
	own := v.Channels[1].ID
	p.waitSurfaces(t, "the pointer in #incidents", "", func(v surfacesView) bool {
		return strings.Contains(v.Channel, `href="/?ch=`+own+`"`) && strings.Contains(v.Channel, "#inc-1-printer-on-fire")
	})
	p.waitSurfaces(t, "the incident message in its channel", "ch="+own, func(v surfacesView) bool {
		return strings.Contains(v.Channel, "INC-1")
	})

	// A message in the incident channel, pinned.
	p.post(t, "/play/send", map[string]string{"channel": own, "text": "the printer is on fire, literally"})
	var ts string
	p.waitSurfaces(t, "your message in the incident channel", "ch="+own, func(v surfacesView) bool {
		if !strings.Contains(v.Channel, "literally") {
			return false
		}
		all := msgTS.FindAllStringSubmatch(v.Channel, -1)
		ts = all[len(all)-1][1]
		return true
	})
	p.post(t, "/play/react", map[string]any{"channel": own, "ts": ts})
	p.waitSurfaces(t, "the pushpin under it", "ch="+own, func(v surfacesView) bool {
		return strings.Contains(v.Channel, `class="reaction mine" data-react="`+ts+`"`)
	})
	// A message in #incidents, through the message shortcut.
	p.post(t, "/play/send", map[string]string{"text": "customers see blank labels"})
	var ts2 string
	p.waitSurfaces(t, "your message in #incidents", "", func(v surfacesView) bool {
		if !strings.Contains(v.Channel, "blank labels") {
			return false
		}
		all := msgTS.FindAllStringSubmatch(v.Channel, -1)
		ts2 = all[len(all)-1][1]
		return true
	})
	p.post(t, "/play/message-shortcut", map[string]any{"ts": ts2})
	p.waitSurfaces(t, "the shortcut's answer", "", func(v surfacesView) bool {
		return strings.Contains(v.Channel, "Added the message to the timeline of INC-1")
	})

	// Home.
	page, err := http.Get(p.url + "/?home=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), "incident-bot · Home") {
		t.Fatalf("the Home page:\n%.2000s", body)
	}
	p.waitSurfaces(t, "the Home with the incident", "home=1", func(v surfacesView) bool {
		return strings.Contains(v.Home, "INC-1: Printer on fire") && strings.Contains(v.Home, "Watched vendors")
	})

	// Resolve in the incident channel: the postmortem has both messages.
	p.post(t, "/play/send", map[string]string{"channel": own, "text": "/incident resolve"})
	var pm string
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(pm, "blank labels") {
		if time.Now().After(deadline) {
			t.Fatalf("no postmortem with the captured messages:\n%s\n%s", pm, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
		pm = p.postmortem(t)
	}
	for _, want := range []string{"the printer is on fire, literally", "customers see blank labels"} {
		if !strings.Contains(pm, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, pm)
		}
	}
}

var fileID = regexp.MustCompile(`data-file="([^"]+)" data-name="([^"]+)"`)

// postmortem is the text of the first file shared in any channel, or "".
func (p *played) postmortem(t *testing.T) string {
	t.Helper()
	v := p.surfacesView(t, "")
	for _, c := range v.Channels {
		resp, err := http.Get(p.url + "/play/view?ch=" + c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var cv struct{ Channel string }
		json.NewDecoder(resp.Body).Decode(&cv)
		resp.Body.Close()
		for _, m := range msgTS.FindAllStringSubmatch(cv.Channel, -1) {
			resp, err := http.Get(p.url + "/play/view?ch=" + c.ID + "&thread=" + m[1])
			if err != nil {
				t.Fatal(err)
			}
			var tv struct{ Thread string }
			json.NewDecoder(resp.Body).Decode(&tv)
			resp.Body.Close()
			if f := fileID.FindStringSubmatch(tv.Thread); f != nil {
				r, err := http.Get(p.url + "/play/files/" + f[1] + "/" + f[2])
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				return string(b)
			}
		}
	}
	return ""
}
