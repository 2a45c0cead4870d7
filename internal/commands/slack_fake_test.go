package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/messages"
)

// fakeSlack is the tests' Slack: a hand-written, in-memory implementation of
// the Slack port that records every call it receives, in order, under a
// mutex, and keeps the channels' messages so that Replies answers as
// conversations.replies would. Nothing fails unless a test says so with
// FailNext. The zero value is not usable: call newFakeSlack.
type fakeSlack struct {
	mu     sync.Mutex
	now    func() time.Time // when set, a ts is never before now
	lastUS int64            // the last ts issued, in microseconds
	calls  []slackCall
	fail   map[string][]error // method → the errors its next calls return
	msgs   map[string][]Reply // channel → its messages, top level and replies
	names  map[string]string  // user id → name
	groups map[string][]string
	files  int
	// channels are the channels CreateChannel made: name → id; members
	// what Invite added; archived what Archive archived; homes each
	// user's last published Home; fileNames the files of messages (Say).
	channels  map[string]string
	private   map[string]bool
	members   map[string][]string
	archived  map[string]bool
	homes     map[string]json.RawMessage
	fileNames map[string][]string
	// overLimits are the messages and views Slack would have refused
	// (slackfake's Block Kit checks); the harness fails the test on any.
	overLimits []string
}

var _ Slack = (*fakeSlack)(nil)

// The methods of the Slack port, as slackCall.Method names them.
const (
	callPost         = "Post"
	callUpdate       = "Update"
	callEphemeral    = "Ephemeral"
	callReplies      = "Replies"
	callUserName     = "UserName"
	callUpload       = "Upload"
	callGroupMembers = "GroupMembers"
	callOpenModal    = "OpenModal"
	callTeam         = "Team"
	callCreate       = "CreateChannel"
	callInvite       = "Invite"
	callArchive      = "Archive"
	callPublishHome  = "PublishHome"
	callMessage      = "Message"
)

// fakeBotID and fakeBotUser are who the bot's own posts come from.
const (
	fakeBotID   = "B0BOT"
	fakeBotUser = "U0BOT"
)

// slackCall is one call the fake received; the fields a method has no use
// for are empty.
type slackCall struct {
	Method      string
	ChannelID   string // Post, Update, Ephemeral, Replies, Upload (the file's channel)
	ThreadTS    string // Post, Ephemeral, Upload: the thread; Update, Replies: the message
	TS          string // Post: the ts it returned
	UserID      string // Ephemeral: who sees it; UserName: whose name
	ResponseURL string // Ephemeral
	GroupID     string // GroupMembers
	TriggerID   string // OpenModal
	Name        string // CreateChannel: the name asked for
	Users       []string
	Msg         messages.Message
	File        File            // Upload
	FileID      string          // Upload: the id it returned
	View        json.RawMessage // OpenModal
	Err         error           // what the call returned
}

// String shows a call in a failure message: the method, where, and what.
func (c slackCall) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s", c.Method, c.ChannelID, c.ThreadTS)
	for _, s := range []string{c.UserID, c.Msg.Text, c.File.Name, c.TriggerID} {
		if s != "" {
			fmt.Fprintf(&b, " %q", s)
		}
	}
	if c.Err != nil {
		fmt.Fprintf(&b, " failed: %v", c.Err)
	}
	return b.String()
}

// newFakeSlack returns an empty Slack. Its ts values increase by at least a
// microsecond per message; with now set (the test's clock), a message's ts
// is also never before the time it was sent, as Slack's are.
func newFakeSlack(now func() time.Time) *fakeSlack {
	return &fakeSlack{now: now, lastUS: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC).UnixMicro(),
		fail: map[string][]error{}, msgs: map[string][]Reply{}, names: map[string]string{}, groups: map[string][]string{},
		channels: map[string]string{}, private: map[string]bool{}, members: map[string][]string{}, archived: map[string]bool{},
		homes: map[string]json.RawMessage{}, fileNames: map[string][]string{}}
}

// FailNext makes the next n calls of method return err (and change nothing);
// calls after them succeed again. Failures queue up in the order given.
func (f *fakeSlack) FailNext(method string, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.fail[method] = append(f.fail[method], err)
	}
}

