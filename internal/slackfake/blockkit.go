package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// limits are the Block Kit and message limits the fake enforces, all in one
// place. Each comes from the Slack reference page named beside it, under
// https://docs.slack.dev/reference/ (lengths are in characters).
var limits = struct {
	MessageBlocks    int // block-kit/blocks: up to 50 blocks in a message
	ModalBlocks      int // block-kit/blocks: up to 100 blocks in a modal or Home tab
	MessageText      int // methods/chat.postMessage: text over 40,000 characters is too long
	BlockID          int // block-kit/blocks (every block): block_id at most 255
	ActionID         int // block-kit/block-elements (every element): action_id at most 255
	TextObject       int // block-kit/composition-objects/text-object: text at most 3000
	SectionText      int // block-kit/blocks/section-block: text at most 3000
	SectionFields    int // block-kit/blocks/section-block: at most 10 fields
	SectionFieldText int // block-kit/blocks/section-block: each field at most 2000
	HeaderText       int // block-kit/blocks/header-block: plain_text at most 150
	ActionsElements  int // block-kit/blocks/actions-block: at most 25 elements
	ContextElements  int // block-kit/blocks/context-block: at most 10 elements
	InputLabel       int // block-kit/blocks/input-block: label at most 2000
	InputHint        int // block-kit/blocks/input-block: hint at most 2000
	MarkdownText     int // block-kit/blocks/markdown-block: text at most 12,000
	ButtonText       int // block-kit/block-elements/button-element: text at most 75
	ButtonValue      int // block-kit/block-elements/button-element: value at most 2000
	ButtonURL        int // block-kit/block-elements/button-element: url at most 3000
	Placeholder      int // block-kit/block-elements (select menus, inputs): placeholder at most 150
	ModalTitle       int // views/modal (surfaces/modals): title, submit and close at most 24
	PrivateMetadata  int // views/modal: private_metadata at most 3000
	CallbackID       int // views/modal: callback_id at most 255
	ExternalID       int // methods/views.open: external_id at most 255

	SelectOptions  int // block-kit/block-elements/select-menu-element: options at most 100
	SelectGroups   int // block-kit/composition-objects/option-group-object: option_groups at most 100
	GroupOptions   int // block-kit/composition-objects/option-group-object: options of a group at most 100
	GroupLabel     int // block-kit/composition-objects/option-group-object: label at most 75
	OptionText     int // block-kit/composition-objects/option-object: text at most 75
	OptionValue    int // block-kit/composition-objects/option-object: value at most 150
	InputMaxLength int // block-kit/block-elements/plain-text-input-element: max_length at most 3000
	InputInitial   int // block-kit/block-elements/plain-text-input-element: initial_value at most 3000
}{
	MessageBlocks:    50,
	ModalBlocks:      100,
	MessageText:      40000,
	BlockID:          255,
	ActionID:         255,
	TextObject:       3000,
	SectionText:      3000,
	SectionFields:    10,
	SectionFieldText: 2000,
	HeaderText:       150,
	ActionsElements:  25,
	ContextElements:  10,
	InputLabel:       2000,
	InputHint:        2000,
	MarkdownText:     12000,
	ButtonText:       75,
	ButtonValue:      2000,
	ButtonURL:        3000,
	Placeholder:      150,
	ModalTitle:       24,
	PrivateMetadata:  3000,
	CallbackID:       255,
	ExternalID:       255,

	SelectOptions:  100,
	SelectGroups:   100,
	GroupOptions:   100,
	GroupLabel:     75,
	OptionText:     75,
	OptionValue:    150,
	InputMaxLength: 3000,
	InputInitial:   3000,
}

// blockTypes are the layout blocks Slack knows. An unknown type (a typo
// such as "secton") is refused as Slack refuses it.
var blockTypes = map[string]bool{
	"actions": true, "alert": true, "call": true, "card": true, "carousel": true,
	"container": true, "context": true, "context_actions": true, "data_table": true,
	"data_visualization": true, "divider": true, "file": true, "header": true,
	"image": true, "input": true, "layout": true, "markdown": true, "plan": true,
	"rich_text": true, "section": true, "table": true, "task_card": true, "video": true,
}

