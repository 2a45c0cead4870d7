package slackfake

import (
	"net/http"
	"strings"
)

// WithScopes makes the fake send the X-OAuth-Scopes header Slack sends with
// every answer to a caller whose token it accepted: the scopes granted to the
// token, comma-separated ("chat:write,commands"). With no scopes the header
// is sent empty, as for a token granted none. Without this option the fake
// sends no such header.
//
// The fake does not refuse calls for a scope missing from the list; it only
// reports the list.
func WithScopes(scopes ...string) Option {
	return func(s *Server) { s.scopes = append([]string{}, scopes...) }
}

// scopeHeaderLocked adds X-OAuth-Scopes to the answer to an authenticated
// call. The caller holds s.mu.
func (s *Server) scopeHeaderLocked(h http.Header, rep reply) {
	if s.scopes == nil || rep.err == "not_authed" || rep.err == "invalid_auth" {
		return
	}
	h.Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
}