// SetName is the name UserName returns for a user; unknown users are an error.
func (f *fakeSlack) SetName(userID, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names[userID] = name
}

// SetGroup sets a user group's members for GroupMembers.
func (f *fakeSlack) SetGroup(groupID string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[groupID] = members
}

// Say adds a message a person wrote: in the thread threadTS, or at the top
// of the channel when threadTS is empty. It returns the message's ts. No
// event is sent for it: a test delivers one, or not, as it needs.
func (f *fakeSlack) Say(channelID, threadTS, userID, text string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := f.nextTS()
	f.msgs[channelID] = append(f.msgs[channelID], Reply{TS: ts, ThreadTS: threadTS, UserID: userID, Text: text})
	return ts
}

// Edit changes the text of a message the fake holds, as a person's edit
// does; it reports whether the message was there.
func (f *fakeSlack) Edit(channelID, ts, text string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.setText(channelID, ts, text)
}

// Calls returns the calls of the given methods (of every method when none
// is given) in the order they came, failed ones included.
func (f *fakeSlack) Calls(methods ...string) []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []slackCall
	for _, c := range f.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Sent is Calls without the ones that failed: what Slack took.
func (f *fakeSlack) Sent(methods ...string) []slackCall {
	var out []slackCall
	for _, c := range f.Calls(methods...) {
		if c.Err == nil {
			out = append(out, c)
		}
	}
	return out
}

// Thread returns the thread channelID/ts as Replies would, without
// recording a call.
func (f *fakeSlack) Thread(channelID, ts string) []Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.thread(channelID, ts)
}

// begin records c, failed when a FailNext is pending for its method, and
// returns its index (for the caller to fill in the results) and the error.
// The caller holds f.mu.
func (f *fakeSlack) begin(c slackCall) (int, error) {
	if q := f.fail[c.Method]; len(q) > 0 {
		c.Err, f.fail[c.Method] = q[0], q[1:]
	}
	// Every message and view is held to Block Kit's limits, as Slack
	// holds them (it answers invalid_blocks).
	var limit error
	if len(c.Msg.Blocks) > 0 {
		limit = slackfake.CheckMessage(string(c.Msg.Blocks))
	}
	if len(c.View) > 0 {
		limit = slackfake.CheckView(string(c.View))
	}
	if limit != nil {
		f.overLimits = append(f.overLimits, c.Method+": "+limit.Error())
		c.Err = &incident.Error{Kind: incident.Invalid, Message: "Slack refused the blocks (invalid_blocks)", Err: limit}
	}
	f.calls = append(f.calls, c)
	return len(f.calls) - 1, c.Err
}

// nextTS issues a ts after every other; the caller holds f.mu.
func (f *fakeSlack) nextTS() string {
	us := f.lastUS + 1
	if f.now != nil {
		us = max(us, f.now().UnixMicro())
	}
	f.lastUS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (f *fakeSlack) setText(channelID, ts, text string) bool {
	for i, m := range f.msgs[channelID] {
		if m.TS == ts {
			f.msgs[channelID][i].Text = text
			return true
		}
	}
	return false
}

// thread is the parent first, then its replies in ts order; the caller
// holds f.mu. Equal-length ts values of one clock sort as text.
func (f *fakeSlack) thread(channelID, ts string) []Reply {
	var parent, replies []Reply
	for _, m := range f.msgs[channelID] {
		switch {
		case m.TS == ts:
			parent = append(parent, m)
		case m.ThreadTS == ts:
			replies = append(replies, m)
		}
	}
	sort.SliceStable(replies, func(i, j int) bool { return replies[i].TS < replies[j].TS })
	return append(parent, replies...)
}

// Post keeps the message (in its thread, when threadTS is set) as the bot's.
func (f *fakeSlack) Post(_ context.Context, channelID, threadTS string, m messages.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(slackCall{Method: callPost, ChannelID: channelID, ThreadTS: threadTS, Msg: m})
	if err != nil {
		return "", err
	}
	ts := f.nextTS()
	f.calls[i].TS = ts
	f.msgs[channelID] = append(f.msgs[channelID], Reply{TS: ts, ThreadTS: threadTS, UserID: fakeBotUser, BotID: fakeBotID, Text: m.Text})
	return ts, nil
}

// Update replaces the text of the message, when the fake holds it.
func (f *fakeSlack) Update(_ context.Context, channelID, ts string, m messages.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callUpdate, ChannelID: channelID, ThreadTS: ts, Msg: m}); err != nil {
		return err
	}
	f.setText(channelID, ts, m.Text)
	return nil
}