// blockError is a payload that breaks Block Kit's rules, located with a
// JSON pointer the way Slack's response_metadata messages locate it.
type blockError struct {
	format  bool // the payload is not even the right JSON shape
	pointer string
	msg     string
}

func (e *blockError) Error() string {
	return fmt.Sprintf("%s [json-pointer:%s]", e.msg, e.pointer)
}

func errAt(ptr, format string, args ...any) *blockError {
	return &blockError{pointer: ptr, msg: fmt.Sprintf(format, args...)}
}

type surface int

const (
	inMessage surface = iota
	inModal
)

// checkBlocksJSON validates a blocks parameter. An empty string is no
// blocks. ptr is where the blocks sit in the request ("/blocks").
func checkBlocksJSON(raw string, where surface, ptr string) *blockError {
	if raw == "" {
		return nil
	}
	var blocks []any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return &blockError{format: true, pointer: ptr, msg: "blocks must be a JSON array: " + err.Error()}
	}
	return checkBlocks(blocks, where, ptr)
}

func checkBlocks(blocks []any, where surface, ptr string) *blockError {
	limit := limits.MessageBlocks
	if where == inModal {
		limit = limits.ModalBlocks
	}
	if len(blocks) > limit {
		return errAt(ptr, "no more than %d items allowed, got %d blocks", limit, len(blocks))
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		if err := checkBlock(b, fmt.Sprintf("%s/%d", ptr, i), blockIDs); err != nil {
			return err
		}
	}
	return nil
}

func checkBlock(v any, ptr string, blockIDs map[string]bool) *blockError {
	b, isObj := v.(map[string]any)
	if !isObj {
		return errAt(ptr, "a block must be a JSON object")
	}
	typ, _ := b["type"].(string)
	if typ == "" {
		return errAt(ptr+"/type", "missing required field: type")
	}
	if !blockTypes[typ] {
		return errAt(ptr+"/type", "unsupported block type %q", typ)
	}
	if id, has := b["block_id"]; has {
		s, isStr := id.(string)
		switch {
		case !isStr:
			return errAt(ptr+"/block_id", "block_id must be a string")
		case utf8.RuneCountInString(s) > limits.BlockID:
			return errAt(ptr+"/block_id", "must be at most %d characters", limits.BlockID)
		case blockIDs[s]:
			return errAt(ptr+"/block_id", "duplicate block_id %q", s)
		}
		blockIDs[s] = true
	}
	switch typ {
	case "section":
		return checkSection(b, ptr)
	case "header":
		return checkText(b["text"], ptr+"/text", textRule{required: true, plainOnly: true, max: limits.HeaderText})
	case "actions":
		return checkActions(b, ptr)
	case "context":
		return checkContext(b, ptr)
	case "input":
		return checkInput(b, ptr)
	case "markdown":
		s, isStr := b["text"].(string)
		if !isStr || s == "" {
			return errAt(ptr+"/text", "missing required field: text")
		}
		if n := utf8.RuneCountInString(s); n > limits.MarkdownText {
			return errAt(ptr+"/text", "must be at most %d characters, got %d", limits.MarkdownText, n)
		}
	}
	return nil
}

func checkSection(b map[string]any, ptr string) *blockError {
	_, hasText := b["text"]
	fieldsV, hasFields := b["fields"]
	if !hasText && !hasFields {
		return errAt(ptr, "a section needs text or fields")
	}
	if hasText {
		if err := checkText(b["text"], ptr+"/text", textRule{required: true, max: limits.SectionText}); err != nil {
			return err
		}
	}
	if hasFields {
		fields, isArr := fieldsV.([]any)
		if !isArr {
			return errAt(ptr+"/fields", "fields must be an array")
		}
		if len(fields) > limits.SectionFields {
			return errAt(ptr+"/fields", "no more than %d items allowed, got %d fields", limits.SectionFields, len(fields))
		}
		for i, f := range fields {
			if err := checkText(f, fmt.Sprintf("%s/fields/%d", ptr, i), textRule{required: true, max: limits.SectionFieldText}); err != nil {
				return err
			}
		}
	}
	if acc, has := b["accessory"]; has {
		return checkElement(acc, ptr+"/accessory")
	}
	return nil
}

