package knowledge

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseHTML reads the visible text of an HTML document: block elements make
// paragraphs and h1-h6 the heading path. The title is the <title>, else the
// first heading. Left out, with all they hold: the head (but its title),
// scripts, styles and other non-text elements, form option lists, comments,
// and elements hidden by the hidden attribute, aria-hidden="true" or an
// inline style (display:none, visibility:hidden, a zero opacity, a font
// too small to read, transparent or white-on-white text, text moved off
// the page). Image alt text is not read either.
//
// The parser reads the content a few KiB at a time and stops once ctx is
// done; it refuses elements nested more than 512 deep (as browsers cap
// them), which also bounds its time.
func parseHTML(ctx context.Context, content []byte) (Parsed, error) {
	doc, err := html.Parse(&ctxReader{ctx: ctx, r: bytes.NewReader(content)})
	switch {
	case ctx.Err() != nil:
		return Parsed{}, ctx.Err()
	case err != nil:
		// Read errors are ctx's; the parser's only other failure is its
		// bound on the stack of open elements.
		return Parsed{}, errHTMLDepth
	}
	w := htmlWalker{b: builder{ctx: ctx}}
	w.walk(doc)
	w.flush()
	if w.b.err != nil {
		return Parsed{}, w.b.err
	}
	p := w.b.parsed()
	if t := truncate(collapseSpaces(cleanText(w.title)), MaxTitle); t != "" {
		p.Title = t
	}
	return p, nil
}

// ctxReader reads at most 4 KiB at a time and fails once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p[:min(len(p), 4<<10)])
}

type htmlWalker struct {
	b     builder
	title string
	text  strings.Builder // the paragraph being read
	pre   int             // depth of <pre> elements around the text
}

// skipped reports elements that hold nothing a reader sees as the
// document's text.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Math, atom.Iframe, atom.Frameset,
		atom.Noframes, atom.Object, atom.Embed, atom.Canvas, atom.Audio, atom.Video, atom.Select, atom.Datalist:
		return true
	}
	return false
}

// block reports elements that start and end a paragraph.
func block(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body, atom.Caption, atom.Dd, atom.Details,
		atom.Dialog, atom.Div, atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.Header, atom.Hgroup, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P, atom.Section, atom.Summary,
		atom.Table, atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr, atom.Ul, atom.Legend:
		return true
	}
	return false
}

// headingLevel is 1 to 6 for h1 to h6, else 0.
func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if w.pre > 0 {
			w.text.WriteString(n.Data)
		} else {
			// Outside <pre>, a line break in the source is only a space.
			w.text.WriteString(strings.NewReplacer("\r", " ", "\n", " ").Replace(n.Data))
		}
		return
	case html.DocumentNode:
		w.children(n)
		return
	case html.ElementNode:
	default: // comments, doctypes
		return
	}
	if n.DataAtom == atom.Head {
		w.readTitle(n)
		return
	}
	if skipped(n.DataAtom) || hidden(n) {
		return
	}
	if level := headingLevel(n.DataAtom); level > 0 {
		w.flush()
		w.b.heading(level, innerText(n))
		return
	}
	switch n.DataAtom {
	case atom.Br:
		w.text.WriteString("\n")
		return
	case atom.Td, atom.Th:
		w.text.WriteString(" ")
	case atom.Pre:
		w.flush()
		w.pre++
		w.children(n)
		w.flush()
		w.pre--
		return
	}
	isBlock := block(n.DataAtom)
	if isBlock {
		w.flush()
	}
	w.children(n)
	if isBlock {
		w.flush()
	}
}

// innerText is the visible text inside n, on one line.
func innerText(n *html.Node) string {
	var in htmlWalker // bounded by the document's own text
	in.b.literal = true
	in.children(n)
	in.flush()
	var parts []string
	for _, s := range in.b.sections {
		parts = append(parts, s.Paragraphs...)
	}
	return strings.Join(parts, " ")
}

