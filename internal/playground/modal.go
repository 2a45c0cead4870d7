package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/incident-bot/bot/internal/slackfake"
)

// Modals: a view the bot opens with views.open, with a trigger id one of
// your clicks carried, is shown over the page; its form is submitted to the
// bot as Slack does, a view_submission to /slack/interactions.

// modalView is a modal as the bot sent it.
type modalView struct {
	Type            string            `json:"type"`
	CallbackID      string            `json:"callback_id"`
	PrivateMetadata string            `json:"private_metadata"`
	Title           *bkText           `json:"title"`
	Submit          *bkText           `json:"submit"`
	Close           *bkText           `json:"close"`
	Blocks          []json.RawMessage `json:"blocks"`
}

// inputBlock is an input block of a modal.
type inputBlock struct {
	Type     string  `json:"type"`
	BlockID  string  `json:"block_id"`
	Label    *bkText `json:"label"`
	Hint     *bkText `json:"hint"`
	Optional bool    `json:"optional"`
	Element  struct {
		Type          string  `json:"type"`
		ActionID      string  `json:"action_id"`
		InitialValue  string  `json:"initial_value"`
		Multiline     bool    `json:"multiline"`
		Placeholder   *bkText `json:"placeholder"`
		Options       []bkOpt `json:"options"`
		InitialOption *bkOpt  `json:"initial_option"`
		MaxLength     int     `json:"max_length"`
		OptionGroups  []struct {
			Label   *bkText `json:"label"`
			Options []bkOpt `json:"options"`
		} `json:"option_groups"`
		InitialUser         string `json:"initial_user"`
		DefaultToCurrent    bool   `json:"default_to_current_conversation"`
		InitialConversation string `json:"initial_conversation"`
	} `json:"element"`
}

// allOptions is a static select's options, those of its groups included.
func (in inputBlock) allOptions() []bkOpt {
	out := append([]bkOpt(nil), in.Element.Options...)
	for _, g := range in.Element.OptionGroups {
		out = append(out, g.Options...)
	}
	return out
}

type bkOpt struct {
	Text  *bkText `json:"text"`
	Value string  `json:"value"`
}

// trigger records a trigger id handed to the bot with one of your clicks
// or commands: only the views opened with it are yours to see.
func (p *Playground) trigger() string {
	id := triggerID()
	p.mu.Lock()
	p.triggers[id] = true
	p.mu.Unlock()
	return id
}

// openModal is the newest view opened with one of your triggers and not
// yet submitted or closed.
func (p *Playground) openModal() (slackfake.View, bool) {
	views := p.fake.Views()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(views) - 1; i >= 0; i-- {
		v := views[i]
		if p.triggers[v.TriggerID] && !p.viewDone[v.ID] {
			return v, true
		}
	}
	return slackfake.View{}, false
}