func (f *fakeSlack) Ephemeral(_ context.Context, channelID, userID, threadTS, responseURL string, m messages.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.begin(slackCall{Method: callEphemeral, ChannelID: channelID, UserID: userID, ThreadTS: threadTS,
		ResponseURL: responseURL, Msg: m})
	return err
}

// Replies answers as conversations.replies does: the parent first, then the
// replies, the bot's own included; a thread the fake holds nothing of is
// not found, as Slack's thread_not_found reaches the port.
func (f *fakeSlack) Replies(_ context.Context, channelID, ts string) ([]Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callReplies, ChannelID: channelID, ThreadTS: ts}); err != nil {
		return nil, err
	}
	out := f.thread(channelID, ts)
	if len(out) == 0 {
		return nil, fakeNotFound
	}
	return out, nil
}

// fakeNotFound is the error the real client returns for thread_not_found.
var fakeNotFound = &incident.Error{Kind: incident.NotFound, Message: "the incident message is gone from Slack"}

func (f *fakeSlack) UserName(_ context.Context, userID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callUserName, UserID: userID}); err != nil {
		return "", err
	}
	n, ok := f.names[userID]
	if !ok {
		return "", fmt.Errorf("fake slack: users.info %s: user_not_found", userID)
	}
	return n, nil
}

// Upload keeps the file; its ids are F000001, F000002, …
func (f *fakeSlack) Upload(_ context.Context, file File) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(slackCall{Method: callUpload, ChannelID: file.ChannelID, ThreadTS: file.ThreadTS, File: file})
	if err != nil {
		return "", err
	}
	f.files++
	id := fmt.Sprintf("F%06d", f.files)
	f.calls[i].FileID = id
	return id, nil
}

func (f *fakeSlack) GroupMembers(_ context.Context, groupID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callGroupMembers, GroupID: groupID}); err != nil {
		return nil, err
	}
	return append([]string(nil), f.groups[groupID]...), nil
}

func (f *fakeSlack) OpenModal(_ context.Context, triggerID string, view json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.begin(slackCall{Method: callOpenModal, TriggerID: triggerID, View: view})
	return err
}

func (f *fakeSlack) Team(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.begin(slackCall{Method: callTeam})
	return testTeam, err
}

// TakeName makes a channel name taken, as a channel someone else made.
func (f *fakeSlack) TakeName(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[name] = "C0TAKEN" + name
}

// Channel returns the id of the channel CreateChannel made with name.
func (f *fakeSlack) Channel(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.channels[name]
	return id, ok
}

// Members lists the users invited to a channel.
func (f *fakeSlack) Members(channelID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.members[channelID])
}

// Archived reports whether a channel was archived.
func (f *fakeSlack) Archived(channelID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.archived[channelID]
}

// Home is the last Home view published for a user.
func (f *fakeSlack) Home(userID string) json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.homes[userID]
}

// SayFiles is Say with files attached.
func (f *fakeSlack) SayFiles(channelID, threadTS, userID, text string, files ...string) string {
	ts := f.Say(channelID, threadTS, userID, text)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fileNames[channelID+"/"+ts] = files
	return ts
}

// CreateChannel makes a channel C0CH<n>; a name made before is taken
// (incident.Conflict, as the client maps name_taken).
func (f *fakeSlack) CreateChannel(_ context.Context, name string, private bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(slackCall{Method: callCreate, Name: name})
	if err != nil {
		return "", err
	}
	if _, ok := f.channels[name]; ok {
		f.calls[i].Err = &incident.Error{Kind: incident.Conflict, Message: "a channel with that name exists"}
		return "", f.calls[i].Err
	}
	id := fmt.Sprintf("C0CH%d", len(f.channels)+1)
	f.channels[name], f.private[id] = id, private
	f.calls[i].ChannelID = id
	return id, nil
}

