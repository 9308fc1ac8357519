// Package webapp serves the agent web app that tandemd embeds at /app: the
// desktop app's views with their browser host (desktop/frontend, built by
// `make webapp` into dist/, committed so that building tandemd needs no
// Node), its manifest, icons and service worker, which make it an
// installable app that opens offline.
//
// It serves files only. The app signs in at /app/session
// (internal/account) and then calls the API like any client.
package webapp

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/static"
)

//go:embed dist
var dist embed.FS

//go:embed sw.js
var serviceWorker string

// CSP is the app page's Content-Security-Policy: its own scripts only, no
// inline code, API calls and media to this origin (and blob: for recorded
// voice and downloads), files fetched from the files origin (filesOrigin),
// and never framed.
func CSP(filesOrigin string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
		"media-src 'self' blob:; connect-src 'self' " + filesOrigin + "; worker-src 'self'; manifest-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// Base is where the app lives.
const Base = "/app/"

// Handler serves the app.
type Handler struct {
	csp      string
	page     static.File
	assets   map[string]static.File
	manifest static.File
	worker   static.File
	icons    map[string]static.File
}

// New loads the embedded bundle. It fails only when the bundle is
// incomplete, which `make webapp` fixes. filesOrigin is the origin the app
// downloads files from (TANDEM_FILES_URL's scheme, host and port).
func New(filesOrigin string) (*Handler, error) {
	h := &Handler{csp: CSP(filesOrigin), icons: map[string]static.File{}}
	var err error
	if h.page, err = static.Load(dist, "dist/web.html"); err != nil {
		return nil, err
	}
	if h.assets, err = static.LoadDir(dist, "dist/assets"); err != nil {
		return nil, err
	}
	for _, size := range []string{"192", "512"} {
		n := 192
		if size == "512" {
			n = 512
		}
		h.icons["icon-"+size+".png"] = static.New(".png", icon(n))
	}
	h.manifest = static.New(".webmanifest", manifest())
	h.worker = static.New(".js", worker(h.assets, h.page))
	return h, nil
}

// manifest is the web app manifest: what an installed app is called, where
// it starts and what it looks like.
func manifest() []byte {
	type iconEntry struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose"`
	}
	b, _ := json.MarshalIndent(map[string]any{ // a fixed value always encodes
		"id": Base, "name": "Tandem", "short_name": "Tandem", "description": "Answer your customers together: the Tandem agent inbox.",
		"start_url": Base, "scope": Base, "display": "standalone", "background_color": "#f6f7f9", "theme_color": "#2f5bea",
		"icons": []iconEntry{
			{Src: Base + "icon-192.png", Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: Base + "icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "any"},
			{Src: Base + "icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
		},
	}, "", "  ")
	return b
}

// worker is the service worker with the shell it keeps: the page and every
// asset, under a version that changes with any of them (so a new build
// replaces the old shell).
func worker(assets map[string]static.File, page static.File) []byte {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range assets {
			if !yield(n) {
				return
			}
		}
	})
	precache := []string{Base}
	v := sha256.New()
	v.Write([]byte(page.ETag))
	for _, n := range names {
		precache = append(precache, Base+"assets/"+n)
		v.Write([]byte(n + assets[n].ETag))
	}
	list, _ := json.Marshal(precache)
	version, _ := json.Marshal(hex.EncodeToString(v.Sum(nil))[:16])
	js := strings.Replace(serviceWorker, "/*PRECACHE*/[]", string(list), 1)
	js = strings.Replace(js, `/*VERSION*/"dev"`, string(version), 1)
	return []byte(js)
}

// Register mounts the app's routes on mux. Any other path under /app/ is
// the page, so a reload on a deep link works.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Base, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /app/{$}", h.servePage)
	mux.HandleFunc("GET /app/assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		f, ok := h.assets[r.PathValue("name")]
		if !ok {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.NotFound(w, r)
			return
		}
		static.Serve(w, r, f, static.Immutable)
	})
	mux.HandleFunc("GET /app/manifest.webmanifest", func(w http.ResponseWriter, r *http.Request) {
		static.Serve(w, r, h.manifest, "no-cache")
	})
	mux.HandleFunc("GET /app/sw.js", func(w http.ResponseWriter, r *http.Request) {
		// A service worker is checked for updates on each visit: never
		// served from a cache.
		w.Header().Set("Service-Worker-Allowed", Base)
		static.Serve(w, r, h.worker, "no-cache")
	})
	mux.HandleFunc("GET /app/{name}", func(w http.ResponseWriter, r *http.Request) {
		if f, ok := h.icons[r.PathValue("name")]; ok {
			static.Serve(w, r, f, "public, max-age=86400")
			return
		}
		h.servePage(w, r)
	})
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
	static.Serve(w, r, h.page, "no-cache")
}
