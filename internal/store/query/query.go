// Package query holds the SQL the stores share, written once so that
// SQLite and Postgres select the same incidents for the same filter.
package query

import (
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// Incidents returns the WHERE, ORDER BY and LIMIT clauses that select f, and
// their arguments in order. placeholder writes the n-th parameter (1-based:
// "?" or "$n"); at turns a time into the store's column representation.
func Incidents(f incident.Filter, placeholder func(n int) string, at func(time.Time) any) (string, []any) {
	where, args := Where(f, placeholder, at)
	q := where + ` ORDER BY declared_at DESC, number DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += ` LIMIT ` + placeholder(len(args))
	}
	return q, args
}

// Where returns the WHERE clause that selects f, its Limit aside, and its
// arguments in order: for counting.
func Where(f incident.Filter, placeholder func(n int) string, at func(time.Time) any) (string, []any) {
	var q strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return placeholder(len(args))
	}
	q.WriteString(` WHERE 1 = 1`)
	if f.TeamID != "" {
		q.WriteString(` AND team_id = ` + arg(f.TeamID))
	}
	if f.Number > 0 {
		q.WriteString(` AND number = ` + arg(f.Number))
	}
	if f.ChannelID != "" {
		q.WriteString(` AND (channel_id = ` + arg(f.ChannelID) + ` OR declared_in = ` + arg(f.ChannelID) + `)`)
	}
	if f.VisibleIn != "" {
		q.WriteString(` AND (channel_public OR channel_id = ` + arg(f.VisibleIn) + ` OR declared_in = ` + arg(f.VisibleIn) + `)`)
	}
	if f.OpenOnly {
		q.WriteString(` AND status <> 'resolved'`)
	}
	if !f.DueBy.IsZero() {
		q.WriteString(` AND next_update_at IS NOT NULL AND next_update_at <= ` + arg(at(f.DueBy)))
	}
	if f.Unfinished {
		q.WriteString(` AND (message_ts = '' OR (status = 'resolved' AND postmortem_file_id = ''))`)
	}
	if !f.ArchiveBy.IsZero() {
		q.WriteString(` AND declared_in <> '' AND NOT channel_archived AND status = 'resolved' AND resolved_at <= ` +
			arg(at(f.ArchiveBy)))
	}
	return q.String(), args
}
