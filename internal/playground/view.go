package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/bot/internal/slackfake"
)

// msgView is one message as the page shows it.
type msgView struct {
	TS, ThreadTS string
	AuthorID     string
	Author       string
	Initials     string
	Hue          int
	Bot          bool // the incident bot (an app)
	Slackbot     bool
	Ephemeral    bool
	Time         time.Time
	Body         template.HTML
	Edited       bool
	Deleted      bool
	Files        []fileView
	Replies      int
	ReplyUsers   []avatar
	LastReply    time.Time
	Continued    bool   // same author just before: no name line, as Slack groups them
	InThread     bool   // shown in the thread pane
	Mine         bool   // yours: you may edit and delete it
	Typed        string // yours: the text as you typed it, for editing
	Channel      string // where it is (surfaces.go)
	Reactions    []reactionView
}

type avatar struct {
	Initials string
	Hue      int
	Bot      bool
}

type fileView struct {
	ID, Name, Title, Size, Kind string
}

// viewer renders the workspace's state for you.
type viewer struct {
	people
	real  map[string]string // user id → real name
	files map[string]slackfake.File
	ch    string // the channel shown (surfaces.go)
}

func (p *Playground) viewer() viewer {
	v := viewer{people: people{names: map[string]string{}, me: UserID, chans: p.channelNames()}, real: map[string]string{},
		files: map[string]slackfake.File{}, ch: ChannelID}
	for _, u := range p.fake.Users() {
		v.names[u.ID] = u.Name
		v.real[u.ID] = u.RealName
	}
	for _, f := range p.fake.Files() {
		v.files[f.ID] = f
	}
	return v
}

func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000)
}

func tsLess(a, b string) int {
	ta, tb := tsTime(a), tsTime(b)
	return ta.Compare(tb)
}

func hue(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 8)
}

func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, r)
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

func (v viewer) author(m *msgView, id string) {
	m.AuthorID = id
	switch {
	case id == slackfake.BotUserID:
		m.Author, m.Bot, m.Initials = slackfake.BotName, true, "IB"
	case id == "USLACKBOT":
		m.Author, m.Slackbot, m.Initials = "Slackbot", true, "S"
	default:
		m.Author = v.real[id]
		if m.Author == "" {
			m.Author = id
		}
		m.Initials = initials(m.Author)
	}
	m.Hue = hue(id)
}

func (v viewer) message(m slackfake.Message) msgView {
	// Slack marks a person's edit "(edited)", not an app's chat.update of
	// its own message (an incident message changes with every click).
	out := msgView{TS: m.TS, ThreadTS: m.ThreadTS, Time: tsTime(m.TS), Edited: m.Updated && m.BotID == "", Deleted: m.Deleted,
		Replies: m.ReplyCount, Channel: m.Channel, Reactions: reactionsOf(m)}
	v.author(&out, m.User)
	if m.Deleted {
		out.Body = template.HTML(`<span class="muted">This message was deleted.</span>`)
		return out
	}
	if len(m.Blocks) > 0 {
		out.Body = v.blocks(m.Blocks, target{ts: m.TS})
	} else if m.Text != "" {
		out.Body = v.mrkdwn(m.Text)
	}
	if m.User == UserID && m.BotID == "" {
		out.Mine, out.Typed = true, v.typed(m.Text)
	}
	for _, id := range m.FileIDs {
		f, ok := v.files[id]
		if !ok {
			continue
		}
		out.Files = append(out.Files, fileView{ID: f.ID, Name: f.Name, Title: f.Title, Size: size(len(f.Content)), Kind: kind(f)})
	}
	return out
}

func size(n int) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1024/1024)
}

func kind(f slackfake.File) string {
	if f.SnippetType == "markdown" || strings.HasSuffix(f.Name, ".md") {
		return "Markdown"
	}
	return "File"
}

