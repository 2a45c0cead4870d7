package slackfake

import (
	"encoding/json"
	"fmt"
)

func (s *Server) viewsOpen(r *request) reply {
	trigger := r.params.Get("trigger_id")
	if trigger == "" {
		trigger = r.params.Get("interactivity_pointer")
	}
	if trigger == "" {
		return fail("invalid_arguments", "views.open needs a trigger_id or an interactivity_pointer")
	}
	if s.triggers[trigger] {
		return fail("exchanged_trigger_id", fmt.Sprintf("trigger %q was already used to open a view", trigger))
	}
	raw := r.params.Get("view")
	if err := checkView(raw, "modal"); err != nil {
		return failBlocks("invalid_arguments", err)
	}
	v := &View{ID: s.nextIDLocked("V"), TriggerID: trigger}
	if rep := s.setView(v, raw); rep != nil {
		return *rep
	}
	s.triggers[trigger] = true
	s.views[v.ID] = v
	s.viewIDs = append(s.viewIDs, v.ID)
	return reply{body: map[string]any{"view": s.renderView(v)}, blocks: v.Blocks}
}

func (s *Server) viewsUpdate(r *request) reply {
	var v *View
	switch id, ext := r.params.Get("view_id"), r.params.Get("external_id"); {
	case id != "":
		v = s.views[id]
	case ext != "":
		v = s.viewByExternalID(ext)
	default:
		return fail("invalid_arguments", "views.update needs a view_id or an external_id")
	}
	if v == nil {
		return fail("not_found", "no such view")
	}
	if h := r.params.Get("hash"); h != "" && h != v.Hash {
		return fail("hash_conflict", fmt.Sprintf("hash %q is not the view's current hash %q", h, v.Hash))
	}
	raw := r.params.Get("view")
	if err := checkView(raw, "modal"); err != nil {
		return failBlocks("invalid_arguments", err)
	}
	if rep := s.setView(v, raw); rep != nil {
		return *rep
	}
	v.Updates++
	return reply{body: map[string]any{"view": s.renderView(v)}, blocks: v.Blocks}
}

func (s *Server) viewByExternalID(ext string) *View {
	for _, v := range s.views {
		if v.ExternalID == ext {
			return v
		}
	}
	return nil
}

// setView stores a checked view payload on v, with a new hash.
func (s *Server) setView(v *View, raw string) *reply {
	var p struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
		Blocks          json.RawMessage `json:"blocks"`
		CallbackID      string          `json:"callback_id"`
		PrivateMetadata string          `json:"private_metadata"`
		ExternalID      string          `json:"external_id"`
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		rep := fail("invalid_arguments", "view: "+err.Error())
		return &rep
	}
	if p.ExternalID != "" {
		if other := s.viewByExternalID(p.ExternalID); other != nil && other != v {
			rep := fail("duplicate_external_id", fmt.Sprintf("external_id %q is used by view %s", p.ExternalID, other.ID))
			return &rep
		}
	}
	v.ExternalID = p.ExternalID
	v.CallbackID = p.CallbackID
	v.PrivateMetadata = p.PrivateMetadata
	v.Title = p.Title.Text
	v.Blocks = rawJSON(string(p.Blocks))
	v.JSON = rawJSON(raw)
	s.seq++
	v.Hash = fmt.Sprintf("%d.H%06d", s.now().Unix(), s.seq)
	return nil
}

// renderView shapes a view the way views.open and views.update return it.
func (s *Server) renderView(v *View) map[string]any {
	out := map[string]any{}
	_ = json.Unmarshal(v.JSON, &out)
	out["id"] = v.ID
	out["team_id"] = TeamID
	out["hash"] = v.Hash
	out["root_view_id"] = v.ID
	out["previous_view_id"] = nil
	out["app_id"] = AppID
	out["app_installed_team_id"] = TeamID
	out["bot_id"] = BotID
	out["external_id"] = v.ExternalID
	out["state"] = map[string]any{"values": map[string]any{}}
	return out
}
