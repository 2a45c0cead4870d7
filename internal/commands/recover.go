package commands

import (
	"context"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

// recoverAfter is how old unfinished work must be before a starting bot
// takes it over: younger work may still be in the hands of another replica.
const recoverAfter = time.Minute

// recoverEvery is how often unfinished work is looked for.
const recoverEvery = time.Minute

// Recover makes sure that what a stopped process left half-done has its
// job: incidents whose message was never posted, and resolved incidents
// whose postmortem was not written or not shared. The jobs are keyed by
// the incident (and the resolve), so an incident whose job is still queued
// or running gets no second one, and several replicas recovering at once
// ask for the same job: each message and each postmortem is posted once.
// The engine runs it at start and then every recoverEvery (Modules).
func (s *Service) Recover(ctx context.Context) {
	todo, err := s.Store.Incidents(ctx, incident.Filter{Unfinished: true, Limit: 100})
	if err != nil {
		s.Log.Error().Err(err).Msg("recovery: list unfinished incidents")
		return
	}
	for _, inc := range todo {
		if s.Now().Sub(inc.UpdatedAt) < recoverAfter {
			continue
		}
		var err error
		if inc.MessageTS == "" {
			err = s.then(ctx, jobPost, inc.ID.String(), jobArgs{Incident: inc.ID})
		} else {
			err = s.queuePostmortem(ctx, inc)
		}
		if err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("recovery: could not queue; will try again")
		}
	}
}
