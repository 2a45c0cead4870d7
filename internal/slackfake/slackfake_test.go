package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

const token = "xoxb-test-0123456789-secret"

// start runs a fake that wants token, and a real slack-go client for it.
func start(t *testing.T, opts ...Option) (*Server, *slack.Client) {
	t.Helper()
	srv := New(append([]Option{WithToken(token)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, slack.New(token, slack.OptionAPIURL(srv.URL()+"/api/"))
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), DefaultWaitTimeout)
	t.Cleanup(cancel)
	return c
}

func post(t *testing.T, api *slack.Client, channel string, opts ...slack.MsgOption) string {
	t.Helper()
	_, ts, err := api.PostMessageContext(ctx(t), channel, opts...)
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	return ts
}

// slackErr returns the Slack error code and response_metadata messages.
func slackErr(t *testing.T, err error) (string, []string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a Slack error response", err, err)
	}
	return se.Err, se.ResponseMetadata.Messages
}

func texts(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func slackTexts(msgs []slack.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func equal(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b) && len(a) == len(b)
}

func TestAuth(t *testing.T) {
	srv, api := start(t)

	got, err := api.AuthTestContext(ctx(t))
	if err != nil {
		t.Fatalf("AuthTest: %v", err)
	}
	if got.UserID != BotUserID || got.BotID != BotID || got.TeamID != TeamID {
		t.Errorf("AuthTest = %+v, want the fake's bot identity", got)
	}

	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(srv.URL()+"/api/"))
	if _, err := wrong.AuthTestContext(ctx(t)); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("AuthTest with the wrong token: err = %v, want invalid_auth", err)
	}
	none := slack.New("", slack.OptionAPIURL(srv.URL()+"/api/"))
	if _, err := none.AuthTestContext(ctx(t)); err == nil || err.Error() != "not_authed" {
		t.Errorf("AuthTest with no token: err = %v, want not_authed", err)
	}

	// Send the token both ways Slack takes it, and make sure neither is
	// recorded anywhere.
	post(t, api, "C1", slack.MsgOptionText("hello", false))
	if _, err := api.GetPermalinkContext(ctx(t), &slack.PermalinkParameters{Channel: "C1", Ts: srv.Messages("C1")[0].TS}); err != nil {
		t.Fatalf("GetPermalink: %v", err)
	}
	for _, c := range srv.Calls("") {
		// Say which call, never what it held: the message must not echo
		// the token either.
		if c.Params.Has("token") || strings.Contains(fmt.Sprintf("%+v", c), "xoxb-") {
			t.Errorf("call %s recorded the token", c.Method)
		}
	}
}

