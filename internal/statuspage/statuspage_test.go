package statuspage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/statuspage"
	"github.com/incident-bot/bot/internal/statuspage/statuspagetest"
)

const key = "sp-key-5ecret"

func newClient(t *testing.T) (*statuspage.Client, *statuspagetest.Server) {
	t.Helper()
	srv := statuspagetest.New("kctbh9vrtdwd", key)
	t.Cleanup(srv.Close)
	return &statuspage.Client{BaseURL: srv.URL, PageID: "kctbh9vrtdwd", APIKey: key}, srv
}

// TestPublishCreatesThenUpdates: the first publish creates the incident,
// the next ones update that one, each with the key as OAuth.
func TestPublishCreatesThenUpdates(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	id, link, err := c.Publish(ctx, "", commands.StatuspageUpdate{Name: "Issues with HubSpot", Status: "investigating", Body: "We are investigating."})
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || !strings.HasPrefix(link, "https://stspg.io/") {
		t.Errorf("id %q link %q", id, link)
	}
	id2, _, err := c.Publish(ctx, id, commands.StatuspageUpdate{Name: "Issues with HubSpot", Status: "resolved", Body: "Resolved."})
	if err != nil || id2 != id {
		t.Fatalf("update: %q, %v", id2, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Method != "POST" || reqs[0].Path != "/pages/kctbh9vrtdwd/incidents" ||
		reqs[1].Method != "PATCH" || reqs[1].Path != "/pages/kctbh9vrtdwd/incidents/"+id || reqs[1].Status != "resolved" ||
		reqs[0].Authorization != "OAuth "+key {
		t.Errorf("requests = %+v", reqs)
	}
	incs := srv.Incidents()
	if len(incs) != 1 || incs[0].Status != "resolved" || len(incs[0].Updates) != 2 {
		t.Errorf("page = %+v", incs)
	}
	if p, err := c.Check(ctx); err != nil || p.ID != "kctbh9vrtdwd" {
		t.Errorf("check: %+v, %v", p, err)
	}
}

// TestPublishErrors: refusals are mapped onto what to fix, transient
// failures are Internal (tried again), and the key is in no error.
func TestPublishErrors(t *testing.T) {
	ctx := context.Background()
	u := commands.StatuspageUpdate{Name: "x", Status: "investigating", Body: "y"}
	for _, tt := range []struct {
		name   string
		setup  func(c *statuspage.Client, srv *statuspagetest.Server)
		kind   incident.Kind
		saying string
	}{
		{"wrong key", func(c *statuspage.Client, _ *statuspagetest.Server) { c.APIKey = "wrong-" + key }, incident.Forbidden, "STATUSPAGE_API_KEY"},
		{"wrong page", func(c *statuspage.Client, _ *statuspagetest.Server) { c.PageID = "nope" }, incident.NotFound, "STATUSPAGE_PAGE_ID"},
		{"rate limited", func(_ *statuspage.Client, srv *statuspagetest.Server) { srv.FailNext(420) }, incident.Internal, "420"},
		{"down", func(_ *statuspage.Client, srv *statuspagetest.Server) { srv.FailNext(503) }, incident.Internal, "503"},
		{"refused", func(_ *statuspage.Client, srv *statuspagetest.Server) { srv.FailNext(422) }, incident.Invalid, "422"},
		{"unreachable", func(c *statuspage.Client, srv *statuspagetest.Server) { srv.Close() }, incident.Internal, "could not be reached"},
		{"not configured", func(c *statuspage.Client, _ *statuspagetest.Server) { c.APIKey = "" }, incident.Invalid, "STATUSPAGE_API_KEY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, srv := newClient(t)
			tt.setup(c, srv)
			_, _, err := c.Publish(ctx, "", u)
			if err == nil {
				t.Fatal("no error")
			}
			if incident.KindOf(err) != tt.kind || !strings.Contains(incident.Message(err)+err.Error(), tt.saying) {
				t.Errorf("err = %v (kind %v), want kind %v saying %q", err, incident.KindOf(err), tt.kind, tt.saying)
			}
			if strings.Contains(err.Error(), "5ecret") {
				t.Errorf("the key is in the error: %v", err)
			}
		})
	}
}
