package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

// recorder is the command layer as the edge sees it, recording what the
// playground's deliveries turned into after the real signature check and
// parsing of slackapp's handlers.
type recorder struct {
	mu        sync.Mutex
	commands  []commands.Command
	actions   []commands.Action
	events    []commands.Event
	captures  []commands.Capture
	submits   []commands.Submission
	failFirst int // events refused before one is taken
	retries   []string
	changed   chan struct{}
	shortcuts []commands.Shortcut
}

func (r *recorder) Command(_ context.Context, c commands.Command) messages.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, c)
	r.notify()
	return messages.Message{Text: "You said " + c.Text,
		Blocks: []byte(`[{"type":"section","text":{"type":"mrkdwn","text":"You said *` + strings.ReplaceAll(c.Text, `"`, `'`) + `*"}}]`)}
}

func (r *recorder) Action(_ context.Context, a commands.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, a)
	r.notify()
}

func (r *recorder) Submit(_ context.Context, sub commands.Submission) map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.submits = append(r.submits, sub)
	return nil
}

func (r *recorder) Shortcut(_ context.Context, sc commands.Shortcut) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shortcuts = append(r.shortcuts, sc)
}

// CaptureMessage records a message shortcut.
func (r *recorder) CaptureMessage(_ context.Context, c commands.Capture) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.captures = append(r.captures, c)
}

func (r *recorder) Event(_ context.Context, e commands.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failFirst > 0 {
		r.failFirst--
		return errors.New("the store is down")
	}
	r.events = append(r.events, e)
	r.notify()
	return nil
}

func (r *recorder) notify() {
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
}

// waitFor polls cond (under the recorder's lock) for up to 15 s: generous, for
// a race-instrumented run on a loaded 2-core machine.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type rig struct {
	p   *Playground
	srv *httptest.Server
	rec *recorder
	api *slack.Client // the bot's side of the workspace
}

// newRig serves a playground whose "bot" is slackapp's real handlers behind
// the real signature check, with this run's secret, over a recorder.
func newRig(t *testing.T) *rig {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	rec := &recorder{}
	env := p.SlackEnv()
	v := &slackapp.Verifier{Secret: env["SLACK_SIGNING_SECRET"]}
	bot := http.NewServeMux()
	bot.Handle("POST /slack/commands", v.Middleware(slackapp.Commands(rec)))
	bot.Handle("POST /slack/interactions", v.Middleware(slackapp.Interactions(rec)))
	bot.Handle("POST /slack/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.retries = append(rec.retries, r.Header.Get("X-Slack-Retry-Num"))
		rec.mu.Unlock()
		v.Middleware(slackapp.Events(rec)).ServeHTTP(w, r)
	}))
	bot.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h = p.Handler(bot)
	return &rig{p: p, srv: srv, rec: rec, api: slack.New(env["SLACK_BOT_TOKEN"], slack.OptionAPIURL(env["SLACK_API_URL"]))}
}

