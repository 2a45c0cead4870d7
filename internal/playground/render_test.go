package playground

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

var viewerFor = people{names: map[string]string{"U0ALICE": "alice", "U0PLAYYOU1": "alex"}, me: "U0PLAYYOU1"}

func TestMrkdwn(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"bold", "*Status:*\nInvestigating", "<b>Status:</b><br>Investigating"},
		{"italic and strike", "_soon_ and ~never~", "<i>soon</i> and <s>never</s>"},
		{"inline code keeps its stars", "run `a*b*c` now", `run <code class="mk-code">a*b*c</code> now`},
		{"snake_case is not italics", "rate_limit and status_page", "rate_limit and status_page"},
		{"a lone star", "5 * 3 = 15", "5 * 3 = 15"},
		{"bold around a link", "*<https://x.example/a?b=1&amp;c=2|the page>*",
			`<b><a href="https://x.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the page</a></b>`},
		{"bare link", "see https://status.hubspot.com.", `see <a href="https://status.hubspot.com" target="_blank" rel="noopener noreferrer">https://status.hubspot.com</a>.`},
		{"mention", "<@U0ALICE> and <@U0NOBODY|bob> and <@U0GHOST>",
			`<span class="mention" data-user="U0ALICE">@alice</span> and <span class="mention" data-user="U0NOBODY">@bob</span> and <span class="mention" data-user="U0GHOST">@U0GHOST</span>`},
		{"mention of you", "<@U0PLAYYOU1>", `<span class="mention mention-me" data-user="U0PLAYYOU1">@alex</span>`},
		{"special mentions", "<!here> <!channel> <!subteam^S1|@oncall>",
			`<span class="mention mention-me">@here</span> <span class="mention mention-me">@channel</span> <span class="mention">@oncall</span>`},
		{"channel", "<#C123|incidents>", `<span class="mention">#incidents</span>`},
		{"this channel by id", "<#C0PLAYINC1>", `<span class="mention">#incidents</span>`},
		{"a permalink leads into the playground", "<https://slack.com/archives/C0PLAYINC1/p1700000000000100|INC-2>",
			`<a href="/play/archives/C0PLAYINC1/p1700000000000100" class="archive-link">INC-2</a>`},
		{"date", "<!date^1773480413^{date_short_pretty} {time}|2026-03-14 09:26 UTC>",
			`<time class="sdate" datetime="2026-03-14T09:26:53Z" data-fmt="{date_short_pretty} {time}">2026-03-14 09:26 UTC</time>`},
		{"entities are text", "a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"},
		{"other entities stay as typed", "&quot;hi&quot;", "&amp;quot;hi&amp;quot;"},
		{"quote", "&gt; quoted\n&gt; more\nafter", `<blockquote class="mk-quote">quoted<br>more</blockquote>after`},
		{"code block", "before\n```\nx := <y>\n*z*\n```\nafter", `before<pre class="mk-pre">x := &lt;y&gt;
*z*</pre>after`},
		{"unclosed fence is text", "``` not code", "``` not code"},
		{"emoji", ":rotating_light: fire :not_an_emoji:", `<span class="emoji" title=":rotating_light:">🚨</span> fire :not_an_emoji:`},
		{"javascript link is text", "<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"},
		{"data link is text", "<data:text/html,<b>x</b>|x>", "&lt;data:text/html,&lt;b&gt;x&lt;/b&gt;|x&gt;"},
		{"raw html is text", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"label cannot break out", `<https://x.example|"><img src=x onerror=alert(1)>>`,
			`<a href="https://x.example" target="_blank" rel="noopener noreferrer">&#34;</a>&lt;img src=x onerror=alert(1)&gt;&gt;`},
		{"quote in a URL", `<https://x.example/"onmouseover="alert(1)>`,
			`<a href="https://x.example/%22onmouseover=%22alert%281%29" target="_blank" rel="noopener noreferrer">https://x.example/&#34;onmouseover=&#34;alert(1)</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(viewerFor.mrkdwn(tt.in)); got != tt.want {
				t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	got := string(plainText("[P1] <!channel> & <b>:tada:", true))
	want := `[P1] &lt;!channel&gt; &amp; &lt;b&gt;<span class="emoji" title=":tada:">🎉</span>`
	if got != want {
		t.Errorf("plainText\n got %s\nwant %s", got, want)
	}
	if got := string(plainText(":tada:", false)); got != ":tada:" {
		t.Errorf("emoji off: %s", got)
	}
}

// allowedTags are the only tags the renderers write.
var allowedTags = map[string]bool{
	"b": true, "i": true, "s": true, "br": true, "code": true, "pre": true, "blockquote": true, "span": true, "a": true, "time": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "p": true, "ul": true, "ol": true, "li": true,
	"input": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "div": true, "hr": true,
	"strong": true, "em": true, "del": true,
}

var (
	tagRE  = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)([^>]*)>`)
	attrRE = regexp.MustCompile(`\s([a-z-]+)(?:="([^"]*)")?`)
)

