package slackfake

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestMounted runs the fake inside another server, under a path prefix, as
// the playground does: the chat methods, the three-step upload (its URL
// must come back through the prefix), and the response URL.
func TestMounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	fake := NewMounted(base+"/play/slack/", WithToken(token), WithUser("U1", "alex", "Alex Kim"))
	t.Cleanup(fake.Close)
	mux := http.NewServeMux()
	mux.Handle("/play/slack/", http.StripPrefix("/play/slack", fake.Handler()))
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("mine")) })
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)

	if got, want := fake.URL(), base+"/play/slack"; got != want {
		t.Fatalf("URL() = %q, want %q", got, want)
	}
	api := slack.New(token, slack.OptionAPIURL(fake.URL()+"/api/"))

	changed := fake.Changed()
	ts := post(t, api, "C1", slack.MsgOptionText("hello from the bot", false))
	select {
	case <-changed:
	case <-time.After(DefaultWaitTimeout):
		t.Fatal("Changed() was not closed by a post")
	}
	if got := texts(fake.Messages("C1")); !equal(got, []string{"hello from the bot"}) {
		t.Fatalf("messages = %q", got)
	}

	sum, err := api.UploadFileContext(ctx(t), slack.UploadFileParameters{
		Content: "# Postmortem\n", FileSize: len("# Postmortem\n"), Filename: "INC-1.md", Title: "INC-1 postmortem",
		Channel: "C1", ThreadTimestamp: ts,
	})
	if err != nil {
		t.Fatalf("upload through the mount: %v", err)
	}
	f, ok := fake.FileContent(sum.ID)
	if !ok || string(f.Content) != "# Postmortem\n" || f.ThreadTS != ts || f.Name != "INC-1.md" {
		t.Fatalf("FileContent(%s) = %+v, %v", sum.ID, f, ok)
	}

	// The rest of the outer server is untouched.
	resp, err := http.Get(base + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/other = %d", resp.StatusCode)
	}

	// The response URL is on the mount too.
	if !strings.HasPrefix(fake.ResponseURL("C1", "U1"), base+"/play/slack/response/") {
		t.Fatalf("ResponseURL = %s", fake.ResponseURL("C1", "U1"))
	}
	err = slack.PostWebhookContext(ctx(t), fake.ResponseURL("C1", "U1"), &slack.WebhookMessage{Text: "only you", ResponseType: "ephemeral"})
	if err != nil {
		t.Fatalf("post to the response URL: %v", err)
	}
	if e := fake.Ephemerals(); len(e) != 1 || e[0].Text != "only you" || e[0].User != "U1" {
		t.Fatalf("ephemerals = %+v", e)
	}
}

func TestAddEphemeral(t *testing.T) {
	fake := NewMounted("http://127.0.0.1:1")
	t.Cleanup(fake.Close)
	blocks := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]`)
	ts, err := fake.AddEphemeral("C1", "U1", "", "hi", blocks)
	if err != nil {
		t.Fatal(err)
	}
	e := fake.Ephemerals()
	if len(e) != 1 || e[0].TS != ts || e[0].Text != "hi" || string(e[0].Blocks) != string(blocks) {
		t.Fatalf("ephemerals = %+v", e)
	}
	if _, err := fake.AddEphemeral("C1", "U1", "", "bad", json.RawMessage(`[{"type":"secton"}]`)); err == nil {
		t.Fatal("an unknown block type was accepted")
	}
	if users := fake.Users(); len(users) != 1 || users[0].ID != BotUserID {
		t.Fatalf("users = %+v", users)
	}
}

func TestEditAndDeleteMessage(t *testing.T) {
	srv, api := start(t)
	parent := post(t, api, "C1", slack.MsgOptionText("incident", false))
	reply, err := srv.AddReply("C1", parent, "U1", "frist")
	if err != nil {
		t.Fatal(err)
	}
	before, after, err := srv.EditMessage("C1", reply.TS, "U1", "first")
	if err != nil || before.Text != "frist" || after.Text != "first" || !after.Updated || after.EditedTS() == "" {
		t.Fatalf("EditMessage = %+v, %+v, %v", before, after, err)
	}
	if _, _, err := srv.EditMessage("C1", reply.TS, "U2", "mine now"); err == nil {
		t.Error("someone else's message was edited")
	}
	if _, _, err := srv.EditMessage("C1", parent, srv.Messages("C1")[0].User, "bot text"); err == nil {
		t.Error("the bot's message was edited as a person's")
	}
	msgs, _, _, err := api.GetConversationRepliesContext(ctx(t), &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent})
	if err != nil || len(msgs) != 2 || msgs[1].Text != "first" || msgs[1].Edited == nil {
		t.Fatalf("replies after the edit: %+v, %v", msgs, err)
	}
	if _, err := srv.DeleteMessage("C1", reply.TS, "U1"); err != nil {
		t.Fatal(err)
	}
	if th := srv.Thread("C1", parent); th[0].ReplyCount != 0 || !th[1].Deleted {
		t.Fatalf("thread after the delete: %+v", th)
	}
	if _, err := srv.DeleteMessage("C1", reply.TS, "U1"); err == nil {
		t.Error("a message was deleted twice")
	}
}
