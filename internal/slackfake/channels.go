package slackfake

// Channels the bot makes (conversations.create, invite, archive) and the
// App Home it publishes (views.publish), with the errors Slack documents
// for them (docs.slack.dev/reference/methods/conversations.create,
// conversations.invite, conversations.archive, views.publish).

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxChannelName is Slack's limit of a channel name (conversations.create:
// "80 characters or less").
const maxChannelName = 80

// checkChannelName applies conversations.create's name rules: lowercase
// letters, digits, hyphens and underscores, at most 80 characters; it
// returns Slack's error code, or "".
func checkChannelName(name string) string {
	switch {
	case name == "":
		return "invalid_name_required"
	case utf8.RuneCountInString(name) > maxChannelName:
		return "invalid_name_maxlength"
	case strings.Trim(name, "-_") == "":
		return "invalid_name_punctuation"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "invalid_name_specials"
		}
	}
	return ""
}

func (s *Server) conversationsCreate(r *request) reply {
	name := r.params.Get("name")
	if code := checkChannelName(name); code != "" {
		return fail(code, fmt.Sprintf("channel name %q", name))
	}
	for _, c := range s.channels {
		if c.name == name {
			return fail("name_taken", fmt.Sprintf("a channel named %q exists (%s)", name, c.id))
		}
	}
	c := s.addChannel(s.nextIDLocked("C"), name)
	c.private = r.params.Get("is_private") == "true" || r.params.Get("is_private") == "1"
	c.members = []string{BotUserID}
	return ok(map[string]any{"channel": s.renderChannel(c)})
}

func (s *Server) renderChannel(c *channel) map[string]any {
	return map[string]any{
		"id": c.id, "name": c.name, "name_normalized": c.name, "created": c.created, "creator": BotUserID,
		"is_channel": !c.private, "is_group": c.private, "is_private": c.private, "is_archived": c.archived,
		"is_member": slices.Contains(c.members, BotUserID),
	}
}

func (s *Server) conversationsInvite(r *request) reply {
	c, found := s.channels[r.params.Get("channel")]
	switch {
	case !found:
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	case c.archived:
		return fail("is_archived", fmt.Sprintf("channel %s is archived", c.id))
	case c.members != nil && !slices.Contains(c.members, BotUserID):
		return fail("not_in_channel", "the bot is not in the channel")
	}
	users := strings.FieldsFunc(r.params.Get("users"), func(r rune) bool { return r == ',' })
	if len(users) == 0 {
		return fail("no_user", "no users to invite")
	}
	for _, u := range users {
		switch {
		case u == BotUserID:
			return fail("cant_invite_self", "the bot cannot invite itself")
		case slices.Contains(c.members, u):
			return fail("already_in_channel", fmt.Sprintf("%s is already in %s", u, c.id))
		}
	}
	c.members = append(c.members, users...)
	return ok(map[string]any{"channel": s.renderChannel(c)})
}

func (s *Server) conversationsArchive(r *request) reply {
	c, found := s.channels[r.params.Get("channel")]
	switch {
	case !found:
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	case c.archived:
		return fail("already_archived", fmt.Sprintf("channel %s is archived already", c.id))
	}
	c.archived = true
	return ok(map[string]any{})
}

// ChannelInfo is a channel as conversations.create made it.
type ChannelInfo struct {
	ID, Name          string
	Private, Archived bool
	Members           []string
}

// ChannelByName returns the channel of that name, when there is one.
func (s *Server) ChannelByName(name string) (ChannelInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.chOrder {
		if c := s.channels[id]; c.name == name {
			return ChannelInfo{ID: c.id, Name: c.name, Private: c.private, Archived: c.archived,
				Members: slices.Clone(c.members)}, true
		}
	}
	return ChannelInfo{}, false
}

// Channels lists the channels, in the order they were made or first used.
func (s *Server) Channels() []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChannelInfo, 0, len(s.chOrder))
	for _, id := range s.chOrder {
		c := s.channels[id]
		out = append(out, ChannelInfo{ID: c.id, Name: c.name, Private: c.private, Archived: c.archived,
			Members: slices.Clone(c.members)})
	}
	return out
}

func (s *Server) viewsPublish(r *request) reply {
	user := r.params.Get("user_id")
	if user == "" {
		return fail("invalid_arguments", "views.publish needs a user_id")
	}
	raw := r.params.Get("view")
	if err := checkView(raw, "home"); err != nil {
		return failBlocks("invalid_arguments", err)
	}
	v := s.homes[user]
	if v == nil {
		v = &View{ID: s.nextIDLocked("V")}
		s.homes[user] = v
	} else {
		v.Updates++
	}
	if rep := s.setView(v, raw); rep != nil {
		return *rep
	}
	return reply{body: map[string]any{"view": s.renderView(v)}, blocks: v.Blocks}
}

// Home returns the App Home last published for a user.
func (s *Server) Home(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.homes[user]
	if v == nil {
		return View{}, false
	}
	out := *v
	out.Blocks = cloneRaw(v.Blocks)
	out.JSON = cloneRaw(v.JSON)
	return out, true
}

// AddFileMessage posts a top-level message as a user with files attached
// (their names; no bytes), as if shared in Slack.
func (s *Server) AddFileMessage(channel, user, text string, names ...string) (Message, error) {
	m, err := s.addUserMessage(channel, "", user, text)
	if err != nil {
		return m, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	msg := c.find(m.TS)
	for _, n := range names {
		id := s.nextIDLocked("F")
		s.uploads[id] = &upload{id: id, name: n, title: n, created: s.now().Unix(), uploaded: true, completed: true}
		msg.FileIDs = append(msg.FileIDs, id)
	}
	s.notifyLocked()
	return copyMessage(msg), nil
}

// Reaction is an emoji reaction on a message: its name (without colons)
// and who added it, as conversations.history shows reactions.
type Reaction struct {
	Name  string
	Users []string
}

// AddReaction adds user's reaction name to a message, as a person does in
// Slack (the bot itself adds none). It reports whether it was new: Slack
// sends reaction_added only then.
func (s *Server) AddReaction(channel, ts, user, name string) (bool, error) {
	return s.react(channel, ts, user, name, true)
}

// RemoveReaction takes user's reaction away; false when there was none.
func (s *Server) RemoveReaction(channel, ts, user, name string) (bool, error) {
	return s.react(channel, ts, user, name, false)
}

func (s *Server) react(chID, ts, user, name string, add bool) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[chID]
	if c == nil {
		return false, fmt.Errorf("slackfake: channel %q not found", chID)
	}
	m := c.find(ts)
	if m == nil || m.Deleted {
		return false, fmt.Errorf("slackfake: message %s not found in %s", ts, chID)
	}
	i := slices.IndexFunc(m.Reactions, func(r Reaction) bool { return r.Name == name })
	switch {
	case add && i < 0:
		m.Reactions = append(m.Reactions, Reaction{Name: name, Users: []string{user}})
	case add && slices.Contains(m.Reactions[i].Users, user):
		return false, nil
	case add:
		m.Reactions[i].Users = append(m.Reactions[i].Users, user)
	case i < 0 || !slices.Contains(m.Reactions[i].Users, user):
		return false, nil
	default:
		m.Reactions[i].Users = slices.DeleteFunc(m.Reactions[i].Users, func(u string) bool { return u == user })
		if len(m.Reactions[i].Users) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		}
	}
	s.notifyLocked()
	return true, nil
}
