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

// Recover finishes what a stopped process left half-done: incidents whose
// message was never posted, and resolved incidents whose postmortem was not
// written or not shared. The engine runs it at start and then every
// recoverEvery (Modules), on every replica: each incident is claimed with
// a versioned update before anything is sent, so one replica finishes it.
func (s *Service) Recover(ctx context.Context) {
	todo, err := s.Store.Incidents(ctx, incident.Filter{Unfinished: true, Limit: 100})
	if err != nil {
		s.Log.Error().Err(err).Msg("recovery: list unfinished incidents")
		return
	}
	for _, found := range todo {
		if s.Now().Sub(found.UpdatedAt) < recoverAfter {
			continue
		}
		// Claim it before acting: the versioned update moves UpdatedAt to
		// now, so another replica's recovery that read the same version
		// loses the update, reads again and finds the work fresh.
		inc, claimed, err := s.modify(ctx, found.ID, func(i *incident.Incident) (bool, error) {
			return s.Now().Sub(i.UpdatedAt) >= recoverAfter, nil
		})
		if err != nil {
			s.Log.Warn().Err(err).Str("incident", found.Ref()).Msg("recovery: claim")
			continue
		}
		if !claimed {
			continue
		}
		switch {
		case inc.MessageTS == "":
			err = s.postIncident(ctx, inc)
		case inc.Postmortem == "":
			err = s.writePostmortem(ctx, inc)
		default:
			err = s.sharePostmortem(ctx, inc)
		}
		if err != nil {
			s.Log.Warn().Err(err).Str("incident", inc.Ref()).Msg("recovery: could not finish; will try at the next start")
			continue
		}
		s.Log.Info().Str("incident", inc.Ref()).Msg("recovery: finished work left by a stopped process")
	}
}