func checkActions(b map[string]any, ptr string) *blockError {
	elems, isArr := b["elements"].([]any)
	if !isArr || len(elems) == 0 {
		return errAt(ptr+"/elements", "missing required field: elements")
	}
	if len(elems) > limits.ActionsElements {
		return errAt(ptr+"/elements", "no more than %d items allowed, got %d elements", limits.ActionsElements, len(elems))
	}
	actionIDs := map[string]bool{}
	for i, e := range elems {
		ep := fmt.Sprintf("%s/elements/%d", ptr, i)
		if err := checkElement(e, ep); err != nil {
			return err
		}
		if id, _ := e.(map[string]any)["action_id"].(string); id != "" {
			if actionIDs[id] {
				return errAt(ep+"/action_id", "duplicate action_id %q in the same block", id)
			}
			actionIDs[id] = true
		}
	}
	return nil
}

func checkContext(b map[string]any, ptr string) *blockError {
	elems, isArr := b["elements"].([]any)
	if !isArr || len(elems) == 0 {
		return errAt(ptr+"/elements", "missing required field: elements")
	}
	if len(elems) > limits.ContextElements {
		return errAt(ptr+"/elements", "no more than %d items allowed, got %d elements", limits.ContextElements, len(elems))
	}
	for i, e := range elems {
		ep := fmt.Sprintf("%s/elements/%d", ptr, i)
		m, isObj := e.(map[string]any)
		if !isObj {
			return errAt(ep, "an element must be a JSON object")
		}
		switch t, _ := m["type"].(string); t {
		case "image":
		case "plain_text", "mrkdwn":
			if err := checkText(e, ep, textRule{required: true, max: limits.TextObject}); err != nil {
				return err
			}
		default:
			return errAt(ep+"/type", "a context element must be image, plain_text or mrkdwn, not %q", t)
		}
	}
	return nil
}

func checkInput(b map[string]any, ptr string) *blockError {
	if err := checkText(b["label"], ptr+"/label", textRule{required: true, plainOnly: true, max: limits.InputLabel}); err != nil {
		return err
	}
	if h, has := b["hint"]; has {
		if err := checkText(h, ptr+"/hint", textRule{required: true, plainOnly: true, max: limits.InputHint}); err != nil {
			return err
		}
	}
	el, has := b["element"]
	if !has {
		return errAt(ptr+"/element", "missing required field: element")
	}
	return checkElement(el, ptr+"/element")
}

// checkElement checks an interactive element: a section's accessory, an
// actions block's elements, an input's element.
func checkElement(v any, ptr string) *blockError {
	e, isObj := v.(map[string]any)
	if !isObj {
		return errAt(ptr, "an element must be a JSON object")
	}
	typ, _ := e["type"].(string)
	if typ == "" {
		return errAt(ptr+"/type", "missing required field: type")
	}
	if id, has := e["action_id"]; has {
		s, isStr := id.(string)
		if !isStr {
			return errAt(ptr+"/action_id", "action_id must be a string")
		}
		if utf8.RuneCountInString(s) > limits.ActionID {
			return errAt(ptr+"/action_id", "must be at most %d characters", limits.ActionID)
		}
	}
	if p, has := e["placeholder"]; has {
		if err := checkText(p, ptr+"/placeholder", textRule{required: true, plainOnly: true, max: limits.Placeholder}); err != nil {
			return err
		}
	}
	switch typ {
	case "static_select", "multi_static_select":
		return checkOptions(e, ptr)
	case "plain_text_input":
		return checkTextInput(e, ptr)
	}
	if typ != "button" {
		return nil
	}
	if err := checkText(e["text"], ptr+"/text", textRule{required: true, plainOnly: true, max: limits.ButtonText}); err != nil {
		return err
	}
	if err := checkString(e, "value", ptr, limits.ButtonValue); err != nil {
		return err
	}
	if err := checkString(e, "url", ptr, limits.ButtonURL); err != nil {
		return err
	}
	switch style, _ := e["style"].(string); style {
	case "", "primary", "danger":
	default:
		return errAt(ptr+"/style", "style must be primary or danger, not %q", style)
	}
	return nil
}

