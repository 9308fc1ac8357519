package knowledge

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on every parse, whatever the format: a document is untrusted
// input, and its parse must end soon, whether it finishes or not.
const (
	// parseTimeout is the longest one document may take to read; the
	// bounds below keep any document well within it.
	parseTimeout = 20 * time.Second
	// maxParsedText is the most visible text a document may hold, in
	// bytes (MaxChunks full chunks hold about as much).
	maxParsedText = 8 << 20
)

// Section is a run of paragraphs under one heading path.
type Section struct {
	// Heading is the path of headings above the paragraphs, outermost
	// first; empty before the first heading.
	Heading []string
	// Paragraphs are the section's paragraphs of visible text, in order.
	Paragraphs []string
}

// Parsed is the visible text of a document.
type Parsed struct {
	// Format is the format the content was read as.
	Format Format
	// Title is the document's own title (an HTML <title>, else its first
	// heading), or "" when it has none.
	Title    string
	Sections []Section
}

// Parse reads a document's visible text in the format, which Unspecified
// detects from the content and the file name (see Detect). Everything that
// a reader of the rendered document would not see is left out: HTML
// scripts, styles, hidden elements and comments, control and invisible
// format characters (zero-width spaces, bidi overrides, tag characters).
// Errors name the content field.
//
// The parse is bounded: it gives up after parseTimeout (InvalidArgument),
// stops as soon as ctx ends (with ctx's error), and refuses documents past
// the bounds of nesting, table width and output of each format, naming
// the bound.
func Parse(ctx context.Context, format Format, filename string, content []byte) (Parsed, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, parseTimeout)
	defer cancel()
	p, err := parse(ctx, format, filename, content)
	switch {
	case err == nil:
		return p, nil
	case parent.Err() != nil:
		return Parsed{}, parent.Err()
	case errors.Is(err, context.DeadlineExceeded):
		if format == FormatPDF || p.Format == FormatPDF {
			return Parsed{}, errPDFSlow
		}
		return Parsed{}, errParseSlow
	}
	return Parsed{}, err
}

func parse(ctx context.Context, format Format, filename string, content []byte) (Parsed, error) {
	if format == FormatUnspecified {
		var err error
		if format, err = Detect(filename, content); err != nil {
			return Parsed{}, err
		}
	}
	var (
		p   Parsed
		err error
	)
	switch format {
	case FormatPDF:
		p, err = parsePDF(ctx, content)
	case FormatHTML:
		if !utf8.Valid(content) {
			return Parsed{}, errNotUTF8
		}
		p, err = parseHTML(ctx, content)
	case FormatMarkdown:
		if !utf8.Valid(content) {
			return Parsed{}, errNotUTF8
		}
		p, err = parseMarkdown(ctx, content)
	case FormatText:
		if !utf8.Valid(content) {
			return Parsed{}, errNotUTF8
		}
		p, err = parseText(ctx, content)
	default:
		return Parsed{}, errFormat
	}
	if err != nil {
		return Parsed{Format: format}, err
	}
	p.Format = format
	if len(p.Sections) == 0 {
		if format == FormatPDF {
			return Parsed{}, errNoPDFText
		}
		return Parsed{}, errNoText
	}
	return p, nil
}

// Detect tells a document's format from its content and name: the PDF
// magic; Markdown by a .md or .markdown name (checked before HTML, as
// Markdown may start with HTML); HTML by sniffing, a leading doctype or
// <html> tag, or an .html name; any other UTF-8 as plain text.
func Detect(filename string, content []byte) (Format, error) {
	if bytes.HasPrefix(content, []byte("%PDF-")) {
		return FormatPDF, nil
	}
	head := bytes.TrimLeft(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) > 512 {
		head = head[:512]
	}
	ext := strings.ToLower(path.Ext(filename))
	lower := bytes.ToLower(head)
	switch {
	case (ext == ".md" || ext == ".markdown") && utf8.Valid(content):
		// Markdown may itself start with HTML, which it passes through.
		return FormatMarkdown, nil
	case bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) ||
		strings.HasPrefix(http.DetectContentType(content), "text/html"):
		return FormatHTML, nil
	case !utf8.Valid(content):
		return "", errFormat
	case ext == ".html" || ext == ".htm":
		return FormatHTML, nil
	}
	return FormatText, nil
}

