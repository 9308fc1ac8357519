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
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/static"
)

//go:embed dist
var dist embed.FS

//go:embed demo.html
var demoPage string

// FrameCSP is the Content-Security-Policy of the chat frame: scripts,
// styles and API calls from tandemd's own origin only, files fetched from
// the files origin (filesOrigin), no inline code, and embeddable on any
// site. Voice messages play from blob: URLs of the fetched files.
func FrameCSP(filesOrigin string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src 'self' blob:; connect-src 'self' " + filesOrigin + "; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *"
}

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
	// FilesOrigin is the origin the frame downloads files from
	// (TANDEM_FILES_URL's scheme, host and port).
	FilesOrigin string
}

// Handler serves the widget's files.
type Handler struct {
	opts   Options
	loader static.File
	frame  static.File
	assets map[string]static.File
	demo   *template.Template
}

// New loads the embedded bundle. It fails only when the bundle is
// incomplete, which `npm run build` in backend/webwidget fixes.
func New(opts Options) (*Handler, error) {
	h := &Handler{opts: opts}
	var err error
	if h.loader, err = static.Load(dist, "dist/widget.js"); err != nil {
		return nil, err
	}
	if h.frame, err = static.Load(dist, "dist/frame.html"); err != nil {
		return nil, err
	}
	if h.assets, err = static.LoadDir(dist, "dist/assets"); err != nil {
		return nil, err
	}
	if h.demo, err = template.New("demo").Parse(demoPage); err != nil {
		return nil, err
	}
	return h, nil
}

// Register mounts the widget's routes on mux. "/" is mounted only for the
// demo, so that without --demo it answers 404.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		static.Serve(w, r, h.loader, "no-cache")
	})
	mux.HandleFunc("GET /widget/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", FrameCSP(h.opts.FilesOrigin))
		w.Header().Set("Referrer-Policy", "no-referrer")
		static.Serve(w, r, h.frame, "no-cache")
	})
	mux.HandleFunc("GET /widget/assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f, ok := h.assets[r.PathValue("name")]
		if !ok {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.NotFound(w, r)
			return
		}
		static.Serve(w, r, f, static.Immutable)
	})
	if h.opts.Demo {
		mux.HandleFunc("GET /{$}", h.serveDemo)
	}
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