func (g *rig) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSlashCommand(t *testing.T) {
	g := newRig(t)
	if code, body := g.post(t, "/play/send", `{"text":"/incident commander @jordan & <me>"}`); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	g.rec.mu.Lock()
	if len(g.rec.commands) != 1 {
		t.Fatalf("commands = %+v", g.rec.commands)
	}
	c := g.rec.commands[0]
	g.rec.mu.Unlock()
	want := commands.Command{TeamID: TeamID, ChannelID: ChannelID, ChannelType: "channel", UserID: UserID,
		Text:        "commander <@U0PLAYJOR1|jordan> &amp; &lt;me&gt;",
		ResponseURL: g.p.fake.ResponseURL(ChannelID, UserID), TriggerID: c.TriggerID}
	if c != want || c.TriggerID == "" {
		t.Errorf("command = %+v\nwant %+v", c, want)
	}
	// The synchronous answer is shown to you only.
	e := g.p.fake.Ephemerals()
	if len(e) != 1 || e[0].User != UserID || !strings.HasPrefix(e[0].Text, "You said commander") || len(e[0].Blocks) == 0 {
		t.Fatalf("ephemerals = %+v", e)
	}
	if got := g.p.fake.Messages(ChannelID); len(got) != 0 {
		t.Errorf("a slash command left a message in the channel: %+v", got)
	}

	// Not the bot's command, or typed in a thread: Slackbot says so.
	g.post(t, "/play/send", `{"text":"/giphy cats"}`)
	g.post(t, "/play/send", `{"text":"/incident resolve","thread_ts":"1700000000.000100"}`)
	g.p.mu.Lock()
	notices := append([]notice(nil), g.p.notices...)
	g.p.mu.Unlock()
	if len(notices) != 2 || !strings.Contains(notices[0].Text, "`/giphy` is not a valid command") ||
		notices[1].ThreadTS != "1700000000.000100" || !strings.Contains(notices[1].Text, "@incident-bot resolve") {
		t.Errorf("notices = %+v", notices)
	}
	if len(g.rec.commands) != 1 {
		t.Errorf("more commands reached the bot: %+v", g.rec.commands)
	}
}

func TestMessagesAndThreadRepliesBecomeEvents(t *testing.T) {
	saved := eventRetries
	eventRetries = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	t.Cleanup(func() { eventRetries = saved })
	g := newRig(t)
	_, parent, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("INC-1 opened", false))
	if err != nil {
		t.Fatal(err)
	}
	g.rec.mu.Lock()
	g.rec.failFirst = 1 // Slack delivers again after a failure
	g.rec.mu.Unlock()
	if code, body := g.post(t, "/play/send", `{"text":"looking <now> & https://status.hubspot.com","thread_ts":"`+parent+`"}`); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	g.rec.waitFor(t, "the reply's event", func() bool { return len(g.rec.events) == 1 })
	if code, body := g.post(t, "/play/send", `{"text":"@incident-bot resolve","thread_ts":"`+parent+`"}`); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	g.rec.waitFor(t, "the mention's two events", func() bool { return len(g.rec.events) == 3 })

	g.rec.mu.Lock()
	defer g.rec.mu.Unlock()
	e := g.rec.events[0]
	if e.Type != "message" || e.ThreadTS != parent || e.UserID != UserID || e.ChannelID != ChannelID || e.TeamID != TeamID ||
		e.Text != "looking &lt;now&gt; &amp; <https://status.hubspot.com>" || e.EventID == "" || e.TS == "" {
		t.Errorf("reply event = %+v", e)
	}
	if got := strings.Join(g.rec.retries[:2], ","); got != ",1" {
		t.Errorf("X-Slack-Retry-Num of the deliveries = %q, want \",1\"", got)
	}
	types := map[string]bool{}
	for _, e := range g.rec.events[1:] {
		types[e.Type] = true
		if e.Text != "<@"+slackfake.BotUserID+"> resolve" || e.ThreadTS != parent {
			t.Errorf("mention event = %+v", e)
		}
	}
	if !types["message"] || !types["app_mention"] || g.rec.events[1].EventID == g.rec.events[2].EventID {
		t.Errorf("events = %+v", g.rec.events)
	}
	// The replies are in the workspace, so conversations.replies sees them.
	if th := g.p.fake.Thread(ChannelID, parent); len(th) != 3 {
		t.Errorf("thread = %+v", th)
	}
}