func TestPostThreadUpdateDelete(t *testing.T) {
	srv, api := start(t)
	c := ctx(t)

	parent := post(t, api, "C1", slack.MsgOptionText("incident opened", false))
	r1 := post(t, api, "C1", slack.MsgOptionText("first update", false), slack.MsgOptionTS(parent))
	// A reply to a reply lands in the parent's thread, as in Slack.
	_, r2, msg, err := api.PostMessageWithResponseContext(c, "C1", slack.MsgOptionText("second update", false), slack.MsgOptionTS(r1))
	if err != nil {
		t.Fatalf("PostMessage reply: %v", err)
	}
	if msg.ThreadTimestamp != parent {
		t.Errorf("reply's thread_ts = %q, want the parent %q", msg.ThreadTimestamp, parent)
	}

	if got := texts(srv.Messages("C1")); !equal(got, []string{"incident opened"}) {
		t.Errorf("Messages = %q, want only the parent", got)
	}
	if got := texts(srv.Thread("C1", r2)); !equal(got, []string{"incident opened", "first update", "second update"}) {
		t.Errorf("Thread = %q", got)
	}

	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Resolved*", false, false), nil, nil)}
	if _, _, text, err := api.UpdateMessageContext(c, "C1", parent, slack.MsgOptionText("incident resolved", false), slack.MsgOptionBlocks(blocks...)); err != nil || text != "incident resolved" {
		t.Fatalf("UpdateMessage = %q, %v", text, err)
	}
	top := srv.Messages("C1")[0]
	if !top.Updated || top.Text != "incident resolved" || !strings.Contains(string(top.Blocks), "*Resolved*") {
		t.Errorf("after update, parent = %+v", top)
	}
	if got := srv.Calls("chat.update")[0].Blocks; !strings.Contains(string(got), `"type":"section"`) {
		t.Errorf("recorded update blocks = %s", got)
	}

	if _, _, err := api.DeleteMessageContext(c, "C1", r1); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	thread := srv.Thread("C1", parent)
	if !thread[1].Deleted || thread[0].ReplyCount != 1 {
		t.Errorf("after delete, thread = %+v", thread)
	}
	msgs, _, _, err := api.GetConversationRepliesContext(c, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent})
	if err != nil {
		t.Fatalf("GetConversationReplies: %v", err)
	}
	if got := slackTexts(msgs); !equal(got, []string{"incident resolved", "second update"}) {
		t.Errorf("replies after delete = %q", got)
	}
	if msgs[0].ReplyCount != 1 || msgs[1].ThreadTimestamp != parent {
		t.Errorf("reply_count = %d, reply thread_ts = %q", msgs[0].ReplyCount, msgs[1].ThreadTimestamp)
	}

	_, _, _, err = api.UpdateMessageContext(c, "C1", r1, slack.MsgOptionText("too late", false))
	if code, _ := slackErr(t, err); code != "message_not_found" {
		t.Errorf("update of a deleted message: %q, want message_not_found", code)
	}
	user, err := srv.AddReply("C1", parent, "U1", "a person's reply")
	if err != nil {
		t.Fatalf("AddReply: %v", err)
	}
	_, _, _, err = api.UpdateMessageContext(c, "C1", user.TS, slack.MsgOptionText("bot edits a person", false))
	if code, _ := slackErr(t, err); code != "cant_update_message" {
		t.Errorf("update of a person's message: %q, want cant_update_message", code)
	}
	_, _, err = api.PostMessageContext(c, "C1", slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001"))
	if code, _ := slackErr(t, err); code != "thread_not_found" {
		t.Errorf("reply to no message: %q, want thread_not_found", code)
	}
	_, _, err = api.PostMessageContext(c, "C1")
	if code, _ := slackErr(t, err); code != "no_text" {
		t.Errorf("empty message: %q, want no_text", code)
	}
}

func TestReplyToDeletedParentIsUnthreaded(t *testing.T) {
	srv, api := start(t)
	parent := post(t, api, "C1", slack.MsgOptionText("parent", false))
	if _, _, err := api.DeleteMessageContext(ctx(t), "C1", parent); err != nil {
		t.Fatal(err)
	}
	_, _, msg, err := api.PostMessageWithResponseContext(ctx(t), "C1", slack.MsgOptionText("orphan", false), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if msg.ThreadTimestamp != "" {
		t.Errorf("reply to a deleted parent has thread_ts %q, want it posted un-threaded", msg.ThreadTimestamp)
	}
	if got := srv.Messages("C1"); len(got) != 2 || got[1].Text != "orphan" || got[1].ThreadTS != "" {
		t.Errorf("Messages = %+v", got)
	}
}

func TestEphemeral(t *testing.T) {
	srv, api := start(t)
	ts, err := api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionText("only you can see this", false))
	if err != nil || ts == "" {
		t.Fatalf("PostEphemeral = %q, %v", ts, err)
	}
	got := srv.Ephemerals()
	if len(got) != 1 || got[0].User != "U1" || got[0].Channel != "C1" || got[0].TS != ts || got[0].Text != "only you can see this" {
		t.Errorf("Ephemerals = %+v", got)
	}
	if len(srv.Messages("C1")) != 0 {
		t.Errorf("an ephemeral message landed in the channel")
	}
}

