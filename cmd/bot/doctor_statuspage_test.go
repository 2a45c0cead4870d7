package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/incident-bot/bot/internal/slackfake"
	"github.com/incident-bot/bot/internal/statuspage/statuspagetest"
)

// TestDoctorStatuspage: with a page id and a key, the doctor reads the
// page with them (GET /pages/{page_id}) and says whether publishing will
// work; without them it says drafts stay in the thread; the key is never
// printed.
func TestDoctorStatuspage(t *testing.T) {
	const key = "sp-doctor-key-0123456789"
	sp := statuspagetest.New("kctbh9vrtdwd", key)
	t.Cleanup(sp.Close)
	for _, tt := range []struct {
		name   string
		env    map[string]string
		mark   string
		detail []string
		err    error
	}{
		{"not set", nil, "--", []string{"STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY not set"}, nil},
		{"in order", map[string]string{"STATUSPAGE_PAGE_ID": "kctbh9vrtdwd", "STATUSPAGE_API_KEY": key, "STATUSPAGE_API_URL": sp.URL},
			"ok", []string{"kctbh9vrtdwd", "Acme status"}, nil},
		{"key refused", map[string]string{"STATUSPAGE_PAGE_ID": "kctbh9vrtdwd", "STATUSPAGE_API_KEY": key + "x", "STATUSPAGE_API_URL": sp.URL},
			"FAIL", []string{"STATUSPAGE_API_KEY", "401"}, errProblemFound},
		{"no such page", map[string]string{"STATUSPAGE_PAGE_ID": "nope", "STATUSPAGE_API_KEY": key, "STATUSPAGE_API_URL": sp.URL},
			"FAIL", []string{"STATUSPAGE_PAGE_ID"}, errProblemFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
			t.Cleanup(fake.Close)
			env := doctorEnv(t, fake.URL()+"/api/")
			for k, v := range tt.env {
				env[k] = v
			}
			lines, out, err := runDoctor(t, env)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v\n%s", err, tt.err, out)
			}
			l := lines["statuspage"]
			if l.mark != tt.mark {
				t.Errorf("statuspage: %+v, want %s\n%s", l, tt.mark, out)
			}
			for _, s := range tt.detail {
				if !strings.Contains(l.detail, s) {
					t.Errorf("detail %q lacks %q", l.detail, s)
				}
			}
			if strings.Contains(out, "0123456789") {
				t.Errorf("the key is printed:\n%s", out)
			}
		})
	}
	// Only one of the two: a configuration problem.
	fake := slackfake.New(slackfake.WithToken(doctorBotToken), slackfake.WithScopes(neededScopes()...))
	t.Cleanup(fake.Close)
	env := doctorEnv(t, fake.URL()+"/api/")
	env["STATUSPAGE_PAGE_ID"] = "kctbh9vrtdwd"
	lines, _, _ := runDoctor(t, env)
	if l := lines["configuration"]; l.mark != "FAIL" || !strings.Contains(l.detail, "go together") {
		t.Errorf("configuration = %+v", l)
	}
}
