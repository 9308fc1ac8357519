package knowledge

import (
	"context"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Bounds on Markdown, checked before the library sees it: its time grows
// with the square of a line's nesting ("> > > ... x" of 200k levels takes
// minutes) and a table's rows are padded to its header's width.
const (
	maxMarkdownDepth   = 32       // nested block quotes and list items
	maxTableColumns    = 128      // columns of a table
	maxRenderedHTML    = 16 << 20 // bytes of HTML a document renders to
	renderedHTMLFactor = 4        // ... and at most this many times its size (plus 1 MiB)
)

// markdown renders CommonMark with GitHub's tables and strikethrough. Raw
// HTML is kept in the rendering: it is never served, only read back by
// parseHTML, which is what drops its hidden parts. The parser looks at ctx
// on every line, so that a cancelled or late parse stops.
func markdown(ctx context.Context) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithBlockParsers(util.Prioritized(ctxCheck{ctx}, 0)),
			parser.WithInlineParsers(util.Prioritized(inlineCheck{ctxCheck{ctx}}, 0))),
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
}

// parseMarkdown reads Markdown as the HTML it renders to, so that its
// headings (ATX and setext) make the heading path, emphasis and link syntax
// become plain text, and HTML written inside it obeys the same visibility
// rules as an HTML upload.
func parseMarkdown(ctx context.Context, content []byte) (p Parsed, err error) {
	if err := checkMarkdown(content); err != nil {
		return Parsed{}, err
	}
	out := &boundedWriter{ctx: ctx, limit: min(maxRenderedHTML, renderedHTMLFactor*len(content)+1<<20)}
	defer func() {
		if r := recover(); r != nil {
			stop, ok := r.(errStop)
			if !ok {
				panic(r)
			}
			p, err = Parsed{}, stop.err
		}
	}()
	if err := markdown(ctx).Convert(content, out); err != nil {
		return Parsed{}, fmt.Errorf("render markdown: %w", err)
	}
	return parseHTML(ctx, out.buf)
}

// checkMarkdown refuses Markdown nested deeper than maxMarkdownDepth or
// with a table wider than maxTableColumns, in one pass over its lines. The
// depth of a line is an upper bound of the containers it sits in: its
// block quote and list markers plus, on a line that has any, its
// indentation in steps of two columns (how lists nest across lines).
// Fenced code is skipped.
func checkMarkdown(content []byte) error {
	fence := ""
	for line := range strings.Lines(string(content)) {
		trimmed := strings.TrimLeft(line, " \t>")
		if f := fenceOf(trimmed); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence) && strings.TrimSpace(strings.TrimLeft(trimmed, fence[:1])) == "":
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		if nestingDepth(line) > maxMarkdownDepth {
			return errMarkdownDepth
		}
		if tableColumns(line) > maxTableColumns {
			return errTableColumns
		}
	}
	return nil
}

// fenceOf returns the fence a line opens or closes (``` or ~~~, or longer),
// or "".
func fenceOf(line string) string {
	for _, c := range []string{"`", "~"} {
		n := len(line) - len(strings.TrimLeft(line, c))
		if n >= 3 {
			return line[:n]
		}
	}
	return ""
}

// nestingDepth counts the containers a line may open or sit in.
func nestingDepth(line string) int {
	depth, indent, i := 0, 0, 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		if line[i] == '\t' {
			indent += 4
		} else {
			indent++
		}
		i++
	}
	for i < len(line) {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '>':
			i++
		case (c == '-' || c == '*' || c == '+') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
			i += 2
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 10 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j+1 >= len(line) || (line[j] != '.' && line[j] != ')') || (line[j+1] != ' ' && line[j+1] != '\t') {
				return depth
			}
			i = j + 2
		default:
			return depth
		}
		if depth == 0 { // indentation nests only lines that open containers
			depth = indent / 2
		}
		if depth++; depth > maxMarkdownDepth {
			return depth
		}
	}
	return depth
}

// tableColumns is the number of columns a line declares if it is a table's
// delimiter row (|---|:--:|), else 0.
func tableColumns(line string) int {
	line = strings.TrimSpace(line)
	if !strings.Contains(line, "-") || strings.Trim(line, "|-: \t") != "" || !strings.Contains(line, "|") {
		return 0
	}
	cols := 0
	for cell := range strings.SplitSeq(strings.Trim(line, "|"), "|") {
		if strings.TrimSpace(cell) != "" {
			cols++
		}
	}
	return cols
}

// errStop carries an error out of the Markdown library, which has no way
// to return one from a parser or a writer.
type errStop struct{ err error }

// ctxCheck is a block parser that never opens a block and an inline parser
// that never parses anything: it is asked on every line and before every
// link or emphasis delimiter (where the library's slow paths start), and
// stops the parse once ctx is done.
type ctxCheck struct{ ctx context.Context }

// Trigger is nil: every line.
func (c ctxCheck) Trigger() []byte { return nil }

func (c ctxCheck) Open(ast.Node, text.Reader, parser.Context) (ast.Node, parser.State) {
	c.check()
	return nil, parser.NoChildren
}

func (c ctxCheck) check() {
	if err := c.ctx.Err(); err != nil {
		panic(errStop{err})
	}
}

func (ctxCheck) Continue(ast.Node, text.Reader, parser.Context) parser.State { return parser.Close }
func (ctxCheck) Close(ast.Node, text.Reader, parser.Context)                 {}
func (ctxCheck) CanInterruptParagraph() bool                                 { return true }
func (ctxCheck) CanAcceptIndentedLine() bool                                 { return true }

// inlineCheck is ctxCheck as an inline parser.
type inlineCheck struct{ ctxCheck }

func (inlineCheck) Trigger() []byte { return []byte("[]()<*_~`!") }

func (c inlineCheck) Parse(ast.Node, text.Reader, parser.Context) ast.Node {
	c.check()
	return nil
}

// boundedWriter collects rendered HTML up to a limit, and stops the
// rendering when the limit is passed or ctx is done.
type boundedWriter struct {
	ctx   context.Context
	limit int
	buf   []byte
	n     int
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > w.limit {
		panic(errStop{errRendered})
	}
	if w.n++; w.n%1024 == 0 && w.ctx.Err() != nil {
		panic(errStop{w.ctx.Err()})
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}
