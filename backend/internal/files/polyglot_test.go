package files_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/jpeg"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// officeZip is an Office Open XML document: its content types, its main
// part, and any further parts named.
func officeZip(t *testing.T, contentType, main string, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, p := range append([]string{"[Content_Types].xml", main}, parts...) {
		w, err := z.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		body := `<x/>`
		if p == "[Content_Types].xml" {
			body = `<Types><Override PartName="/` + main + `" ContentType="` + contentType + `"/></Types>`
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithScriptInEXIF is a real JPEG with an APP1 (EXIF) segment whose
// image description is an HTML script.
func jpegWithScriptInEXIF(t *testing.T) []byte {
	t.Helper()
	var img bytes.Buffer
	if err := jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	payload := "Exif\x00\x00II*\x00\x08\x00\x00\x00<html><script>alert(document.cookie)</script></html>"
	n := len(payload) + 2
	app1 := append([]byte{0xff, 0xe1, byte(n >> 8 & 0xff), byte(n & 0xff)}, payload...)
	raw := img.Bytes()
	return append(append(append([]byte{}, raw[:2]...), app1...), raw[2:]...)
}

// TestSecurityPolyglots (FILE-02): files that are two things at once.
// The policy, per kind:
//   - A real image or PDF that also holds HTML or script (a PNG with a page
//     after its header, a GIF header that is also JavaScript, a JPEG with a
//     script in its EXIF, a PDF with an OpenAction script) is stored as the
//     image or PDF it sniffs as, byte for byte, and served only as a
//     download under that type and its extension, with nosniff (no browser
//     reads it as HTML or loads it as a script), CSP sandbox (nothing in it
//     runs with the app's origin even if opened), and CORP same-origin (no
//     other site embeds it). Refusing them would refuse ordinary files:
//     any image may carry trailing bytes or text metadata, and PDF forms
//     carry JavaScript; Tandem never renders, thumbnails or re-encodes them.
//   - An HTML page with a PDF header after its markup is refused: PDF
//     readers (and the sniffer) look for the header 1 KiB in, so Tandem
//     takes a PDF only when it begins with its header.
//   - A macro-enabled Office document (.docm, .xlsm, .pptm: zips like
//     their macro-free kin) is refused, and nothing is stored: macros are
//     how documents carry malware, and a copy without them can always be
//     sent. The same document without its VBA part is accepted.
func TestSecurityPolyglots(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		conv := w.Conversation(w.Visitor)
		const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		const pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

		for _, tc := range []struct {
			what, name string
			body       []byte
			typ        string // the type it is served with; "" when refused
			served     string // the name it is served under
			refusal    string // what the refusal says
		}{
			{what: "PNG header followed by HTML", name: "cat.html", typ: "image/png", served: "cat.png",
				body: append(pngBytes(t), "<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"...)},
			{what: "GIF that is also JavaScript", name: "pixel.js", typ: "image/gif", served: "pixel.gif",
				body: []byte("GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=alert(document.domain);//\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00\x3b")},
			{what: "JPEG with a script in its EXIF", name: "photo.jpg", typ: "image/jpeg", served: "photo.jpg", body: jpegWithScriptInEXIF(t)},
			{what: "PDF with JavaScript", name: "invoice.pdf", typ: "application/pdf", served: "invoice.pdf",
				body: []byte("%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
					"3 0 obj<</S/JavaScript/JS(app.alert\\(document.domain\\))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")},
			{what: "HTML carrying a PDF header", name: "invoice.pdf", refusal: "not accepted",
				body: []byte("<html><body><script>alert(document.domain)</script>\n%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n</body></html>")},
			{what: ".docm", name: "order.docm", refusal: "macros",
				body: officeZip(t, "application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml", "word/vbaProject.bin")},
			{what: ".xlsm", name: "prices.xlsm", refusal: "macros",
				body: officeZip(t, "application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xl/workbook.xml", "xl/vbaProject.bin")},
			{what: ".xlsm with Excel 4 macro sheets", name: "prices.xlsm", refusal: "macros",
				body: officeZip(t, "application/vnd.ms-excel.sheet.macroEnabled.main+xml", "xl/workbook.xml", "xl/macrosheets/sheet1.xml")},
			{what: ".pptm", name: "deck.pptm", refusal: "macros",
				body: officeZip(t, "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml", "ppt/presentation.xml", "ppt/vbaProject.bin")},
			{what: ".docx", name: "order.docx", typ: docx, served: "order.docx",
				body: officeZip(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml")},
			{what: ".docm without its VBA part, renamed", name: "order.docm", typ: docx, served: "order.docx",
				body: officeZip(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml")},
			{what: ".xlsx", name: "prices.xlsx", typ: xlsx, served: "prices.xlsx",
				body: officeZip(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml")},
			{what: ".pptx", name: "deck.pptx", typ: pptx, served: "deck.pptx",
				body: officeZip(t, "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "ppt/presentation.xml")},
		} {
			objects, rows := w.storedFiles()
			up := w.upload(w.VisitorToken, conv.ID, uuid.NewString(), tc.name, tc.body)
			if tc.typ == "" {
				if up.status != http.StatusBadRequest || up.code != "invalid_argument" || !strings.Contains(up.msg, tc.refusal) {
					t.Errorf("%s: upload = %+v, want it refused saying %q", tc.what, up, tc.refusal)
				}
				if o, r := w.storedFiles(); o != objects || r != rows {
					t.Errorf("%s: a refused upload left %d objects and %d rows (were %d and %d)", tc.what, o, r, objects, rows)
				}
				continue
			}
			if up.status != http.StatusOK || up.file.ContentType != tc.typ || up.file.Name != tc.served {
				t.Errorf("%s: upload = %+v, want it stored as %s named %s", tc.what, up, tc.typ, tc.served)
				continue
			}
			status, h, got := w.download(w.VisitorToken, up.file.ID)
			if status != http.StatusOK || !bytes.Equal(got, tc.body) {
				t.Errorf("%s: download %d, %d bytes, want the %d bytes sent", tc.what, status, len(got), len(tc.body))
			}
			for k, want := range map[string]string{"Content-Type": tc.typ, "X-Content-Type-Options": "nosniff",
				"Content-Security-Policy": "sandbox; default-src 'none'", "Cross-Origin-Resource-Policy": "same-origin"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", tc.what, k, got, want)
				}
			}
			if disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err != nil || disp != "attachment" ||
				params["filename"] != tc.served {
				t.Errorf("%s: Content-Disposition %q, want an attachment named %s", tc.what, h.Get("Content-Disposition"), tc.served)
			}
		}
	})
}
