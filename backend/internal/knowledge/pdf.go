package knowledge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// Bounds on reading a PDF, which is untrusted input to a parser that was
// not written for it: a small file can hold a deep page tree, a stream that
// inflates to gigabytes, or content that never ends.
const (
	maxPDFPages   = 500
	maxPDFText    = 2 << 20  // bytes of extracted text
	maxPDFDecoded = 64 << 20 // bytes of decoded content and font streams
	maxPDFNodes   = 10000    // page tree nodes visited
	maxPDFDepth   = 64       // page tree depth
)

// errPDFStop aborts an extraction from inside the content interpreter.
type errPDFStop struct{ err error }

// parsePDF extracts a PDF's text, a paragraph per page, in page order. The
// extraction runs on its own goroutine so that the upload can give up at
// the deadline; that goroutine checks the deadline between every few
// operators and ends soon after it (or, on a parser bug, when the parser
// returns). A parser panic is an unreadable PDF, not a crash. The deadline
// is Parse's.
func parsePDF(ctx context.Context, content []byte) (Parsed, error) {
	type result struct {
		pages []string
		err   error
	}
	done := make(chan result, 1) // buffered: the goroutine never waits for a reader
	go func() {
		pages, err := extractPDF(ctx, content)
		done <- result{pages, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		r.err = ctx.Err()
	}
	if r.err != nil {
		return Parsed{}, r.err
	}
	b := builder{ctx: ctx}
	for _, page := range r.pages {
		b.paragraph(page)
	}
	return b.parsed(), b.err
}

// extractPDF returns the cleaned text of each page.
func extractPDF(ctx context.Context, content []byte) (pages []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			if stop, ok := p.(errPDFStop); ok {
				pages, err = nil, stop.err
				return
			}
			pages, err = nil, pdfUnreadable(fmt.Errorf("pdf parser panic: %v", p))
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(content), int64(len(content)))
	if errors.Is(err, pdf.ErrInvalidPassword) {
		return nil, errPDFEncrypted
	}
	if err != nil {
		return nil, pdfUnreadable(err)
	}
	list, err := pageList(r.Trailer().Key("Root").Key("Pages"))
	if err != nil {
		return nil, err
	}
	x := extractor{ctx: ctx, decoded: maxPDFDecoded, text: maxPDFText}
	for _, p := range list {
		t, err := x.page(p)
		if err != nil {
			return nil, err
		}
		pages = append(pages, t)
	}
	return pages, nil
}

