package knowledge_test

import (
	"bytes"
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