func TestRepliesPagination(t *testing.T) {
	srv, api := start(t)
	c := ctx(t)
	parent := post(t, api, "C1", slack.MsgOptionText("parent", false))
	want := []string{"parent"}
	for i := range 7 {
		text := fmt.Sprintf("reply %d", i)
		if i%2 == 0 {
			post(t, api, "C1", slack.MsgOptionText(text, false), slack.MsgOptionTS(parent))
		} else if _, err := srv.AddReply("C1", parent, "U1", text); err != nil {
			t.Fatal(err)
		}
		want = append(want, text)
	}

	var got []string
	var pages []int
	cursor := ""
	for range 10 {
		msgs, hasMore, next, err := api.GetConversationRepliesContext(c, &slack.GetConversationRepliesParameters{
			ChannelID: "C1", Timestamp: parent, Limit: 3, Cursor: cursor,
		})
		if err != nil {
			t.Fatalf("GetConversationReplies: %v", err)
		}
		got = append(got, slackTexts(msgs)...)
		pages = append(pages, len(msgs))
		if hasMore != (next != "") {
			t.Errorf("has_more = %v with next_cursor %q", hasMore, next)
		}
		if !hasMore {
			break
		}
		cursor = next
	}
	if !equal(got, want) {
		t.Errorf("paged replies = %q, want %q", got, want)
	}
	if fmt.Sprint(pages) != "[3 3 2]" {
		t.Errorf("page sizes = %v, want [3 3 2]", pages)
	}

	_, _, _, err := api.GetConversationRepliesContext(c, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, Cursor: "bogus"})
	if code, _ := slackErr(t, err); code != "invalid_cursor" {
		t.Errorf("bad cursor: %q, want invalid_cursor", code)
	}
	_, _, _, err = api.GetConversationRepliesContext(c, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1.000001"})
	if code, _ := slackErr(t, err); code != "thread_not_found" {
		t.Errorf("unknown thread: %q, want thread_not_found", code)
	}
}

func TestHistoryInfoUsersPermalink(t *testing.T) {
	srv, api := start(t, WithChannel("C1", "incidents"), WithUser("U1", "ada", "Ada Lovelace"))
	c := ctx(t)
	for i := range 5 {
		post(t, api, "C1", slack.MsgOptionText(fmt.Sprintf("m%d", i), false))
	}
	parent := srv.Messages("C1")[0].TS
	post(t, api, "C1", slack.MsgOptionText("in thread", false), slack.MsgOptionTS(parent))

	var got []string
	cursor := ""
	for {
		h, err := api.GetConversationHistoryContext(c, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("GetConversationHistory: %v", err)
		}
		got = append(got, slackTexts(h.Messages)...)
		if !h.HasMore {
			break
		}
		cursor = h.ResponseMetaData.NextCursor
	}
	if want := []string{"m4", "m3", "m2", "m1", "m0"}; !equal(got, want) {
		t.Errorf("history = %q, want newest first %q", got, want)
	}

	ch, err := api.GetConversationInfoContext(c, &slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil || ch.Name != "incidents" || !ch.IsMember {
		t.Errorf("GetConversationInfo = %+v, %v", ch, err)
	}
	u, err := api.GetUserInfoContext(c, "U1")
	if err != nil || u.Name != "ada" || u.RealName != "Ada Lovelace" || u.Profile.RealName != "Ada Lovelace" {
		t.Errorf("GetUserInfo = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(c, "U404"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("GetUserInfo(unknown) err = %v, want user_not_found", err)
	}

	link, err := api.GetPermalinkContext(c, &slack.PermalinkParameters{Channel: "C1", Ts: parent})
	if want := srv.URL() + "/archives/C1/p" + strings.Replace(parent, ".", "", 1); err != nil || link != want {
		t.Errorf("GetPermalink = %q, %v; want %q", link, err, want)
	}
}

func TestStrictChannels(t *testing.T) {
	_, api := start(t, WithStrictChannels(), WithChannel("C1", "incidents"))
	post(t, api, "C1", slack.MsgOptionText("known", false))
	_, _, err := api.PostMessageContext(ctx(t), "C404", slack.MsgOptionText("unknown", false))
	if code, _ := slackErr(t, err); code != "channel_not_found" {
		t.Errorf("post to an unknown channel: %q, want channel_not_found", code)
	}
}

func TestUploadFileV2(t *testing.T) {
	srv, api := start(t)
	c := ctx(t)
	parent := post(t, api, "C1", slack.MsgOptionText("incident", false))
	content := "# Postmortem\n\nWhat happened.\n"

	sum, err := api.UploadFileContext(c, slack.UploadFileParameters{
		Content:         content,
		FileSize:        len(content),
		Filename:        "postmortem.md",
		Title:           "Postmortem INC-1",
		Channel:         "C1",
		ThreadTimestamp: parent,
		InitialComment:  "Draft postmortem attached",
	})
	if err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	if sum.ID == "" || sum.Title != "Postmortem INC-1" {
		t.Errorf("UploadFile = %+v", sum)
	}

	var order []string
	for _, call := range srv.Calls("") {
		order = append(order, call.Method)
	}
	if want := []string{"chat.postMessage", "files.getUploadURLExternal", UploadMethod, "files.completeUploadExternal"}; !equal(order, want) {
		t.Errorf("calls = %q, want %q", order, want)
	}

	files := srv.Files()
	if len(files) != 1 {
		t.Fatalf("Files = %+v, want one", files)
	}
	f := files[0]
	if f.ID != sum.ID || f.Name != "postmortem.md" || f.Title != "Postmortem INC-1" || string(f.Content) != content ||
		f.Channel != "C1" || f.ThreadTS != parent || f.InitialComment != "Draft postmortem attached" {
		t.Errorf("File = %+v", f)
	}
	thread := srv.Thread("C1", parent)
	if len(thread) != 2 || thread[1].TS != f.MessageTS || thread[1].Text != "Draft postmortem attached" || thread[1].FileIDs[0] != f.ID {
		t.Errorf("thread after upload = %+v", thread)
	}
	msgs, _, _, err := api.GetConversationRepliesContext(c, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent})
	if err != nil || len(msgs) != 2 || len(msgs[1].Files) != 1 || msgs[1].Files[0].Name != "postmortem.md" {
		t.Errorf("replies after upload = %+v, %v", msgs, err)
	}

	// Completing a file twice, or one never uploaded, is refused.
	_, err = api.CompleteUploadExternalContext(c, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: sum.ID}}, Channel: "C1"})
	if code, _ := slackErr(t, err); code != "file_not_found" {
		t.Errorf("second completion: %q, want file_not_found", code)
	}
}