// modal renders a view's title, blocks and inputs, and its buttons.
func (v viewer) modal(view slackfake.View) template.HTML {
	var m modalView
	if err := json.Unmarshal(view.JSON, &m); err != nil {
		return template.HTML(`<div class="bk-unsupported">a view that is not a modal</div>`)
	}
	var b strings.Builder
	title := v.text(m.Title)
	b.WriteString(`<header class="modal-head"><h2 class="modal-title">` + string(title) + `</h2></header><div class="modal-body">`)
	for _, raw := range m.Blocks {
		var in inputBlock
		_ = json.Unmarshal(raw, &in)
		if in.Type != "input" {
			var blk bkBlock
			_ = json.Unmarshal(raw, &blk)
			v.block(&b, blk, target{})
			continue
		}
		id := "in-" + html.EscapeString(in.BlockID)
		attrs := ` id="` + id + `" class="in-field" data-block-id="` + html.EscapeString(in.BlockID) + `" data-action-id="` +
			html.EscapeString(in.Element.ActionID) + `"`
		if !in.Optional {
			attrs += " required"
		}
		b.WriteString(`<div class="in-block"><label class="in-label" for="` + id + `">` + string(v.text(in.Label)))
		if in.Optional {
			b.WriteString(` <span class="in-optional">(optional)</span>`)
		}
		b.WriteString(`</label>`)
		placeholder := ""
		if in.Element.Placeholder != nil {
			placeholder = ` placeholder="` + html.EscapeString(in.Element.Placeholder.Text) + `"`
		}
		switch in.Element.Type {
		case "plain_text_input":
			if in.Element.Multiline {
				b.WriteString(`<textarea` + attrs + placeholder + ` rows="3">` + html.EscapeString(in.Element.InitialValue) + `</textarea>`)
			} else {
				b.WriteString(`<input type="text"` + attrs + placeholder + ` value="` + html.EscapeString(in.Element.InitialValue) + `">`)
			}
		case "static_select":
			b.WriteString(`<select` + attrs + `>`)
			initial := ""
			if in.Element.InitialOption != nil {
				initial = in.Element.InitialOption.Value
			}
			if initial == "" {
				// Slack shows the placeholder until something is chosen.
				b.WriteString(`<option value="">` + html.EscapeString(textOf(in.Element.Placeholder)) + `</option>`)
			}
			option := func(o bkOpt) {
				sel := ""
				if initial == o.Value {
					sel = " selected"
				}
				b.WriteString(`<option value="` + html.EscapeString(o.Value) + `"` + sel + `>` + string(plainText(textOf(o.Text), true)) + `</option>`)
			}
			for _, o := range in.Element.Options {
				option(o)
			}
			for _, g := range in.Element.OptionGroups {
				b.WriteString(`<optgroup label="` + html.EscapeString(textOf(g.Label)) + `">`)
				for _, o := range g.Options {
					option(o)
				}
				b.WriteString(`</optgroup>`)
			}
			b.WriteString(`</select>`)
		case "users_select":
			// The workspace's people, as Slack's menu lists them.
			b.WriteString(`<select` + attrs + `><option value=""></option>`)
			ids := make([]string, 0, len(v.names))
			for id := range v.names {
				if id != slackfake.BotUserID {
					ids = append(ids, id)
				}
			}
			sort.Slice(ids, func(i, j int) bool { return v.names[ids[i]] < v.names[ids[j]] })
			for _, id := range ids {
				sel := ""
				if id == in.Element.InitialUser {
					sel = " selected"
				}
				b.WriteString(`<option value="` + html.EscapeString(id) + `"` + sel + `>@` + html.EscapeString(v.names[id]) + `</option>`)
			}
			b.WriteString(`</select>`)
		case "conversations_select":
			// The playground has one channel: the one you are viewing.
			sel := ""
			if in.Element.DefaultToCurrent || in.Element.InitialConversation == ChannelID {
				sel = " selected"
			}
			b.WriteString(`<select` + attrs + `><option value=""></option><option value="` + ChannelID + `"` + sel + `>#` +
				html.EscapeString(ChannelName) + `</option></select>`)
		default:
			b.WriteString(`<div class="bk-unsupported">` + html.EscapeString(strings.ReplaceAll(in.Element.Type, "_", " ")) + ` (not in the playground)</div>`)
		}
		if in.Hint != nil {
			b.WriteString(`<div class="in-hint">` + string(v.text(in.Hint)) + `</div>`)
		}
		b.WriteString(`<div class="in-error" data-error-for="` + html.EscapeString(in.BlockID) + `"></div></div>`)
	}
	closeLabel, submitLabel := template.HTML("Cancel"), template.HTML("")
	if m.Close != nil {
		closeLabel = v.text(m.Close)
	}
	if m.Submit != nil {
		submitLabel = v.text(m.Submit)
	}
	b.WriteString(`</div><footer class="modal-foot"><button type="button" class="bk-btn modal-close">` + string(closeLabel) + `</button>`)
	if submitLabel != "" {
		b.WriteString(`<button type="submit" class="bk-btn bk-btn-primary modal-submit">` + string(submitLabel) + `</button>`)
	}
	b.WriteString(`</footer>`)
	return template.HTML(b.String())
}

