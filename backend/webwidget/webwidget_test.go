package webwidget

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serveMux(t *testing.T, opts Options) *http.ServeMux {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	return mux
}

func get(t *testing.T, mux http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFilesAndHeaders(t *testing.T) {
	t.Parallel()
	mux := serveMux(t, Options{FilesOrigin: "http://files.test:8081"})

	frame := get(t, mux, "/widget/frame?key=pk_x")
	if frame.StatusCode != http.StatusOK {
		t.Fatalf("frame: %d", frame.StatusCode)
	}
	if got := frame.Header.Get("Content-Security-Policy"); got != FrameCSP("http://files.test:8081") {
		t.Errorf("frame CSP = %q", got)
	}
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self' http://files.test:8081;", "media-src 'self' blob:", "frame-ancestors *"} {
		if !strings.Contains(frame.Header.Get("Content-Security-Policy"), want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	if csp := frame.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe code: %s", csp)
	}
	html := body(t, frame)
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(html) {
		t.Errorf("frame has an inline script:\n%s", html)
	}

	asset := regexp.MustCompile(`src="(/widget/assets/[^"]+\.js)"`).FindStringSubmatch(html)
	if asset == nil {
		t.Fatalf("frame names no script asset:\n%s", html)
	}
	a := get(t, mux, asset[1])
	if a.StatusCode != http.StatusOK || !strings.Contains(a.Header.Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(a.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("asset: %d %q %q", a.StatusCode, a.Header.Get("Cache-Control"), a.Header.Get("Content-Type"))
	}

	loader := get(t, mux, "/widget.js")
	if loader.StatusCode != http.StatusOK || loader.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("loader: %d %q", loader.StatusCode, loader.Header.Get("Cache-Control"))
	}
	if again := get(t, mux, "/widget.js", "If-None-Match", loader.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", again.StatusCode)
	}

	for _, res := range []*http.Response{frame, a, loader} {
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", res.Request.URL.Path)
		}
	}
	if res := get(t, mux, "/widget/assets/nope.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %d", res.StatusCode)
	}
}

func TestDemoPageOnlyWithDemo(t *testing.T) {
	t.Parallel()
	if res := get(t, serveMux(t, Options{}), "/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/ without --demo: %d, want 404", res.StatusCode)
	}

	key := ""
	mux := serveMux(t, Options{Demo: true, DemoKey: func() string { return key }})
	if res := get(t, mux, "/"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/ before seeding: %d, want 503", res.StatusCode)
	}
	key = `pk_abc"><script>alert(1)</script>`
	res := get(t, mux, "/")
	page := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/: %d", res.StatusCode)
	}
	if !strings.Contains(page, `<script src="/widget.js" data-workspace="pk_abc&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" async></script>`) {
		t.Errorf("demo page does not embed the escaped key:\n%s", page)
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("demo page has no CSP")
	}
	if res := get(t, mux, "/other"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/other: %d, want 404", res.StatusCode)
	}
}
