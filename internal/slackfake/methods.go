package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

func (s *Server) authTest(*request) reply {
	return ok(map[string]any{
		"url":     s.URL() + "/",
		"team":    TeamName,
		"user":    BotName,
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	})
}

// content is a message body as the chat methods take it.
type content struct {
	text, blocks, attachments string
	hasBlocks                 bool // a non-empty blocks array
}

// checkContent reads and validates text, blocks and attachments.
func checkContent(r *request) (content, *reply) {
	c := content{
		text:        r.params.Get("text"),
		blocks:      r.params.Get("blocks"),
		attachments: r.params.Get("attachments"),
	}
	if n := utf8.RuneCountInString(c.text); n > limits.MessageText {
		rep := fail("msg_too_long", fmt.Sprintf("text is %d characters, more than %d", n, limits.MessageText))
		return c, &rep
	}
	if err := checkBlocksJSON(c.blocks, inMessage, "/blocks"); err != nil {
		code := "invalid_blocks"
		if err.format {
			code = "invalid_blocks_format"
		}
		rep := failBlocks(code, err)
		return c, &rep
	}
	c.hasBlocks = c.blocks != "" && strings.TrimSpace(c.blocks) != "[]"
	return c, nil
}

func (c content) empty() bool {
	return c.text == "" && !c.hasBlocks && (c.attachments == "" || c.attachments == "[]")
}

func blocksOf(c content) json.RawMessage {
	if !c.hasBlocks {
		return nil
	}
	return rawJSON(c.blocks)
}

func (s *Server) chatPostMessage(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	if c.archived {
		return fail("is_archived", fmt.Sprintf("channel %s is archived", c.id))
	}
	body, bad := checkContent(r)
	if bad != nil {
		return *bad
	}
	if body.empty() {
		return fail("no_text", "neither text nor blocks nor attachments")
	}
	m := &Message{
		Channel:     c.id,
		User:        BotUserID,
		BotID:       BotID,
		Text:        body.text,
		Blocks:      blocksOf(body),
		Attachments: rawJSON(body.attachments),
	}
	if ts := r.params.Get("thread_ts"); ts != "" {
		parent := c.parentOf(ts)
		switch {
		case parent != nil:
			m.ThreadTS = parent.TS
			m.ReplyBroadcast = isTrue(r.params.Get("reply_broadcast"))
			parent.ReplyCount++
		case c.find(ts) == nil:
			return fail("thread_not_found", fmt.Sprintf("no message %s in %s to reply to", ts, c.id))
		default:
			// The parent was deleted: Slack posts the reply to the
			// channel, un-threaded.
		}
	}
	m.TS = s.nextTSLocked()
	c.add(m)
	return ok(map[string]any{"channel": c.id, "ts": m.TS, "message": s.render(c, m)})
}

func isTrue(v string) bool { return v == "true" || v == "1" }

func (s *Server) chatUpdate(r *request) reply {
	c, m, rep := s.ownMessage(r.params.Get("channel"), r.params.Get("ts"), "cant_update_message")
	if rep != nil {
		return *rep
	}
	body, bad := checkContent(r)
	if bad != nil {
		return *bad
	}
	_, hasText := r.params["text"]
	_, hasBlocks := r.params["blocks"]
	_, hasAtt := r.params["attachments"]
	if !hasText && !hasBlocks && !hasAtt {
		return fail("no_text", "neither text nor blocks nor attachments")
	}
	if hasText {
		m.Text = body.text
	}
	if hasBlocks {
		m.Blocks = blocksOf(body)
	}
	if hasAtt {
		m.Attachments = rawJSON(body.attachments)
	}
	m.Updated = true
	m.editedTS = s.nextTSLocked()
	return ok(map[string]any{"channel": c.id, "ts": m.TS, "text": m.Text, "message": s.render(c, m)})
}

// ownMessage finds a live message the bot posted; others' messages are
// refused with notOwn, as Slack refuses a bot token.
func (s *Server) ownMessage(chID, ts, notOwn string) (*channel, *Message, *reply) {
	c, found := s.channelLocked(chID)
	if !found {
		rep := fail("channel_not_found", fmt.Sprintf("no channel %q", chID))
		return nil, nil, &rep
	}
	m := c.find(ts)
	if m == nil || m.Deleted {
		rep := fail("message_not_found", fmt.Sprintf("no message %q in %s", ts, c.id))
		return nil, nil, &rep
	}
	if m.User != BotUserID {
		rep := fail(notOwn, fmt.Sprintf("message %s was posted by %s, not the bot", ts, m.User))
		return nil, nil, &rep
	}
	return c, m, nil
}

