package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// NewMounted returns a fake that serves no port of its own: mount Handler()
// in another server so that baseURL reaches it (with http.StripPrefix when
// baseURL has a path). The playground does this to run the bot against an
// in-process workspace:
//
//	fake := slackfake.NewMounted("http://127.0.0.1:8080/play/slack", slackfake.WithToken(token))
//	mux.Handle("/play/slack/", http.StripPrefix("/play/slack", fake.Handler()))
//	// the bot's SLACK_API_URL: fake.URL()+"/api/"
//
// Everything else (state, Block Kit checks, Calls, Wait, FailNext) works as
// with New. Close wakes anything waiting on it; it closes no listener.
func NewMounted(baseURL string, opts ...Option) *Server {
	s := newServer(opts)
	s.base = strings.TrimRight(baseURL, "/")
	return s
}

// Handler serves the fake's routes: /api/{method}, the upload URLs, the
// response URLs. For a fake from New it is the handler of its own server.
func (s *Server) Handler() http.Handler { return s.routes() }

// Changed returns a channel that is closed at the next change to the fake's
// state (a call recorded, a message or reply added). Take a new one after
// each wake-up: it is how a live view follows the workspace.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// AddEphemeral records a message only user sees, as Slack shows the answer
// to a slash command ("Only visible to you"), and returns its ts. threadTS
// places it in a thread. blocks, when not nil, must be a valid message's
// Block Kit array.
func (s *Server) AddEphemeral(channel, user, threadTS, text string, blocks json.RawMessage) (string, error) {
	if len(blocks) > 0 {
		if err := checkBlocksJSON(string(blocks), inMessage, "/blocks"); err != nil {
			return "", fmt.Errorf("slackfake: ephemeral for %s: %v", user, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.channelLocked(channel)
	if !found {
		return "", fmt.Errorf("slackfake: channel %q not found", channel)
	}
	e := Ephemeral{Channel: c.id, User: user, TS: s.nextTSLocked(), ThreadTS: threadTS, Text: text, Blocks: rawJSON(string(blocks))}
	s.ephem = append(s.ephem, e)
	s.notifyLocked()
	return e.TS, nil
}

// Users returns the users known to users.info, the bot included.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// FileContent returns a shared file by its ID.
func (s *Server) FileContent(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.shares {
		if f.ID == id {
			f.Content = append([]byte(nil), f.Content...)
			return f, true
		}
	}
	return File{}, false
}

// EditMessage changes the text of a message user wrote, as they would in
// Slack, and returns the message as it was before and as it is now.
func (s *Server) EditMessage(channel, ts, user, text string) (before, after Message, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.usersMessageLocked(channel, ts, user)
	if err != nil {
		return Message{}, Message{}, err
	}
	before = copyMessage(m)
	m.Text = text
	m.Updated = true
	m.editedTS = s.nextTSLocked()
	s.notifyLocked()
	return before, copyMessage(m), nil
}

// EditedTS is when a message was last edited ("" if never), for the
// "edited" field of message_changed events.
func (m Message) EditedTS() string { return m.editedTS }

// DeleteMessage deletes a message user wrote, as they would in Slack, and
// returns it as it was.
func (s *Server) DeleteMessage(channel, ts, user string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.usersMessageLocked(channel, ts, user)
	if err != nil {
		return Message{}, err
	}
	before := copyMessage(m)
	m.Deleted = true
	if m.ThreadTS != "" {
		if parent := s.channels[channel].find(m.ThreadTS); parent != nil {
			parent.ReplyCount--
		}
	}
	s.notifyLocked()
	return before, nil
}

func (s *Server) usersMessageLocked(channel, ts, user string) (*Message, error) {
	c := s.channels[channel]
	if c == nil {
		return nil, fmt.Errorf("slackfake: channel %q not found", channel)
	}
	m := c.find(ts)
	switch {
	case m == nil || m.Deleted:
		return nil, fmt.Errorf("slackfake: no message %s in %s", ts, channel)
	case m.User != user || m.BotID != "":
		return nil, fmt.Errorf("slackfake: message %s in %s is not %s's", ts, channel, user)
	}
	return m, nil
}
