package files

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

func zipWith(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		w, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("<x/>"))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	t.Parallel()
	ebml := []byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
		0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02}
	for _, tc := range []struct {
		name string
		head []byte
		want string // "" when refused
	}{
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "application/pdf"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "image/gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"text", []byte("Order 1234 arrived damaged.\n"), "text/plain; charset=utf-8"},
		{"csv", []byte("sku,qty,price\nA1,2,9.99\nB2,1,19.50\n"), "text/csv; charset=utf-8"},
		{"docx", zipWith(t, "[Content_Types].xml", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", zipWith(t, "[Content_Types].xml", "xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"ogg voice", append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13"), []byte("OpusHead\x01\x01")...), "audio/ogg"},
		{"mp3", []byte("\xff\xfb\x90\x64\x00\x00\x00\x00"), "audio/mpeg"},
		{"m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom"), "audio/mp4"},
		{"webm voice", ebml, "audio/webm"},
		{"html", []byte("<html><script>alert(1)</script></html>"), ""},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), ""},
		{"exe", []byte("MZ\x90\x00\x03\x00\x00\x00"), ""},
		{"zip", zipWith(t, "a.txt"), ""},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), ""},
		{"html before a pdf header", []byte("<html><script>alert(1)</script>\n%PDF-1.7\n1 0 obj"), ""},
	} {
		got, err := sniff(tc.head)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s: sniff = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// Every type a file is served with has the extensions of its served name.
func TestServedTypesHaveExtensions(t *testing.T) {
	t.Parallel()
	for _, served := range accepted {
		typ, _, _ := strings.Cut(served, ";")
		if len(extensions[typ]) == 0 {
			t.Errorf("no extension for %s", typ)
		}
	}
}
