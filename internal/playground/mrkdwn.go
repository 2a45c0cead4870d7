package playground

import (
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Slack's mrkdwn, rendered as HTML the way the Slack client shows it.
//
// The one rule: text never becomes markup. Every run of text is decoded from
// Slack's three entities (&amp; &lt; &gt;, the only ones Slack decodes) and
// then HTML-escaped; tags come only from this renderer, for the constructs
// it recognised. A link's URL is used only when it is http, https or mailto.

// people resolves user ids for mentions; me is the viewer (mentions of
// them are highlighted, as Slack does).
type people struct {
	names map[string]string // user id → display name
	me    string
	chans map[string]string // channel id → name: the workspace's channels (incident channels too)
}

func (p people) name(id string) (string, bool) {
	n, ok := p.names[id]
	return n, ok && n != ""
}

// slackEntities are the only entities Slack decodes in mrkdwn.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// esc decodes Slack's entities and escapes the result for HTML.
func esc(s string) string { return html.EscapeString(slackEntities.Replace(s)) }

// mrkdwn renders a mrkdwn text object's text.
func (p people) mrkdwn(s string) template.HTML {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	// Code blocks first: nothing inside them is formatted.
	parts := strings.Split(s, "```")
	if len(parts)%2 == 0 { // an unclosed fence is text
		parts[len(parts)-2] += "```" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	for i, part := range parts {
		if i%2 == 1 {
			part = strings.TrimPrefix(strings.TrimSuffix(part, "\n"), "\n")
			b.WriteString(`<pre class="mk-pre">`)
			b.WriteString(esc(part))
			b.WriteString(`</pre>`)
			continue
		}
		if i > 0 { // the newline right after a closing fence is the block's
			part = strings.TrimPrefix(part, "\n")
		}
		if i < len(parts)-1 {
			part = strings.TrimSuffix(part, "\n")
		}
		p.lines(&b, part)
	}
	return template.HTML(b.String())
}

// lines renders text outside code blocks: quotes grouped, lines broken.
func (p people) lines(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	lines := strings.Split(s, "\n")
	inQuote := false
	for i, line := range lines {
		q, isQuote := quoteLine(line)
		switch {
		case isQuote && !inQuote:
			b.WriteString(`<blockquote class="mk-quote">`)
			inQuote = true
		case !isQuote && inQuote:
			b.WriteString(`</blockquote>`)
			inQuote = false
		case i > 0:
			b.WriteString("<br>")
		}
		if isQuote {
			line = q
		}
		p.inline(b, line)
	}
	if inQuote {
		b.WriteString(`</blockquote>`)
	}
}

func quoteLine(line string) (string, bool) {
	for _, prefix := range []string{"&gt;", ">"} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimPrefix(rest, " "), true
		}
	}
	return line, false
}

// token kinds of one line.
const (
	tText = iota
	tCode
	tControl
	tEmoji
	tURL
	tDelim
)

type token struct {
	kind     int
	s        string
	ch       byte // tDelim: '*', '_' or '~'
	open     bool // tDelim: may open
	close    bool // tDelim: may close
	pairedAs int  // tDelim: 0 literal, 1 opens, 2 closes
}

var bareURL = regexp.MustCompile(`^https?://[^\s<>]+`)

var emojiName = regexp.MustCompile(`^:([a-z0-9_+'-]+):`)

// inline renders one line: code spans, <control sequences>, bare links,
// :emoji:, and *bold*, _italic_, ~strike~ between word boundaries.
func (p people) inline(b *strings.Builder, line string) {
	toks := tokenize(line)
	pairDelims(toks)
	for _, t := range toks {
		switch t.kind {
		case tText:
			b.WriteString(esc(t.s))
		case tCode:
			b.WriteString(`<code class="mk-code">`)
			b.WriteString(esc(t.s))
			b.WriteString(`</code>`)
		case tEmoji:
			b.WriteString(emojiHTML(t.s))
		case tURL:
			writeLink(b, slackEntities.Replace(t.s), "")
		case tControl:
			p.control(b, t.s)
		case tDelim:
			tag := map[byte]string{'*': "b", '_': "i", '~': "s"}[t.ch]
			switch t.pairedAs {
			case 1:
				b.WriteString("<" + tag + ">")
			case 2:
				b.WriteString("</" + tag + ">")
			default:
				b.WriteByte(t.ch)
			}
		}
	}
}

