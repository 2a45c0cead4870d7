package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	Observe func(method, outcome string, d time.Duration)
	// CallTimeout bounds each call, retries included.
	CallTimeout time.Duration

	mu    sync.Mutex
	names map[string]string
}

var _ commands.Slack = (*Client)(nil)

// NewClient returns a client for the Web API at apiURL (ending in /).
// Calls answered 429 are retried after Retry-After; 5xx and connection
// failures with capped backoff.
func NewClient(token, apiURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := slack.DefaultRetryConfig()
	cfg.MaxRetries = 4
	cfg.RetryAfterDuration = 5 * time.Second // when a 429 comes without Retry-After
	cfg.BackoffMax = 10 * time.Second
	cfg.Handlers = append(slack.AllBuiltinRetryHandlers(cfg), slack.NewServerErrorRetryHandler(cfg))
	api := slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(httpClient), slack.OptionRetryConfig(cfg))
	return &Client{api: api, http: httpClient, CallTimeout: 90 * time.Second, names: map[string]string{}}
}

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
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &rl):
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

// mapError turns Slack's answer into a domain error whose message tells
// the user what to do; the cause stays attached for the log.
func mapError(method string, err error) error {
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	wrap := func(k incident.Kind, msg string) error {
		return &incident.Error{Kind: k, Message: msg, Err: fmt.Errorf("slack %s: %w", method, err)}
	}
	switch {
	case errors.As(err, &rl):
		return wrap(incident.Internal, fmt.Sprintf("Slack is rate-limiting the bot (retry after %s); it will catch up, try again shortly", rl.RetryAfter))
	case errors.As(err, &se):
		switch se.Err {
		case "not_in_channel", "channel_not_found":
			return wrap(incident.Invalid, "the bot is not a member of this channel: invite it with `/invite @incident-bot` and try again")
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