func TestFilesUploadIsDeprecated(t *testing.T) {
	srv, _ := start(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("channels", "C1")
	fw, _ := mw.CreateFormFile("file", "old.txt")
	_, _ = io.WriteString(fw, "old way")
	_ = mw.Close()

	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, srv.URL()+"/api/files.upload", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || got.OK || got.Error != "method_deprecated" {
		t.Errorf("files.upload = %d %+v, want 200 ok:false method_deprecated", resp.StatusCode, got)
	}
	if len(srv.Files()) != 0 {
		t.Errorf("the deprecated upload stored a file")
	}
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject("plain_text", s, false, false)
}
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject("mrkdwn", s, false, false)
}

func sections(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = slack.NewSectionBlock(mrkdwn("x"), nil, nil)
	}
	return out
}

func buttons(n int, sameID bool) []slack.BlockElement {
	out := make([]slack.BlockElement, n)
	for i := range out {
		id := fmt.Sprintf("b%d", i)
		if sameID {
			id = "ack"
		}
		out[i] = slack.NewButtonBlockElement(id, "v", plain("Ack"))
	}
	return out
}

func fields(n, size int) []*slack.TextBlockObject {
	out := make([]*slack.TextBlockObject, n)
	for i := range out {
		out[i] = mrkdwn(strings.Repeat("f", size))
	}
	return out
}

func contextTexts(n int) []slack.MixedElement {
	out := make([]slack.MixedElement, n)
	for i := range out {
		out[i] = plain("c")
	}
	return out
}

func TestBlockKitLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		text    string
		blocks  []slack.Block
		code    string // "" means accepted
		pointer string
	}{
		{"50 blocks", "", sections(50), "", ""},
		{"51 blocks", "", sections(51), "invalid_blocks", "/blocks"},
		{"section text 3000", "", []slack.Block{slack.NewSectionBlock(mrkdwn(long(3000)), nil, nil)}, "", ""},
		{"section text 3001", "", []slack.Block{slack.NewSectionBlock(mrkdwn(long(3001)), nil, nil)}, "invalid_blocks", "/blocks/0/text/text"},
		{"header 150", "", []slack.Block{slack.NewHeaderBlock(plain(long(150)))}, "", ""},
		{"header 151", "", []slack.Block{slack.NewHeaderBlock(plain(long(151)))}, "invalid_blocks", "/blocks/0/text/text"},
		{"header mrkdwn", "", []slack.Block{slack.NewHeaderBlock(mrkdwn("*P1*"))}, "invalid_blocks", "/blocks/0/text/type"},
		{"button text 75", "", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", plain(long(75))))}, "", ""},
		{"button text 76", "", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", plain(long(76))))}, "invalid_blocks", "/blocks/0/elements/0/text/text"},
		{"button mrkdwn", "", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", mrkdwn("*Ack*")))}, "invalid_blocks", "/blocks/0/elements/0/text/type"},
		{"accessory button text 76", "", []slack.Block{slack.NewSectionBlock(mrkdwn("x"), nil, slack.NewAccessory(slack.NewButtonBlockElement("a", "v", plain(long(76)))))}, "invalid_blocks", "/blocks/0/accessory/text/text"},
		{"duplicate action_id", "", []slack.Block{slack.NewActionBlock("", buttons(2, true)...)}, "invalid_blocks", "/blocks/0/elements/1/action_id"},
		{"same action_id in two blocks", "", []slack.Block{slack.NewActionBlock("", buttons(1, true)...), slack.NewActionBlock("", buttons(1, true)...)}, "", ""},
		{"10 fields", "", []slack.Block{slack.NewSectionBlock(nil, fields(10, 2000), nil)}, "", ""},
		{"11 fields", "", []slack.Block{slack.NewSectionBlock(nil, fields(11, 1), nil)}, "invalid_blocks", "/blocks/0/fields"},
		{"field text 2001", "", []slack.Block{slack.NewSectionBlock(nil, fields(1, 2001), nil)}, "invalid_blocks", "/blocks/0/fields/0/text"},
		{"25 actions", "", []slack.Block{slack.NewActionBlock("", buttons(25, false)...)}, "", ""},
		{"26 actions", "", []slack.Block{slack.NewActionBlock("", buttons(26, false)...)}, "invalid_blocks", "/blocks/0/elements"},
		{"10 context elements", "", []slack.Block{slack.NewContextBlock("", contextTexts(10)...)}, "", ""},
		{"11 context elements", "", []slack.Block{slack.NewContextBlock("", contextTexts(11)...)}, "invalid_blocks", "/blocks/0/elements"},
		{"duplicate block_id", "", []slack.Block{slack.NewDividerBlock(), slack.NewActionBlock("a1", buttons(1, false)...), slack.NewActionBlock("a1", buttons(1, false)...)}, "invalid_blocks", "/blocks/2/block_id"},
		{"empty text object", "", []slack.Block{slack.NewSectionBlock(mrkdwn(""), nil, nil)}, "invalid_blocks", "/blocks/0/text/text"},
		{"text 40000", long(40000), nil, "", ""},
		{"text 40001", long(40001), nil, "msg_too_long", ""},
	}
	srv, api := start(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []slack.MsgOption{slack.MsgOptionText(tc.text, false)}
			if tc.blocks != nil {
				opts = append(opts, slack.MsgOptionBlocks(tc.blocks...))
			}
			_, _, err := api.PostMessageContext(ctx(t), "C1", opts...)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("PostMessage: %v, want it accepted", err)
				}
				return
			}
			code, msgs := slackErr(t, err)
			if code != tc.code {
				t.Fatalf("error = %q, want %q", code, tc.code)
			}
			calls := srv.Calls("chat.postMessage")
			last := calls[len(calls)-1]
			if last.Error != tc.code || last.Detail == "" {
				t.Errorf("recorded call: error %q detail %q", last.Error, last.Detail)
			}
			if tc.pointer != "" {
				want := "[json-pointer:" + tc.pointer + "]"
				if len(msgs) != 1 || !strings.Contains(msgs[0], want) || !strings.Contains(last.Detail, want) {
					t.Errorf("messages %q, detail %q: want %s", msgs, last.Detail, want)
				}
			}
		})
	}

	// Updates and ephemeral messages are checked the same way.
	ts := post(t, api, "C1", slack.MsgOptionText("ok", false))
	_, _, _, err := api.UpdateMessageContext(ctx(t), "C1", ts, slack.MsgOptionBlocks(sections(51)...))
	if code, _ := slackErr(t, err); code != "invalid_blocks" {
		t.Errorf("update with 51 blocks: %q, want invalid_blocks", code)
	}
	_, err = api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionBlocks(slack.NewHeaderBlock(plain(long(151)))))
	if code, _ := slackErr(t, err); code != "invalid_blocks" {
		t.Errorf("ephemeral with a long header: %q, want invalid_blocks", code)
	}
}

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(title),
		Submit:     plain("Declare"),
		Close:      plain("Cancel"),
		CallbackID: "declare",
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func TestViews(t *testing.T) {
	srv, api := start(t)
	c := ctx(t)
	input := slack.NewInputBlock("title", plain("Title"), nil, slack.NewPlainTextInputBlockElement(plain("What is broken?"), "title"))

	resp, err := api.OpenViewContext(c, "trigger-1", modal("Declare incident", input))
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if resp.View.ID == "" || resp.View.Hash == "" || resp.View.CallbackID != "declare" || len(resp.View.Blocks.BlockSet) != 1 {
		t.Errorf("OpenView = %+v", resp.View)
	}
	_, err = api.OpenViewContext(c, "trigger-1", modal("Again", input))
	if code, _ := slackErr(t, err); code != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %q, want exchanged_trigger_id", code)
	}

	upd, err := api.UpdateViewContext(c, modal("Declaring…", slack.NewSectionBlock(mrkdwn("Working"), nil, nil)), "", resp.View.Hash, resp.View.ID)
	if err != nil {
		t.Fatalf("UpdateView: %v", err)
	}
	if upd.View.Hash == resp.View.Hash {
		t.Errorf("views.update kept the hash %q", upd.View.Hash)
	}
	_, err = api.UpdateViewContext(c, modal("Stale"), "", resp.View.Hash, resp.View.ID)
	if code, _ := slackErr(t, err); code != "hash_conflict" {
		t.Errorf("update with a stale hash: %q, want hash_conflict", code)
	}
	views := srv.Views()
	if len(views) != 1 || views[0].Title != "Declaring…" || views[0].Updates != 1 || !strings.Contains(string(views[0].Blocks), "Working") {
		t.Errorf("Views = %+v", views)
	}

	tests := []struct {
		name    string
		view    slack.ModalViewRequest
		pointer string
	}{
		{"101 blocks", modal("Big", sections(101)...), "/view/blocks"},
		{"title over 24", modal(strings.Repeat("t", 25), sections(1)...), "/view/title/text"},
		{"header too long", modal("Ok", slack.NewHeaderBlock(plain(strings.Repeat("h", 151)))), "/view/blocks/0/text/text"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.OpenViewContext(c, fmt.Sprintf("trigger-bad-%d", i), tc.view)
			code, msgs := slackErr(t, err)
			if code != "invalid_arguments" || len(msgs) != 1 || !strings.Contains(msgs[0], "[json-pointer:"+tc.pointer+"]") {
				t.Errorf("OpenView = %q %q, want invalid_arguments at %s", code, msgs, tc.pointer)
			}
		})
	}
	if _, err := api.OpenViewContext(c, "trigger-100", modal("Big", sections(100)...)); err != nil {
		t.Errorf("a modal with 100 blocks: %v, want it accepted", err)
	}
}

