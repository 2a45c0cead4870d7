package slackapp

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/incident-bot/bot/messages"
	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

// The facts below come from Slack's method and event reference
// (docs.slack.dev/reference/methods/METHOD, "Required scopes"; and
// docs.slack.dev/reference/events/EVENT). They are what the test checks the
// code, BotScopes and the manifests against; change them only from there.

// slackGoCalls maps each slack-go client method the bot may call to the Web
// API methods it makes. A method that is missing makes the test fail, so a
// new call cannot slip in without its scopes being decided.
var slackGoCalls = map[string][]string{
	"PostMessageContext":            {"chat.postMessage"},
	"UpdateMessageContext":          {"chat.update"},
	"PostEphemeralContext":          {"chat.postEphemeral"},
	"DeleteMessageContext":          {"chat.delete"},
	"GetConversationRepliesContext": {"conversations.replies"},
	"GetUserInfoContext":            {"users.info"},
	// The v2 upload: two Web API calls and a POST of the bytes to the
	// upload URL Slack hands out (no scope of its own).
	"UploadFileContext":                {"files.getUploadURLExternal", "files.completeUploadExternal"},
	"GetUserGroupMembersContext":       {"usergroups.users.list"},
	"OpenViewContext":                  {"views.open"},
	"PublishViewContext":               {"views.publish"},
	"CreateConversationContext":        {"conversations.create"},
	"InviteUsersToConversationContext": {"conversations.invite"},
	"ArchiveConversationContext":       {"conversations.archive"},
	"GetConversationHistoryContext":    {"conversations.history"},
	"UpdateViewContext":                {"views.update"},
	"PushViewContext":                  {"views.push"},
	"AuthTestContext":                  {"auth.test"},
	"StartSocketModeContext":           {"apps.connections.open"},
	// socketmode.Client: Open and Run call apps.connections.open; acks
	// travel over the websocket.
	"Open": {"apps.connections.open"}, "OpenContext": {"apps.connections.open"},
	"Run": {"apps.connections.open"}, "RunContext": {"apps.connections.open"},
	"Ack": nil, "AckCtx": nil, "Send": nil, "SendCtx": nil,
	// Not calls to Slack.
	"Debug": nil, "Debugf": nil, "Debugln": nil,
}

// slackGoFuncs maps slack-go's package-level functions that talk HTTP.
var slackGoFuncs = map[string][]string{
	"PostWebhook":                  {"response_url"},
	"PostWebhookContext":           {"response_url"},
	"PostWebhookCustomHTTP":        {"response_url"},
	"PostWebhookCustomHTTPContext": {"response_url"},
}

