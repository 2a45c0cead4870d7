package vendors

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	doc, ok := parseJSON([]byte(`{
		"category": "MISSING_SCOPES",
		"errors": [
			{"code": "a", "context": {"requiredGranularScopes": ["crm.objects.contacts.read", "crm.schemas.contacts.read"]}},
			{"code": "b", "extensions": {"code": "THROTTLED"}}
		],
		"ok": false,
		"n": 12.5
	}`))
	if !ok {
		t.Fatal("not JSON")
	}
	tests := []struct {
		path string
		want string
	}{
		{"category", "MISSING_SCOPES"},
		{"errors.0.code", "a"},
		{"errors.1.code", "b"},
		{"errors.2.code", ""},
		{"errors.*.extensions.code", "THROTTLED"},
		{"ok", "false"},
		{"n", "12.5"},
		{"missing.path", ""},
		{"errors.x", ""},
	}
	for _, tt := range tests {
		if got := firstString(doc, []string{tt.path}); got != tt.want {
			t.Errorf("firstString(%s) = %q, want %q", tt.path, got, tt.want)
		}
	}
	scopes := allStrings(doc, []string{"errors.*.context.requiredGranularScopes", "context.requiredGranularScopes"})
	if strings.Join(scopes, ",") != "crm.objects.contacts.read,crm.schemas.contacts.read" {
		t.Errorf("scopes = %v", scopes)
	}
	arr, _ := parseJSON([]byte(`[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`))
	if got := firstString(arr, []string{"0.errorCode"}); got != "REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("array root: %q", got)
	}
	if !bodyHas(arr, "*.errorCode", []string{"request_limit_exceeded"}) {
		t.Error("bodyHas is not case-insensitive over *")
	}
	if bodyHas(arr, "*.errorCode", []string{"INVALID_SESSION_ID"}) {
		t.Error("bodyHas matched a wrong value")
	}
	if !bodyHas(arr, "0.message", []string{"*"}) || bodyHas(arr, "0.nope", []string{"*"}) {
		t.Error("bodyHas * should mean present")
	}
}

func TestParseJSON(t *testing.T) {
	for _, body := range []string{"", "  ", "<html>", "{", "ok", "406 Not Acceptable", `{"a":1} trailing`, `{"a":1}{"b":2}`} {
		if _, ok := parseJSON([]byte(body)); ok {
			t.Errorf("parseJSON(%q) ok", body)
		}
	}
	if _, ok := parseJSON([]byte(" {\"a\":1} ")); !ok {
		t.Error("valid JSON refused")
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		header, key string
		used, limit int64
		ok          bool
	}{
		{"api-usage=18/5000", "api-usage", 18, 5000, true},
		{"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", "per-app-api-usage", 17, 250, true},
		{"api-usage=10018/100000; api-bursts=1/750", "api-usage", 10018, 100000, true},
		{"api-usage=x/5000", "api-usage", 0, 0, false},
		{"", "api-usage", 0, 0, false},
	}
	for _, tt := range tests {
		u, l, ok := usage(tt.header, tt.key)
		if u != tt.used || l != tt.limit || ok != tt.ok {
			t.Errorf("usage(%q) = %d %d %v", tt.header, u, l, ok)
		}
	}
}

func TestResetAndRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	if got := resetText("1777888830", now); got != "at 10:00:30 UTC (in 30s)" {
		t.Errorf("unix reset = %q", got)
	}
	if got := resetText("41", now); got != "in 41s" {
		t.Errorf("seconds reset = %q", got)
	}
	if got := resetText("2026-05-04T10:05Z", now); got != "2026-05-04T10:05Z" {
		t.Errorf("text reset = %q", got)
	}
	if got := retryAfter("30", now); got != 30*time.Second {
		t.Errorf("Retry-After 30 = %s", got)
	}
	if got := retryAfter(now.Add(2*time.Minute).Format(http.TimeFormat), now); got != 2*time.Minute {
		t.Errorf("Retry-After date = %s", got)
	}
	if got := retryAfter("soon", now); got != 0 {
		t.Errorf("Retry-After garbage = %s", got)
	}
}

func TestHeaderInt(t *testing.T) {
	h := http.Header{}
	h.Set("A", "100")
	h.Set("B", "100;w=60")
	h.Set("C", "lots")
	if v, ok := headerInt(h, "A"); !ok || v != 100 {
		t.Errorf("A = %d %v", v, ok)
	}
	if v, ok := headerInt(h, "B"); !ok || v != 100 {
		t.Errorf("B = %d %v", v, ok)
	}
	if _, ok := headerInt(h, "C"); ok {
		t.Error("C parsed")
	}
	if _, ok := headerInt(h, "D"); ok {
		t.Error("absent header parsed")
	}
}

func TestSecretsAndScrub(t *testing.T) {
	secrets := secretsOf("me@example.com/token:s3cr3t-value")
	text := "auth me@example.com/token:s3cr3t-value or bWVAZXhhbXBsZS5jb20vdG9rZW46czNjcjN0LXZhbHVl or s3cr3t-value"
	got := scrub(text, secrets)
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "bWVAZXhhbXBsZS5jb20vdG9rZW46czNjcjN0LXZhbHVl") {
		t.Errorf("scrub left a secret: %s", got)
	}
	if secretsOf("  ") != nil {
		t.Error("blank token has secrets")
	}
}
