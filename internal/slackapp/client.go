package slackapp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/incident-bot/bot/internal/commands"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
)

// Client is the Web API side of the edge.
type Client struct {
	api  *slack.Client
	http *http.Client
	// Observe is told about every Web API call: method, outcome ("ok", a
	// Slack error code, "rate_limited", "http_error", "network"), duration.
	// A call Slack still rate-limits once the retries are spent is
	// "rate_limited", whether it came as a 429 or as HTTP 200 with
	// ok:false and "ratelimited".
	Observe func(method, outcome string, d time.Duration)
	// CallTimeout bounds each call, retries included.
	CallTimeout time.Duration

	mu    sync.Mutex
	names map[string]string
}

var _ commands.Slack = (*Client)(nil)

// NewClient returns a client for the Web API at apiURL (ending in /).
// Calls Slack rate-limits are retried after Retry-After, or after a few
// seconds when it gives none, whether Slack answered 429 or HTTP 200 with
// {"ok":false,"error":"ratelimited"}; 5xx and connection failures with
// capped backoff. Attempts are bounded (retryConfig).
func NewClient(token, apiURL string, httpClient *http.Client) *Client {
	return newClient(token, apiURL, httpClient, retryConfig())
}

// retryConfig is how the client retries: at most four retries, a 429
// without Retry-After waited out for RetryAfterDuration (plus jitter).
func retryConfig() slack.RetryConfig {
	cfg := slack.DefaultRetryConfig()
	cfg.MaxRetries = 4
	cfg.RetryAfterDuration = 5 * time.Second // when Slack says rate-limited without Retry-After
	cfg.BackoffMax = 10 * time.Second
	cfg.Handlers = append(slack.AllBuiltinRetryHandlers(cfg), slack.NewServerErrorRetryHandler(cfg))
	return cfg
}

func newClient(token, apiURL string, httpClient *http.Client, cfg slack.RetryConfig) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	// The retry wrapper goes around rateLimitAs429, so that it sees the
	// rate limits Slack answers with HTTP 200 as the 429 they mean.
	api := slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(rateLimitAs429{httpClient}), slack.OptionRetryConfig(cfg))
	return &Client{api: api, http: httpClient, CallTimeout: 90 * time.Second, names: map[string]string{}}
}

// doer is the HTTP client slack-go calls.
type doer interface {
	Do(*http.Request) (*http.Response, error)
}

// rateLimitAs429 turns Slack's rate-limit answer sent with HTTP 200,
// {"ok":false,"error":"ratelimited"} (or chat.postMessage's
// "rate_limited"), into the 429 it means, Retry-After kept: slack-go's
// retries act on the HTTP status only and would hand the first such answer
// back as a plain error.
type rateLimitAs429 struct{ next doer }

// maxErrorAnswer bounds the answers read ahead: Slack's error answers are a
// few hundred bytes; anything longer is passed on untouched.
const maxErrorAnswer = 8 << 10

func (c rateLimitAs429) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp, err
	}
	br := bufio.NewReaderSize(resp.Body, maxErrorAnswer)
	resp.Body = readCloser{br, resp.Body}
	head, perr := br.Peek(maxErrorAnswer)
	if !errors.Is(perr, io.EOF) || !isRateLimitAnswer(head) {
		return resp, nil // longer than an error answer, unreadable, or not a rate limit
	}
	resp.StatusCode, resp.Status = http.StatusTooManyRequests, "429 Too Many Requests"
	resp.Body = readCloser{bytes.NewReader(bytes.Clone(head)), resp.Body}
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// isRateLimitAnswer reports whether body is Slack's ok:false answer saying
// the call was rate-limited.
func isRateLimitAnswer(body []byte) bool {
	if !bytes.Contains(body, []byte("rate")) {
		return false
	}
	var a struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &a) == nil && !a.OK && isRateLimitCode(a.Error)
}

// isRateLimitCode: "ratelimited" is the Web API's code; chat.postMessage
// also answers "rate_limited" when the app posts too much.
func isRateLimitCode(code string) bool { return code == "ratelimited" || code == "rate_limited" }