func textOf(t *bkText) string {
	if t == nil {
		return ""
	}
	return t.Text
}

// serveSubmit submits the open modal: the values as Slack's view state, in
// a view_submission. A bot that answers with errors keeps the modal open
// and the errors are shown under their fields, as Slack shows them: the
// answer is then {"errors": {block_id: message}}.
func (p *Playground) serveSubmit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ViewID string                       `json:"view_id"`
		Values map[string]map[string]string `json:"values"`
		Close  bool                         `json:"close"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	view, ok := p.openModal()
	if !ok || view.ID != req.ViewID {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "That form is no longer open."})
		return
	}
	if req.Close {
		p.doneModal(view.ID)
		writeJSON(w, http.StatusOK, map[string]string{})
		return
	}
	var m modalView
	if err := json.Unmarshal(view.JSON, &m); err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "That view is not a form."})
		return
	}
	state := map[string]map[string]any{}
	missing := map[string]string{}
	for _, raw := range m.Blocks {
		var in inputBlock
		if json.Unmarshal(raw, &in) != nil || in.Type != "input" {
			continue
		}
		val := req.Values[in.BlockID][in.Element.ActionID]
		if strings.TrimSpace(val) == "" && !in.Optional {
			missing[in.BlockID] = "Please complete this required field."
		}
		switch in.Element.Type {
		case "users_select":
			state[in.BlockID] = map[string]any{in.Element.ActionID: map[string]any{"type": "users_select", "selected_user": val}}
		case "conversations_select":
			state[in.BlockID] = map[string]any{in.Element.ActionID: map[string]any{"type": "conversations_select", "selected_conversation": val}}
		case "static_select":
			var chosen map[string]any
			for _, o := range in.allOptions() {
				if o.Value == val {
					chosen = map[string]any{"text": map[string]any{"type": "plain_text", "text": textOf(o.Text), "emoji": true}, "value": o.Value}
				}
			}
			state[in.BlockID] = map[string]any{in.Element.ActionID: map[string]any{"type": "static_select", "selected_option": chosen}}
		default:
			state[in.BlockID] = map[string]any{in.Element.ActionID: map[string]any{"type": in.Element.Type, "value": val}}
		}
	}
	if len(missing) > 0 { // Slack checks these in the client; the bot never hears
		writeJSON(w, http.StatusOK, map[string]any{"errors": missing})
		return
	}
	payload := map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":       map[string]any{"id": UserID, "username": UserName, "name": UserName, "team_id": TeamID},
		"api_app_id": slackfake.AppID,
		"token":      "playground-verification-token",
		"trigger_id": p.trigger(),
		"view": map[string]any{
			"id": view.ID, "team_id": TeamID, "type": "modal", "callback_id": m.CallbackID,
			"private_metadata": m.PrivateMetadata, "hash": view.Hash, "title": m.Title, "submit": m.Submit, "close": m.Close,
			"blocks": m.Blocks, "state": map[string]any{"values": state}, "app_id": slackfake.AppID, "bot_id": slackfake.BotID,
			"root_view_id": view.ID, "previous_view_id": nil,
		},
		"response_urls":         []any{},
		"is_enterprise_install": false,
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "The form could not be sent."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), deliveryTimeout)
	defer cancel()
	status, body := p.send(ctx, "/slack/interactions", "application/x-www-form-urlencoded",
		[]byte(url.Values{"payload": {string(raw)}}.Encode()), nil)
	if status != http.StatusOK {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("The app did not take the form (HTTP %d).", status)})
		return
	}
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if len(strings.TrimSpace(string(body))) > 0 && json.Unmarshal(body, &answer) == nil && answer.ResponseAction == "errors" {
		writeJSON(w, http.StatusOK, map[string]any{"errors": answer.Errors})
		return
	}
	p.doneModal(view.ID)
	writeJSON(w, http.StatusOK, map[string]string{})
}

func (p *Playground) doneModal(id string) {
	p.mu.Lock()
	p.viewDone[id] = true
	p.mu.Unlock()
	p.notify()
}
