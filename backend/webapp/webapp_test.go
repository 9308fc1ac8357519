package webapp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/webapp"
)

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path) //nolint:noctx // a test request
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestWebApp serves the embedded bundle as an installable app: the page
// under its strict CSP (also for deep links), hashed assets cached for
// good, a manifest with the icons Chrome asks for, icons that are real
// PNGs of their size, and a service worker that keeps exactly the shell.
func TestWebApp(t *testing.T) {
	t.Parallel()
	const files = "http://files.test:8081" // the files origin, the one other place the app fetches from
	h, err := webapp.New(files)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, _ := get(t, srv, "/app")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/app/" {
		t.Errorf("/app: %d to %q, want a redirect to /app/", resp.StatusCode, resp.Header.Get("Location"))
	}
	var page []byte
	for _, path := range []string{"/app/", "/app/inbox"} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != webapp.CSP(files) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte(`<div id="app">`)) {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
		page = body
	}
	for _, directive := range []string{"script-src 'self';", "object-src 'none'", "frame-ancestors 'none'", "connect-src 'self' " + files + ";"} {
		if !strings.Contains(webapp.CSP(files), directive) {
			t.Errorf("CSP lacks %q", directive)
		}
	}

	scripts := regexp.MustCompile(`/app/assets/[\w.-]+\.js`).FindAll(page, -1)
	if len(scripts) == 0 {
		t.Fatalf("the page loads no script from /app/assets/:\n%s", page)
	}
	resp, _ = get(t, srv, string(scripts[0]))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %d, cache %q", scripts[0], resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, srv, "/app/assets/nothing.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing asset: %d, want 404", resp.StatusCode)
	}

	resp, body := get(t, srv, "/app/manifest.webmanifest")
	var m struct {
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Display  string `json:"display"`
		Icons    []struct {
			Src, Sizes, Purpose string
		} `json:"icons"`
	}
	if err := json.Unmarshal(body, &m); err != nil || resp.Header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest %s (%v), type %q", body, err, resp.Header.Get("Content-Type"))
	}
	if m.StartURL != "/app/" || m.Scope != "/app/" || m.Display != "standalone" || len(m.Icons) < 2 {
		t.Errorf("manifest = %+v", m)
	}
	for _, ic := range m.Icons {
		resp, body := get(t, srv, ic.Src)
		img, err := png.Decode(bytes.NewReader(body))
		if err != nil || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %v (%s)", ic.Src, err, resp.Header.Get("Content-Type"))
		}
		if got := img.Bounds().Dx(); ic.Sizes != fmt.Sprintf("%dx%d", got, got) {
			t.Errorf("%s is %dpx, the manifest says %s", ic.Src, got, ic.Sizes)
		}
	}

	resp, sw := get(t, srv, "/app/sw.js")
	if resp.Header.Get("Service-Worker-Allowed") != "/app/" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("sw.js headers: %v", resp.Header)
	}
	pre := regexp.MustCompile(`const PRECACHE = (\[.*?\]);`).FindSubmatch(sw)
	if pre == nil {
		t.Fatalf("sw.js has no precache list:\n%s", sw)
	}
	var shell []string
	if err := json.Unmarshal(pre[1], &shell); err != nil {
		t.Fatal(err)
	}
	if shell[0] != "/app/" || !slices.Contains(shell, string(scripts[0])) {
		t.Errorf("the shell %v lacks the page or its script %s", shell, scripts[0])
	}
	for _, u := range shell {
		if resp, _ := get(t, srv, u); resp.StatusCode != http.StatusOK {
			t.Errorf("the shell's %s: %d", u, resp.StatusCode)
		}
	}
	if bytes.Contains(sw, []byte(`"dev"`)) {
		t.Error("sw.js kept its placeholder version")
	}
}