// methodScopes is the bot token scopes each Web API method requires.
var methodScopes = map[string][]string{
	"chat.postMessage":   {"chat:write"},
	"chat.update":        {"chat:write"},
	"chat.postEphemeral": {"chat:write"},
	"chat.delete":        {"chat:write"},
	// Public and private channels; im:history and mpim:history would only
	// matter for incidents in direct messages, which the bot does not run.
	"conversations.replies":        {"channels:history", "groups:history"},
	"users.info":                   {"users:read"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"usergroups.users.list":        {"usergroups:read"},
	// Incident channels: public ones need channels:manage, private ones
	// (incidents declared in private channels) groups:write.
	"conversations.create":  {"channels:manage", "groups:write"},
	"conversations.invite":  {"channels:manage", "groups:write"},
	"conversations.archive": {"channels:manage", "groups:write"},
	"conversations.history": {"channels:history", "groups:history"}, // the message a reaction is on
	"views.publish":         nil,                                    // App Home: "No scopes required"
	"views.open":            nil,                                    // "No scopes required": the trigger id is the permission
	"views.update":          nil,
	"views.push":            nil,
	"auth.test":             nil,
	"apps.connections.open": nil, // the app-level token's connections:write, not a bot scope
	"response_url":          nil, // not a Web API method: the URL is the permission
}

// eventFacts is, for each bot event, the scope it requires and the event
// type the command layer must handle for the subscription to be worth it.
var eventFacts = map[string]struct{ scope, eventType string }{
	"app_mention":      {"app_mentions:read", "app_mention"},
	"message.channels": {"channels:history", "message"},
	"message.groups":   {"groups:history", "message"},
	"reaction_added":   {"reactions:read", "reaction_added"},
	"reaction_removed": {"reactions:read", "reaction_removed"},
	"app_home_opened":  {"", "app_home_opened"}, // no scope: the app's own Home
}

// commandScopes: the slash commands the bot serves need the commands scope.
var commandScopes = map[string]string{"/incident": "commands"}

// appManifest is the part of a Slack app manifest the test reads.
type appManifest struct {
	Features struct {
		BotUser *struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command string `yaml:"command"`
			URL     string `yaml:"url"`
		} `yaml:"slash_commands"`
		Shortcuts []manifestShortcut `yaml:"shortcuts"`
		AppHome   struct {
			HomeTabEnabled bool `yaml:"home_tab_enabled"`
		} `yaml:"app_home"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
			UserEvents []string `yaml:"user_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// manifests are the app manifests and the mode each must be in. The Socket
// Mode one is optional.
var manifests = []struct {
	path     string
	socket   bool
	optional bool
}{
	{"../../slack/manifest.yaml", false, false},
	{"../../slack/manifest.socket.yaml", true, true},
}

// slackCall is one call into slack-go found in the source.
type slackCall struct {
	pos  string
	name string
}

// slackCalls finds every call into slack-go in the non-test Go files of
// dirs: methods of the slack-go client (by name: the client has some 480
// methods, all with distinctive names) and slack-go's HTTP functions.
func slackCalls(t *testing.T, dirs ...string) (calls []slackCall, unknown []string) {
	t.Helper()
	clientMethods := map[string]bool{}
	for _, ty := range []reflect.Type{reflect.TypeOf(&slack.Client{})} {
		for i := range ty.NumMethod() {
			clientMethods[ty.Method(i).Name] = true
		}
	}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("parse %s: %v", path, err)
			}
			slackName := ""
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/slack-go/slack" {
					slackName = "slack"
					if imp.Name != nil {
						slackName = imp.Name.Name
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				name := sel.Sel.Name
				pos := fset.Position(sel.Sel.Pos()).String()
				if id, ok := sel.X.(*ast.Ident); ok && slackName != "" && id.Name == slackName {
					if _, known := slackGoFuncs[name]; known {
						calls = append(calls, slackCall{pos, "slack." + name})
					} else if strings.HasSuffix(name, "Context") || strings.HasPrefix(name, "PostWebhook") || strings.HasPrefix(name, "GetOAuth") {
						unknown = append(unknown, pos+": slack."+name)
					}
					return true
				}
				if _, known := slackGoCalls[name]; known {
					calls = append(calls, slackCall{pos, name})
				} else if clientMethods[name] {
					unknown = append(unknown, pos+": "+name)
				}
				return true
			})
		}
	}
	return calls, unknown
}

// webMethods returns the Web API methods a call makes.
func webMethods(c slackCall) []string {
	if name, ok := strings.CutPrefix(c.name, "slack."); ok {
		return slackGoFuncs[name]
	}
	return slackGoCalls[c.name]
}

// TestScopeTablesAreComplete keeps the fact tables consistent with each
// other: every Web API method named has its scopes decided.
func TestScopeTablesAreComplete(t *testing.T) {
	for name, ms := range mergeCalls() {
		for _, m := range ms {
			if _, ok := methodScopes[m]; !ok {
				t.Errorf("%s makes %s, which methodScopes does not list: add it with the scopes docs.slack.dev gives", name, m)
			}
		}
	}
	for _, e := range botEvents {
		if _, ok := eventFacts[e]; !ok {
			t.Errorf("BotEvents has %s, which eventFacts does not list: add its scope", e)
		}
	}
	for _, s := range botScopes {
		if strings.TrimSpace(s.For) == "" {
			t.Errorf("BotScopes: %s says nothing about what it is for", s.Name)
		}
	}
}

func mergeCalls() map[string][]string {
	out := map[string][]string{}
	for k, v := range slackGoCalls {
		out[k] = v
	}
	for k, v := range slackGoFuncs {
		out["slack."+k] = v
	}
	return out
}