// assertSafe fails when out has a tag, an attribute or a URL the renderers
// never write: whatever the input, text stays text.
func assertSafe(t *testing.T, in, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") || strings.Contains(strings.ToLower(out), "javascript:") && strings.Contains(out, `href="javascript`) {
		t.Fatalf("script in output of %q: %s", in, out)
	}
	for _, m := range tagRE.FindAllStringSubmatch(out, -1) {
		if !allowedTags[strings.ToLower(m[2])] {
			t.Fatalf("tag <%s> in the output of %q: %s", m[2], in, out)
		}
		for _, a := range attrRE.FindAllStringSubmatch(m[3], -1) {
			switch a[1] {
			case "class", "title", "datetime", "data-fmt", "data-user", "target", "rel", "type", "disabled", "checked":
			case "href":
				if !strings.HasPrefix(a[2], "http://") && !strings.HasPrefix(a[2], "https://") && !strings.HasPrefix(a[2], "mailto:") &&
					!strings.HasPrefix(a[2], "/play/archives/") {
					t.Fatalf("href %q in the output of %q", a[2], in)
				}
			default:
				t.Fatalf("attribute %s in the output of %q: %s", a[1], in, out)
			}
		}
	}
	// Outside tags there is no < or > (entities only), and no stray quote
	// inside one could have opened an attribute.
	if strings.ContainsAny(tagRE.ReplaceAllString(out, ""), "<>") {
		t.Fatalf("unescaped < or > in the output of %q: %s", in, out)
	}
}

var hostile = []string{
	`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `"><svg/onload=alert(1)>`,
	`<javascript:alert(1)|x>`, `<https://ok.example|<b onmouseover=alert(1)>>`, "```</pre><script>x</script>```",
	"`</code><script>`", `*<b>*`, `<!date^1^{time}^javascript:alert(1)|"><x>`, `<@U1|"><img>>`, `<#C1|</span><x>>`,
	`[x](javascript:alert(1))`, `<javascript:alert(1)>`, `&lt;script&gt;`, "\x00\xff\xfe", `<!subteam^S|"><x>>`,
	"> <img src=x>", "| a | <b> |\n|---|---|\n| <x> | y |", "- [ ] <x onclick=1>", "# <h1>",
}

func TestRenderersEscapeEverything(t *testing.T) {
	for _, in := range hostile {
		assertSafe(t, in, string(viewerFor.mrkdwn(in)))
		assertSafe(t, in, string(markdown(in)))
		assertSafe(t, in, string(plainText(in, true)))
	}
}

func FuzzMrkdwn(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("*Status:*\nInvestigating <@U0ALICE> <!date^1773480413^{date_short_pretty} {time}|x> `code` ```block```")
	f.Fuzz(func(t *testing.T, in string) {
		assertSafe(t, in, string(viewerFor.mrkdwn(in)))
	})
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	raw, _ := os.ReadFile("../../messages/testdata/postmortem_hostile.md")
	f.Add(string(raw))
	f.Fuzz(func(t *testing.T, in string) {
		assertSafe(t, in, string(markdown(in)))
	})
}

