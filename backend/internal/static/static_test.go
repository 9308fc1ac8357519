package static_test

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/static"
)

// TestContentType: each bundle file is served as its kind, and only a web
// app manifest as one (a JSON file that is not would confuse browsers).
func TestContentType(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"assets/app-1a2b.js":   "text/javascript; charset=utf-8",
		"assets/app.css":       "text/css; charset=utf-8",
		"web.html":             "text/html; charset=utf-8",
		"manifest.webmanifest": "application/manifest+json",
		"data.json":            "application/json",
		"icon.svg":             "image/svg+xml",
		"icon-192.png":         "image/png",
		"font.woff2":           "font/woff2",
		"notes.txt":            "application/octet-stream",
		"no-extension":         "application/octet-stream",
	} {
		if got := static.ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}
