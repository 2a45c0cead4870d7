package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/internal/runbook"
	"github.com/incident-bot/bot/messages"
)

const postmortemUsage = `Usage: bot postmortem INCIDENT [-o FILE] [--team TEAM_ID]

Prints the postmortem of INCIDENT (INC-n, or the incident's id) in markdown,
from the database in DATABASE_URL, without Slack. A resolved incident prints
the document that was shared; an open one prints a draft as of now.
  -o FILE    write to FILE instead of standard output
  --team ID  the Slack workspace, when INC-n exists in more than one
`

func cmdPostmortem(ctx context.Context, args []string, cfg config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("postmortem", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "")
	team := fs.String("team", "", "")
	var ref string
	for len(args) > 0 {
		if wantsHelp(args[:1]) {
			fmt.Fprint(stdout, postmortemUsage)
			return nil
		}
		if err := fs.Parse(args); err != nil {
			return usageError("postmortem: %v (see bot postmortem --help)", err)
		}
		args = fs.Args()
		if len(args) > 0 {
			if ref != "" {
				return usageError("postmortem takes one incident, got %q and %q", ref, args[0])
			}
			ref, args = args[0], args[1:]
		}
	}
	if ref == "" {
		return usageError("postmortem needs an incident: bot postmortem INC-3 [-o FILE]")
	}
	dbURL := cfg.Store.URL
	if d, addr, err := parseDatabaseURL(dbURL); err == nil && d == "sqlite" {
		if _, err := os.Stat(addr); err != nil {
			return usageError("no database at %s: set DATABASE_URL to the bot's database (%s)", addr, playgroundNote)
		}
	}
	store, err := openStore(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	inc, err := findIncident(ctx, store, ref, *team)
	if err != nil {
		return err
	}
	doc := inc.Postmortem
	if doc == "" || inc.Open() {
		tl, err := store.Timeline(ctx, inc.ID)
		if err != nil {
			return fmt.Errorf("read the timeline of %s: %w", inc.Ref(), err)
		}
		if doc, err = messages.Postmortem(messages.PostmortemData{Incident: inc, Timeline: tl}); err != nil {
			return err
		}
	}
	// The document holds what vendors and people said: printed, it is
	// printable text (runbook.Printable), lines and all.
	doc = runbook.Printable(doc, true)
	if *out == "" {
		_, err = io.WriteString(stdout, doc)
		return err
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		return usageError("cannot write %s: %v", *out, err)
	}
	fmt.Fprintf(stdout, "wrote the postmortem of %s to %s\n", inc.Ref(), *out)
	return nil
}

// playgroundNote is what a person who tried bot play first needs to know
// when the postmortem they just saw there cannot be found.
const playgroundNote = "incidents made in bot play are not here: they live in the playground's own temporary database, " +
	"deleted when it stops; download their postmortem from its preview on the playground's page"

// findIncident accepts INC-n (or n) and an incident id.
func findIncident(ctx context.Context, store incident.Store, ref, team string) (*incident.Incident, error) {
	if id, err := uuid.Parse(ref); err == nil {
		inc, err := store.Incident(ctx, id)
		if err != nil {
			return nil, usageError("no incident with id %s in this database", ref)
		}
		return inc, nil
	}
	n, ok := incident.ParseRef(ref)
	if !ok {
		return nil, usageError("%q is not an incident: use INC-n or the incident's id", ref)
	}
	found, err := store.Incidents(ctx, incident.Filter{TeamID: team, Number: n})
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, usageError("%s is not in this database (DATABASE_URL); %s", incident.Ref(n), playgroundNote)
	case 1:
		return found[0], nil
	}
	teams := make([]string, len(found))
	for i, inc := range found {
		teams[i] = inc.TeamID
	}
	return nil, usageError("%s exists in several workspaces (%s): add --team", incident.Ref(n), strings.Join(teams, ", "))
}
