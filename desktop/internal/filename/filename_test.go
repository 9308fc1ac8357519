package filename

import (
	"strings"
	"testing"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"invoice.pdf":                  "invoice.pdf",
		"../../etc/passwd":             "passwd",
		`..\..\Windows\win.ini`:        "win.ini",
		"/abs/path/x.txt":              "x.txt",
		`C:\x`:                         "x",
		"..":                           "file",
		"":                             "file",
		"a\r\nContent-Type: text html": "a__Content-Type_ text html",
		"invoice\u202efdp.exe":         "invoice_fdp.exe",
		"CON":                          "_CON",
		"aux.txt":                      "_aux.txt",
		"trailing. . ":                 "trailing",
		".hidden":                      "hidden",
		"what?.doc":                    "what_.doc",
		"tab\tname.txt":                "tab_name.txt",
		"nul\x00byte.png":              "nul_byte.png",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 300) + ".jpeg"
	got := Safe(long)
	if len(got) > 200 || !strings.HasSuffix(got, ".jpeg") || !strings.HasPrefix(got, "é") {
		t.Errorf("Safe(long) = %d bytes %q...", len(got), got[:10])
	}
	if Safe("\xff\xfe.txt") != "_.txt" {
		t.Errorf("invalid UTF-8: %q", Safe("\xff\xfe.txt"))
	}
}

func TestRunnable(t *testing.T) {
	for name, want := range map[string]bool{
		"setup.EXE": true, "run.sh": true, "app.AppImage": true, "x.desktop": true, "a.exe.": true,
		"photo.jpg": false, "report.pdf": false, "notes": false, "archive.tar.gz": false,
	} {
		if got := Runnable(name); got != want {
			t.Errorf("Runnable(%q) = %v", name, got)
		}
	}
}
