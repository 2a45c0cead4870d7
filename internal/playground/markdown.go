package playground

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// markdown renders the GitHub-flavoured markdown the postmortem is written
// in, for the file preview: headings, paragraphs, lists (task lists too),
// tables, quotes, fenced code, rules; inline code, **bold**, *italics*,
// ~~strike~~, [links](…) and <autolinks>, backslash escapes.
//
// As with mrkdwn, text never becomes markup: raw HTML in the document is
// shown as text (entities are decoded, then everything is escaped), and a
// link is a link only to an http(s) or mailto URL.
func markdown(src string) template.HTML {
	src = strings.ToValidUTF8(strings.ReplaceAll(src, "\r\n", "\n"), "\uFFFD")
	var b strings.Builder
	mdBlocks(&b, strings.Split(src, "\n"))
	return template.HTML(b.String())
}

var (
	mdHeading   = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	mdRule      = regexp.MustCompile(`^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)
	mdBullet    = regexp.MustCompile(`^\s{0,3}[-*+]\s+(.*)$`)
	mdOrdered   = regexp.MustCompile(`^\s{0,3}\d{1,9}[.)]\s+(.*)$`)
	mdTask      = regexp.MustCompile(`^\[([ xX])\]\s+(.*)$`)
	mdTableSep  = regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
	mdFence     = regexp.MustCompile("^\\s{0,3}(```+|~~~+)")
	mdQuoteLine = regexp.MustCompile(`^\s{0,3}>\s?(.*)$`)
)

func mdBlocks(b *strings.Builder, lines []string) {
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case mdFence.MatchString(line):
			fence := mdFence.FindStringSubmatch(line)[1]
			var code []string
			i++
			for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence) {
				code = append(code, lines[i])
				i++
			}
			i++ // the closing fence
			b.WriteString(`<pre class="md-pre"><code>` + html.EscapeString(strings.Join(code, "\n")) + `</code></pre>`)
		case mdHeading.MatchString(line):
			m := mdHeading.FindStringSubmatch(line)
			tag := "h" + string(rune('0'+len(m[1])))
			b.WriteString("<" + tag + ">" + mdInline(m[2]) + "</" + tag + ">")
			i++
		case mdRule.MatchString(line):
			b.WriteString("<hr>")
			i++
		case mdQuoteLine.MatchString(line):
			var inner []string
			for i < len(lines) && mdQuoteLine.MatchString(lines[i]) {
				inner = append(inner, mdQuoteLine.FindStringSubmatch(lines[i])[1])
				i++
			}
			b.WriteString("<blockquote>")
			mdBlocks(b, inner)
			b.WriteString("</blockquote>")
		case strings.Contains(line, "|") && i+1 < len(lines) && mdTableSep.MatchString(lines[i+1]) && strings.Contains(lines[i+1], "-"):
			i = mdTable(b, lines, i)
		case mdBullet.MatchString(line) || mdOrdered.MatchString(line):
			i = mdList(b, lines, i)
		default:
			var para []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && !startsBlock(lines, i) {
				para = append(para, strings.TrimSpace(lines[i]))
				i++
			}
			if len(para) == 0 { // a line that starts a block we could not read
				para = append(para, strings.TrimSpace(lines[i]))
				i++
			}
			b.WriteString("<p>" + mdInline(strings.Join(para, "\n")) + "</p>")
		}
	}
}

func startsBlock(lines []string, i int) bool {
	l := lines[i]
	return mdFence.MatchString(l) || mdHeading.MatchString(l) || mdRule.MatchString(l) || mdQuoteLine.MatchString(l) ||
		mdBullet.MatchString(l) || mdOrdered.MatchString(l) ||
		(strings.Contains(l, "|") && i+1 < len(lines) && mdTableSep.MatchString(lines[i+1]) && strings.Contains(lines[i+1], "-"))
}

func mdList(b *strings.Builder, lines []string, i int) int {
	ordered := !mdBullet.MatchString(lines[i])
	tag := "ul"
	if ordered {
		tag = "ol"
	}
	b.WriteString("<" + tag + ">")
	for i < len(lines) {
		var m []string
		if ordered {
			m = mdOrdered.FindStringSubmatch(lines[i])
		} else {
			m = mdBullet.FindStringSubmatch(lines[i])
		}
		if m == nil {
			break
		}
		item := m[1]
		i++
		// Lazy continuation lines belong to the item.
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && !startsBlock(lines, i) {
			item += "\n" + strings.TrimSpace(lines[i])
			i++
		}
		if t := mdTask.FindStringSubmatch(item); t != nil {
			checked := ""
			if t[1] != " " {
				checked = " checked"
			}
			b.WriteString(`<li class="task"><input type="checkbox" disabled` + checked + `> ` + mdInline(t[2]) + "</li>")
			continue
		}
		b.WriteString("<li>" + mdInline(item) + "</li>")
	}
	b.WriteString("</" + tag + ">")
	return i
}