func (s *Server) chatDelete(r *request) reply {
	c, m, rep := s.ownMessage(r.params.Get("channel"), r.params.Get("ts"), "cant_delete_message")
	if rep != nil {
		return *rep
	}
	m.Deleted = true
	if m.ThreadTS != "" {
		if parent := c.find(m.ThreadTS); parent != nil {
			parent.ReplyCount--
		}
	}
	return ok(map[string]any{"channel": c.id, "ts": m.TS})
}

func (s *Server) chatPostEphemeral(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	user := r.params.Get("user")
	if user == "" {
		return fail("user_not_found", "no user to show the message to")
	}
	body, bad := checkContent(r)
	if bad != nil {
		return *bad
	}
	if body.empty() {
		return fail("no_text", "neither text nor blocks nor attachments")
	}
	e := Ephemeral{
		Channel:  c.id,
		User:     user,
		TS:       s.nextTSLocked(),
		ThreadTS: r.params.Get("thread_ts"),
		Text:     body.text,
		Blocks:   blocksOf(body),
	}
	s.ephem = append(s.ephem, e)
	return ok(map[string]any{"message_ts": e.TS})
}

func (s *Server) chatGetPermalink(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	ts := r.params.Get("message_ts")
	m := c.find(ts)
	if m == nil || m.Deleted {
		return fail("message_not_found", fmt.Sprintf("no message %q in %s", ts, c.id))
	}
	return ok(map[string]any{"channel": c.id, "permalink": s.permalink(c, m)})
}

// permalink is shaped like Slack's, on the fake's own host.
func (s *Server) permalink(c *channel, m *Message) string {
	link := fmt.Sprintf("%s/archives/%s/p%s", s.URL(), c.id, strings.Replace(m.TS, ".", "", 1))
	if m.ThreadTS != "" {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, c.id)
	}
	return link
}

// render shapes a message the way Slack's API returns it.
func (s *Server) render(c *channel, m *Message) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "team": TeamID}
	if m.Deleted {
		// Only a deleted parent with live replies is ever shown.
		out["subtype"] = "tombstone"
		out["text"] = "This message was deleted."
		out["user"] = "USLACKBOT"
		out["hidden"] = true
	} else {
		out["user"] = m.User
		if m.BotID != "" {
			out["bot_id"] = m.BotID
			out["app_id"] = AppID
		}
		if m.Blocks != nil {
			out["blocks"] = m.Blocks
		}
		if m.Attachments != nil {
			out["attachments"] = m.Attachments
		}
		if m.editedTS != "" {
			out["edited"] = map[string]any{"user": m.User, "ts": m.editedTS}
		}
	}
	if len(m.Reactions) > 0 && !m.Deleted {
		var rs []map[string]any
		for _, r := range m.Reactions {
			rs = append(rs, map[string]any{"name": r.Name, "users": r.Users, "count": len(r.Users)})
		}
		out["reactions"] = rs
	}
	if len(m.FileIDs) > 0 && !m.Deleted {
		out["subtype"] = "file_share"
		out["upload"] = true
		var files []map[string]any
		for _, id := range m.FileIDs {
			if u := s.uploads[id]; u != nil {
				files = append(files, s.renderFile(u))
			}
		}
		out["files"] = files
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		if parent := c.find(m.ThreadTS); parent != nil {
			out["parent_user_id"] = parent.User
		}
		if m.ReplyBroadcast {
			out["subtype"] = "thread_broadcast"
		}
		return out
	}
	var users []string
	latest := ""
	for _, r := range c.replies(m.TS) {
		if r.Deleted {
			continue
		}
		if !slices.Contains(users, r.User) {
			users = append(users, r.User)
		}
		latest = r.TS
	}
	if latest != "" {
		out["thread_ts"] = m.TS
		out["reply_count"] = m.ReplyCount
		out["reply_users"] = users
		out["reply_users_count"] = len(users)
		out["latest_reply"] = latest
	}
	return out
}

// page is the pagination asked for by cursor and limit.
type page struct {
	after  int64 // only items with ts >= after, from the cursor; 0 for the first page
	limit  int
	oldest int64
	latest int64
	incl   bool
}

// cursors are opaque to clients; here they carry the ts of the next item.
func encodeCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + ts))
}

func decodeCursor(cur string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(cur)
	if err != nil {
		return 0, false
	}
	ts, found := strings.CutPrefix(string(b), "next_ts:")
	if !found {
		return 0, false
	}
	return parseTS(ts)
}

