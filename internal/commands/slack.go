package commands

import (
	"context"
	"encoding/json"

	"github.com/incident-bot/bot/messages"
)

// Slack is everything the application layer asks of Slack, as one port:
// slackapp.Client implements it against Slack's Web API (and so against the
// playground's stand-in), and the tests' recording fake implements it in
// memory. Every method is required; there are no optional parts to check.
type Slack interface {
	// Post posts a message in a channel, or in a thread when threadTS is set,
	// and returns its ts.
	Post(ctx context.Context, channelID, threadTS string, m messages.Message) (ts string, err error)
	// Update replaces the message channelID/ts.
	Update(ctx context.Context, channelID, ts string, m messages.Message) error
	// Ephemeral shows m to one user only; responseURL, when set, is used
	// instead of chat.postEphemeral (it works where the bot is not a member).
	Ephemeral(ctx context.Context, channelID, userID, threadTS, responseURL string, m messages.Message) error
	// Replies returns every message of the thread channelID/ts, the parent
	// first, following Slack's cursor pagination.
	Replies(ctx context.Context, channelID, ts string) ([]Reply, error)
	// UserName returns the name to show for a user id.
	UserName(ctx context.Context, userID string) (string, error)
	// Upload shares a file in a channel or a thread and returns its id.
	Upload(ctx context.Context, f File) (fileID string, err error)
	// GroupMembers lists the members of a user group (RESOLVE_ALLOWED).
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
	// OpenModal opens a modal view for the user whose click carried triggerID.
	OpenModal(ctx context.Context, triggerID string, view json.RawMessage) error
	// Team returns the id of the workspace the bot's token belongs to
	// (auth.test): alerts, which come from no workspace, open their
	// incidents in it.
	Team(ctx context.Context) (teamID string, err error)
	// CreateChannel creates a channel (conversations.create), private when
	// asked, and returns its id. A name in use is an incident.Conflict; a
	// name Slack refuses, or a missing scope, incident.Invalid.
	CreateChannel(ctx context.Context, name string, private bool) (channelID string, err error)
	// Invite adds users to a channel the bot is in (conversations.invite);
	// users already in it are no error.
	Invite(ctx context.Context, channelID string, userIDs ...string) error
	// Archive archives a channel (conversations.archive); one archived
	// already is no error.
	Archive(ctx context.Context, channelID string) error
	// PublishHome publishes a user's App Home (views.publish).
	PublishHome(ctx context.Context, userID string, view json.RawMessage) error
	// Message returns one message of a channel, a thread's reply included
	// (conversations.history, then conversations.replies), with the names
	// of its files; incident.NotFound when it is gone.
	Message(ctx context.Context, channelID, ts string) (Posted, error)
}

// Posted is a message someone posted, as capture keeps it.
type Posted struct {
	TS, ThreadTS, UserID, BotID, Text string
	Files                             []string // the names of its files
}

// Reply is one message of a thread as Slack returns it.
type Reply struct {
	TS, ThreadTS, UserID, BotID, Text string
}

// File is a file to share: the postmortem.
type File struct {
	ChannelID, ThreadTS, Name, Title, Content, Comment string
}
