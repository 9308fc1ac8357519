package knowledge_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"testing"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"
)

// makePDF writes a real PDF with a page for each entry of pages, each line
// of a page drawn as a line of text (no line: a page with a drawing but no
// text). A password protects it with that user password.
func makePDF(t *testing.T, password string, pages ...[]string) []byte {
	t.Helper()
	cfg := gopdf.Config{PageSize: *gopdf.PageSizeA4}
	if password != "" {
		cfg.Protection = gopdf.PDFProtectionConfig{UseProtection: true, UserPass: []byte(password), OwnerPass: []byte(password + "!")}
	}
	var g gopdf.GoPdf
	g.Start(cfg)
	if err := g.AddTTFFontData("go", goregular.TTF); err != nil {
		t.Fatal(err)
	}
	if err := g.SetFont("go", "", 11); err != nil {
		t.Fatal(err)
	}
	for _, lines := range pages {
		g.AddPage()
		// A drawing, so that a page without text still has content.
		g.Line(40, 800, 500, 800)
		for i, l := range lines {
			g.SetXY(40, 40+float64(i)*16)
			if err := g.Cell(nil, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawPDF assembles a PDF from the bodies of objects 1..n (object 1 the
// catalog), with a correct cross-reference table, for PDFs no writer
// library would make.
func rawPDF(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// deflated is a Flate stream object of the data.
func deflated(data []byte) string {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(data)
	_ = w.Close()
	return fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
}
