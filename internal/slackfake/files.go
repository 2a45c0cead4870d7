package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The v2 upload: files.getUploadURLExternal hands out an upload URL on the
// fake's own host (slack-go sends the token only to Slack hosts or the API
// URL's host), the bytes are POSTed there, and files.completeUploadExternal
// shares the file into a channel or thread.

func (s *Server) filesGetUploadURLExternal(r *request) reply {
	name := r.params.Get("filename")
	if name == "" {
		return fail("invalid_arguments", "filename is required")
	}
	if n, err := strconv.Atoi(r.params.Get("length")); err != nil || n <= 0 {
		return fail("invalid_arguments", fmt.Sprintf("length %q must be a positive number of bytes", r.params.Get("length")))
	}
	u := &upload{
		id:          s.nextIDLocked("F"),
		name:        name,
		altText:     r.params.Get("alt_txt"),
		snippetType: r.params.Get("snippet_type"),
		created:     s.now().Unix(),
	}
	s.uploads[u.id] = u
	return ok(map[string]any{"upload_url": s.URL() + "/upload/v1/" + u.id, "file_id": u.id})
}

// serveUpload takes the bytes of a file, raw or as a multipart form (as
// slack-go sends them), and answers as Slack's upload host does.
func (s *Server) serveUpload(w http.ResponseWriter, hr *http.Request) {
	id := hr.PathValue("id")
	hr.Body = http.MaxBytesReader(w, hr.Body, maxBody)
	data, filename, readErr := readUpload(hr)

	s.mu.Lock()
	call := Call{
		Method: UploadMethod,
		Params: url.Values{"file_id": {id}, "filename": {filename}, "length": {strconv.Itoa(len(data))}},
		Time:   s.now(),
		Status: http.StatusOK,
	}
	status, msg := http.StatusOK, fmt.Sprintf("OK - %d", len(data))
	u := s.uploads[id]
	var f *fault
	if q := s.faults[UploadMethod]; len(q) > 0 {
		f = &q[0]
		s.faults[UploadMethod] = q[1:]
	}
	switch {
	case f != nil:
		status = f.status
		if status == 0 {
			status = http.StatusOK
		}
		msg = f.slackError
		call.Error, call.Detail = f.slackError, "injected by FailNext"
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(f.retryAfter))
		}
	case u == nil || u.completed:
		status, msg = http.StatusNotFound, "file_not_found"
		call.Error, call.Detail = msg, "no pending upload "+id
	case readErr != nil:
		status, msg = http.StatusBadRequest, "invalid_upload"
		call.Error, call.Detail = msg, readErr.Error()
	default:
		u.content = data
		u.uploaded = true
	}
	call.Status = status
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// readUpload returns the file's bytes and name from a multipart form's
// first file part, or the whole body otherwise.
func readUpload(hr *http.Request) ([]byte, string, error) {
	ctype, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	if ctype != "multipart/form-data" {
		data, err := io.ReadAll(hr.Body)
		return data, "", err
	}
	mr, err := hr.MultipartReader()
	if err != nil {
		return nil, "", err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", errors.New("multipart body has no file part")
		}
		if err != nil {
			return nil, "", err
		}
		if part.FileName() == "" && part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(part)
		return data, part.FileName(), err
	}
}

func (s *Server) filesCompleteUploadExternal(r *request) reply {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.params.Get("files")), &list); err != nil || len(list) == 0 {
		return fail("invalid_arguments", "files must be a JSON array of {id, title}")
	}
	var ups []*upload
	for _, f := range list {
		u := s.uploads[f.ID]
		switch {
		case u == nil:
			return fail("file_not_found", fmt.Sprintf("no file %q from files.getUploadURLExternal", f.ID))
		case u.completed:
			return fail("file_not_found", fmt.Sprintf("file %s was already completed", f.ID))
		case !u.uploaded:
			return fail("file_not_found", fmt.Sprintf("no bytes were uploaded for file %s", f.ID))
		}
		ups = append(ups, u)
	}

	var chans []*channel
	ids := strings.Split(r.params.Get("channels"), ",")
	if id := r.params.Get("channel_id"); id != "" {
		ids = append([]string{id}, ids...)
	}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		c, found := s.channelLocked(id)
		if !found {
			return fail("channel_not_found", fmt.Sprintf("no channel %q", id))
		}
		chans = append(chans, c)
	}
	threadTS := r.params.Get("thread_ts")
	if threadTS != "" && len(chans) != 1 {
		return fail("invalid_arguments", "thread_ts needs exactly one channel")
	}
	var parent *Message
	if threadTS != "" {
		if parent = chans[0].parentOf(threadTS); parent == nil {
			return fail("thread_not_found", fmt.Sprintf("no message %s in %s to reply to", threadTS, chans[0].id))
		}
	}

	comment := r.params.Get("initial_comment")
	var blocks json.RawMessage
	if comment == "" && r.params.Get("blocks") != "" {
		raw := r.params.Get("blocks")
		if err := checkBlocksJSON(raw, inMessage, "/blocks"); err != nil {
			code := "invalid_blocks"
			if err.format {
				code = "invalid_blocks_format"
			}
			return failBlocks(code, err)
		}
		blocks = rawJSON(raw)
	}

	fileIDs := make([]string, len(ups))
	for i, u := range ups {
		u.completed = true
		u.title = list[i].Title
		if u.title == "" {
			u.title = u.name
		}
		fileIDs[i] = u.id
	}
	share := func(chID, msgTS string) {
		for _, u := range ups {
			s.shares = append(s.shares, File{
				ID:             u.id,
				Name:           u.name,
				Title:          u.title,
				Content:        u.content,
				AltText:        u.altText,
				SnippetType:    u.snippetType,
				Channel:        chID,
				ThreadTS:       threadTS,
				InitialComment: comment,
				MessageTS:      msgTS,
			})
		}
	}
	if len(chans) == 0 {
		share("", "")
	}
	for _, c := range chans {
		m := &Message{
			Channel: c.id,
			User:    BotUserID,
			BotID:   BotID,
			Text:    comment,
			Blocks:  blocks,
			FileIDs: fileIDs,
		}
		if parent != nil {
			m.ThreadTS = parent.TS
			parent.ReplyCount++
		}
		m.TS = s.nextTSLocked()
		c.add(m)
		share(c.id, m.TS)
	}

	out := make([]map[string]any, len(ups))
	for i, u := range ups {
		out[i] = s.renderFile(u)
	}
	return reply{body: map[string]any{"files": out}, blocks: blocks}
}

// renderFile shapes a file object the way Slack's API returns it.
func (s *Server) renderFile(u *upload) map[string]any {
	return map[string]any{
		"id":          u.id,
		"created":     u.created,
		"name":        u.name,
		"title":       u.title,
		"user":        BotUserID,
		"size":        len(u.content),
		"mimetype":    "application/octet-stream",
		"alt_txt":     u.altText,
		"url_private": s.URL() + "/files/" + u.id + "/" + url.PathEscape(u.name),
		"permalink":   s.URL() + "/files/" + BotUserID + "/" + u.id + "/" + url.PathEscape(u.name),
	}
}

func (s *Server) filesUpload(*request) reply {
	return fail("method_deprecated", "files.upload is retired: use files.getUploadURLExternal, the upload URL and files.completeUploadExternal")
}
