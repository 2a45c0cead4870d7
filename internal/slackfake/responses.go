package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ResponseMethod names the calls to a slash command's response_url in
// Calls and Wait.
const ResponseMethod = "response_url"

// ResponseURL returns a response_url for a slash command given in channel
// by user: what is posted to it is recorded as an ephemeral message, the
// way Slack shows "only visible to you" replies.
func (s *Server) ResponseURL(channel, user string) string {
	return s.URL() + "/response/" + url.PathEscape(channel) + "/" + url.PathEscape(user)
}

func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err != nil || json.Unmarshal(body, &msg) != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel, user := r.PathValue("channel"), r.PathValue("user")
	s.calls = append(s.calls, Call{Method: ResponseMethod, Params: url.Values{
		"channel": {channel}, "user": {user}, "text": {msg.Text}, "response_type": {msg.ResponseType},
	}, Blocks: cloneRaw(msg.Blocks), Time: time.Now(), Status: http.StatusOK})
	s.ephem = append(s.ephem, Ephemeral{Channel: channel, User: user, TS: s.nextTSLocked(), Text: msg.Text, Blocks: cloneRaw(msg.Blocks)})
	s.notifyLocked()
	w.Write([]byte("ok"))
}