func tokenize(line string) []token {
	var toks []token
	start := -1 // where the pending text began
	flush := func(end int) {
		if start >= 0 {
			toks = append(toks, token{kind: tText, s: line[start:end]})
			start = -1
		}
	}
	emit := func(at int, t token) {
		flush(at)
		toks = append(toks, t)
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == '`':
			if j := strings.IndexByte(line[i+1:], '`'); j > 0 {
				emit(i, token{kind: tCode, s: line[i+1 : i+1+j]})
				i += j + 2
				continue
			}
		case c == '<':
			if j := strings.IndexByte(line[i+1:], '>'); j > 0 {
				emit(i, token{kind: tControl, s: line[i+1 : i+1+j]})
				i += j + 2
				continue
			}
		case c == ':':
			if m := emojiName.FindStringSubmatch(line[i:]); m != nil && emojis[m[1]] != "" {
				emit(i, token{kind: tEmoji, s: m[1]})
				i += len(m[0])
				continue
			}
		case c == 'h' && (i == 0 || !isWordByte(line[i-1])):
			if m := bareURL.FindString(line[i:]); m != "" {
				m = strings.TrimRight(m, ".,;:!?)'\"")
				if len(m) > len("https://") {
					emit(i, token{kind: tURL, s: m})
					i += len(m)
					continue
				}
			}
		case c == '*' || c == '_' || c == '~':
			before, _ := utf8.DecodeLastRuneInString(line[:i])
			after, _ := utf8.DecodeRuneInString(line[i+1:])
			if i == 0 {
				before = ' '
			}
			if i+1 >= len(line) {
				after = ' '
			}
			open := !unicode.IsSpace(after) && after != rune(c) && !isWordRune(before)
			closeOK := !unicode.IsSpace(before) && before != rune(c) && !isWordRune(after)
			if open || closeOK {
				emit(i, token{kind: tDelim, ch: c, open: open, close: closeOK})
				i++
				continue
			}
		}
		if start < 0 {
			start = i
		}
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
	}
	flush(len(line))
	return toks
}

func isWordByte(c byte) bool { return c < utf8.RuneSelf && isWordRune(rune(c)) }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// pairDelims matches openers with closers of the same character; the
// unmatched stay literal. Pairs do not interleave: a closer discards the
// openers above its match.
func pairDelims(toks []token) {
	var stack []int
	open := map[byte]int{} // openers of each character on the stack
	for i := range toks {
		t := &toks[i]
		if t.kind != tDelim {
			continue
		}
		if t.close && open[t.ch] > 0 {
			k := len(stack) - 1
			for toks[stack[k]].ch != t.ch {
				k--
			}
			// An opener right before its closer ("**") is no pair.
			if stack[k] != i-1 {
				toks[stack[k]].pairedAs = 1
				t.pairedAs = 2
				for _, j := range stack[k:] {
					open[toks[j].ch]--
				}
				stack = stack[:k]
				continue
			}
		}
		if t.open {
			stack = append(stack, i)
			open[t.ch]++
		}
	}
}