func TestButtonClick(t *testing.T) {
	g := newRig(t)
	blocks := slack.MsgOptionBlocks(
		slack.NewActionBlock("severity",
			slack.NewButtonBlockElement("severity_P2", "incident-uuid", slack.NewTextBlockObject("plain_text", "P2", false, false))))
	_, ts, err := g.api.PostMessage(ChannelID, blocks, slack.MsgOptionText("INC-1", false))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := g.post(t, "/play/action", `{"ts":"`+ts+`","block_id":"severity","action_id":"severity_P2"}`); code != 200 {
		t.Fatalf("action: %d %s", code, body)
	}
	g.rec.mu.Lock()
	got := append([]commands.Action(nil), g.rec.actions...)
	g.rec.mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("actions = %+v", got)
	}
	a := got[0]
	if a.TeamID != TeamID || a.ChannelID != ChannelID || a.UserID != UserID || a.MessageTS != ts ||
		a.ActionID != "severity_P2" || a.Value != "incident-uuid" || a.TriggerID == "" || a.ResponseURL != g.p.fake.ResponseURL(ChannelID, UserID) {
		t.Errorf("action = %+v", a)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"ts":"` + ts + `","block_id":"severity","action_id":"severity_P9"}`, "no longer in the message"},
		{`{"ts":"1.000001","block_id":"severity","action_id":"severity_P2"}`, "message is gone"},
		{`not json`, "not the JSON"},
	} {
		if code, body := g.post(t, "/play/action", tt.body); code == 200 || !strings.Contains(body, tt.want) {
			t.Errorf("action %s: %d %s", tt.body, code, body)
		}
	}
}

func TestOnlyThePageMayPost(t *testing.T) {
	g := newRig(t)
	for _, tt := range []struct{ ctype, site string }{
		{"text/plain", ""},
		{"application/x-www-form-urlencoded", ""},
		{"application/json", "cross-site"},
		{"application/json", "same-site"},
	} {
		req, _ := http.NewRequest(http.MethodPost, g.srv.URL+"/play/send", strings.NewReader(`{"text":"hi"}`))
		req.Header.Set("Content-Type", tt.ctype)
		if tt.site != "" {
			req.Header.Set("Sec-Fetch-Site", tt.site)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s from %q: %d, want 403", tt.ctype, tt.site, resp.StatusCode)
		}
	}
	if got := g.p.fake.Messages(ChannelID); len(got) != 0 {
		t.Errorf("a refused post reached the channel: %+v", got)
	}
	// The fake Web API wants this run's token.
	_, _, err := slack.New("xoxb-guess", slack.OptionAPIURL(g.p.SlackEnv()["SLACK_API_URL"])).PostMessage(ChannelID, slack.MsgOptionText("hi", false))
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("posting with another token: %v", err)
	}
}

func TestPageViewStreamAndFiles(t *testing.T) {
	g := newRig(t)
	resp, err := http.Get(g.srv.URL + "/play/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stream := bufio.NewReader(resp.Body)
	if line, _ := stream.ReadString('\n'); line != "retry: 1000\n" {
		t.Fatalf("stream starts with %q", line)
	}
	stream.ReadString('\n')

	// changeEvent reads the stream's next event, which must be a change.
	changeEvent := func(after string) {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			var ev strings.Builder
			for {
				line, err := stream.ReadString('\n')
				ev.WriteString(line)
				if line == "\n" || err != nil {
					break
				}
			}
			got <- ev.String()
		}()
		select {
		case ev := <-got:
			if ev != "event: change\ndata: {}\n\n" {
				t.Fatalf("stream after %s: %q", after, ev)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no change event after %s", after)
		}
	}

	// Posted as soon as the stream opened, and again as soon as the page
	// was told of a change: neither may fall between two subscriptions.
	_, ts, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("*INC-1* opened <script>", false))
	if err != nil {
		t.Fatal(err)
	}
	changeEvent("a post")
	sum, err := g.api.UploadFile(slack.UploadFileParameters{Content: "# Postmortem\n\n| a | b |\n|---|---|\n| <x> | y |\n",
		FileSize: 44, Filename: "INC-1-postmortem.md", Title: "Postmortem INC-1", Channel: ChannelID, ThreadTimestamp: ts, SnippetType: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	changeEvent("an upload")
	page := get(t, g.srv.URL+"/")
	view := get(t, g.srv.URL+"/play/view?thread="+ts)
	for _, want := range []string{"<b>INC-1</b> opened &lt;script&gt;", `data-thread="` + ts + `"`, "1 reply"} {
		if !strings.Contains(page, want) || !strings.Contains(view, jsonHTML(want)) {
			t.Errorf("the page or the view lacks %s", want)
		}
	}
	if !strings.Contains(view, jsonHTML(`data-file="`+sum.ID+`"`)) {
		t.Errorf("the thread lacks the file:\n%s", view)
	}
	preview := get(t, g.srv.URL+"/play/files/"+sum.ID+"/preview")
	if !strings.Contains(preview, "<h1>Postmortem</h1>") || !strings.Contains(preview, "<td>&lt;x&gt;</td>") {
		t.Errorf("preview: %s", preview)
	}
	dl, err := http.Get(g.srv.URL + "/play/files/" + sum.ID + "/INC-1-postmortem.md")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if dl.Header.Get("Content-Disposition") != `attachment; filename=INC-1-postmortem.md` || !strings.HasPrefix(string(body), "# Postmortem") {
		t.Errorf("download: %q %q", dl.Header.Get("Content-Disposition"), body)
	}
	// The bot's own routes are behind the playground's.
	if h := get(t, g.srv.URL+"/healthz"); h != "ok" {
		t.Errorf("/healthz = %q", h)
	}
}

// jsonHTML is how html/template output looks inside the view's JSON.
func jsonHTML(s string) string {
	return strings.NewReplacer(`"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(s)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestModal: a view the bot opens with the trigger of your click is shown,