// TestBotScopesAreWhatTheCodeCalls derives the scopes from the slack-go
// calls in this package (client.go and the rest) and in cmd/bot, the events
// the app subscribes to and the slash command, and requires BotScopes to be
// exactly that: no scope missing, none to spare.
func TestBotScopesAreWhatTheCodeCalls(t *testing.T) {
	calls, unknown := slackCalls(t, ".", "../../cmd/bot")
	for _, u := range unknown {
		t.Errorf("%s: a slack-go call the scope table does not know. Add it to slackGoCalls (or slackGoFuncs) "+
			"in manifest_test.go with the Web API methods it makes, their scopes to methodScopes (from the "+
			"method's page on docs.slack.dev, \"Required scopes\"), and any new scope to botScopes in scopes.go and "+
			"to slack/manifest*.yaml", u)
	}
	if len(calls) == 0 {
		t.Fatal("found no slack-go calls at all: the scan is broken")
	}

	need := map[string][]string{} // scope -> why
	methods := map[string]bool{}
	for _, c := range calls {
		for _, m := range webMethods(c) {
			methods[m] = true
			for _, s := range methodScopes[m] {
				need[s] = appendOnce(need[s], m)
			}
		}
	}
	for _, e := range botEvents {
		if f := eventFacts[e]; f.scope != "" {
			need[f.scope] = appendOnce(need[f.scope], e+" event")
		}
	}
	for cmd, s := range commandScopes {
		need[s] = appendOnce(need[s], cmd)
	}
	t.Logf("Web API methods called: %s", strings.Join(sortedKeys(methods), ", "))

	have := map[string]bool{}
	for _, s := range botScopes {
		if have[s.Name] {
			t.Errorf("BotScopes lists %s twice", s.Name)
		}
		have[s.Name] = true
		if _, ok := need[s.Name]; !ok {
			t.Errorf("BotScopes has %s, but no call, event or command of the bot needs it: remove it from scopes.go and the manifests", s.Name)
		}
	}
	for _, s := range sortedKeys(need) {
		if !have[s] {
			t.Errorf("the bot needs %s (for %s), but BotScopes lacks it: add it to scopes.go and slack/manifest*.yaml", s, strings.Join(need[s], ", "))
		}
	}
}

// TestEventsAreHandled checks that each subscribed event is one the command
// layer handles: subscribing to more would ask for scopes for nothing.
func TestEventsAreHandled(t *testing.T) {
	literals := stringLiterals(t, "../commands")
	for _, e := range botEvents {
		f := eventFacts[e]
		if !literals[f.eventType] {
			t.Errorf("BotEvents subscribes to %s, but internal/commands never names the event type %q: drop the subscription or handle it", e, f.eventType)
		}
	}
}

// stringLiterals returns the string literals of dir's non-test Go files.
func stringLiterals(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[s] = true
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("no Go source in %s", dir)
	}
	return out
}