// checkString checks an optional string field's length.
func checkString(obj map[string]any, key, ptr string, limit int) *blockError {
	v, has := obj[key]
	if !has {
		return nil
	}
	s, isStr := v.(string)
	if !isStr {
		return errAt(ptr+"/"+key, "%s must be a string", key)
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return errAt(ptr+"/"+key, "must be at most %d characters, got %d", limit, n)
	}
	return nil
}

type textRule struct {
	required  bool
	plainOnly bool
	max       int
}

// checkText checks a text composition object.
func checkText(v any, ptr string, rule textRule) *blockError {
	if v == nil {
		if rule.required {
			return errAt(ptr, "missing required field: text object")
		}
		return nil
	}
	t, isObj := v.(map[string]any)
	if !isObj {
		return errAt(ptr, "must be a text object with type and text, not a bare value")
	}
	typ, _ := t["type"].(string)
	switch typ {
	case "plain_text":
	case "mrkdwn":
		if rule.plainOnly {
			return errAt(ptr+"/type", "must be plain_text, not mrkdwn")
		}
		if _, has := t["emoji"]; has {
			return errAt(ptr+"/emoji", "emoji is only allowed in plain_text")
		}
	case "":
		return errAt(ptr+"/type", "missing required field: type")
	default:
		return errAt(ptr+"/type", "a text object's type must be plain_text or mrkdwn, not %q", typ)
	}
	s, isStr := t["text"].(string)
	if !isStr {
		return errAt(ptr+"/text", "missing required field: text")
	}
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return errAt(ptr+"/text", "must be at least 1 character")
	}
	if n > rule.max {
		return errAt(ptr+"/text", "must be at most %d characters, got %d", rule.max, n)
	}
	return nil
}

// checkView validates a view payload of the type want: a modal
// (views.open, views.update) or a Home tab (views.publish, type home). A
// modal needs a title, and a submit button when it has inputs; both kinds
// keep the limits of their strings and blocks.
func checkView(raw, want string) *blockError {
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil || v == nil {
		return &blockError{format: true, pointer: "/view", msg: "view must be a JSON object"}
	}
	if t, _ := v["type"].(string); t != want {
		return errAt("/view/type", "type must be %s, got %q", want, t)
	}
	if want == "modal" {
		if err := checkText(v["title"], "/view/title", textRule{required: true, plainOnly: true, max: limits.ModalTitle}); err != nil {
			return err
		}
		for _, k := range []string{"submit", "close"} {
			if err := checkText(v[k], "/view/"+k, textRule{plainOnly: true, max: limits.ModalTitle}); err != nil {
				return err
			}
		}
	}
	for _, f := range []struct {
		key   string
		limit int
	}{
		{"private_metadata", limits.PrivateMetadata},
		{"callback_id", limits.CallbackID},
		{"external_id", limits.ExternalID},
	} {
		if err := checkString(v, f.key, "/view", f.limit); err != nil {
			return err
		}
	}
	blocks, isArr := v["blocks"].([]any)
	if !isArr {
		return errAt("/view/blocks", "missing required field: blocks")
	}
	if err := checkBlocks(blocks, inModal, "/view/blocks"); err != nil {
		return err
	}
	if want == "modal" && v["submit"] == nil {
		for i, b := range blocks {
			if t, _ := b.(map[string]any)["type"].(string); t == "input" {
				return errAt(fmt.Sprintf("/view/blocks/%d", i), "a modal with an input block needs a submit button")
			}
		}
	}
	return nil
}

