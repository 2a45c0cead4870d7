package playground

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/incident-bot/bot/internal/slackfake"
)

// Deliveries reach the bot as Slack sends them: the same content types and
// fields, X-Slack-Request-Timestamp and an X-Slack-Signature made with
// slackapp.Sign and this run's signing secret, through the bot's own
// handler (its middleware, verification and all). Events that fail are
// delivered again, as Slack does, with X-Slack-Retry-Num.

// deliveryTimeout bounds one delivery; Slack gives up after 3 s, the bot
// acknowledges within that.
const deliveryTimeout = 10 * time.Second

// eventRetries are the waits before each redelivery of a failed event
// (Slack waits longer: immediately, a minute, five minutes).
var eventRetries = []time.Duration{500 * time.Millisecond, 2 * time.Second, 5 * time.Second}

// send signs body and hands it to the bot's route path; it returns the
// status and body of the answer.
func (p *Playground) send(ctx context.Context, path, contentType string, body []byte, header http.Header) (int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackapp.Sign(p.secret, ts, body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	p.bot.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// slashCommand delivers "/incident text" typed in the channel and shows
// the bot's answer to you only, as Slack shows a command's response.
func (p *Playground) slashCommand(ctx context.Context, ch, command, text string) {
	form := url.Values{
		"token":                 {"playground-verification-token"},
		"team_id":               {TeamID},
		"team_domain":           {TeamDomain},
		"channel_id":            {ch},
		"channel_name":          {p.channelNames()[ch]},
		"user_id":               {UserID},
		"user_name":             {UserName},
		"command":               {command},
		"text":                  {text},
		"api_app_id":            {slackfake.AppID},
		"is_enterprise_install": {"false"},
		"response_url":          {p.fake.ResponseURL(ch, UserID)},
		"trigger_id":            {p.trigger()},
	}
	status, body := p.send(ctx, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if status != http.StatusOK {
		p.addNotice("", fmt.Sprintf("`%s` failed with the error \"dispatch_failed\": the app answered HTTP %d.", command, status))
		return
	}
	var reply struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return // an empty 200: nothing to show
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		p.addNotice("", fmt.Sprintf("`%s` answered something that is not a message: %s", command, err))
		return
	}
	if reply.Text == "" && len(reply.Blocks) == 0 {
		return
	}
	if _, err := p.fake.AddEphemeral(ch, UserID, "", reply.Text, reply.Blocks); err != nil {
		p.addNotice("", "The app's answer could not be shown: "+err.Error())
	}
}

// interaction delivers a button click on msg as a block_actions payload.
func (p *Playground) interaction(ctx context.Context, msg clicked, el bkElement, blockID string) error {
	now := time.Now()
	container := map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": msg.Ephemeral}
	message := map[string]any{"type": "message", "ts": msg.TS, "text": msg.Text, "user": msg.User, "team": TeamID}
	if msg.BotID != "" {
		message["bot_id"] = msg.BotID
		message["app_id"] = slackfake.AppID
	}
	if len(msg.Blocks) > 0 {
		message["blocks"] = msg.Blocks
	}
	if msg.ThreadTS != "" {
		container["thread_ts"] = msg.ThreadTS
		message["thread_ts"] = msg.ThreadTS
	}
	action := map[string]any{
		"type": "button", "action_id": el.ActionID, "block_id": blockID, "value": el.Value,
		"action_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	if el.Text != nil {
		action["text"] = map[string]any{"type": "plain_text", "text": el.Text.Text, "emoji": true}
	}
	if el.Style != "" {
		action["style"] = el.Style
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": UserID, "username": UserName, "name": UserName, "team_id": TeamID},
		"api_app_id":            slackfake.AppID,
		"token":                 "playground-verification-token",
		"container":             container,
		"trigger_id":            p.trigger(),
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": msg.Channel, "name": p.channelNames()[msg.Channel]},
		"message":               message,
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          p.fake.ResponseURL(msg.Channel, UserID),
		"actions":               []any{action},
	}
	if msg.Ephemeral {
		delete(payload, "message")
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	status, _ := p.send(ctx, "/slack/interactions", "application/x-www-form-urlencoded",
		[]byte(url.Values{"payload": {string(raw)}}.Encode()), nil)
	if status != http.StatusOK {
		p.addNotice(msg.ThreadTS, fmt.Sprintf(":warning: The app did not take the click (HTTP %d). Slack would show this next to the button.", status))
	}
	return nil
}

// message delivers the events of a message you wrote: a message event, and
// an app_mention too when it mentions the bot. Slack sends them on its own
// time: so does this, in the background, retrying failures.
func (p *Playground) message(m slackfake.Message, mentionsBot bool) {
	event := map[string]any{
		"type": "message", "channel": m.Channel, "user": m.User, "text": m.Text, "ts": m.TS,
		"event_ts": m.TS, "channel_type": "channel", "team": TeamID, "client_msg_id": uuid.NewString(),
	}
	if m.ThreadTS != "" {
		event["thread_ts"] = m.ThreadTS
		event["parent_user_id"] = p.parentUser(m.Channel, m.ThreadTS)
	}
	p.deliverEvent(event)
	if mentionsBot {
		mention := map[string]any{
			"type": "app_mention", "channel": m.Channel, "user": m.User, "text": m.Text, "ts": m.TS,
			"event_ts": m.TS, "team": TeamID, "client_msg_id": event["client_msg_id"],
		}
		if m.ThreadTS != "" {
			mention["thread_ts"] = m.ThreadTS
		}
		p.deliverEvent(mention)
	}
}

// edited delivers the message_changed event of a message you edited.
func (p *Playground) edited(before, after slackfake.Message) {
	msg := map[string]any{"type": "message", "user": after.User, "text": after.Text, "ts": after.TS, "team": TeamID,
		"edited": map[string]any{"user": after.User, "ts": after.EditedTS()}}
	prev := map[string]any{"type": "message", "user": before.User, "text": before.Text, "ts": before.TS, "team": TeamID}
	if after.ThreadTS != "" {
		msg["thread_ts"], prev["thread_ts"] = after.ThreadTS, before.ThreadTS
	}
	p.deliverEvent(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true, "channel": after.Channel,
		"ts": after.EditedTS(), "event_ts": after.EditedTS(), "channel_type": "channel",
		"message": msg, "previous_message": prev,
	})
}

// deleted delivers the message_deleted event of a message you deleted.
func (p *Playground) deleted(before slackfake.Message) {
	now := time.Now()
	ts := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	prev := map[string]any{"type": "message", "user": before.User, "text": before.Text, "ts": before.TS, "team": TeamID}
	if before.ThreadTS != "" {
		prev["thread_ts"] = before.ThreadTS
	}
	p.deliverEvent(map[string]any{
		"type": "message", "subtype": "message_deleted", "hidden": true, "channel": before.Channel,
		"ts": ts, "event_ts": ts, "deleted_ts": before.TS, "channel_type": "channel", "previous_message": prev,
	})
}

func (p *Playground) parentUser(ch, threadTS string) string {
	if t := p.fake.Thread(ch, threadTS); len(t) > 0 {
		return t[0].User
	}
	return ""
}

// deliverEvent wraps event in an event_callback and delivers it in the
// background until the bot takes it or the retries run out.
func (p *Playground) deliverEvent(event map[string]any) {
	if p.ctx.Err() != nil {
		return
	}
	envelope := map[string]any{
		"token":      "playground-verification-token",
		"team_id":    TeamID,
		"api_app_id": slackfake.AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   "Ev" + randomUpper(10),
		"event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": TeamID, "user_id": slackfake.BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(16),
	}
	body, err := json.Marshal(envelope)
	if err != nil {
		p.Log.Error().Err(err).Msg("playground: encode an event")
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var header http.Header
		// A delivery under way finishes even when the playground stops (the
		// bot stores the event before it answers); no retry starts then.
		ctx := context.WithoutCancel(p.ctx)
		for attempt := 0; ; attempt++ {
			status, _ := p.send(ctx, "/slack/events", "application/json", body, header)
			if status >= 200 && status < 300 {
				return
			}
			if attempt >= len(eventRetries) || p.ctx.Err() != nil {
				p.Log.Warn().Int("status", status).Str("event", fmt.Sprint(event["type"])).Msg("playground: the bot refused an event; Slack would give up now too")
				thread, _ := event["thread_ts"].(string)
				p.addNotice(thread, fmt.Sprintf(":warning: The app refused the %s event (HTTP %d) %d times; Slack gives up after that.", event["type"], status, attempt+1))
				return
			}
			select {
			case <-time.After(eventRetries[attempt]):
			case <-p.ctx.Done():
				return
			}
			header = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(attempt + 1)}, "X-Slack-Retry-Reason": {"http_error"}}
		}
	}()
}

func triggerID() string {
	return fmt.Sprintf("%d.%d.%s", time.Now().UnixNano()%1e13, 4242424242, randomHex(16))
}

func randomUpper(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	raw := make([]byte, n)
	_, _ = rand.Read(raw)
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(raw[i])%len(alphabet)]
	}
	return string(out)
}
