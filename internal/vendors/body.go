package vendors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// parseJSON decodes a body, reporting whether it is JSON at all.
func parseJSON(body []byte) (any, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	// One document and nothing after it: "406 Not Acceptable" is text
	// that starts like a number, not JSON.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return nil, false
	}
	return doc, true
}

// lookup resolves a dotted path in a JSON document: object keys, numeric
// array indexes, and * for every element of an array (or every value of an
// object). It returns every value found.
func lookup(doc any, path string) []any {
	if path == "" {
		return nil
	}
	cur := []any{doc}
	for _, part := range strings.Split(path, ".") {
		var next []any
		for _, v := range cur {
			switch t := v.(type) {
			case map[string]any:
				if part == "*" {
					for _, e := range t {
						next = append(next, e)
					}
				} else if e, ok := t[part]; ok {
					next = append(next, e)
				}
			case []any:
				if part == "*" {
					next = append(next, t...)
				} else if i, err := strconv.Atoi(part); err == nil && i >= 0 && i < len(t) {
					next = append(next, t[i])
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// scalar formats a JSON scalar as text; ok is false for objects, arrays
// and null.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return "", false
}

// firstString returns the first non-empty scalar found at any of the paths.
func firstString(doc any, paths []string) string {
	for _, p := range paths {
		for _, v := range lookup(doc, p) {
			if s, ok := scalar(v); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// allStrings returns every scalar found at the paths, arrays flattened,
// without duplicates, in order.
func allStrings(doc any, paths []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v any) {
		if s, ok := scalar(v); ok && s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, p := range paths {
		for _, v := range lookup(doc, p) {
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					add(e)
				}
				continue
			}
			add(v)
		}
	}
	return out
}

// number reads a JSON number or numeric string.
func number(v any) (float64, bool) {
	s, ok := scalar(v)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// shorten cuts text to n runes, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// looksHTML reports whether a body is an HTML page.
func looksHTML(contentType string, body []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	b := bytes.ToLower(bytes.TrimSpace(body))
	return bytes.HasPrefix(b, []byte("<!doctype html")) || bytes.HasPrefix(b, []byte("<html"))
}

// notJSON describes a body that should have been JSON.
func notJSON(contentType string, body []byte) string {
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return "empty answer instead of JSON"
	case looksHTML(contentType, body):
		return "HTML page instead of JSON"
	}
	return fmt.Sprintf("answer is not JSON (%s)", shorten(string(body), 40))
}