func (v viewer) ephemeral(e slackfake.Ephemeral) msgView {
	out := msgView{TS: e.TS, ThreadTS: e.ThreadTS, Time: tsTime(e.TS), Ephemeral: true}
	v.author(&out, slackfake.BotUserID)
	if len(e.Blocks) > 0 {
		out.Body = v.blocks(e.Blocks, target{ts: e.TS, ephemeral: true})
	} else {
		out.Body = v.mrkdwn(e.Text)
	}
	return out
}

func (v viewer) notice(n notice) msgView {
	out := msgView{TS: n.TS, ThreadTS: n.ThreadTS, Time: tsTime(n.TS), Ephemeral: true}
	v.author(&out, "USLACKBOT")
	out.Body = v.mrkdwn(n.Text)
	return out
}

// group marks messages that follow one by the same author within five
// minutes, as Slack shows them without a second name line.
func group(msgs []msgView) {
	for i := 1; i < len(msgs); i++ {
		a, b := msgs[i-1], msgs[i]
		msgs[i].Continued = a.AuthorID == b.AuthorID && !a.Ephemeral && !b.Ephemeral && !a.Deleted &&
			b.Time.Sub(a.Time) < 5*time.Minute && a.Replies == 0
	}
}

// channel is the channel's timeline: top-level messages, and what was
// shown to you only outside threads since the page was loaded (since, a
// ts; see fresh).
func (p *Playground) channel(v viewer, since string) []msgView {
	var out []msgView
	for _, m := range p.fake.Messages(v.ch) {
		if m.Deleted && m.ReplyCount == 0 {
			continue
		}
		mv := v.message(m)
		if m.ReplyCount > 0 {
			p.replySummary(v, &mv)
		}
		out = append(out, mv)
	}
	for _, e := range p.fake.Ephemerals() {
		if e.Channel == v.ch && e.User == UserID && e.ThreadTS == "" && fresh(e.TS, since) {
			out = append(out, v.ephemeral(e))
		}
	}
	for _, n := range p.noticesIn("") {
		if fresh(n.TS, since) {
			out = append(out, v.notice(n))
		}
	}
	slices.SortStableFunc(out, func(a, b msgView) int { return tsLess(a.TS, b.TS) })
	group(out)
	return out
}

// replySummary fills in who replied and when, for the "N replies" line.
func (p *Playground) replySummary(v viewer, m *msgView) {
	thread := p.fake.Thread(v.ch, m.TS)
	seen := map[string]bool{}
	for _, r := range thread[min(1, len(thread)):] {
		if r.Deleted {
			continue
		}
		m.LastReply = tsTime(r.TS)
		if !seen[r.User] && len(m.ReplyUsers) < 5 {
			seen[r.User] = true
			var a msgView
			v.author(&a, r.User)
			m.ReplyUsers = append(m.ReplyUsers, avatar{Initials: a.Initials, Hue: a.Hue, Bot: a.Bot})
		}
	}
}

// thread is a thread as the pane shows it: the parent, the replies, and
// what was shown to you only in it since the page was loaded. Nil when
// there is no such thread.
func (p *Playground) thread(v viewer, ts, since string) []msgView {
	msgs := p.fake.Thread(v.ch, ts)
	if len(msgs) == 0 {
		return nil
	}
	parent := msgs[0].TS
	var out []msgView
	for i, m := range msgs {
		if i > 0 && m.Deleted {
			continue
		}
		mv := v.message(m)
		mv.InThread = true
		out = append(out, mv)
	}
	for _, e := range p.fake.Ephemerals() {
		if e.Channel == v.ch && e.User == UserID && e.ThreadTS != "" && (e.ThreadTS == parent || inThread(msgs, e.ThreadTS)) &&
			fresh(e.TS, since) {
			mv := v.ephemeral(e)
			mv.InThread = true
			out = append(out, mv)
		}
	}
	for _, n := range p.noticesIn(parent) {
		if !fresh(n.TS, since) {
			continue
		}
		mv := v.notice(n)
		mv.InThread = true
		out = append(out, mv)
	}
	head, rest := out[0], out[1:]
	slices.SortStableFunc(rest, func(a, b msgView) int { return tsLess(a.TS, b.TS) })
	group(rest)
	head.Replies = len(msgs) - 1
	return append([]msgView{head}, rest...)
}

