package playground

import (
	"encoding/json"
	"html"
	"html/template"
	"strings"
)

// Block Kit, rendered as the Slack client lays it out: header, section
// (mrkdwn or plain text, fields, a button accessory), context, divider,
// actions (buttons with their styles and confirm dialogs), markdown. Images
// are shown by their alt text: the playground loads nothing from outside.
// Anything else is named, so a template change never vanishes silently.

type bkText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji"`
}

type bkConfirm struct {
	Title   *bkText `json:"title"`
	Text    *bkText `json:"text"`
	Confirm *bkText `json:"confirm"`
	Deny    *bkText `json:"deny"`
	Style   string  `json:"style"`
}

type bkElement struct {
	Type     string     `json:"type"`
	Text     *bkText    `json:"text"`
	ActionID string     `json:"action_id"`
	Value    string     `json:"value"`
	Style    string     `json:"style"`
	URL      string     `json:"url"`
	Confirm  *bkConfirm `json:"confirm"`
	AltText  string     `json:"alt_text"`
	ImageURL string     `json:"image_url"`
}

type bkBlock struct {
	Type      string            `json:"type"`
	BlockID   string            `json:"block_id"`
	Text      json.RawMessage   `json:"text"` // an object; a string in a markdown block
	Fields    []bkText          `json:"fields"`
	Accessory *bkElement        `json:"accessory"`
	Elements  []json.RawMessage `json:"elements"`
	AltText   string            `json:"alt_text"`
	Title     *bkText           `json:"title"`
}

// target says which message a button belongs to, for the click.
type target struct {
	ts        string
	ephemeral bool
}

// blocks renders a message's blocks. A payload that is not a block list
// is shown as such rather than dropped.
func (p people) blocks(raw json.RawMessage, t target) template.HTML {
	var list []bkBlock
	if err := json.Unmarshal(raw, &list); err != nil {
		return template.HTML(`<div class="bk-unsupported">blocks that are not a Block Kit list</div>`)
	}
	var b strings.Builder
	for _, blk := range list {
		p.block(&b, blk, t)
	}
	return template.HTML(b.String())
}

