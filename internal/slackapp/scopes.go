package slackapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"
)

// Scope is an OAuth scope the bot token needs, and what the bot does with it.
type Scope struct {
	Name string
	For  string
}

// botScopes is the one list of the bot token scopes the bot needs: the slash
// command, the Web API methods Client calls and the events it subscribes to.
// slack/manifest*.yaml request exactly these (manifest_test.go checks them
// against the code and the manifests), and bot doctor compares them with the
// scopes Slack granted.
var botScopes = []Scope{
	{"commands", "the /incident slash command"},
	{"chat:write", "chat.postMessage, chat.update, chat.postEphemeral: the incident messages and replies"},
	{"channels:history", "message.channels events and conversations.replies: the timeline in public channels"},
	{"groups:history", "message.groups events and conversations.replies: the timeline in private channels"},
	{"app_mentions:read", "app_mention events: @incident-bot resolve inside an incident thread"},
	{"users:read", "users.info: people's names in the postmortem"},
	{"files:write", "files.getUploadURLExternal, files.completeUploadExternal: the postmortem file"},
	{"usergroups:read", "usergroups.users.list: RESOLVE_ALLOWED with user-group ids"},
	{"channels:manage", "conversations.create, invite, archive: incident channels (INCIDENT_CHANNELS=channel)"},
	{"groups:write", "conversations.create, invite, archive: incident channels of incidents declared in private channels"},
	{"reactions:read", "reaction_added, reaction_removed events: the timeline reaction (TIMELINE_REACTION)"},
}

// botEvents are the bot events the app subscribes to, in the manifests.
var botEvents = []string{"app_mention", "message.channels", "message.groups", "reaction_added", "reaction_removed",
	"app_home_opened"}

// AppTokenScope is the scope the app-level token (SLACK_APP_TOKEN) needs for
// Socket Mode. App-level tokens are made under Basic Information, not in the
// manifest.
const AppTokenScope = "connections:write"

// BotScopes returns the bot token scopes the bot needs.
func BotScopes() []Scope { return slices.Clone(botScopes) }

// BotEvents returns the bot events the bot subscribes to.
func BotEvents() []string { return slices.Clone(botEvents) }

// MissingScopes returns the needed scopes that granted lacks, in the order of
// BotScopes, and the granted scopes the bot does not need.
func MissingScopes(granted []string) (missing []Scope, extra []string) {
	for _, s := range botScopes {
		if !slices.Contains(granted, s.Name) {
			missing = append(missing, s)
		}
	}
	for _, g := range granted {
		if !slices.ContainsFunc(botScopes, func(s Scope) bool { return s.Name == g }) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// Identity is what auth.test says about the bot token.
type Identity struct {
	User, Team string
	// Scopes are the scopes granted to the token, from the X-OAuth-Scopes
	// header Slack sends with every Web API answer. ScopesKnown is false
	// when the answer had no such header.
	Scopes      []string
	ScopesKnown bool
	TeamID      string // the workspace's id
}

// Identify calls auth.test: who the token is, and which scopes it has.
func (c *Client) Identify(ctx context.Context) (Identity, error) {
	var id Identity
	err := c.call(ctx, "auth.test", func(ctx context.Context) error {
		r, err := c.api.AuthTestContext(ctx)
		if err != nil {
			return err
		}
		id.User, id.Team, id.TeamID = r.User, r.Team, r.TeamID
		if v, ok := r.Header[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
			id.ScopesKnown = true
			id.Scopes = splitScopes(strings.Join(v, ","))
		}
		return nil
	})
	return id, err
}

func splitScopes(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CheckAppToken asks Slack for a Socket Mode connection with the app-level
// token (apps.connections.open) without dialling the URL it answers. The
// error says what to fix and never contains the token.
func CheckAppToken(ctx context.Context, appToken, apiURL string, httpClient *http.Client) error {
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	api := slack.New("", slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(httpClient))
	_, _, err := api.StartSocketModeContext(ctx)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return fmt.Errorf("apps.connections.open failed (%v): check SLACK_API_URL and the network", err)
	}
	switch se.Err {
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return fmt.Errorf("SLACK_APP_TOKEN was refused by Slack (%s): generate an app-level token with %s under Basic Information → App-Level Tokens", se.Err, AppTokenScope)
	case "missing_scope":
		return fmt.Errorf("SLACK_APP_TOKEN lacks %s (missing_scope): generate an app-level token with that scope under Basic Information → App-Level Tokens", AppTokenScope)
	case "not_allowed_token_type":
		return errors.New("SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type): it must be the xapp-… token from Basic Information → App-Level Tokens")
	}
	return fmt.Errorf("apps.connections.open answered %s: turn Socket Mode on under Settings → Socket Mode", se.Err)
}