// fresh says whether a message only you see, posted at ts, belongs to the
// page loaded at since: Slack shows such messages to the client that was
// open when they came, and a reload (or another tab) starts without them.
// An empty since (a client that does not say) shows them all.
func fresh(ts, since string) bool {
	return since == "" || tsLess(ts, since) > 0
}

// pageSince is the since of a page loaded now: after every message only
// you see so far, and not before the clock (the fake's timestamps may run
// ahead of it by a few microseconds under a burst).
func (p *Playground) pageSince() string {
	last := time.Now()
	for _, e := range p.fake.Ephemerals() {
		if t := tsTime(e.TS); t.After(last) {
			last = t
		}
	}
	p.mu.Lock()
	for _, n := range p.notices {
		if t := tsTime(n.TS); t.After(last) {
			last = t
		}
	}
	p.mu.Unlock()
	us := last.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

func inThread(msgs []slackfake.Message, ts string) bool {
	for _, m := range msgs {
		if m.TS == ts {
			return true
		}
	}
	return false
}

func (p *Playground) noticesIn(threadTS string) []notice {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []notice
	for _, n := range p.notices {
		if n.ThreadTS == threadTS {
			out = append(out, n)
		}
	}
	return out
}

// simView is the vendors' switches as the page shows them.
type simView struct {
	Key, Name string
	Mode      string
	Last      string
	Modes     []ModeOption `json:"-"` // the page's options; the live updates need only the mode
}

type sidebarView struct {
	Vendors []simView
	Health  string
	LastHC  string
}

func (p *Playground) sidebar() sidebarView {
	modes, health, last := p.sims.state()
	sv := sidebarView{Health: string(health), LastHC: lastCall(last["health"])}
	for _, v := range Simulated {
		sv.Vendors = append(sv.Vendors, simView{Key: v.Key, Name: v.Name, Mode: string(modes[v.Key]), Last: lastCall(last[v.Key]), Modes: v.Modes()})
	}
	return sv
}

func lastCall(pr probe) string {
	switch {
	case pr.At.IsZero():
		return "not called yet"
	case pr.Status == 0:
		return "called " + pr.At.UTC().Format("15:04:05") + " UTC · left hanging"
	}
	return fmt.Sprintf("called %s UTC · answered %d", pr.At.UTC().Format("15:04:05"), pr.Status)
}

var funcs = template.FuncMap{
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"clock":  func(t time.Time) string { return t.UTC().Format("15:04") },
	"health": func() any { return HealthModes },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"command": func() string { return Command },
	"channel": func() string { return ChannelName },
}

func (p *Playground) render(name string, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(p.local(b.String())), nil
}

// local makes links to this server (a simulated status page, say) relative,
// so that they work whatever host name the page was opened with.
func (p *Playground) local(html string) string {
	return strings.ReplaceAll(html, `href="`+template.HTMLEscapeString(p.base)+`/`, `href="/`)
}

// servePage is the whole page, rendered on the server; the script only
// keeps it live.
func (p *Playground) servePage(w http.ResponseWriter, r *http.Request) {
	v := p.viewerIn(r.URL.Query().Get("ch"))
	since := p.pageSince()
	data := map[string]any{
		"Since":      since,
		"Channel":    p.channel(v, since),
		"Surfaces":   p.surfaces(r.Context(), v, r.URL.Query().Get("home") != ""),
		"Sidebar":    p.sidebar(),
		"Me":         UserReal,
		"MeHue":      hue(UserID),
		"MeInitials": initials(UserReal),
		"Users":      append([]struct{ ID, Name, Real string }{{slackfake.BotUserID, slackfake.BotName, slackfake.BotName}}, teammates...),
	}
	var b bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&b, "page", data); err != nil {
		p.Log.Error().Err(err).Msg("playground: render the page")
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	pageSecurity(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(p.local(b.String())))
}

// serveArchive answers a Slack permalink rewritten by the renderers: the
// page, at the message (in its thread when it is a reply).
func (p *Playground) serveArchive(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.PathValue("p"), "p")
	ch := r.PathValue("channel")
	if _, known := p.channelNames()[ch]; len(raw) != 16 || !known {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	page := "/"
	if ch != ChannelID {
		page = "/?ch=" + url.QueryEscape(ch)
	}
	ts := raw[:10] + "." + raw[10:]
	target := page + "#msg=" + ts
	for _, m := range p.fake.Thread(ch, ts) {
		if m.TS == ts && m.ThreadTS != "" {
			target = page + "#thread=" + m.ThreadTS
		}
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// serveView is what changed, for the live page: the channel's and the open
// thread's messages as HTML, and the simulators' state.
func (p *Playground) serveView(w http.ResponseWriter, r *http.Request) {
	v := p.viewerIn(r.URL.Query().Get("ch"))
	since := r.URL.Query().Get("since")
	out := map[string]any{"sidebar": p.sidebar(), "channels": p.channelList(v.ch)}
	if r.URL.Query().Get("home") != "" {
		out["home"] = p.homeHTML(v)
	}
	ch, err := p.render("messages", p.channel(v, since))
	if err != nil {
		p.Log.Error().Err(err).Msg("playground: render the channel")
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	out["channel"] = ch
	if ts := r.URL.Query().Get("thread"); ts != "" {
		if msgs := p.thread(v, ts, since); msgs != nil {
			th, err := p.render("messages", msgs)
			if err != nil {
				p.Log.Error().Err(err).Msg("playground: render a thread")
				http.Error(w, "render failed", http.StatusInternalServerError)
				return
			}
			out["thread"] = th
			out["thread_ts"] = msgs[0].TS
		}
	}
	if view, ok := p.openModal(); ok {
		out["modal"] = p.local(string(v.modal(view)))
		out["modal_id"] = view.ID
	}
	writeJSON(w, http.StatusOK, out)
}

// serveStream tells the page, over server-sent events, each time something
// changed, so that it fetches the view again.
func (p *Playground) serveStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// Subscribe before the first byte: the page fetches the view when the
	// stream opens, so a change made after this point is either in that
	// fetch or wakes the loop below; none falls in between.
	fake, own := p.fake.Changed(), p.changes()
	if !write("retry: 1000\n\n") {
		return
	}
	for {
		select {
		case <-fake:
		case <-own:
		case <-time.After(20 * time.Second):
			if !write(": still here\n\n") {
				return
			}
			continue
		case <-r.Context().Done():
			return
		case <-p.ctx.Done():
			return
		}
		// A burst of changes (a post, its update, the reads) is one event.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-r.Context().Done():
			return
		case <-p.ctx.Done():
			return
		}
		// Subscribe again before telling the page: what changes after this
		// wakes the next round, what changed before is in the page's fetch.
		fake, own = p.fake.Changed(), p.changes()
		if !write("event: change\ndata: {}\n\n") {
			return
		}
	}
}

var (
	atName  = regexp.MustCompile(`(^|[\s(])@([a-z0-9][a-z0-9._-]*)`)
	typeURL = regexp.MustCompile(`(^|\s)(https?://[^\s<>]+)`)
)

// encode turns what you typed into the text Slack sends an app: &, < and >
// escaped, @name of a known person (or the bot) and @here as mentions,
// links in angle brackets. In a slash command a mention carries the name
// too (<@U123|jordan>), as with "Escape channels, users, and links".
func (p *Playground) encode(s string, command bool) (string, bool) {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	ids := map[string]string{slackfake.BotName: slackfake.BotUserID, "bot": slackfake.BotUserID, UserName: UserID}
	for _, t := range teammates {
		ids[t.Name] = t.ID
	}
	mentionsBot := false
	s = atName.ReplaceAllStringFunc(s, func(m string) string {
		sub := atName.FindStringSubmatch(m)
		lead, name := sub[1], strings.ToLower(sub[2])
		switch name {
		case "here", "channel", "everyone":
			return lead + "<!" + name + ">"
		}
		id, ok := ids[name]
		if !ok {
			return m
		}
		if id == slackfake.BotUserID {
			mentionsBot = true
		}
		if command {
			return lead + "<@" + id + "|" + name + ">"
		}
		return lead + "<@" + id + ">"
	})
	if !command {
		s = typeURL.ReplaceAllString(s, "$1<$2>")
	}
	return s, mentionsBot
}

// typed is the inverse of encode: a message's text as you would type it.
func (v viewer) typed(s string) string {
	s = controlSeq.ReplaceAllStringFunc(s, func(m string) string {
		body, label, _ := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(body, "@"):
			if n, ok := v.name(body[1:]); ok {
				return "@" + n
			}
			if label != "" {
				return "@" + label
			}
		case strings.HasPrefix(body, "!") && label == "":
			return "@" + body[1:]
		case label == "":
			return body
		}
		return m
	})
	return slackEntities.Replace(s)
}

var controlSeq = regexp.MustCompile(`<[^<>]+>`)

// maxTyped bounds what the composer sends; Slack's own limit is 40,000.
const maxTyped = 12000

// serveSend takes what you typed in the channel or a thread: a slash
// command goes to /slack/commands and its answer is shown to you; a
// message is added to the workspace and its events delivered.
func (p *Playground) serveSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text     string `json:"text"`
		ThreadTS string `json:"thread_ts"`
		Channel  string `json:"channel"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	text := strings.TrimSpace(strings.ToValidUTF8(req.Text, "\uFFFD"))
	switch {
	case text == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Type a message or /incident help."})
		return
	case utf8.RuneCountInString(text) > maxTyped:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("That is over %d characters.", maxTyped)})
		return
	}
	if strings.HasPrefix(text, "/") {
		word, rest, _ := strings.Cut(text, " ")
		switch {
		case req.ThreadTS != "":
			p.addNotice(req.ThreadTS, "Slash commands don't run in threads: Slack does not send them to apps. "+
				"Mention the bot with the same words instead, like `@"+slackfake.BotName+" "+strings.TrimSpace(rest)+"`.")
		case word != Command:
			p.addNotice("", "`"+word+"` is not a valid command. In the playground the command is `"+Command+"`: try `"+Command+" help`.")
		default:
			encoded, _ := p.encode(strings.TrimSpace(rest), true)
			p.slashCommand(r.Context(), p.viewerIn(req.Channel).ch, word, encoded)
		}
		writeJSON(w, http.StatusOK, map[string]string{})
		return
	}
	encoded, mentionsBot := p.encode(text, false)
	var m slackfake.Message
	var err error
	ch := p.viewerIn(req.Channel).ch
	if req.ThreadTS != "" {
		m, err = p.fake.AddReply(ch, req.ThreadTS, UserID, encoded)
	} else {
		m, err = p.fake.AddMessage(ch, UserID, encoded)
	}
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "That thread is gone."})
		return
	}
	p.message(m, mentionsBot)
	writeJSON(w, http.StatusOK, map[string]string{"ts": m.TS})
}

// serveEdit changes or deletes a message you wrote, and delivers the
// message_changed or message_deleted event, as Slack does.
func (p *Playground) serveEdit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TS      string `json:"ts"`
		Text    string `json:"text"`
		Delete  bool   `json:"delete"`
		Channel string `json:"channel"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ch := p.viewerIn(req.Channel).ch
	if req.Delete {
		before, err := p.fake.DeleteMessage(ch, req.TS, UserID)
		if err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "That message cannot be deleted any more."})
			return
		}
		p.deleted(before)
		writeJSON(w, http.StatusOK, map[string]string{})
		return
	}
	text := strings.TrimSpace(strings.ToValidUTF8(req.Text, "\uFFFD"))
	if text == "" || utf8.RuneCountInString(text) > maxTyped {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Type the new text, or delete the message."})
		return
	}
	encoded, _ := p.encode(text, false)
	before, after, err := p.fake.EditMessage(ch, req.TS, UserID, encoded)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "That message cannot be edited any more."})
		return
	}
	if before.Text != after.Text {
		p.edited(before, after)
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

// clicked is the message a button was clicked in.
type clicked struct {
	Channel                         string
	TS, ThreadTS, Text, User, BotID string
	Blocks                          json.RawMessage
	Ephemeral                       bool
}

func (p *Playground) findMessage(ch, ts string, ephemeral bool) (clicked, bool) {
	if ephemeral {
		for _, e := range p.fake.Ephemerals() {
			if e.TS == ts && e.User == UserID {
				return clicked{Channel: e.Channel, TS: e.TS, ThreadTS: e.ThreadTS, Text: e.Text, User: slackfake.BotUserID,
					BotID: slackfake.BotID, Blocks: e.Blocks, Ephemeral: true}, true
			}
		}
		return clicked{}, false
	}
	for _, m := range p.fake.Thread(ch, ts) {
		if m.TS == ts && !m.Deleted {
			return clicked{Channel: ch, TS: m.TS, ThreadTS: m.ThreadTS, Text: m.Text, User: m.User, BotID: m.BotID, Blocks: m.Blocks}, true
		}
	}
	return clicked{}, false
}

// serveAction takes a button click: the button is looked up in the message
// as it stands, and its block_actions payload delivered.
func (p *Playground) serveAction(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TS        string `json:"ts"`
		Ephemeral bool   `json:"ephemeral"`
		BlockID   string `json:"block_id"`
		ActionID  string `json:"action_id"`
		Channel   string `json:"channel"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	msg, ok := p.findMessage(p.viewerIn(req.Channel).ch, req.TS, req.Ephemeral)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "That message is gone."})
		return
	}
	el, ok := findButton(msg.Blocks, req.BlockID, req.ActionID)
	if !ok {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "That button is no longer in the message."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), deliveryTimeout)
	defer cancel()
	if err := p.interaction(ctx, msg, el, req.BlockID); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "The click could not be sent."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

// serveMode switches a simulated vendor, or our service's health.
func (p *Playground) serveMode(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Vendor string `json:"vendor"`
		Mode   string `json:"mode"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	var ok bool
	if req.Vendor == "health" {
		ok = p.sims.setHealth(Health(req.Mode))
	} else {
		ok = p.sims.setMode(req.Vendor, Mode(req.Mode))
	}
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown vendor or mode"})
		return
	}
	p.Log.Info().Str("vendor", req.Vendor).Str("mode", req.Mode).Msg("playground: simulated vendor switched")
	writeJSON(w, http.StatusOK, p.sidebar())
}

// serveFile downloads a shared file.
func (p *Playground) serveFile(w http.ResponseWriter, r *http.Request) {
	f, ok := p.fake.FileContent(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctype := "application/octet-stream"
	if kind(f) == "Markdown" {
		ctype = "text/markdown; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(f.Content)
}

// serveFilePreview is a shared file rendered for the preview dialog: the
// markdown as HTML (escaped, see markdown), anything else as text.
func (p *Playground) serveFilePreview(w http.ResponseWriter, r *http.Request) {
	f, ok := p.fake.FileContent(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	var body template.HTML
	if kind(f) == "Markdown" {
		body = markdown(string(f.Content))
	} else {
		body = template.HTML(`<pre class="md-pre">` + template.HTMLEscapeString(string(f.Content)) + `</pre>`)
	}
	pageSecurity(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(p.local(string(body))))
}