func (w *htmlWalker) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// readTitle takes the text of the head's first <title>.
func (w *htmlWalker) readTitle(head *html.Node) {
	for c := head.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Title && w.title == "" {
			for t := c.FirstChild; t != nil; t = t.NextSibling {
				if t.Type == html.TextNode {
					w.title += t.Data
				}
			}
		}
	}
}

// flush ends the paragraph being read. Outside <pre>, white space runs
// become one space, but line breaks (<br>) stay.
func (w *htmlWalker) flush() {
	raw := cleanText(w.text.String())
	w.text.Reset()
	var lines []string
	if w.pre > 0 {
		for l := range strings.Lines(raw) {
			lines = append(lines, strings.TrimRight(l, " \t\n"))
		}
	} else {
		for _, l := range strings.Split(raw, "\n") {
			if l = collapseSpaces(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
	w.b.paragraph(strings.Trim(strings.Join(lines, "\n"), "\n"))
}

// hidden reports an element that is not rendered, or not meant to be seen.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			if hiddenStyle(a.Val) {
				return true
			}
		case "type":
			if n.DataAtom == atom.Input && strings.EqualFold(a.Val, "hidden") {
				return true
			}
		}
	}
	return false
}

// hiddenStyle reports an inline style that hides its element, or makes
// its text too small, transparent, white on the page's white, or moved
// off the page: the ways a poisoned document hides an instruction from
// its reader while the AI agent would still read it (AI-02).
func hiddenStyle(style string) bool {
	decls := map[string]string{}
	for decl := range strings.SplitSeq(style, ";") {
		prop, val, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		val = strings.ToLower(strings.TrimSpace(val))
		decls[strings.ToLower(strings.TrimSpace(prop))] = strings.TrimSpace(strings.TrimSuffix(val, "!important"))
	}
	switch {
	case decls["display"] == "none", decls["visibility"] == "hidden", decls["visibility"] == "collapse",
		isZero(decls["opacity"]), tiny(decls["font-size"]), invisibleColor(decls["color"]),
		white(decls["color"]) && decls["background"] == "" && decls["background-color"] == "",
		offPage(decls["text-indent"]), offPage(decls["left"]), offPage(decls["top"]), offPage(decls["margin-left"]):
		return true
	}
	return false
}

// tiny reports a font size no one reads: under 3px (or 0.2em, rem, pt).
func tiny(val string) bool {
	num := strings.TrimRight(val, "abcdefghijklmnopqrstuvwxyz%")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return false
	}
	switch unit := strings.TrimPrefix(val, num); unit {
	case "em", "rem":
		return f < 0.2
	case "%":
		return f < 20
	default:
		return f < 3
	}
}

// invisibleColor reports a transparent text colour.
func invisibleColor(val string) bool {
	v := strings.ReplaceAll(val, " ", "")
	return v == "transparent" || (strings.HasPrefix(v, "rgba(") && strings.HasSuffix(v, ",0)")) ||
		(strings.HasPrefix(v, "hsla(") && strings.HasSuffix(v, ",0)")) || (len(v) == 9 && strings.HasPrefix(v, "#") && strings.HasSuffix(v, "00"))
}

// white reports white text, invisible on the white page a document is
// shown on when its element sets no background of its own.
func white(val string) bool {
	switch strings.ReplaceAll(val, " ", "") {
	case "white", "#fff", "#ffffff", "#ffff", "#ffffffff", "rgb(255,255,255)":
		return true
	}
	return false
}

// offPage reports an offset that moves text off the page (-999px and
// beyond, or its em equivalent).
func offPage(val string) bool {
	num := strings.TrimRight(val, "abcdefghijklmnopqrstuvwxyz%")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return false
	}
	if unit := strings.TrimPrefix(val, num); unit == "em" || unit == "rem" {
		f *= 16
	}
	return f <= -999
}

// isZero reports a CSS number or length that is zero ("0", "0px", "0.0em").
func isZero(val string) bool {
	num := strings.TrimRight(val, "abcdefghijklmnopqrstuvwxyz%")
	f, err := strconv.ParseFloat(num, 64)
	return err == nil && f == 0
}