func (p people) block(b *strings.Builder, blk bkBlock, t target) {
	switch blk.Type {
	case "header":
		var txt bkText
		_ = json.Unmarshal(blk.Text, &txt)
		b.WriteString(`<div class="bk-header">` + string(p.text(&txt)) + `</div>`)
	case "section":
		b.WriteString(`<div class="bk-section"><div class="bk-section-body">`)
		if len(blk.Text) > 0 {
			var txt bkText
			_ = json.Unmarshal(blk.Text, &txt)
			b.WriteString(`<div class="bk-text">` + string(p.text(&txt)) + `</div>`)
		}
		if len(blk.Fields) > 0 {
			b.WriteString(`<div class="bk-fields">`)
			for i := range blk.Fields {
				b.WriteString(`<div class="bk-field">` + string(p.text(&blk.Fields[i])) + `</div>`)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString(`</div>`)
		if blk.Accessory != nil {
			b.WriteString(`<div class="bk-accessory">`)
			p.element(b, *blk.Accessory, blk.BlockID, t)
			b.WriteString(`</div>`)
		}
		b.WriteString(`</div>`)
	case "divider":
		b.WriteString(`<hr class="bk-divider">`)
	case "context":
		b.WriteString(`<div class="bk-context">`)
		for _, raw := range blk.Elements {
			var el bkElement
			_ = json.Unmarshal(raw, &el)
			switch el.Type {
			case "mrkdwn", "plain_text":
				var txt bkText
				_ = json.Unmarshal(raw, &txt)
				b.WriteString(`<span class="bk-context-el">` + string(p.text(&txt)) + `</span>`)
			case "image":
				b.WriteString(`<span class="bk-context-el bk-img-alt" title="image">` + html.EscapeString(el.AltText) + `</span>`)
			}
		}
		b.WriteString(`</div>`)
	case "actions":
		b.WriteString(`<div class="bk-actions">`)
		for _, raw := range blk.Elements {
			var el bkElement
			_ = json.Unmarshal(raw, &el)
			p.element(b, el, blk.BlockID, t)
		}
		b.WriteString(`</div>`)
	case "markdown":
		var s string
		_ = json.Unmarshal(blk.Text, &s)
		b.WriteString(`<div class="bk-markdown md">` + string(markdown(s)) + `</div>`)
	case "image":
		alt := blk.AltText
		if blk.Title != nil && blk.Title.Text != "" {
			alt = blk.Title.Text
		}
		b.WriteString(`<div class="bk-image">🖼 ` + html.EscapeString(alt) + ` <span class="muted">(images are not loaded in the playground)</span></div>`)
	default:
		b.WriteString(`<div class="bk-unsupported">` + html.EscapeString(blk.Type) + ` block (not shown by the playground)</div>`)
	}
}

// text renders a text object: mrkdwn, or plain_text with :emoji:.
func (p people) text(t *bkText) template.HTML {
	if t == nil {
		return ""
	}
	if t.Type == "mrkdwn" {
		return p.mrkdwn(t.Text)
	}
	return plainText(t.Text, t.Emoji == nil || *t.Emoji)
}

// element renders an interactive element. A button carries what the click
// needs to find it again (message, block, action); the value and the rest
// are read from the message on the server, as Slack does.
func (p people) element(b *strings.Builder, el bkElement, blockID string, t target) {
	switch el.Type {
	case "button":
		class := "bk-btn"
		if el.Style == "primary" || el.Style == "danger" {
			class += " bk-btn-" + el.Style
		}
		attrs := ` data-ts="` + html.EscapeString(t.ts) + `" data-block-id="` + html.EscapeString(blockID) +
			`" data-action-id="` + html.EscapeString(el.ActionID) + `"`
		if t.ephemeral {
			attrs += ` data-ephemeral="1"`
		}
		if el.Confirm != nil {
			attrs += ` data-confirm="1"`
		}
		label := p.text(el.Text)
		if open, ok := linkTag(el.URL); ok && el.URL != "" {
			b.WriteString(strings.Replace(open, `<a `, `<a class="`+class+`"`+attrs+` `, 1) + string(label) + `</a>`)
		} else {
			b.WriteString(`<button type="button" class="` + class + `"` + attrs + `>` + string(label) + `</button>`)
		}
		if c := el.Confirm; c != nil {
			p.confirm(b, c)
		}
	case "image":
		b.WriteString(`<span class="bk-img-alt">` + html.EscapeString(el.AltText) + `</span>`)
	default:
		b.WriteString(`<span class="bk-unsupported">` + html.EscapeString(strings.ReplaceAll(el.Type, "_", " ")) + ` (not in the playground)</span>`)
	}
}

// confirm writes a button's confirm dialog as an inert <template> the page
// shows before the click is sent.
func (p people) confirm(b *strings.Builder, c *bkConfirm) {
	or := func(t *bkText, def string) template.HTML {
		if t == nil || t.Text == "" {
			return template.HTML(html.EscapeString(def))
		}
		return p.text(t)
	}
	style := "primary"
	if c.Style == "danger" {
		style = "danger"
	}
	b.WriteString(`<template class="bk-confirm" data-style="` + style + `">` +
		`<h2 class="cf-title">` + string(or(c.Title, "Are you sure?")) + `</h2>` +
		`<div class="cf-text">` + string(or(c.Text, "")) + `</div>` +
		`<span class="cf-deny">` + string(or(c.Deny, "Cancel")) + `</span>` +
		`<span class="cf-confirm">` + string(or(c.Confirm, "Yes")) + `</span>` +
		`</template>`)
}

// findButton finds a button in a message's blocks by block and action id.
func findButton(raw json.RawMessage, blockID, actionID string) (bkElement, bool) {
	var list []bkBlock
	if json.Unmarshal(raw, &list) != nil {
		return bkElement{}, false
	}
	for _, blk := range list {
		if blk.BlockID != blockID {
			continue
		}
		var els []bkElement
		if blk.Accessory != nil {
			els = append(els, *blk.Accessory)
		}
		for _, raw := range blk.Elements {
			var el bkElement
			if json.Unmarshal(raw, &el) == nil {
				els = append(els, el)
			}
		}
		for _, el := range els {
			if el.Type == "button" && el.ActionID == actionID {
				return el, true
			}
		}
	}
	return bkElement{}, false
}
