package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
)

// User is a person (or the bot) known to users.info.
type User struct {
	ID       string
	Name     string
	RealName string
	IsBot    bool
}

// Message is a message as it stands now in a channel: after any chat.update,
// and flagged rather than removed after chat.delete.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a thread reply and "" for a
	// top-level message (Slack also sets thread_ts on a parent that has
	// replies; ReplyCount tells those apart here).
	ThreadTS       string
	ReplyBroadcast bool // a reply also sent to the channel
	User           string
	BotID          string // set on the bot's own messages
	Text           string
	Blocks         json.RawMessage // nil if the message has none
	Attachments    json.RawMessage // nil if the message has none
	FileIDs        []string        // files shared by this message
	ReplyCount     int             // replies not deleted
	Updated        bool            // changed by chat.update at least once
	Deleted        bool            // removed by chat.delete
	Reactions      []Reaction      // emoji reactions people added (AddReaction)

	editedTS string
}

// Ephemeral is a message only one user saw (chat.postEphemeral). Slack
// keeps no copy of these; the fake records them.
type Ephemeral struct {
	Channel  string
	User     string // who it was shown to
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
}

// File is a file uploaded with the v2 flow and shared by
// files.completeUploadExternal. A file shared into several channels appears
// once per channel.
type File struct {
	ID             string
	Name           string // filename given to files.getUploadURLExternal
	Title          string // title given on completion, else the name
	Content        []byte // the bytes POSTed to the upload URL
	AltText        string
	SnippetType    string
	Channel        string // "" if completed without a channel (a private file)
	ThreadTS       string
	InitialComment string
	MessageTS      string // the file_share message in the channel or thread
}

// View is a modal opened with views.open, as last set by views.update.
type View struct {
	ID              string
	ExternalID      string
	TriggerID       string
	Hash            string
	CallbackID      string
	PrivateMetadata string
	Title           string
	Blocks          json.RawMessage
	JSON            json.RawMessage // the whole view as the bot last sent it
	Updates         int             // how many views.update calls changed it
}

type channel struct {
	id, name string
	created  int64          // unix seconds
	msgs     []*Message     // every message and reply, in ts order
	byTS     map[string]int // ts → index in msgs
	// Made by conversations.create (channels.go): private, archived, and
	// who is in it.
	private, archived bool
	members           []string
}

type upload struct {
	id, name, title, altText, snippetType string
	created                               int64
	content                               []byte
	uploaded, completed                   bool
}

// AddChannel creates a channel (a no-op if it exists).
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addChannel(id, name)
	s.notifyLocked()
}

func (s *Server) addChannel(id, name string) *channel {
	if c, found := s.channels[id]; found {
		return c
	}
	c := &channel{id: id, name: name, created: s.now().Unix(), byTS: map[string]int{}}
	s.channels[id] = c
	s.chOrder = append(s.chOrder, id)
	return c
}

// channelLocked finds a channel, creating it unless channels are strict.
func (s *Server) channelLocked(id string) (*channel, bool) {
	if id == "" {
		return nil, false
	}
	if c, found := s.channels[id]; found {
		return c, true
	}
	if s.strict {
		return nil, false
	}
	return s.addChannel(id, id), true
}

func (c *channel) find(ts string) *Message {
	if i, found := c.byTS[ts]; found {
		return c.msgs[i]
	}
	return nil
}

// add appends a message; its ts is newer than all others, so order holds.
func (c *channel) add(m *Message) {
	c.byTS[m.TS] = len(c.msgs)
	c.msgs = append(c.msgs, m)
}

// replies returns a parent's replies in order, deleted ones included.
func (c *channel) replies(parentTS string) []*Message {
	var out []*Message
	for _, m := range c.msgs {
		if m.ThreadTS == parentTS {
			out = append(out, m)
		}
	}
	return out
}

// AddMessage posts a top-level message as a user, as if typed in Slack.
func (s *Server) AddMessage(channel, user, text string) (Message, error) {
	return s.addUserMessage(channel, "", user, text)
}

// AddReply posts a reply in a thread as a user, as if typed in Slack, so
// that conversations.replies returns it. threadTS may be the parent's ts or
// any reply's; the parent must exist and not be deleted.
func (s *Server) AddReply(channel, threadTS, user, text string) (Message, error) {
	if threadTS == "" {
		return Message{}, fmt.Errorf("slackfake: AddReply in %s: no thread ts", channel)
	}
	return s.addUserMessage(channel, threadTS, user, text)
}

func (s *Server) addUserMessage(chID, threadTS, user, text string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.channelLocked(chID)
	if !found {
		return Message{}, fmt.Errorf("slackfake: channel %q not found", chID)
	}
	m := &Message{Channel: chID, User: user, Text: text}
	if threadTS != "" {
		parent := c.parentOf(threadTS)
		if parent == nil {
			return Message{}, fmt.Errorf("slackfake: thread %s not found in %s", threadTS, chID)
		}
		m.ThreadTS = parent.TS
		parent.ReplyCount++
	}
	m.TS = s.nextTSLocked()
	c.add(m)
	s.notifyLocked()
	return copyMessage(m), nil
}

// parentOf resolves a thread_ts to the live top-level message it names,
// following a reply's ts to its parent as Slack does; nil if none.
func (c *channel) parentOf(ts string) *Message {
	m := c.find(ts)
	if m != nil && m.ThreadTS != "" {
		m = c.find(m.ThreadTS)
	}
	if m == nil || m.Deleted {
		return nil
	}
	return m
}

func copyMessage(m *Message) Message {
	out := *m
	out.Blocks = cloneRaw(m.Blocks)
	out.Attachments = cloneRaw(m.Attachments)
	out.FileIDs = slices.Clone(m.FileIDs)
	out.Reactions = nil
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, Reaction{Name: r.Name, Users: slices.Clone(r.Users)})
	}
	return out
}

// Messages returns a channel's top-level messages, oldest first, as they
// stand now, deleted ones included and flagged. Thread replies, sent to the
// channel too or not, are in Thread.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if m.ThreadTS == "" {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

// Thread returns a thread as it stands now: the parent, then its replies,
// oldest first. ts may be the parent's or any reply's. Nil if there is no
// such message.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil {
		return nil
	}
	parent := c.find(ts)
	if parent != nil && parent.ThreadTS != "" {
		parent = c.find(parent.ThreadTS)
	}
	if parent == nil {
		return nil
	}
	out := []Message{copyMessage(parent)}
	for _, m := range c.replies(parent.TS) {
		out = append(out, copyMessage(m))
	}
	return out
}

// Ephemerals returns every ephemeral message, oldest first.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ephemeral, len(s.ephem))
	for i, e := range s.ephem {
		e.Blocks = cloneRaw(e.Blocks)
		out[i] = e
	}
	return out
}

// Files returns every shared file, in the order shared.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, len(s.shares))
	for i, f := range s.shares {
		f.Content = slices.Clone(f.Content)
		out[i] = f
	}
	return out
}

// Views returns every modal opened, in the order opened.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewIDs))
	for _, id := range s.viewIDs {
		v := *s.views[id]
		v.Blocks = cloneRaw(v.Blocks)
		v.JSON = cloneRaw(v.JSON)
		out = append(out, v)
	}
	return out
}