// TestManifestsMatchBotScopes parses the app manifests and checks that they
// request exactly BotScopes and BotEvents, declare the /incident command
// and interactivity, and are in the mode their name says.
func TestManifestsMatchBotScopes(t *testing.T) {
	wantScopes := make([]string, 0, len(botScopes))
	for _, s := range botScopes {
		wantScopes = append(wantScopes, s.Name)
	}
	for _, mf := range manifests {
		t.Run(filepath.Base(mf.path), func(t *testing.T) {
			raw, err := os.ReadFile(mf.path)
			if errors.Is(err, fs.ErrNotExist) && mf.optional {
				t.Skipf("%s does not exist (yet)", mf.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			var m appManifest
			if err := yaml.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s is not valid YAML: %v", mf.path, err)
			}
			sameSet(t, "oauth_config.scopes.bot", m.OAuthConfig.Scopes.Bot, wantScopes)
			if len(m.OAuthConfig.Scopes.User) > 0 {
				t.Errorf("oauth_config.scopes.user = %v: the bot acts with its bot token only; ask for no user scopes", m.OAuthConfig.Scopes.User)
			}
			sameSet(t, "settings.event_subscriptions.bot_events", m.Settings.EventSubscriptions.BotEvents, botEvents)
			if len(m.Settings.EventSubscriptions.UserEvents) > 0 {
				t.Errorf("settings.event_subscriptions.user_events = %v: the bot needs none", m.Settings.EventSubscriptions.UserEvents)
			}
			if m.Features.BotUser == nil {
				t.Error("features.bot_user is missing: without a bot user there is no bot token and no bot events")
			}
			var cmds []string
			for _, c := range m.Features.SlashCommands {
				cmds = append(cmds, c.Command)
			}
			sameSet(t, "features.slash_commands", cmds, sortedKeys(commandScopes))
			if !slices.ContainsFunc(m.Features.Shortcuts, func(sc manifestShortcut) bool {
				return sc.Type == "message" && sc.CallbackID == messages.CallbackAddToTimeline && sc.Name != ""
			}) {
				t.Errorf("features.shortcuts lacks the message shortcut %q", messages.CallbackAddToTimeline)
			}
			if !m.Features.AppHome.HomeTabEnabled {
				t.Error("features.app_home.home_tab_enabled is false: App Home would not show")
			}
			if !m.Settings.Interactivity.IsEnabled {
				t.Error("settings.interactivity.is_enabled is false: the incident message's buttons would do nothing")
			}
			if m.Settings.SocketModeEnabled != mf.socket {
				t.Errorf("settings.socket_mode_enabled = %v, want %v for %s", m.Settings.SocketModeEnabled, mf.socket, filepath.Base(mf.path))
			}
			if !mf.socket {
				for what, url := range map[string]string{
					"settings.event_subscriptions.request_url": m.Settings.EventSubscriptions.RequestURL,
					"settings.interactivity.request_url":       m.Settings.Interactivity.RequestURL,
				} {
					want := map[bool]string{true: "/slack/events", false: "/slack/interactions"}[strings.HasPrefix(what, "settings.event")]
					if !strings.HasPrefix(url, "https://") || !strings.HasSuffix(url, want) {
						t.Errorf("%s = %q, want https://…%s (the bot's route)", what, url, want)
					}
				}
				for _, c := range m.Features.SlashCommands {
					if !strings.HasPrefix(c.URL, "https://") || !strings.HasSuffix(c.URL, "/slack/commands") {
						t.Errorf("slash command %s url = %q, want https://…/slack/commands", c.Command, c.URL)
					}
				}
			}
		})
	}
}

// sameSet reports what got has that want lacks and the other way round.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Errorf("%s lists %s twice", what, g)
		}
		seen[g] = true
		if !slices.Contains(want, g) {
			t.Errorf("%s has %s, which the bot does not use: remove it (or, if the code needs it now, add it to scopes.go)", what, g)
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s lacks %s, which the bot needs", what, w)
		}
	}
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestMissingScopes(t *testing.T) {
	all := make([]string, 0, len(botScopes))
	for _, s := range botScopes {
		all = append(all, s.Name)
	}
	tests := []struct {
		name        string
		granted     []string
		wantMissing []string
		wantExtra   []string
	}{
		{"all granted", all, nil, nil},
		{"none granted", nil, all, nil},
		{"two missing, one extra", append(slices.DeleteFunc(slices.Clone(all), func(s string) bool {
			return s == "users:read" || s == "files:write"
		}), "channels:read"), []string{"users:read", "files:write"}, []string{"channels:read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, extra := MissingScopes(tt.granted)
			var names []string
			for _, s := range missing {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, tt.wantMissing) {
				t.Errorf("missing = %v, want %v", names, tt.wantMissing)
			}
			if !slices.Equal(extra, tt.wantExtra) {
				t.Errorf("extra = %v, want %v", extra, tt.wantExtra)
			}
		})
	}
}

// manifestShortcut is a shortcut of an app manifest (features.shortcuts:
// name, type global or message, callback_id, description, all required).
type manifestShortcut struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	CallbackID  string `yaml:"callback_id"`
	Description string `yaml:"description"`
}

// TestManifestShortcuts: both manifests declare every global shortcut the
// bot handles (messages.Shortcuts), complete, and no global shortcut it
// does not handle.
func TestManifestShortcuts(t *testing.T) {
	for _, mf := range manifests {
		t.Run(filepath.Base(mf.path), func(t *testing.T) {
			m := readManifest(t, mf.path, mf.optional)
			var global []string
			for _, sc := range m.Features.Shortcuts {
				if sc.Name == "" || sc.CallbackID == "" || sc.Description == "" || (sc.Type != "global" && sc.Type != "message") {
					t.Errorf("shortcut %+v: name, type (global or message), callback_id and description are required", sc)
				}
				if sc.Type == "global" {
					global = append(global, sc.CallbackID)
				}
			}
			sameSet(t, "features.shortcuts (global)", global, messages.Shortcuts())
		})
	}
}

// readManifest parses the app manifest at path; an optional one that does
// not exist skips the test.
func readManifest(t *testing.T, path string, optional bool) appManifest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && optional {
		t.Skipf("%s does not exist (yet)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
	return m
}