// control renders what is between < and >: a mention, a channel, a
// special mention, a date, or a link; anything else as the text it is.
func (p people) control(b *strings.Builder, s string) {
	body, label, hasLabel := strings.Cut(s, "|")
	switch {
	case strings.HasPrefix(body, "@U") || strings.HasPrefix(body, "@W") || strings.HasPrefix(body, "@B"):
		id := body[1:]
		name, ok := p.name(id)
		if !ok {
			name = strings.TrimPrefix(label, "@")
		}
		if name == "" {
			name = id
		}
		class := "mention"
		if id == p.me {
			class += " mention-me"
		}
		b.WriteString(`<span class="` + class + `" data-user="` + html.EscapeString(id) + `">@` + esc(name) + `</span>`)
	case strings.HasPrefix(body, "#C") || strings.HasPrefix(body, "#G"):
		name := label
		if name == "" && body[1:] == ChannelID {
			name = ChannelName
		}
		if known, ok := p.chans[body[1:]]; ok {
			if name == "" {
				name = known
			}
			// A channel of the workspace opens, as in Slack.
			b.WriteString(`<a class="mention" href="/?ch=` + html.EscapeString(body[1:]) + `">#` + esc(name) + `</a>`)
			break
		}
		if name == "" {
			name = body[1:]
		}
		b.WriteString(`<span class="mention">#` + esc(name) + `</span>`)
	case body == "!here" || body == "!channel" || body == "!everyone":
		b.WriteString(`<span class="mention mention-me">@` + esc(body[1:]) + `</span>`)
	case strings.HasPrefix(body, "!subteam^"):
		name := strings.TrimPrefix(label, "@")
		if name == "" {
			name = strings.TrimPrefix(body, "!subteam^")
		}
		b.WriteString(`<span class="mention">@` + esc(name) + `</span>`)
	case strings.HasPrefix(body, "!date^"):
		p.date(b, body, label)
	case hasLabel || strings.Contains(body, ":"):
		if !writeLink(b, slackEntities.Replace(body), label) {
			b.WriteString(esc("<" + s + ">"))
		}
	default:
		b.WriteString(esc("<" + s + ">"))
	}
}

// writeLink writes an <a> for an http(s) or mailto URL and reports whether
// it did. label is mrkdwn-escaped text; empty shows the URL.
func writeLink(b *strings.Builder, raw, label string) bool {
	open, ok := linkTag(raw)
	if !ok {
		return false
	}
	text := html.EscapeString(strings.TrimPrefix(raw, "mailto:"))
	if label != "" {
		text = esc(label)
	}
	b.WriteString(open + text + `</a>`)
	return true
}

// linkTag is the opening <a> tag for an http(s) or mailto URL, opening in a
// new tab; ok is false for any other URL. A link to a Slack message (a
// permalink, https://….slack.com/archives/C…/p…) leads to the message in
// the playground instead.
func linkTag(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") || (u.Scheme != "mailto" && u.Host == "") {
		return "", false
	}
	if m := archivePath.FindStringSubmatch(u.Path); m != nil && (u.Host == "slack.com" || strings.HasSuffix(u.Host, ".slack.com")) {
		return `<a href="/play/archives/` + m[1] + `/p` + m[2] + `" class="archive-link">`, true
	}
	return `<a href="` + html.EscapeString(u.String()) + `" target="_blank" rel="noopener noreferrer">`, true
}

// archivePath is a Slack permalink's path: the channel, and the message's
// ts without its dot.
var archivePath = regexp.MustCompile(`^/archives/([CDG][A-Z0-9]+)/p([0-9]{16})$`)

// date renders <!date^1700000000^{date_short_pretty} {time}^link|fallback>
// as a <time> the page formats in the viewer's time zone; the server
// writes the fallback, and UTC when there is none.
func (p people) date(b *strings.Builder, body, fallback string) {
	parts := strings.SplitN(body, "^", 4)
	if len(parts) < 3 {
		b.WriteString(esc(fallback))
		return
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		b.WriteString(esc(fallback))
		return
	}
	t := time.Unix(sec, 0).UTC()
	if fallback == "" {
		fallback = t.Format("2006-01-02 15:04 UTC")
	}
	b.WriteString(`<time class="sdate" datetime="` + t.Format(time.RFC3339) + `" data-fmt="` + html.EscapeString(slackEntities.Replace(parts[2])) + `">` +
		esc(fallback) + `</time>`)
}

// plainText renders a plain_text object: no formatting, no entities, only
// :emoji: when emoji is on (Slack's default).
func plainText(s string, emoji bool) template.HTML {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !emoji {
		return template.HTML(html.EscapeString(s))
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == ':' {
			if m := emojiName.FindStringSubmatch(s[i:]); m != nil && emojis[m[1]] != "" {
				b.WriteString(emojiHTML(m[1]))
				i += len(m[0])
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(html.EscapeString(s[i : i+size]))
		i += size
	}
	return template.HTML(b.String())
}

func emojiHTML(name string) string {
	return `<span class="emoji" title=":` + html.EscapeString(name) + `:">` + emojis[name] + `</span>`
}