// TestMarkdownPostmortems renders the postmortems of the messages golden
// files: structure kept, hostile text shown as text.
func TestMarkdownPostmortems(t *testing.T) {
	raw, err := os.ReadFile("../../messages/testdata/postmortem_hostile.md")
	if err != nil {
		t.Fatal(err)
	}
	out := string(markdown(string(raw)))
	assertSafe(t, "postmortem_hostile.md", out)
	for _, want := range []string{
		"<h1>Incident INC-42: HubSpot: token refused (401)</h1>",
		"<h2>Timeline (UTC)</h2>",
		"<td>Vendor request ids</td><td><code>b7e2c1d0-5f1e-4a43-9d3e-0c8b8e1f2a11</code></td>",
		"&lt;script&gt;alert(1)&lt;/script&gt;", // the escaped tag is shown, never run
		"| a | b |",                             // escaped pipes stay in their cell
		`<li class="task"><input type="checkbox" disabled> <code>rm -rf</code> | pipe <strong>bold</strong>`, // Slack's code and bold
		"[x](javascript:alert(1))", // escaped link syntax is text
		`<a href="https://status.hubspot.com" target="_blank" rel="noopener noreferrer">https://status.hubspot.com</a>`,
		"<blockquote><p>Written by the incident bot",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the rendered postmortem lacks %s", want)
		}
	}
	if strings.Contains(out, `href="javascript`) {
		t.Error("a javascript: link was rendered")
	}
}

func TestBlocks(t *testing.T) {
	raw, err := os.ReadFile("../../messages/testdata/incident_triaged_p1.golden")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	out := string(viewerFor.blocks(golden.Blocks, target{ts: "1700000000.000100"}))
	assertSafeBlocks(t, out)
	for _, want := range []string{
		`<div class="bk-header">[P1] INCIDENT INC-42: HubSpot: token refused (401)</div>`,
		`<div class="bk-field"><b>Status:</b><br>Investigating</div>`,
		`<span class="mention" data-user="U0ALICE">@alice</span>`,
		`<time class="sdate" datetime="2026-03-14T09:26:53Z"`,
		`<button type="button" class="bk-btn bk-btn-primary" data-ts="1700000000.000100" data-block-id="severity" data-action-id="severity_P1">P1</button>`,
		`data-action-id="severity_P2">P2</button>`,
		`<button type="button" class="bk-btn bk-btn-danger" data-ts="1700000000.000100" data-block-id="status" data-action-id="resolve" data-confirm="1">Resolve</button>`,
		`<template class="bk-confirm" data-style="primary"><h2 class="cf-title">Resolve this incident?</h2>`,
		`<div class="bk-context"><span class="bk-context-el"><b>status_page</b>: ok`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the incident message lacks\n%s\nin\n%s", want, out)
		}
	}
	// The button's value (the incident id) is read on the server, never
	// taken from the page.
	if strings.Contains(out, "01890a5d-ac96-774b-bcce-b302099a8057") {
		t.Error("the button's value is in the page")
	}
	if el, ok := findButton(golden.Blocks, "severity", "severity_P2"); !ok || el.Value != "01890a5d-ac96-774b-bcce-b302099a8057" {
		t.Errorf("findButton = %+v, %v", el, ok)
	}
	if _, ok := findButton(golden.Blocks, "status", "severity_P2"); ok {
		t.Error("findButton found a button in the wrong block")
	}

	other := `[{"type":"divider"},{"type":"image","image_url":"https://evil.example/x.png","alt_text":"<x>"},
		{"type":"section","text":{"type":"plain_text","text":"<b>"},"accessory":{"type":"button","action_id":"go","url":"javascript:alert(1)","text":{"type":"plain_text","text":"Go"}}},
		{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":{"type":"static_select","action_id":"pick"}},
		{"type":"rich_text","elements":[]},{"type":"markdown","text":"**bold** <i>"}]`
	out = string(viewerFor.blocks(json.RawMessage(other), target{ts: "1.2", ephemeral: true}))
	assertSafeBlocks(t, out)
	for _, want := range []string{`<hr class="bk-divider">`, "&lt;x&gt; <span class=\"muted\">(images are not loaded",
		`<button type="button" class="bk-btn" data-ts="1.2" data-block-id="" data-action-id="go" data-ephemeral="1">Go</button>`,
		"static select (not in the playground)", "rich_text block (not shown by the playground)", "<strong>bold</strong> &lt;i&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "evil.example") {
		t.Error("an image URL reached the page")
	}
}

// assertSafeBlocks: Block Kit output has its own attributes (data-*) on
// top of the text renderers'.
func assertSafeBlocks(t *testing.T, out string) {
	t.Helper()
	for _, m := range tagRE.FindAllStringSubmatch(out, -1) {
		switch strings.ToLower(m[2]) {
		case "script", "img", "iframe", "object", "embed", "style", "link", "svg":
			t.Fatalf("<%s> in %s", m[2], out)
		}
		if strings.Contains(strings.ToLower(m[3]), " on") {
			t.Fatalf("an event handler attribute in %s", m[0])
		}
	}
}