// call runs one Web API call with a timeout, observes it and maps its error.
func (c *Client) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.CallTimeout)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	if c.Observe != nil {
		c.Observe(method, outcome(err), time.Since(start))
	}
	if err != nil {
		return mapError(method, err)
	}
	return nil
}

func outcome(err error) string {
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case isRateLimited(err):
		return "rate_limited"
	case errors.As(err, &se):
		return se.Err
	case errors.As(err, &sc):
		return "http_error"
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return "network"
	}
	return "error"
}

// isRateLimited reports whether Slack still refused the call for its rate
// limit once the retries were spent: a 429 with Retry-After
// (*slack.RateLimitedError), one without (a StatusCodeError), or the error
// code.
func isRateLimited(err error) bool {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	return errors.As(err, &rl) || (errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests) ||
		(errors.As(err, &se) && isRateLimitCode(se.Err))
}

// mapError turns Slack's answer into a domain error whose message tells
// the user what to do; the cause stays attached for the log.
func mapError(method string, err error) error {
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	wrap := func(k incident.Kind, msg string) error {
		return &incident.Error{Kind: k, Message: msg, Err: fmt.Errorf("slack %s: %w", method, err)}
	}
	switch {
	case isRateLimited(err):
		msg := "Slack is rate-limiting the bot; it will catch up, try again shortly"
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			msg = fmt.Sprintf("Slack is rate-limiting the bot (retry after %s); it will catch up, try again shortly", rl.RetryAfter)
		}
		return wrap(incident.Internal, msg)
	case errors.As(err, &se):
		switch se.Err {
		case "not_in_channel":
			return wrap(incident.Invalid, "the bot is not a member of this channel: invite it with `/invite @incident-bot` and try again")
		case "channel_not_found":
			return wrap(incident.Invalid, "Slack says this channel does not exist or the bot cannot see it: "+
				"in a private channel, invite the bot with `/invite @incident-bot` and try again; otherwise check that the channel still exists")
		case "thread_not_found", "message_not_found":
			return wrap(incident.NotFound, "the incident message is gone from Slack")
		case "is_archived":
			return wrap(incident.Invalid, "this channel is archived")
		case "missing_scope":
			msg := "the Slack app lacks a permission"
			if se.Needed != "" {
				msg += " (" + se.Needed + ")"
			}
			return wrap(incident.Invalid, msg+": add it under OAuth & Permissions and reinstall the app")
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			return wrap(incident.Invalid, "Slack refused the bot token ("+se.Err+"): check SLACK_BOT_TOKEN")
		}
	}
	return &incident.Error{Kind: incident.Internal, Message: "Slack did not accept the request", Err: fmt.Errorf("slack %s: %w", method, err)}
}

func blocksOf(m messages.Message) (slack.Blocks, error) {
	var b slack.Blocks
	if len(m.Blocks) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(m.Blocks, &b); err != nil {
		return b, fmt.Errorf("decode blocks: %w", err)
	}
	return b, nil
}

func msgOptions(m messages.Message) ([]slack.MsgOption, error) {
	b, err := blocksOf(m)
	if err != nil {
		return nil, err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	if len(b.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(b.BlockSet...))
	}
	return opts, nil
}

// Post posts m in a channel, or in the thread threadTS.
func (c *Client) Post(ctx context.Context, channelID, threadTS string, m messages.Message) (string, error) {
	opts, err := msgOptions(m)
	if err != nil {
		return "", err
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var ts string
	err = c.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		_, ts, err = c.api.PostMessageContext(ctx, channelID, opts...)
		return err
	})
	return ts, err
}

// Update replaces the message channelID/ts with m.
func (c *Client) Update(ctx context.Context, channelID, ts string, m messages.Message) error {
	opts, err := msgOptions(m)
	if err != nil {
		return err
	}
	return c.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channelID, ts, opts...)
		return err
	})
}