// pageList walks the page tree in order, within bounds, so that a cyclic
// or absurdly deep tree ends rather than loops.
func pageList(root pdf.Value) ([]pdf.Page, error) {
	var pages []pdf.Page
	nodes := 0
	var walk func(v pdf.Value, depth int) error
	walk = func(v pdf.Value, depth int) error {
		if nodes++; nodes > maxPDFNodes || depth > maxPDFDepth {
			return pdfUnreadable(errors.New("page tree too large or cyclic"))
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Pages" || (v.Key("Type").Name() == "" && kids.Kind() == pdf.Array) {
			for i := range kids.Len() {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if len(pages) == maxPDFPages {
			return errPDFPages
		}
		pages = append(pages, pdf.Page{V: v})
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	return pages, nil
}

// extractor reads pages' text within the document's budgets.
type extractor struct {
	ctx     context.Context
	decoded int64 // bytes of streams still allowed to be decoded
	text    int   // bytes of text still allowed
	ops     int
}

// page returns the text of one page, its lines joined by newlines. The
// page's content and font streams are measured before they are
// interpreted, so that no stream past the decoded budget is ever held. A
// page the parser cannot read yields no text; the others still count.
func (x *extractor) page(p pdf.Page) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", nil
			if stop, ok := r.(errPDFStop); ok {
				err = stop.err
			}
		}
	}()
	if err := x.ctx.Err(); err != nil {
		return "", err
	}
	contents := p.V.Key("Contents")
	if err := x.measure(contents); err != nil {
		return "", err
	}
	fonts := map[string]*pdf.Font{}
	for _, name := range p.Fonts() {
		f := p.Font(name)
		if err := x.measure(f.V.Key("ToUnicode")); err != nil {
			return "", err
		}
		fonts[name] = &f
	}
	if contents.Kind() == pdf.Null {
		return "", nil
	}
	var out strings.Builder
	var enc pdf.TextEncoding = nopEncoding{}
	show := func(s string) {
		if x.text -= len(s); x.text < 0 {
			panic(errPDFStop{errPDFText})
		}
		out.WriteString(s)
	}
	var gs inkState // what the next text is drawn with
	var saved []inkState
	pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
		if x.ops++; x.ops%256 == 0 && x.ctx.Err() != nil {
			panic(errPDFStop{x.ctx.Err()})
		}
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		if gs.set(op, args, &saved) || gs.invisible() && (op == "Tj" || op == "TJ" || op == "'" || op == "\"") {
			return // a state change, or text no reader sees: not read
		}
		switch op {
		case "BT", "T*":
			show("\n")
		case "Td", "TD":
			if len(args) == 2 && args[1].Float64() != 0 {
				show("\n")
			}
		case "Tf":
			enc = nopEncoding{}
			if len(args) == 2 {
				gs.size, gs.sized = max(args[1].Float64(), -args[1].Float64()), true
			}
			if len(args) == 2 {
				if f, ok := fonts[args[0].Name()]; ok {
					enc = f.Encoder()
				}
			}
		case "Tj", "'", "\"":
			if len(args) > 0 {
				if op != "Tj" {
					show("\n")
				}
				show(enc.Decode(args[len(args)-1].RawString()))
			}
		case "TJ":
			if len(args) == 1 {
				for i := range args[0].Len() {
					switch v := args[0].Index(i); v.Kind() {
					case pdf.String:
						show(enc.Decode(v.RawString()))
					case pdf.Integer, pdf.Real:
						// A wide negative adjustment is how many PDFs space words.
						if v.Float64() <= -200 {
							show(" ")
						}
					}
				}
			}
		}
	})
	var lines []string
	for _, l := range strings.Split(cleanText(out.String()), "\n") {
		if l = collapseSpaces(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n"), nil
}

// measure decodes the stream (or array of streams) v into nothing, charging
// its size to the budget, and fails once the budget is spent.
func (x *extractor) measure(v pdf.Value) error {
	switch v.Kind() {
	case pdf.Array:
		for i := range v.Len() {
			if err := x.measure(v.Index(i)); err != nil {
				return err
			}
		}
	case pdf.Stream:
		rd := v.Reader()
		n, _ := io.Copy(io.Discard, io.LimitReader(rd, x.decoded+1))
		_ = rd.Close()
		if x.decoded -= n; x.decoded < 0 {
			return errPDFDecoded
		}
	}
	return x.ctx.Err()
}

// nopEncoding reads text in a font it does not know as bytes.
type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// inkState is the part of a PDF's graphics state that decides whether
// text shows on the page: its render mode (3 draws nothing, 7 only clips),
// whether it is filled and stroked in white (on the white page), and its
// font size. A poisoned document hides an instruction for the AI agent
// that way (AI-02): such text is not read, as hidden HTML is not.
type inkState struct {
	render                 int64
	fillWhite, strokeWhite bool
	size                   float64
	sized                  bool // a Tf set size
}

// minPDFFontSize is the smallest font (in points) read as visible text.
const minPDFFontSize = 1.0

// set applies a state operator (q and Q save and restore the state on
// saved) and reports whether op was one that is not also read as text.
func (s *inkState) set(op string, args []pdf.Value, saved *[]inkState) bool {
	white := func(dark bool) bool { // every component at white's end
		if len(args) == 0 {
			return false
		}
		for _, a := range args {
			if v := a.Float64(); (dark && v > 0.05) || (!dark && v < 0.95) {
				return false
			}
		}
		return true
	}
	switch op {
	case "q":
		if len(*saved) < maxPDFDepth {
			*saved = append(*saved, *s)
		}
	case "Q":
		if n := len(*saved); n > 0 {
			*s, *saved = (*saved)[n-1], (*saved)[:n-1]
		}
	case "Tr":
		if len(args) == 1 {
			s.render = args[0].Int64()
		}
	case "g", "rg":
		s.fillWhite = white(false)
	case "G", "RG":
		s.strokeWhite = white(false)
	case "k":
		s.fillWhite = white(true)
	case "K":
		s.strokeWhite = white(true)
	case "sc", "scn", "cs":
		s.fillWhite = false // a colour space not followed: taken as visible
	case "SC", "SCN", "CS":
		s.strokeWhite = false
	default:
		return false
	}
	return true
}

// invisible reports whether text drawn now would not show on the page.
func (s inkState) invisible() bool {
	if s.sized && s.size < minPDFFontSize {
		return true
	}
	switch s.render {
	case 3, 7:
		return true
	case 0, 4:
		return s.fillWhite
	case 1, 5:
		return s.strokeWhite
	default:
		return s.fillWhite && s.strokeWhite
	}
}