func TestUniqueTimestamps(t *testing.T) {
	// A clock that stands still: timestamps must still never collide.
	frozen := time.Unix(1700000000, 0)
	srv, api := start(t, WithClock(func() time.Time { return frozen }))
	const workers, each = 10, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText(fmt.Sprintf("%d-%d", w, i), false)); err != nil {
					t.Errorf("PostMessage: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	msgs := srv.Messages("C1")
	if len(msgs) != workers*each {
		t.Fatalf("got %d messages, want %d", len(msgs), workers*each)
	}
	seen := map[string]bool{}
	var prev int64
	for _, m := range msgs {
		us, valid := parseTS(m.TS)
		if !valid || len(m.TS) != len("1700000000.000100") {
			t.Fatalf("ts %q is not shaped like Slack's", m.TS)
		}
		if seen[m.TS] || us <= prev {
			t.Fatalf("ts %q repeats or goes back (previous %s)", m.TS, formatTS(prev))
		}
		seen[m.TS] = true
		prev = us
	}
	if !strings.HasPrefix(msgs[0].TS, "1700000000.") {
		t.Errorf("first ts %q does not follow the clock", msgs[0].TS)
	}
}

func TestFaults(t *testing.T) {
	srv, api := start(t)
	c := ctx(t)

	srv.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, time.Second, "")
	_, _, err := api.PostMessageContext(c, "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("err = %v (%T), want *slack.RateLimitedError retry after 1s", err, err)
	}

	srv.FailNext("chat.postMessage", 2, http.StatusInternalServerError, 0, "")
	for range 2 {
		_, _, err = api.PostMessageContext(c, "C1", slack.MsgOptionText("x", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
			t.Fatalf("err = %v (%T), want a 500 StatusCodeError", err, err)
		}
	}

	srv.FailNext("chat.postMessage", 1, 0, 0, "ratelimited")
	srv.FailNext("chat.postMessage", 1, 0, 0, "not_in_channel")
	for _, want := range []string{"ratelimited", "not_in_channel"} {
		_, _, err = api.PostMessageContext(c, "C1", slack.MsgOptionText("x", false))
		if code, _ := slackErr(t, err); code != want {
			t.Errorf("error = %q, want %q", code, want)
		}
	}

	post(t, api, "C1", slack.MsgOptionText("finally", false))
	if got := texts(srv.Messages("C1")); !equal(got, []string{"finally"}) {
		t.Errorf("Messages = %q, want only the message that got through", got)
	}
	var statuses []int
	for _, call := range srv.Calls("chat.postMessage") {
		statuses = append(statuses, call.Status)
	}
	if fmt.Sprint(statuses) != "[429 500 500 200 200 200]" {
		t.Errorf("recorded statuses = %v", statuses)
	}

	// The upload step can fail too.
	srv.FailNext(UploadMethod, 1, http.StatusInternalServerError, 0, "")
	_, err = api.UploadFileContext(c, slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.txt", Channel: "C1"})
	if err == nil || !strings.Contains(err.Error(), "UploadToURL") {
		t.Errorf("upload with a failing upload URL: err = %v", err)
	}
}

func TestWait(t *testing.T) {
	srv, api := start(t)
	go func() {
		time.Sleep(50 * time.Millisecond) // let Wait block first
		for i := range 3 {
			_, _, _ = api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText(fmt.Sprint(i), false))
		}
	}()
	calls := srv.MustWait(t, "chat.postMessage", 3)
	if len(calls) != 3 || calls[2].Params.Get("text") != "2" || calls[0].Time.IsZero() {
		t.Errorf("MustWait = %+v", calls)
	}
	if got := texts(srv.Messages("C1")); len(got) != 3 {
		t.Errorf("state not visible after Wait: %q", got)
	}

	parent := srv.Messages("C1")[0].TS
	go func() { _, _ = srv.AddReply("C1", parent, "U1", "on it") }()
	srv.MustWaitFor(t, "a reply in the thread", func() bool { return len(srv.Thread("C1", parent)) == 2 })

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := srv.Wait(short, "views.open", 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait for a call that never comes: %v, want deadline exceeded", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := srv.Wait(context.Background(), "views.open", 1)
		done <- err
	}()
	srv.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Wait returned nil after Close")
		}
	case <-time.After(DefaultWaitTimeout):
		t.Fatal("Close did not wake a waiter")
	}
}