func mdTable(b *strings.Builder, lines []string, i int) int {
	head := splitRow(lines[i])
	i += 2
	b.WriteString(`<div class="md-table"><table><thead><tr>`)
	for _, c := range head {
		b.WriteString("<th>" + mdInline(c) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for i < len(lines) && strings.Contains(lines[i], "|") && strings.TrimSpace(lines[i]) != "" {
		b.WriteString("<tr>")
		cells := splitRow(lines[i])
		for k := range head {
			c := ""
			if k < len(cells) {
				c = cells[k]
			}
			b.WriteString("<td>" + mdInline(c) + "</td>")
		}
		b.WriteString("</tr>")
		i++
	}
	b.WriteString("</tbody></table></div>")
	return i
}

// splitRow splits a table row on the pipes that are not escaped (\|).
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	var cur strings.Builder
	for k := 0; k < len(line); k++ {
		switch {
		case line[k] == '\\' && k+1 < len(line) && line[k+1] == '|':
			cur.WriteString(`\|`)
			k++
		case line[k] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[k])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

var (
	mdLink     = regexp.MustCompile(`^\[([^\]\n]*)\]\(([^()\s]*)\)`)
	mdAutolink = regexp.MustCompile(`^<((?:https?://|mailto:)[^\s<>]+)>`)
)

// asciiPunct is what a backslash escapes in CommonMark: every ASCII
// punctuation character (\& too, so that \&lt; shows as typed).
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// mdInline renders one paragraph's or cell's inline markdown.
func mdInline(s string) string {
	var out []string // escaped text and markup, in order
	type opener struct {
		marker string
		at     int // its place in out, holding the marker as text until closed
	}
	var stack []opener
	text := func(t string) { out = append(out, html.EscapeString(html.UnescapeString(t))) }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(asciiPunct, s[i+1]) >= 0:
			out = append(out, html.EscapeString(s[i+1:i+2]))
			i += 2
			continue
		case c == '\n':
			out = append(out, " ")
			i++
			continue
		case c == '`':
			n := 1
			for i+n < len(s) && s[i+n] == '`' {
				n++
			}
			fence := s[i : i+n]
			if j := strings.Index(s[i+n:], fence); j >= 0 {
				out = append(out, `<code>`+html.EscapeString(strings.TrimSpace(s[i+n:i+n+j]))+`</code>`)
				i += n + j + n
				continue
			}
			out = append(out, fence)
			i += n
			continue
		case c == '<':
			if m := mdAutolink.FindStringSubmatch(s[i:]); m != nil {
				var b strings.Builder
				writeLink(&b, html.UnescapeString(m[1]), "")
				out = append(out, b.String())
				i += len(m[0])
				continue
			}
		case c == '[':
			if m := mdLink.FindStringSubmatch(s[i:]); m != nil {
				if open, ok := linkTag(html.UnescapeString(m[2])); ok {
					out = append(out, open+mdInline(m[1])+"</a>")
				} else {
					text(m[0])
				}
				i += len(m[0])
				continue
			}
		case c == '*' || c == '_' || c == '~':
			n := 1
			for i+n < len(s) && s[i+n] == c && n < 2 {
				n++
			}
			marker := s[i : i+n]
			if c == '~' && n != 2 {
				break
			}
			before := byte(' ')
			if i > 0 {
				before = s[i-1]
			}
			after := byte(' ')
			if i+n < len(s) {
				after = s[i+n]
			}
			// Closing: the innermost open marker, if it is of the same kind.
			if k := len(stack) - 1; k >= 0 && stack[k].marker == marker && before != ' ' && stack[k].at != len(out)-1 {
				tag := map[int]string{1: "em", 2: "strong"}[n]
				if c == '~' {
					tag = "del"
				}
				out[stack[k].at] = "<" + tag + ">"
				out = append(out, "</"+tag+">")
				stack = stack[:k]
				i += n
				continue
			}
			if after != ' ' && !(c == '_' && isWordByte(before)) {
				stack = append(stack, opener{marker: marker, at: len(out)})
				out = append(out, html.EscapeString(marker))
				i += n
				continue
			}
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("\\\n`<[*_~", s[j]) < 0 {
			j++
		}
		text(s[i:j])
		i = j
	}
	return strings.Join(out, "")
}