// and its form reaches the bot as a view_submission.
func TestModal(t *testing.T) {
	g := newRig(t)
	_, ts, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("reminder", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("reminder", slack.NewButtonBlockElement("reminder_update", "inc-1", slack.NewTextBlockObject("plain_text", "Post update", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	g.post(t, "/play/action", `{"ts":"`+ts+`","block_id":"reminder","action_id":"reminder_update"}`)
	g.rec.mu.Lock()
	trigger := g.rec.actions[0].TriggerID
	g.rec.mu.Unlock()
	view := `{"type":"modal","callback_id":"post_update","private_metadata":"inc-1","title":{"type":"plain_text","text":"Update INC-1"},
		"submit":{"type":"plain_text","text":"Post update"},"close":{"type":"plain_text","text":"Cancel"},"blocks":[
		{"type":"input","block_id":"status","label":{"type":"plain_text","text":"Status"},"element":{"type":"static_select","action_id":"value",
		  "initial_option":{"text":{"type":"plain_text","text":"Investigating"},"value":"investigating"},
		  "options":[{"text":{"type":"plain_text","text":"Investigating"},"value":"investigating"},{"text":{"type":"plain_text","text":"Monitoring"},"value":"monitoring"}]}},
		{"type":"input","block_id":"cause","optional":true,"label":{"type":"plain_text","text":"Cause"},"element":{"type":"plain_text_input","action_id":"value","multiline":true,"initial_value":"<token> revoked"}},
		{"type":"input","block_id":"action","label":{"type":"plain_text","text":"Action"},"element":{"type":"plain_text_input","action_id":"value"}}]}`
	var v slack.ModalViewRequest
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := g.api.OpenView(trigger, v); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Modal   string `json:"modal"`
		ModalID string `json:"modal_id"`
	}
	if err := json.Unmarshal([]byte(get(t, g.srv.URL+"/play/view")), &got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 class="modal-title">Update INC-1</h2>`, `<option value="investigating" selected>`,
		`data-block-id="cause" data-action-id="value" rows="3">&lt;token&gt; revoked</textarea>`, "(optional)", `modal-submit">Post update</button>`} {
		if !strings.Contains(got.Modal, want) {
			t.Errorf("the modal lacks %s:\n%s", want, got.Modal)
		}
	}
	// A required field left empty is refused before the bot sees it.
	code, body := g.post(t, "/play/submit", `{"view_id":"`+got.ModalID+`","values":{"status":{"value":"monitoring"},"action":{"value":" "}}}`)
	if code != http.StatusOK || !strings.Contains(body, `"errors":{"action"`) {
		t.Fatalf("empty required field: %d %s", code, body)
	}
	code, body = g.post(t, "/play/submit", `{"view_id":"`+got.ModalID+`","values":{"status":{"value":"monitoring"},"cause":{"value":"revoked"},"action":{"value":"rotating it"}}}`)
	if code != 200 || strings.Contains(body, "errors") {
		t.Fatalf("submit: %d %s", code, body)
	}
	g.rec.mu.Lock()
	subs := append([]commands.Submission(nil), g.rec.submits...)
	g.rec.mu.Unlock()
	want := map[string]string{"status": "monitoring", "cause": "revoked", "action": "rotating it"}
	if len(subs) != 1 || subs[0].CallbackID != "post_update" || subs[0].PrivateMetadata != "inc-1" || subs[0].UserID != UserID ||
		fmt.Sprint(subs[0].Values) != fmt.Sprint(want) {
		t.Fatalf("submissions = %+v", subs)
	}
	if _, open := g.p.openModal(); open {
		t.Error("the modal is still open after its submission")
	}
	// A view opened with a trigger that is not yours is not shown.
	if _, err := g.api.OpenView("someone-elses-trigger", v); err != nil {
		t.Fatal(err)
	}
	if _, open := g.p.openModal(); open {
		t.Error("a view opened for someone else is shown")
	}
}

// TestPermalinks: the bot's links to Slack messages lead to the message in
// the playground, in its thread when it is a reply.
func TestPermalinks(t *testing.T) {
	g := newRig(t)
	_, parent, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("INC-1", false))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := g.p.fake.AddReply(ChannelID, parent, UserID, "on it")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for ts, want := range map[string]string{parent: "/#msg=" + parent, reply.TS: "/#thread=" + parent} {
		resp, err := client.Get(g.srv.URL + "/play/archives/" + ChannelID + "/p" + strings.ReplaceAll(ts, ".", ""))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != want {
			t.Errorf("permalink of %s: %d %q, want %q", ts, resp.StatusCode, got, want)
		}
	}
}

// TestEditAndDelete: editing or deleting your reply changes the workspace
// and delivers message_changed or message_deleted, which the edge reads.
func TestEditAndDelete(t *testing.T) {
	g := newRig(t)
	_, parent, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("INC-1 opened", false))
	if err != nil {
		t.Fatal(err)
	}
	code, body := g.post(t, "/play/send", `{"text":"the tokne was revoked","thread_ts":"`+parent+`"}`)
	if code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	var sent struct{ TS string }
	json.Unmarshal([]byte(body), &sent)
	g.rec.waitFor(t, "the reply", func() bool { return len(g.rec.events) == 1 })

	if code, body := g.post(t, "/play/edit", `{"ts":"`+sent.TS+`","text":"the token was revoked <by @sam>"}`); code != 200 {
		t.Fatalf("edit: %d %s", code, body)
	}
	g.rec.waitFor(t, "message_changed", func() bool { return len(g.rec.events) == 2 })
	if code, body := g.post(t, "/play/edit", `{"ts":"`+sent.TS+`","delete":true}`); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	g.rec.waitFor(t, "message_deleted", func() bool { return len(g.rec.events) == 3 })

	g.rec.mu.Lock()
	changed, deleted := g.rec.events[1], g.rec.events[2]
	g.rec.mu.Unlock()
	if changed.Subtype != "message_changed" || changed.TS != sent.TS || changed.ThreadTS != parent || changed.UserID != UserID ||
		changed.Text != "the token was revoked &lt;by <@U0PLAYSAM1>&gt;" || changed.EditedTS == "" {
		t.Errorf("message_changed = %+v", changed)
	}
	if deleted.Subtype != "message_deleted" || deleted.DeletedTS != sent.TS || deleted.ThreadTS != parent || deleted.UserID != UserID {
		t.Errorf("message_deleted = %+v", deleted)
	}
	if th := g.p.fake.Thread(ChannelID, parent); len(th) != 2 || !th[1].Deleted || th[0].ReplyCount != 0 {
		t.Errorf("thread = %+v", th)
	}
	// The bot's messages are not yours to change.
	if code, _ := g.post(t, "/play/edit", `{"ts":"`+parent+`","text":"mine now"}`); code != http.StatusConflict {
		t.Errorf("editing the bot's message: %d", code)
	}
}

func TestTypedIsTheInverseOfEncode(t *testing.T) {
	g := newRig(t)
	v := g.p.viewer()
	for _, in := range []string{"plain", "a < b & c > d", "@jordan and @incident-bot, @here", "see https://x.example/a?b=1&c=2", "email@jordan.dev"} {
		enc, _ := g.p.encode(in, false)
		if got := v.typed(enc); got != in {
			t.Errorf("typed(encode(%q)) = %q (encoded %q)", in, got, enc)
		}
	}
}

// TestEphemeralsBelongToThePage: what only you see is not replayed when the
// page is loaded again, as in Slack; what comes after the load is shown,
// in the channel and in a thread, and Slackbot's notices go the same way.
func TestEphemeralsBelongToThePage(t *testing.T) {
	g := newRig(t)
	g.post(t, "/play/send", `{"text":"/incident list"}`)
	g.post(t, "/play/send", `{"text":"/giphy cats"}`)
	parent, err := g.p.fake.AddMessage(ChannelID, UserID, "a thread")
	if err != nil {
		t.Fatal(err)
	}
	g.post(t, "/play/send", `{"text":"/incident help","thread_ts":"`+parent.TS+`"}`)

	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(g.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	view := func(since string) (channel, thread string) {
		t.Helper()
		var v struct{ Channel, Thread string }
		if err := json.Unmarshal([]byte(get("/play/view?thread="+parent.TS+"&since="+since)), &v); err != nil {
			t.Fatal(err)
		}
		return v.Channel, v.Thread
	}
	// Before: the open page (no since) shows all three.
	ch, th := view("")
	if strings.Count(ch, "Only visible to you") != 2 || !strings.Contains(th, "Slash commands don") {
		t.Fatalf("the page that was open lost what it was shown:\n%s\n%s", ch, th)
	}

	page := get("/")
	m := regexp.MustCompile(`data-since="([0-9.]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page carries no since")
	}
	since := m[1]
	if strings.Contains(page, "Only visible to you") {
		t.Error("a reloaded page shows messages only the page before was shown")
	}
	ch, th = view(since)
	if strings.Contains(ch, "Only visible to you") || strings.Contains(th, "Only visible to you") {
		t.Errorf("the reloaded page's view replays old ephemerals:\n%s\n%s", ch, th)
	}
	if !strings.Contains(ch, "a thread") {
		t.Errorf("the channel's own messages are gone:\n%s", ch)
	}

	g.post(t, "/play/send", `{"text":"/incident status fine"}`)
	ch, _ = view(since)
	if strings.Count(ch, "Only visible to you") != 1 || !strings.Contains(ch, "You said <b>status fine</b>") {
		t.Errorf("an answer after the reload is not shown once:\n%s", ch)
	}
}

// TestAppUpdatesAreNotMarkedEdited: Slack marks a person's edit
// "(edited)", not an app's chat.update of its own message.
func TestAppUpdatesAreNotMarkedEdited(t *testing.T) {
	g := newRig(t)
	_, ts, err := g.api.PostMessage(ChannelID, slack.MsgOptionText("INC-1: P1", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := g.api.UpdateMessage(ChannelID, ts, slack.MsgOptionText("INC-1: P2", false)); err != nil {
		t.Fatal(err)
	}
	mine, err := g.p.fake.AddMessage(ChannelID, UserID, "lookng")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := g.post(t, "/play/edit", `{"ts":"`+mine.TS+`","text":"looking"}`); code != 200 {
		t.Fatalf("edit: %d %s", code, body)
	}
	html, err := g.p.render("messages", g.p.channel(g.p.viewer(), ""))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), `class="edited"`); n != 1 || !strings.Contains(string(html), `looking <span class="edited">`) {
		t.Errorf("%d edited marks, want one, on your message:\n%s", n, html)
	}
}
