package files

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContentDisposition (FILE-04): a served name reaches the client
// exactly, in an RFC 5987 filename* parameter after an ASCII stand-in when
// it is not plain ASCII, and nothing in it can end the header or add a parameter.
func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{
		{"receipt.png", `attachment; filename=receipt.png`},
		{"my receipt.png", `attachment; filename="my receipt.png"`},
		{"a;b=c.png", `attachment; filename="a;b=c.png"`},
		{"Café crème.pdf", `attachment; filename="Caf_ cr_me.pdf"; filename*=UTF-8''Caf%C3%A9%20cr%C3%A8me.pdf`},
		{"領収書.pdf", `attachment; filename="___.pdf"; filename*=UTF-8''%E9%A0%98%E5%8F%8E%E6%9B%B8.pdf`},
		{"🎉 party.png", `attachment; filename="_ party.png"; filename*=UTF-8''%F0%9F%8E%89%20party.png`},
		{`say "hi".txt`, `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`},
		{`back\slash.txt`, `attachment; filename="back_slash.txt"; filename*=UTF-8''back%5Cslash.txt`},
		{"100%.txt", `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`},
		{"x\r\nSet-Cookie: a=b.png", `attachment; filename="x__Set-Cookie: a=b.png"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db.png`},
		{"naïve\"; filename=evil.exe", `attachment; filename="na_ve_; filename=evil.exe"; filename*=UTF-8''na%C3%AFve%22%3B%20filename%3Devil.exe`},
		{"line\u2028sep\x00.txt", `attachment; filename="line_sep_.txt"; filename*=UTF-8''line%E2%80%A8sep%00.txt`},
	} {
		got := contentDisposition(tc.name)
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.name, got, tc.want)
		}
		if i := strings.IndexFunc(got, func(r rune) bool { return r < 0x20 || r > 0x7e }); i >= 0 {
			t.Errorf("%q: the header holds %q", tc.name, got[i:])
		}
		disp, params, err := mime.ParseMediaType(got)
		if err != nil || disp != "attachment" || params["filename"] != tc.name || len(params) != 1 {
			t.Errorf("%q: a client reads %q %q (%v)", tc.name, disp, params, err)
		}
	}
}

// TestMacroScan: the markers of a document with macros are found wherever
// the writes split them, in Office types only.
func TestMacroScan(t *testing.T) {
	t.Parallel()
	pad := bytes.Repeat([]byte("x"), 100)
	for _, mk := range macroMarkers {
		doc := append(append(append([]byte{}, pad...), mk...), pad...)
		for cut := range len(doc) {
			m := newMacroScan("application/vnd.ms-excel")
			_, _ = m.Write(doc[:cut])
			for _, b := range doc[cut:] { // the rest one byte at a time
				_, _ = m.Write([]byte{b})
			}
			if !m.found() {
				t.Fatalf("%q split at %d not found", mk, cut)
			}
		}
		if m := newMacroScan("text/plain; charset=utf-8"); func() bool { _, _ = m.Write(doc); return m.found() }() {
			t.Errorf("%q found in a text file", mk)
		}
	}
	m := newMacroScan("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	_, _ = m.Write(zipWith(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.xml"))
	if m.found() {
		t.Error("a document without macros is taken for one")
	}
}

// TestWriteSyncs (FILE-01, durable before the acknowledgement): a file
// stored in a directory is synced while it still has its temporary name,
// and its directory after the rename, before write returns; a failed sync
// stores nothing.
func TestWriteSyncs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bucket, err := OpenBucket(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bucket.Close() }()
	object := filepath.Join(dir, "files", "ws", "w1", "f1")
	var calls []string
	s := &Service{bucket: bucket, logger: slog.New(slog.DiscardHandler), sync: func(f *os.File) error {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		_, placed := os.Stat(object)
		kind := fmt.Sprintf("file of %d bytes", st.Size())
		if st.IsDir() {
			kind = "directory " + f.Name()
		}
		calls = append(calls, fmt.Sprintf("%s, placed %v", kind, placed == nil))
		return f.Sync()
	}}
	body := bytes.Repeat([]byte("a"), 100_000)
	if n, _, err := s.write(t.Context(), "ws/w1/f1", "text/plain; charset=utf-8", bytes.NewReader(body)); err != nil || n != int64(len(body)) {
		t.Fatalf("write = %d, %v", n, err)
	}
	want := []string{"file of 100000 bytes, placed false", "directory " + filepath.Dir(object) + ", placed true"}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("syncs:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}

	s.sync = func(*os.File) error { return errors.New("disk gone") }
	if _, _, err := s.write(t.Context(), "ws/w1/f2", "text/plain; charset=utf-8", bytes.NewReader(body)); err == nil {
		t.Error("a write whose sync failed succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "files", "ws", "w1", "f2*"))
	if len(left) != 0 {
		t.Errorf("a failed write left %q", left)
	}
}
