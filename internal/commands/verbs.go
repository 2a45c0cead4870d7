package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incident-bot/bot/messages"
)

// verb is one /incident subcommand: its names, its help line, and what runs
// it. The table below drives both the dispatch and /incident help, so a new
// subcommand is one entry here (and its handler).
type verb struct {
	names []string // the first is the name, the others are aliases
	usage string   // the words after /incident, as help shows them
	also  string   // another way to say it, shown in help
	help  string   // what it does, one line
	run   func(s *Service, ctx context.Context, cmd Command, rest string) messages.Message
}

// verbs is the table of subcommands, in the order help lists them. It is
// filled in init because help refers back to it.
var verbs []verb

func init() {
	verbs = []verb{
		{names: []string{"triage"}, usage: "triage VENDOR", run: (*Service).triage,
			help: "check the vendor (status page, API, rate limits, our health) and open an incident with the cause and what to do"},
		{names: []string{"declare"}, usage: "declare TITLE", run: (*Service).declare,
			help: "open an incident that is not about a vendor"},
		{names: []string{"severity", "sev"}, usage: "severity P1…P4 [INC-n]", run: (*Service).severityCommand,
			help: "set the severity"},
		{names: []string{"status", "update"}, usage: "status TEXT [INC-n]", also: "update TEXT", run: (*Service).statusUpdate,
			help: "post a status update in the incident thread"},
		{names: []string{"commander", "lead"}, usage: "commander @user [INC-n]", run: (*Service).commander,
			help: "set the incident commander"},
		{names: []string{"list", "ls"}, usage: "list [all]", run: (*Service).list,
			help: "open incidents of this channel; `all`: of every channel but other private ones"},
		{names: []string{"resolve"}, usage: "resolve [INC-n] [summary]", run: (*Service).resolveCommand,
			help: "resolve and post the postmortem"},
		{names: []string{"reopen"}, usage: "reopen INC-n", run: (*Service).reopen,
			help: "reopen a resolved incident"},
		{names: []string{"followup", "follow-up"}, usage: "followup TEXT [INC-n]", run: (*Service).followup,
			help: "add a follow-up: an issue in the tracker when one is set up, and an action item in the postmortem"},
		{names: []string{"role"}, usage: "role ROLE @user [INC-n]", run: (*Service).role,
			help: "give a role: commander, comms (talks to customers) or scribe (keeps the notes)"},
		{names: []string{"statuspage"}, usage: "statuspage [TEXT] [INC-n]", run: (*Service).statuspage,
			help: "draft the customer status page update (from the template, or TEXT); its buttons edit and publish it"},
		{names: []string{"help", ""}, usage: "help", run: func(*Service, context.Context, Command, string) messages.Message {
			return help()
		}, help: "this list"},
		{names: []string{"watch"}, usage: "watch VENDOR [VENDOR…]", run: (*Service).watchCommand,
			help: "tell this channel whenever the vendor's state changes (status page, components, our calls)"},
		{names: []string{"unwatch"}, usage: "unwatch VENDOR…", run: (*Service).unwatchCommand,
			help: "stop telling this channel about the vendor"},
		{names: []string{"watching"}, usage: "watching", run: (*Service).watchingCommand,
			help: "the vendors this channel watches, and their state now"},
	}
}

// lookupVerb finds the subcommand a word names.
func lookupVerb(word string) (verb, bool) {
	for _, v := range verbs {
		for _, n := range v.names {
			if n == word {
				return v, true
			}
		}
	}
	return verb{}, false
}

// help is the answer to /incident help, from the verb table.
func help() messages.Message {
	lines := make([]messages.HelpLine, len(verbs))
	for i, v := range verbs {
		lines[i] = messages.HelpLine{Usage: v.usage, Also: v.also, Text: v.help}
	}
	return messages.Help(lines)
}

// Command handles cmd and returns the immediate, ephemeral answer. Slow work
// (triage, posting, uploads) continues in the background after it returns.
func (s *Service) Command(ctx context.Context, cmd Command) messages.Message {
	word, rest := splitVerb(cmd.Text)
	if v, ok := lookupVerb(word); ok {
		return v.run(s, ctx, cmd, rest)
	}
	return notice(fmt.Sprintf("I don't know `%s`. Try `/incident help` for the list of subcommands.",
		messages.Escape(messages.Truncate(40, word))))
}

// verbNames lists every name and alias, for tests and parsers.
func verbNames() []string {
	var out []string
	for _, v := range verbs {
		for _, n := range v.names {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}