// Ephemeral shows m to one user: through responseURL when given (it works
// where the bot is not a member), else with chat.postEphemeral.
func (c *Client) Ephemeral(ctx context.Context, channelID, userID, threadTS, responseURL string, m messages.Message) error {
	if responseURL != "" {
		b, err := blocksOf(m)
		if err != nil {
			return err
		}
		msg := &slack.WebhookMessage{Text: m.Text, ResponseType: "ephemeral"}
		if len(b.BlockSet) > 0 {
			msg.Blocks = &b
		}
		return c.call(ctx, "response_url", func(ctx context.Context) error {
			return slack.PostWebhookCustomHTTPContext(ctx, responseURL, c.http, msg)
		})
	}
	opts, err := msgOptions(m)
	if err != nil {
		return err
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	return c.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := c.api.PostEphemeralContext(ctx, channelID, userID, opts...)
		return err
	})
}

// Replies returns the whole thread, following the cursor.
func (c *Client) Replies(ctx context.Context, channelID, ts string) ([]commands.Reply, error) {
	var out []commands.Reply
	cursor := ""
	for page := 0; page < 100; page++ {
		var msgs []slack.Message
		var more bool
		var next string
		err := c.call(ctx, "conversations.replies", func(ctx context.Context) error {
			var err error
			msgs, more, next, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channelID, Timestamp: ts, Cursor: cursor, Limit: 200})
			return err
		})
		if err != nil {
			return out, err
		}
		for _, m := range msgs {
			out = append(out, commands.Reply{TS: m.Timestamp, ThreadTS: m.ThreadTimestamp, UserID: m.User, BotID: m.BotID, Text: m.Text})
		}
		if !more || next == "" {
			return out, nil
		}
		cursor = next
	}
	return out, nil
}

// UserName returns a user's display name (or real name), cached.
func (c *Client) UserName(ctx context.Context, userID string) (string, error) {
	c.mu.Lock()
	n, ok := c.names[userID]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	var u *slack.User
	err := c.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = c.api.GetUserInfoContext(ctx, userID)
		return err
	})
	if err != nil {
		return "", err
	}
	n = u.Profile.DisplayName
	if strings.TrimSpace(n) == "" {
		n = u.RealName
	}
	if strings.TrimSpace(n) == "" {
		n = u.Name
	}
	c.mu.Lock()
	c.names[userID] = n
	c.mu.Unlock()
	return n, nil
}

// Upload shares a file in a thread with Slack's current upload API:
// files.getUploadURLExternal, the upload, files.completeUploadExternal.
func (c *Client) Upload(ctx context.Context, f commands.File) (string, error) {
	var sum *slack.FileSummary
	err := c.call(ctx, "files.upload_v2", func(ctx context.Context) error {
		var err error
		sum, err = c.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Content: f.Content, FileSize: len(f.Content), Filename: f.Name, Title: f.Title,
			InitialComment: f.Comment, Channel: f.ChannelID, ThreadTimestamp: f.ThreadTS, SnippetType: "markdown",
		})
		return err
	})
	if err != nil {
		return "", err
	}
	return sum.ID, nil // the file's own permalink would need files:read; the thread's serves
}

// GroupMembers lists a user group's members (RESOLVE_ALLOWED).
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	var ids []string
	err := c.call(ctx, "usergroups.users.list", func(ctx context.Context) error {
		var err error
		ids, err = c.api.GetUserGroupMembersContext(ctx, groupID)
		return err
	})
	return ids, err
}

// OpenModal opens a modal for the user who clicked (trigger ids last 3 s).
func (c *Client) OpenModal(ctx context.Context, triggerID string, view json.RawMessage) error {
	var v slack.ModalViewRequest
	if err := json.Unmarshal(view, &v); err != nil {
		return fmt.Errorf("decode modal: %w", err)
	}
	return c.call(ctx, "views.open", func(ctx context.Context) error {
		_, err := c.api.OpenViewContext(ctx, triggerID, v)
		return err
	})
}