// parseText reads plain text: paragraphs are separated by blank lines and
// keep their line breaks. Plain text has structure without markup too, and
// it is read as headings: a short title-like line followed by text (see
// titleLine) is a heading, the document's first one its title (level 1) and
// later ones its sections (level 2); a line asking a question followed by
// its answer is an FAQ question (see builder.question).
func parseText(ctx context.Context, content []byte) (Parsed, error) {
	b := builder{ctx: ctx}
	var lines []string
	for line := range strings.Lines(cleanText(string(content))) {
		lines = append(lines, collapseSpaces(line))
	}
	var para []string
	flush := func() {
		b.paragraph(strings.Join(para, "\n"))
		para = para[:0]
	}
	headings := 0
	for i, line := range lines {
		if line == "" {
			flush()
			continue
		}
		// A heading starts a block: the line before it ended a sentence
		// (or there was none), and text follows it.
		starts := len(para) == 0 || sentenceEnd(para[len(para)-1])
		follows := i+1 < len(lines) && lines[i+1] != "" || i+2 < len(lines) && lines[i+1] == "" && lines[i+2] != ""
		switch {
		case starts && follows && questionLine(line):
			flush()
			b.question(line)
		case starts && follows && titleLine(line):
			flush()
			level := 2
			if headings == 0 && len(b.sections) == 0 {
				level = 1
			}
			headings++
			b.heading(level, strings.TrimSuffix(line, ":"))
		default:
			para = append(para, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "A:"), "A.")))
		}
	}
	flush()
	return b.parsed(), b.err
}

// titleLine reports a line that reads as a title: short (at most 70
// characters and 10 words), starting with a capital letter or a digit,
// not a list item, and not ending a sentence (a trailing colon is fine).
func titleLine(line string) bool {
	if utf8.RuneCountInString(line) > 70 || len(strings.Fields(line)) > 10 || sentenceEnd(line) {
		return false
	}
	if strings.HasSuffix(line, ",") || strings.HasSuffix(line, ";") || strings.HasPrefix(line, "- ") ||
		strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "• ") {
		return false
	}
	first, _ := utf8.DecodeRuneInString(line)
	return unicode.IsUpper(first) || unicode.IsDigit(first) && !listNumber(line)
}

// listNumber reports a numbered list item ("1. ", "2) ").
func listNumber(line string) bool {
	i := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsDigit(r) })
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

// questionLine reports a line that asks a question: it ends with a
// question mark and has at most 200 characters and two words or more.
func questionLine(line string) bool {
	line = strings.TrimRight(line, ` "')]”’»`)
	return strings.HasSuffix(line, "?") && utf8.RuneCountInString(line) <= 200 && len(strings.Fields(line)) >= 2
}

// sentenceEnd reports text that ends a sentence.
func sentenceEnd(text string) bool {
	text = strings.TrimRight(text, ` "')]”’»`)
	return strings.HasSuffix(text, ".") || strings.HasSuffix(text, "!") || strings.HasSuffix(text, "?") ||
		strings.HasSuffix(text, "…")
}

// builder collects sections from a stream of headings and paragraphs.
type builder struct {
	// ctx, when set, is looked at every few paragraphs; once it is done,
	// or the text passes maxParsedText, err is set and no more is kept.
	ctx      context.Context
	err      error
	size     int // bytes of text kept
	n        int // paragraphs seen
	title    string
	levels   []int    // the levels of the open headings
	path     []string // their texts
	sections []Section
	open     bool // whether the last section is under the current path
	// asked is the question that opened the innermost heading (see
	// question), until a paragraph answers it; "" otherwise.
	asked      string
	inQuestion bool // whether the innermost heading is a question
	// literal keeps every paragraph as it is, never as a question (for
	// reading an element's text, such as a heading's).
	literal bool
}