func readPage(r *request, defLimit, maxLimit int) (page, *reply) {
	p := page{limit: defLimit, latest: 1<<63 - 1, incl: isTrue(r.params.Get("inclusive"))}
	if v := r.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rep := fail("invalid_limit", fmt.Sprintf("limit %q is not a number", v))
			return p, &rep
		}
		if n > 0 {
			p.limit = min(n, maxLimit)
		}
	}
	if v := r.params.Get("cursor"); v != "" {
		after, valid := decodeCursor(v)
		if !valid {
			rep := fail("invalid_cursor", fmt.Sprintf("cursor %q was not handed out by the fake", v))
			return p, &rep
		}
		p.after = after
	}
	for _, f := range []struct {
		key  string
		dst  *int64
		code string
	}{{"oldest", &p.oldest, "invalid_ts_oldest"}, {"latest", &p.latest, "invalid_ts_latest"}} {
		v := r.params.Get(f.key)
		if v == "" {
			continue
		}
		us, valid := parseTS(v)
		if !valid {
			rep := fail(f.code, fmt.Sprintf("%s %q is not a timestamp", f.key, v))
			return p, &rep
		}
		*f.dst = us
	}
	return p, nil
}

// inRange applies oldest, latest and inclusive to a ts.
func (p page) inRange(ts string) bool {
	us, _ := parseTS(ts)
	if p.incl {
		return us >= p.oldest && us <= p.latest
	}
	return us > p.oldest && us < p.latest
}

// cut takes one page of items in the order given. An item's place is found
// by ts, so the cursor survives messages added between pages.
func (p page) cut(items []*Message, newestFirst bool) (out []*Message, next string) {
	start := 0
	if p.after != 0 {
		start = len(items)
		for i, m := range items {
			us, _ := parseTS(m.TS)
			if (!newestFirst && us >= p.after) || (newestFirst && us <= p.after) {
				start = i
				break
			}
		}
	}
	end := min(start+p.limit, len(items))
	if end < len(items) {
		next = encodeCursor(items[end].TS)
	}
	return items[start:end], next
}

func (s *Server) conversationsReplies(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	p, bad := readPage(r, 1000, 1000)
	if bad != nil {
		return *bad
	}
	ts := r.params.Get("ts")
	parent := c.find(ts)
	if parent != nil && parent.ThreadTS != "" {
		parent = c.find(parent.ThreadTS)
	}
	if parent == nil || (parent.Deleted && parent.ReplyCount == 0) {
		return fail("thread_not_found", fmt.Sprintf("no message %q in %s", ts, c.id))
	}
	var items []*Message
	for _, m := range append([]*Message{parent}, c.replies(parent.TS)...) {
		if (m == parent || !m.Deleted) && p.inRange(m.TS) {
			items = append(items, m)
		}
	}
	got, next := p.cut(items, false)
	msgs := make([]map[string]any, 0, len(got))
	for _, m := range got {
		msgs = append(msgs, s.render(c, m))
	}
	return ok(map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsHistory(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	p, bad := readPage(r, 100, 999)
	if bad != nil {
		return *bad
	}
	var items []*Message
	for _, m := range slices.Backward(c.msgs) {
		visible := (m.ThreadTS == "" || m.ReplyBroadcast) && (!m.Deleted || (m.ThreadTS == "" && m.ReplyCount > 0))
		if visible && p.inRange(m.TS) {
			items = append(items, m)
		}
	}
	got, next := p.cut(items, true)
	msgs := make([]map[string]any, 0, len(got))
	for _, m := range got {
		msgs = append(msgs, s.render(c, m))
	}
	return ok(map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsInfo(r *request) reply {
	c, found := s.channelLocked(r.params.Get("channel"))
	if !found {
		return fail("channel_not_found", fmt.Sprintf("no channel %q", r.params.Get("channel")))
	}
	empty := map[string]any{"value": "", "creator": "", "last_set": 0}
	return ok(map[string]any{"channel": map[string]any{
		"id":              c.id,
		"name":            c.name,
		"name_normalized": c.name,
		"created":         c.created,
		"creator":         BotUserID,
		"is_channel":      true,
		"is_member":       true,
		"is_private":      false,
		"is_archived":     false,
		"is_general":      false,
		"topic":           empty,
		"purpose":         empty,
	}})
}

func (s *Server) usersInfo(r *request) reply {
	id := r.params.Get("user")
	u, found := s.users[id]
	if !found {
		return fail("user_not_found", fmt.Sprintf("no user %q; tell the fake with WithUser", id))
	}
	return ok(map[string]any{"user": map[string]any{
		"id":        u.ID,
		"team_id":   TeamID,
		"name":      u.Name,
		"real_name": u.RealName,
		"deleted":   false,
		"is_bot":    u.IsBot,
		"tz":        "Etc/UTC",
		"tz_label":  "Coordinated Universal Time",
		"tz_offset": 0,
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            u.Name,
			"display_name_normalized": u.Name,
			"team":                    TeamID,
		},
	}})
}