// Team returns the id of the workspace the token belongs to (auth.test).
func (c *Client) Team(ctx context.Context) (string, error) {
	id, err := c.Identify(ctx)
	return id.TeamID, err
}

// slackCode is Slack's error code in err, "" when err is not Slack's answer.
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var ie *incident.Error
	if errors.As(err, &ie) && ie.Err != nil {
		return slackCode(ie.Err)
	}
	return ""
}

// CreateChannel creates a channel with conversations.create. Slack's
// name_taken is a Conflict (the caller tries another name); invalid_name…
// an Invalid error that says what was wrong.
func (c *Client) CreateChannel(ctx context.Context, name string, private bool) (string, error) {
	var id string
	err := c.call(ctx, "conversations.create", func(ctx context.Context) error {
		ch, err := c.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		if ch != nil {
			id = ch.ID
		}
		return err
	})
	switch code := slackCode(err); {
	case code == "name_taken":
		return "", &incident.Error{Kind: incident.Conflict, Message: "the channel name #" + name + " is taken", Err: err}
	case strings.HasPrefix(code, "invalid_name"):
		return "", &incident.Error{Kind: incident.Invalid, Message: "Slack refused the channel name #" + name + " (" + code + ")", Err: err}
	case code == "restricted_action":
		return "", &incident.Error{Kind: incident.Invalid, Message: "the workspace does not let the bot create channels (restricted_action)", Err: err}
	}
	return id, err
}

// Invite invites users to a channel with conversations.invite, one at a
// time, so that one already in it (already_in_channel) or the bot itself
// (cant_invite_self) does not keep the others out.
func (c *Client) Invite(ctx context.Context, channelID string, userIDs ...string) error {
	for _, u := range userIDs {
		err := c.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := c.api.InviteUsersToConversationContext(ctx, channelID, u)
			return err
		})
		switch slackCode(err) {
		case "already_in_channel", "cant_invite_self":
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Archive archives a channel with conversations.archive; already_archived
// is done.
func (c *Client) Archive(ctx context.Context, channelID string) error {
	err := c.call(ctx, "conversations.archive", func(ctx context.Context) error {
		return c.api.ArchiveConversationContext(ctx, channelID)
	})
	if slackCode(err) == "already_archived" {
		return nil
	}
	return err
}

// PublishHome publishes a user's App Home with views.publish.
func (c *Client) PublishHome(ctx context.Context, userID string, view json.RawMessage) error {
	var v slack.HomeTabViewRequest
	if err := json.Unmarshal(view, &v); err != nil {
		return fmt.Errorf("decode home view: %w", err)
	}
	return c.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := c.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: v})
		return err
	})
}

// Message reads one message: conversations.history (latest=ts, inclusive,
// limit 1) finds a message at the top of the channel; a reply in a thread
// is not there, and conversations.replies with its ts finds it.
func (c *Client) Message(ctx context.Context, channelID, ts string) (commands.Posted, error) {
	var msgs []slack.Message
	err := c.call(ctx, "conversations.history", func(ctx context.Context) error {
		r, err := c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channelID, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1})
		if r != nil {
			msgs = r.Messages
		}
		return err
	})
	if err != nil {
		return commands.Posted{}, err
	}
	if len(msgs) == 0 || msgs[0].Timestamp != ts {
		err = c.call(ctx, "conversations.replies", func(ctx context.Context) error {
			var err error
			msgs, _, _, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channelID, Timestamp: ts, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1})
			return err
		})
		if err != nil {
			return commands.Posted{}, err
		}
	}
	for _, m := range msgs {
		if m.Timestamp != ts {
			continue
		}
		p := commands.Posted{TS: m.Timestamp, ThreadTS: m.ThreadTimestamp, UserID: m.User, BotID: m.BotID, Text: m.Text}
		for _, f := range m.Files {
			p.Files = append(p.Files, f.Name)
		}
		return p, nil
	}
	return commands.Posted{}, &incident.Error{Kind: incident.NotFound, Message: "that message is gone from Slack"}
}
