package main

import (
	"context"

	"github.com/incident-bot/bot/internal/slackapp"
	"github.com/rs/zerolog"
)

// newSocket returns the Socket Mode edge when SLACK_APP_TOKEN is set, fed
// by the same command layer as the HTTP routes; nil in HTTP mode.
func newSocket(cfg config, svc slackapp.Service, log zerolog.Logger) *slackapp.Socket {
	if cfg.Slack.AppToken == "" {
		return nil
	}
	return slackapp.NewSocket(cfg.Slack.AppToken, cfg.Slack.APIURL, svc, log)
}

// startSocket connects to Slack over Socket Mode, when the app has a
// socket, until ctx ends. The returned stopped waits until the socket has
// stopped: no new envelopes, those in flight acknowledged, the connection
// closed; or until its own ctx ends. serve calls it before it shuts HTTP
// down.
func (a *app) startSocket(ctx context.Context) (stopped func(context.Context)) {
	if a.socket == nil {
		return func(context.Context) {}
	}
	a.log.Info().Msg("Socket Mode: connecting to Slack")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.socket.Run(ctx); err != nil {
			a.log.Error().Err(err).Msg("Socket Mode stopped")
		}
	}()
	return func(wctx context.Context) {
		select {
		case <-done:
		case <-wctx.Done():
			a.log.Warn().Msg("Socket Mode still finishing envelopes at the shutdown deadline")
		}
	}
}