// checkOptions checks a static select menu's options or option groups:
// exactly one of the two, each within its count, each option's text and
// value within theirs.
func checkOptions(e map[string]any, ptr string) *blockError {
	opts, hasOpts := e["options"]
	groups, hasGroups := e["option_groups"]
	switch {
	case hasOpts && hasGroups:
		return errAt(ptr, "a select menu takes options or option_groups, not both")
	case !hasOpts && !hasGroups:
		return errAt(ptr+"/options", "missing required field: options (or option_groups)")
	case hasOpts:
		return checkOptionList(opts, ptr+"/options", limits.SelectOptions)
	}
	list, err := objectList(groups, ptr+"/option_groups", "option group", limits.SelectGroups)
	if err != nil {
		return err
	}
	for i, grp := range list {
		gp := fmt.Sprintf("%s/option_groups/%d", ptr, i)
		if err := checkText(grp["label"], gp+"/label", textRule{required: true, plainOnly: true, max: limits.GroupLabel}); err != nil {
			return err
		}
		if err := checkOptionList(grp["options"], gp+"/options", limits.GroupOptions); err != nil {
			return err
		}
	}
	return nil
}

func checkOptionList(v any, ptr string, most int) *blockError {
	list, err := objectList(v, ptr, "option", most)
	if err != nil {
		return err
	}
	for i, opt := range list {
		op := fmt.Sprintf("%s/%d", ptr, i)
		if err := checkText(opt["text"], op+"/text", textRule{required: true, plainOnly: true, max: limits.OptionText}); err != nil {
			return err
		}
		if _, has := opt["value"]; !has {
			return errAt(op+"/value", "missing required field: value")
		}
		if err := checkString(opt, "value", op, limits.OptionValue); err != nil {
			return err
		}
	}
	return nil
}

// objectList reads a non-empty array of at most most JSON objects.
func objectList(v any, ptr, what string, most int) ([]map[string]any, *blockError) {
	list, isArr := v.([]any)
	if !isArr || len(list) == 0 {
		return nil, errAt(ptr, "must be a non-empty array of %ss", what)
	}
	if len(list) > most {
		return nil, errAt(ptr, "must have at most %d items, got %d", most, len(list))
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		obj, isObj := x.(map[string]any)
		if !isObj {
			return nil, errAt(fmt.Sprintf("%s/%d", ptr, i), "an %s must be a JSON object", what)
		}
		out[i] = obj
	}
	return out, nil
}

// checkTextInput checks a plain_text_input's lengths.
func checkTextInput(e map[string]any, ptr string) *blockError {
	if v, has := e["max_length"]; has {
		n, isNum := v.(float64)
		if !isNum || n < 1 || n > float64(limits.InputMaxLength) {
			return errAt(ptr+"/max_length", "max_length must be a number from 1 to %d", limits.InputMaxLength)
		}
	}
	return checkString(e, "initial_value", ptr, limits.InputInitial)
}

// CheckMessage reports whether a message's blocks (the JSON array a
// chat.postMessage carries) keep Block Kit's documented limits, as this
// stand-in checks every message it is sent; nil when they do. Other fakes
// of Slack (the application layer's recording fake) call it on every
// message, so no test path can post what Slack would refuse.
func CheckMessage(blocks string) error {
	if err := checkBlocksJSON(blocks, inMessage, "/blocks"); err != nil {
		return err
	}
	return nil
}

// CheckView is CheckMessage for a view: a modal (views.open) or, with
// type home, a Home tab (views.publish).
func CheckView(view string) error {
	var v struct{ Type string }
	want := "modal"
	if json.Unmarshal([]byte(view), &v) == nil && v.Type == "home" {
		want = "home"
	}
	if err := checkView(view, want); err != nil {
		return err
	}
	return nil
}
