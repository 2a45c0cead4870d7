package vendors

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/incident-bot/bot/internal/runbook"
)

// TestCatalogComplete checks every catalog/<key>.yaml as a contributor
// adding a vendor needs it checked, and says everything an entry lacks at
// once, file by file:
//
//   - the key is a valid vendor key; the file names the vendor (name) and
//     the documentation its facts come from (sources, https URLs);
//   - every URL parses (api_url, api_url_example, status_url, links,
//     sources);
//   - a status page the bot does not read (status_kind none with a
//     status_url) says its format on a "# format: KIND" line, and a page
//     the bot reads says none;
//   - a vendor with an API has a token variable no other vendor uses, a
//     token hint, a probe path, where to regenerate the token, links to
//     its auth and rate-limit docs, and a documented answer under
//     testdata/answers/<key>/ for every cause an answer alone can show,
//     or a NOTES.md line saying the vendor documents none; each answer
//     names a source on a host the entry's sources or links name;
//   - a vendor without an API has a status page;
//   - no answers folder is left without its vendor.
func TestCatalogComplete(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{} // token variable → vendor
	for _, key := range catalogKeys(t) {
		raw, err := os.ReadFile(filepath.Join("catalog", key+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := c.Lookup(key)
		missing := entryMissing(t, key, raw, v)
		if v.APIURL != "" {
			if other, dup := tokens[v.TokenEnv]; dup {
				missing = append(missing, fmt.Sprintf("token_env: %s is %s's too; give each vendor its own", v.TokenEnv, other))
			}
			tokens[v.TokenEnv] = key
		}
		if len(missing) > 0 {
			t.Errorf("catalog/%s.yaml is incomplete:\n  - %s", key, strings.Join(missing, "\n  - "))
		}
	}

	dirs, _ := filepath.Glob(filepath.Join(answersDir, "*"))
	for _, d := range dirs {
		k := filepath.Base(d)
		if k == "_edge" {
			continue
		}
		if v, ok := c.Lookup(k); !ok || v.APIURL == "" {
			t.Errorf("%s: answers for %s, which is not a catalog vendor with an API", d, k)
		}
	}
}

// entryMissing lists what one catalog entry lacks (raw is its file, v the
// vendor as loaded), every check but the catalog-wide ones.
func entryMissing(t *testing.T, key string, raw []byte, v Vendor) []string {
	t.Helper()
	var missing []string
	miss := func(format string, args ...any) { missing = append(missing, fmt.Sprintf(format, args...)) }

	if !keyPattern.MatchString(key) {
		miss("a key of lower-case letters, digits, - and _ (rename the file)")
	}
	var top map[string]any
	if err := yaml.Unmarshal(raw, &top); err != nil {
		return []string{fmt.Sprintf("YAML that parses: %v", err)}
	}
	if s, _ := top["name"].(string); strings.TrimSpace(s) == "" {
		miss("name: the vendor's display name")
	}
	if len(v.Sources) == 0 {
		miss("sources: the vendor's documentation pages the facts come from")
	}
	for _, s := range v.Sources {
		if !isHTTPS(s) {
			miss("sources: %q is not an https URL", s)
		}
	}
	for field, u := range map[string]string{"api_url_example": v.APIURLExample, "status_url": v.StatusURL} {
		if u != "" && checkURL(u) != nil {
			miss("%s: %q does not parse as an http(s) URL", field, u)
		}
	}
	if v.APIURL != "" && !hasPlaceholder(v.APIURL) && checkURL(v.APIURL) != nil {
		miss("api_url: %q does not parse", v.APIURL)
	}
	lv := reflect.ValueOf(v.Links)
	for i := 0; i < lv.NumField(); i++ {
		if u, ok := lv.Field(i).Interface().(string); ok && u != "" && checkURL(u) != nil {
			miss("links.%s: %q does not parse", strings.ToLower(lv.Type().Field(i).Name), u)
		}
	}

	format := formatLine(raw)
	switch {
	case v.StatusKind == StatusNone && v.StatusURL != "" && format == "":
		miss(`a "# format: KIND" line above status_url: the page's format (gcp, aws, rss…, or unknown), since the bot does not read it yet`)
	case v.StatusKind != StatusNone && format != "":
		miss(`no "# format:" line: status_kind %s already names the format`, v.StatusKind)
	}

	if v.APIURL == "" {
		if v.StatusURL == "" && v.Links.Status == "" {
			miss("api_url or status_url: nothing to watch")
		}
	} else {
		if v.TokenHint == "" {
			miss("token_hint: what the token looks like")
		}
		if v.Probe.Path == "" {
			miss("probe.path: the vendor's cheapest authenticated call")
		}
		if v.Runbook.TokenConsole == "" {
			miss("runbook.token_console: where to regenerate the token")
		}
		if v.Links.Auth == "" || v.Links.RateLimits == "" {
			miss("links.auth and links.rate_limits")
		}
		missing = append(missing, answersMissing(t, key, v)...)
	}
	return missing
}

var formatPattern = regexp.MustCompile(`(?m)^#\s*format:\s*(\S+)`)

// formatLine is the KIND of a "# format: KIND" line, or "".
func formatLine(raw []byte) string {
	if m := formatPattern.FindSubmatch(raw); m != nil {
		return string(m[1])
	}
	return ""
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// answersMissing says which documented answers the vendor lacks: a cause
// an answer alone can show with no file and no NOTES.md line, or an
// answer whose source is not on one of the entry's documentation hosts.
func answersMissing(t *testing.T, key string, v Vendor) []string {
	t.Helper()
	dir := filepath.Join(answersDir, key)
	var out []string
	fixtures := readAnswerFixtures(t, key)
	if len(fixtures) == 0 {
		return []string{fmt.Sprintf("%s/*.http: the vendor's documented answers (see corpus_test.go for the format)", dir)}
	}
	hosts := map[string]bool{}
	for _, s := range append(append([]string(nil), v.Sources...), linkURLs(v.Links)...) {
		if u, err := url.Parse(s); err == nil {
			hosts[u.Hostname()] = true
		}
	}
	have := map[runbook.Cause]bool{}
	for _, a := range fixtures {
		have[a.cause] = true
		u, err := url.Parse(a.source)
		if err != nil || !hosts[u.Hostname()] {
			out = append(out, fmt.Sprintf("%s: its source %q is on no host of the entry's sources or links", filepath.Base(a.file), a.source))
		}
	}
	notes, _ := os.ReadFile(filepath.Join(dir, "NOTES.md"))
	for _, cause := range answerCauses {
		if !have[cause] && !bytes.Contains(notes, []byte("`"+string(cause)+"`")) {
			out = append(out, fmt.Sprintf("%s/%s.http, or a NOTES.md line saying %s documents no answer for `%s`", dir, cause, v.Name, cause))
		}
	}
	return out
}

func linkURLs(l runbook.Links) []string {
	var out []string
	lv := reflect.ValueOf(l)
	for i := 0; i < lv.NumField(); i++ {
		if s, ok := lv.Field(i).Interface().(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return slices.Clip(out)
}

// TestCatalogCompleteSaysWhatIsMissing: an entry a contributor has only
// begun is told everything it lacks at once.
func TestCatalogCompleteSaysWhatIsMissing(t *testing.T) {
	raw := []byte("api_url: https://api.acme.test\nstatus_kind: none\nstatus_url: https://status.acme.test\nsources: [http://acme.test/docs]\n")
	c := mustCatalog(t, "acme:\n  api_url: https://api.acme.test\n  status_kind: none\n  status_url: https://status.acme.test\n  sources: [http://acme.test/docs]\n")
	v, _ := c.Lookup("acme")
	got := strings.Join(entryMissing(t, "acme", raw, v), "\n")
	for _, want := range []string{"name:", "not an https URL", "# format: KIND", "token_hint", "probe.path",
		"runbook.token_console", "links.auth", "testdata/answers/acme/*.http"} {
		if !strings.Contains(got, want) {
			t.Errorf("the list of what is missing lacks %q:\n%s", want, got)
		}
	}
	done, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := done.Lookup("hubspot")
	hsRaw, _ := os.ReadFile(filepath.Join("catalog", "hubspot.yaml"))
	if m := entryMissing(t, "hubspot", hsRaw, hs); len(m) > 0 {
		t.Errorf("a complete entry is said to lack %q", m)
	}
}