func TestConcurrentUse(t *testing.T) {
	srv, api := start(t)
	parent := post(t, api, "C1", slack.MsgOptionText("incident", false))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				ts, err := func() (string, error) {
					_, ts, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText(fmt.Sprintf("%d/%d", w, i), false), slack.MsgOptionTS(parent))
					return ts, err
				}()
				if err != nil {
					t.Errorf("PostMessage: %v", err)
					return
				}
				if _, _, _, err := api.UpdateMessageContext(context.Background(), "C1", ts, slack.MsgOptionText("edited", false)); err != nil {
					t.Errorf("UpdateMessage: %v", err)
				}
			}
		})
		wg.Go(func() {
			for range 25 {
				if _, err := srv.AddReply("C1", parent, "U1", "person"); err != nil {
					t.Errorf("AddReply: %v", err)
				}
				_ = srv.Thread("C1", parent)
				_ = srv.Messages("C1")
				_ = srv.Calls("")
				_, _, _, _ = api.GetConversationRepliesContext(context.Background(), &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, Limit: 10})
			}
		})
	}
	srv.MustWait(t, "chat.update", 100)
	wg.Wait()
	thread := srv.Thread("C1", parent)
	if len(thread) != 1+100+100 || thread[0].ReplyCount != 200 {
		t.Errorf("thread has %d messages, reply_count %d; want 201, 200", len(thread), thread[0].ReplyCount)
	}
}

// TestFaultRateLimitedOK: a rate limit answered as Slack sometimes does,
// HTTP 200 with {"ok":false,"error":"ratelimited"} and Retry-After.
func TestFaultRateLimitedOK(t *testing.T) {
	srv, _ := start(t)
	srv.FailNext("chat.postMessage", 1, 0, 1500*time.Millisecond, "ratelimited")
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/chat.postMessage", strings.NewReader("channel=C1&text=x"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Retry-After") != "2" || body.OK || body.Error != "ratelimited" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("answer %d, Retry-After %q, %+v; want 200, 2 (rounded up), ok:false ratelimited",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if len(srv.Messages("C1")) != 0 {
		t.Error("the refused call posted a message")
	}
}
