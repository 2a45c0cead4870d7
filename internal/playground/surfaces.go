package playground

// The Slack surfaces in the playground: the channels the bot creates for
// incidents (INCIDENT_CHANNELS=channel) in the sidebar, each shown as the
// main channel is; the app's Home tab; the :pushpin: reaction on a message;
// and the message shortcut "Add to incident timeline". Each reaches the bot
// as Slack delivers it: reaction_added / reaction_removed and
// app_home_opened events, and a message_action interaction.

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/slackfake"
)

// pinReaction is the reaction the page offers on a message: the bot's
// default TIMELINE_REACTION.
const pinReaction = "pushpin"

// shortcutCallback is the message shortcut's callback_id (the manifests').
const shortcutCallback = "add_to_timeline"

// channelNames maps the workspace's channels to their names: #incidents
// and the channels the bot created.
func (p *Playground) channelNames() map[string]string {
	out := map[string]string{ChannelID: ChannelName}
	for _, c := range p.fake.Channels() {
		if c.ID != ChannelID && c.Name != c.ID {
			out[c.ID] = c.Name
		}
	}
	return out
}

// viewerIn is the viewer of channel ch, or of #incidents when ch is not a
// channel of the workspace.
func (p *Playground) viewerIn(ch string) viewer {
	v := p.viewer()
	if _, ok := v.chans[ch]; ok {
		v.ch = ch
	}
	return v
}

// chanView is one channel in the sidebar.
type chanView struct {
	ID, Name         string
	Active, Archived bool
	Private          bool
}

// channelList is the sidebar's channels, #incidents first, then the
// incident channels in the order they were made.
func (p *Playground) channelList(current string) []chanView {
	out := []chanView{{ID: ChannelID, Name: ChannelName, Active: current == ChannelID}}
	for _, c := range p.fake.Channels() {
		if c.ID == ChannelID || c.Name == c.ID {
			continue
		}
		out = append(out, chanView{ID: c.ID, Name: c.Name, Active: current == c.ID, Archived: c.Archived, Private: c.Private})
	}
	return out
}

// surfacesView is what the page template needs of the surfaces.
type surfacesView struct {
	Channels []chanView
	Current  chanView
	Home     bool          // the Home tab is shown instead of a channel
	HomeHTML template.HTML // the Home as last published
}

// surfaces is the page's channel list and, for the Home tab, the Home; it
// tells the bot that you opened Home, as Slack does.
func (p *Playground) surfaces(ctx context.Context, v viewer, home bool) surfacesView {
	sv := surfacesView{Channels: p.channelList(v.ch), Home: home}
	for _, c := range sv.Channels {
		if c.ID == v.ch {
			sv.Current = c
		}
	}
	if home {
		for i := range sv.Channels {
			sv.Channels[i].Active = false
		}
		p.homeOpened()
		sv.HomeHTML = p.homeHTML(v)
	}
	return sv
}

// homeHTML renders your Home as the bot last published it.
func (p *Playground) homeHTML(v viewer) template.HTML {
	view, ok := p.fake.Home(UserID)
	if !ok {
		return template.HTML(`<p class="muted home-empty">Asking incident-bot for its Home…</p>`)
	}
	return template.HTML(`<div class="home">`) + v.blocks(view.Blocks, target{}) + template.HTML(`</div>`)
}

// homeOpened delivers app_home_opened for you.
func (p *Playground) homeOpened() {
	now := time.Now()
	p.deliverEvent(map[string]any{
		"type": "app_home_opened", "user": UserID, "channel": "D0PLAYHOME", "tab": "home",
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		"view":     map[string]any{"team_id": TeamID, "type": "home"},
	})
}

// serveReact adds or takes away your :pushpin: on a message, and delivers
// reaction_added or reaction_removed.
func (p *Playground) serveReact(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		Remove  bool   `json:"remove"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ch := p.viewerIn(req.Channel).ch
	react := p.fake.AddReaction
	typ := "reaction_added"
	if req.Remove {
		react, typ = p.fake.RemoveReaction, "reaction_removed"
	}
	changed, err := react(ch, req.TS, UserID, pinReaction)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "That message is gone."})
		return
	}
	if changed {
		now := time.Now()
		event := map[string]any{
			"type": typ, "user": UserID, "reaction": pinReaction,
			"item":     map[string]any{"type": "message", "channel": ch, "ts": req.TS},
			"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		}
		if m, ok := p.findMessage(ch, req.TS, false); ok && m.User != "" {
			event["item_user"] = m.User
		}
		p.deliverEvent(event)
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

// serveMessageShortcut runs the message shortcut "Add to incident timeline" on a
// message: a message_action interaction, as Slack sends it.
func (p *Playground) serveMessageShortcut(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ch := p.viewerIn(req.Channel).ch
	msg, ok := p.findMessage(ch, req.TS, false)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "That message is gone."})
		return
	}
	message := map[string]any{"type": "message", "ts": msg.TS, "text": msg.Text, "user": msg.User, "team": TeamID}
	if msg.ThreadTS != "" {
		message["thread_ts"] = msg.ThreadTS
	}
	if msg.BotID != "" {
		message["bot_id"] = msg.BotID
	}
	if files := p.fileNames(ch, msg.TS); len(files) > 0 {
		message["files"] = files
	}
	now := time.Now()
	payload := map[string]any{
		"type": "message_action", "callback_id": shortcutCallback, "trigger_id": p.trigger(),
		"action_ts":  fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":       map[string]any{"id": UserID, "username": UserName, "name": UserName, "team_id": TeamID},
		"channel":    map[string]any{"id": ch, "name": p.channelNames()[ch]},
		"message_ts": msg.TS, "message": message, "response_url": p.fake.ResponseURL(ch, UserID),
		"token": "playground-verification-token", "is_enterprise_install": false,
	}
	if status := p.sendPayload(r.Context(), payload); status != http.StatusOK {
		p.addNotice(msg.ThreadTS, fmt.Sprintf(":warning: The app did not take the shortcut (HTTP %d).", status))
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

// fileNames are the files of a message as a shortcut's payload carries them.
func (p *Playground) fileNames(ch, ts string) []map[string]any {
	var out []map[string]any
	files := map[string]slackfake.File{}
	for _, f := range p.fake.Files() {
		files[f.ID] = f
	}
	for _, m := range p.fake.Thread(ch, ts) {
		if m.TS != ts {
			continue
		}
		for _, id := range m.FileIDs {
			if f, ok := files[id]; ok {
				out = append(out, map[string]any{"id": f.ID, "name": f.Name, "title": f.Title})
			}
		}
	}
	return out
}

// reactionView is a reaction under a message: the emoji, how many, and
// whether yours is among them (a click takes it away).
type reactionView struct {
	Name, Emoji string
	Count       int
	Mine        bool
}

func reactionsOf(m slackfake.Message) []reactionView {
	var out []reactionView
	for _, r := range m.Reactions {
		e := emojis[r.Name]
		if e == "" {
			e = ":" + r.Name + ":"
		}
		mine := false
		for _, u := range r.Users {
			mine = mine || u == UserID
		}
		out = append(out, reactionView{Name: r.Name, Emoji: e, Count: len(r.Users), Mine: mine})
	}
	return out
}

// isPin reports whether a reaction is the one the page adds.
func (r reactionView) IsPin() bool { return strings.EqualFold(r.Name, pinReaction) }
