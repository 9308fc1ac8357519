// Package webwidget serves the customer web chat widget that tandemd embeds:
// the loader stores put on their pages (/widget.js), the chat page that runs
// in its iframe (/widget/frame, under a strict Content-Security-Policy), the
// frame's content-hashed assets (/widget/assets/), and with --demo a sample
// store at / with the widget on it.
//
// The TypeScript source and its build live next to this file; the built
// bundle (dist/) is committed so that building tandemd needs no Node.
//
// It serves files only. The API the widget calls, WidgetService, is
// internal/widget's: "widget" is the customer's API, "webwidget" this
// browser client of it.
package webwidget

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

//go:embed demo.html
var demoPage string

// FrameCSP is the Content-Security-Policy of the chat frame: scripts,
// styles and API calls from tandemd's own origin only, no inline code, and
// embeddable on any site.
const FrameCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *"

// demoCSP is the demo store page's policy: its own inline styles, scripts
// from this origin only.
const demoCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

// Options configure the handler.
type Options struct {
	// Demo serves the sample store page at "/".
	Demo bool
	// DemoKey returns the demo workspace's widget key ("" until seeded).
	DemoKey func() string
}

// file is one embedded file, ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the widget's files.
type Handler struct {
	opts   Options
	loader file
	frame  file
	assets map[string]file
	demo   *template.Template
}

// New loads the embedded bundle. It fails only when the bundle is
// incomplete, which `npm run build` in backend/webwidget fixes.
func New(opts Options) (*Handler, error) {
	h := &Handler{opts: opts, assets: map[string]file{}}
	var err error
	if h.loader, err = load("dist/widget.js"); err != nil {
		return nil, err
	}
	if h.frame, err = load("dist/frame.html"); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(dist, "dist/assets")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		f, err := load("dist/assets/" + e.Name())
		if err != nil {
			return nil, err
		}
		h.assets[e.Name()] = f
	}
	if h.demo, err = template.New("demo").Parse(demoPage); err != nil {
		return nil, err
	}
	return h, nil
}

func load(name string) (file, error) {
	b, err := dist.ReadFile(name)
	if err != nil {
		return file{}, err
	}
	sum := sha256.Sum256(b)
	return file{body: b, contentType: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
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

// Register mounts the widget's routes on mux. "/" is mounted only for the
// demo, so that without --demo it answers 404.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, h.loader, "no-cache")
	})
	mux.HandleFunc("GET /widget/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", FrameCSP)
		w.Header().Set("Referrer-Policy", "no-referrer")
		serve(w, r, h.frame, "no-cache")
	})
	mux.HandleFunc("GET /widget/assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f, ok := h.assets[r.PathValue("name")]
		if !ok {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.NotFound(w, r)
			return
		}
		serve(w, r, f, "public, max-age=31536000, immutable")
	})
	if h.opts.Demo {
		mux.HandleFunc("GET /{$}", h.serveDemo)
	}
}

func serve(w http.ResponseWriter, r *http.Request, f file, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", cache)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", f.etag)
	// ServeContent answers If-None-Match (304) and Range from the ETag.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

func (h *Handler) serveDemo(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	key := ""
	if h.opts.DemoKey != nil {
		key = h.opts.DemoKey()
	}
	if key == "" {
		http.Error(w, "the demo store is still being set up; reload in a moment", http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := h.demo.Execute(&buf, struct{ Key, Origin string }{Key: key, Origin: origin(r)}); err != nil {
		http.Error(w, "demo page failed", http.StatusInternalServerError)
		return
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", demoCSP)
	_, _ = w.Write(buf.Bytes())
}

// origin is how the browser reached us, for the snippet shown on the demo page.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if strings.ContainsAny(host, "<>\"' ") {
		host = "localhost"
	}
	return scheme + "://" + host
}