func (f *fakeSlack) Invite(_ context.Context, channelID string, users ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callInvite, ChannelID: channelID, Users: users}); err != nil {
		return err
	}
	for _, u := range users {
		if !slices.Contains(f.members[channelID], u) {
			f.members[channelID] = append(f.members[channelID], u)
		}
	}
	return nil
}

func (f *fakeSlack) Archive(_ context.Context, channelID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callArchive, ChannelID: channelID}); err != nil {
		return err
	}
	f.archived[channelID] = true
	return nil
}

func (f *fakeSlack) PublishHome(_ context.Context, userID string, view json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callPublishHome, UserID: userID, View: view}); err != nil {
		return err
	}
	f.homes[userID] = view
	return nil
}

// Message finds a message the fake holds, top level or in a thread.
func (f *fakeSlack) Message(_ context.Context, channelID, ts string) (Posted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.begin(slackCall{Method: callMessage, ChannelID: channelID, ThreadTS: ts}); err != nil {
		return Posted{}, err
	}
	for _, m := range f.msgs[channelID] {
		if m.TS == ts {
			return Posted{TS: m.TS, ThreadTS: m.ThreadTS, UserID: m.UserID, BotID: m.BotID, Text: m.Text,
				Files: f.fileNames[channelID+"/"+ts]}, nil
		}
	}
	return Posted{}, &incident.Error{Kind: incident.NotFound, Message: "that message is gone from Slack"}
}

// OverLimits lists the messages and views that broke Block Kit's limits.
func (f *fakeSlack) OverLimits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.overLimits)
}

// TestFakeSlack: the fake answers as the tests rely on it to.
func TestFakeSlack(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(nil)
	// A header over Block Kit's 150 characters is refused, as Slack
	// refuses it, and noted for the harness.
	long := `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("x", 151) + `"}}]`
	if _, err := f.Post(ctx, "C1", "", messages.Message{Text: "t", Blocks: []byte(long)}); err == nil || len(f.OverLimits()) != 1 {
		t.Errorf("a 151-character header: err %v, over limits %q; want refused and noted", err, f.OverLimits())
	}
	f.overLimits = nil
	parent, err := f.Post(ctx, "C1", "", messages.Message{Text: "incident"})
	if err != nil {
		t.Fatal(err)
	}
	said := f.Say("C1", parent, "U1", "looking")
	mine, _ := f.Post(ctx, "C1", parent, messages.Message{Text: "update"})
	f.Say("C1", "", "U2", "elsewhere")
	if !(parent < said && said < mine) {
		t.Errorf("ts %s, %s, %s: want them increasing", parent, said, mine)
	}
	f.Edit("C1", said, "looking now")

	got, err := f.Replies(ctx, "C1", parent)
	if err != nil {
		t.Fatal(err)
	}
	want := []Reply{
		{TS: parent, UserID: fakeBotUser, BotID: fakeBotID, Text: "incident"},
		{TS: said, ThreadTS: parent, UserID: "U1", Text: "looking now"},
		{TS: mine, ThreadTS: parent, UserID: fakeBotUser, BotID: fakeBotID, Text: "update"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Replies = %+v\nwant %+v", got, want)
	}
	if _, err := f.Replies(ctx, "C1", "1.000001"); incident.KindOf(err) != incident.NotFound {
		t.Errorf("Replies of an unknown thread: err = %v, want NotFound", err)
	}

	boom := errors.New("boom")
	f.FailNext(callUpload, 2, boom)
	for i, want := range []error{boom, boom, nil} {
		if _, err := f.Upload(ctx, File{ChannelID: "C1", Name: "x.md"}); err != want {
			t.Errorf("upload %d: err = %v, want %v", i, err, want)
		}
	}
	if got, sent := len(f.Calls(callUpload)), f.Sent(callUpload); got != 3 || len(sent) != 1 || sent[0].FileID != "F000001" {
		t.Errorf("%d uploads recorded, %+v sent; want 3 and one F000001", got, sent)
	}

	f.SetName("U1", "alice")
	if n, err := f.UserName(ctx, "U1"); n != "alice" || err != nil {
		t.Errorf("UserName(U1) = %q, %v", n, err)
	}
	if _, err := f.UserName(ctx, "U9"); err == nil {
		t.Error("UserName of an unknown user: no error")
	}
}
