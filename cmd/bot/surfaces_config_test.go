package main

import (
	"strings"
	"testing"
	"time"
)

// TestSurfacesConfig: INCIDENT_CHANNELS, ARCHIVE_AFTER and
// TIMELINE_REACTION, their defaults, and a clear word for a bad value.
func TestSurfacesConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    surfacesConfig
		problem string
	}{
		{name: "defaults", want: surfacesConfig{ArchiveAfter: 168 * time.Hour, TimelineReaction: "pushpin"}},
		{name: "channels", env: map[string]string{"INCIDENT_CHANNELS": "Channel", "ARCHIVE_AFTER": "24h", "TIMELINE_REACTION": ":round_pushpin:"},
			want: surfacesConfig{Channels: true, ArchiveAfter: 24 * time.Hour, TimelineReaction: "round_pushpin"}},
		{name: "never archive", env: map[string]string{"INCIDENT_CHANNELS": "thread", "ARCHIVE_AFTER": "0"},
			want: surfacesConfig{TimelineReaction: "pushpin"}},
		{name: "bad mode", env: map[string]string{"INCIDENT_CHANNELS": "channels"}, problem: "INCIDENT_CHANNELS must be thread"},
		{name: "bad duration", env: map[string]string{"ARCHIVE_AFTER": "a week"}, problem: "ARCHIVE_AFTER must be a duration"},
		{name: "negative", env: map[string]string{"ARCHIVE_AFTER": "-1h"}, problem: "ARCHIVE_AFTER must be a duration"},
		{name: "bad reaction", env: map[string]string{"TIMELINE_REACTION": "push pin"}, problem: "TIMELINE_REACTION must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := loadSurfaces(func(k string) string { return tt.env[k] })
			if tt.problem != "" {
				if got.err == nil || !strings.Contains(got.err.Error(), tt.problem) {
					t.Errorf("err = %v, want %q", got.err, tt.problem)
				}
				env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
				for k, v := range tt.env {
					env[k] = v
				}
				if err := loadConfig(func(k string) string { return env[k] }).checkServe(); err == nil ||
					!strings.Contains(err.Error(), tt.problem) {
					t.Errorf("checkServe = %v, want the problem named", err)
				}
				return
			}
			if got.err != nil || got.Channels != tt.want.Channels || got.ArchiveAfter != tt.want.ArchiveAfter ||
				got.TimelineReaction != tt.want.TimelineReaction {
				t.Errorf("loadSurfaces = %+v, want %+v", got, tt.want)
			}
		})
	}
}
