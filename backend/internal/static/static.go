// Package static serves the files of the browser bundles tandemd embeds
// (the customer widget, the agent web app): each file loaded once with its
// content type and ETag, answered with the caching its kind allows.
package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// File is one embedded file, ready to serve.
type File struct {
	Body        []byte
	ContentType string
	ETag        string
}

// Immutable is the caching of content-hashed assets: a new build has new
// names.
const Immutable = "public, max-age=31536000, immutable"

// Load reads a file of fsys.
func Load(fsys fs.FS, name string) (File, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return File{}, err
	}
	return New(name, b), nil
}

// New makes a file of bytes, typed by name's extension.
func New(name string, b []byte) File {
	sum := sha256.Sum256(b)
	return File{Body: b, ContentType: ContentType(name), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// LoadDir loads every file directly in dir, by name.
func LoadDir(fsys fs.FS, dir string) (map[string]File, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	files := map[string]File{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		f, err := Load(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		files[e.Name()] = f
	}
	return files, nil
}

// ContentType is the type of a bundle's file by its extension.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".webmanifest":
		return "application/manifest+json"
	case ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	default:
		return "application/octet-stream"
	}
}

// Serve answers with the file (304 for a matching If-None-Match, ranges).
func Serve(w http.ResponseWriter, r *http.Request, f File, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Cache-Control", cache)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", f.ETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Body))
}