// Limits of a heading path as stored.
const (
	maxHeadingPart = 200  // characters of one heading
	maxHeading     = 1000 // characters of a whole path
)

// heading opens a heading of the level (1 for the outermost): it closes the
// open headings of its level and below.
func (b *builder) heading(level int, text string) {
	text = truncate(collapseSpaces(cleanText(text)), maxHeadingPart)
	if text == "" {
		return
	}
	b.unanswered()
	if b.title == "" {
		b.title = text
	}
	b.push(level, text)
	b.inQuestion = false
}

func (b *builder) push(level int, text string) {
	for len(b.levels) > 0 && b.levels[len(b.levels)-1] >= level {
		b.levels, b.path = b.levels[:len(b.levels)-1], b.path[:len(b.path)-1]
	}
	b.levels, b.path = append(b.levels, level), append(b.path, text)
	b.open = false
}

// question opens an FAQ question, a line that asks a question followed by
// its answer: a heading one level below the open ones (replacing the
// question before it), so that each question and its answer make a passage
// of their own, with the question as its heading.
func (b *builder) question(text string) {
	text = truncate(collapseSpaces(cleanText(text)), maxHeadingPart)
	if text == "" {
		return
	}
	b.unanswered()
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(text, "Q:"), "Q."))
	level := 1
	if n := len(b.levels); n > 0 {
		level = b.levels[n-1] + 1
		if b.inQuestion || questionLine(b.path[n-1]) { // a question after a question replaces it
			level--
		}
	}
	b.push(level, text)
	b.inQuestion, b.asked = true, text
}

// unanswered keeps a question nothing answered as the text it is.
func (b *builder) unanswered() {
	if q := b.asked; q != "" {
		b.asked = ""
		b.levels, b.path = b.levels[:len(b.levels)-1], b.path[:len(b.path)-1]
		b.inQuestion = false
		b.open = false
		b.add(q)
	}
}

// paragraph adds a paragraph of text (already cleaned, with its spaces as
// they should stay) under the current headings.
func (b *builder) paragraph(text string) {
	text = strings.TrimSpace(text)
	if text == "" || b.err != nil {
		return
	}
	if !b.literal && b.asked == "" && !strings.Contains(text, "\n") && questionLine(text) {
		b.question(text)
		return
	}
	b.add(text)
}

// add adds a paragraph of text, as it is, under the current headings.
func (b *builder) add(text string) {
	b.asked = ""
	if b.size += len(text); b.size > maxParsedText {
		b.err = errTooMuchText
		return
	}
	if b.n++; b.ctx != nil && b.n%64 == 0 && b.ctx.Err() != nil {
		b.err = b.ctx.Err()
		return
	}
	if !b.open && len(b.sections) == MaxChunks { // every section makes a chunk at least
		b.err = errTooManyChunks
		return
	}
	if !b.open {
		b.sections = append(b.sections, Section{Heading: append([]string(nil), b.path...)})
		b.open = true
	}
	last := &b.sections[len(b.sections)-1]
	last.Paragraphs = append(last.Paragraphs, text)
}

func (b *builder) parsed() Parsed {
	b.unanswered()
	return Parsed{Title: truncate(b.title, MaxTitle), Sections: b.sections}
}

// cleanText drops what a reader cannot see, or what is not text: control
// characters but newline and tab (carriage returns become newlines),
// invalid UTF-8, and Unicode format characters (zero-width spaces and
// joiners, bidi controls, tag characters), which can hide instructions.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\f' || r == '\v':
			return '\n'
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
}

// collapseSpaces turns every run of spaces, tabs and other horizontal
// white space into one space and trims the ends; it keeps nothing else.
// Newlines count as spaces too: callers split lines first.
func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}
