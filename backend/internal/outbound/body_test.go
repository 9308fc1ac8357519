package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// hostileHandler answers by path: /endless writes a body that never ends,
// /trickle one byte at a time that never ends, /silent no headers at all,
// /exact and /over a body of the limit and of one byte more. Every answer
// ends when the caller goes away (or stop closes).
func hostileHandler(limit int, stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		wait := func(d time.Duration) bool {
			select {
			case <-r.Context().Done():
				return false
			case <-stop:
				return false
			case <-time.After(d):
				return true
			}
		}
		switch r.URL.Path {
		case "/endless":
			chunk := bytes.Repeat([]byte("x"), 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil || !wait(0) {
					return
				}
			}
		case "/trickle":
			for {
				if _, err := w.Write([]byte("x")); err != nil || rc.Flush() != nil || !wait(20*time.Millisecond) {
					return
				}
			}
		case "/silent":
			wait(time.Minute)
		case "/exact":
			_, _ = w.Write(bytes.Repeat([]byte("x"), limit))
		case "/over":
			_, _ = w.Write(bytes.Repeat([]byte("x"), limit+1))
		}
	})
}

// TestHostileResponses: a receiver whose answer never ends is cut at the
// client's body limit (ErrTooLarge, not the deadline); one that trickles
// its body or sends no headers is cut at the client's deadline (a
// timeout); a body of exactly the limit is read whole and one byte more is
// too large; over HTTP/1.1 and HTTP/2 alike. Afterwards no goroutine is
// left: the count returns to what it was before the servers started.
// (Not parallel: the goroutine count is the whole process's.)
func TestHostileResponses(t *testing.T) {
	base := runtime.NumGoroutine()
	const limit = 64 << 10 // the default
	stop := make(chan struct{})
	h1 := httptest.NewServer(hostileHandler(limit, stop))
	h2 := httptest.NewUnstartedServer(hostileHandler(limit, stop))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	timeout := 500 * time.Millisecond
	client := NewClient(Options{Timeout: timeout, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	shutdown := sync.OnceFunc(func() {
		client.CloseIdleConnections()
		close(stop)
		h1.Close()
		h2.Close()
	})
	defer shutdown()
	roots := x509.NewCertPool()
	roots.AddCert(h2.Certificate())
	client.Transport.(capTransport).base.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}

	for _, srv := range []struct {
		name, url string
		proto     int
	}{{"HTTP/1.1", h1.URL, 1}, {"HTTP/2", h2.URL, 2}} {
		for _, tc := range []struct {
			path string
			want error // nil, ErrTooLarge, or context.DeadlineExceeded for any timeout
		}{
			{"/exact", nil}, {"/over", ErrTooLarge}, {"/endless", ErrTooLarge},
			{"/trickle", context.DeadlineExceeded}, {"/silent", context.DeadlineExceeded},
		} {
			// No deadline of the caller's: the client's own bounds the call.
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.url+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			resp, err := client.Do(req)
			if err == nil {
				if resp.ProtoMajor != srv.proto {
					t.Errorf("%s %s: answered over %s", srv.name, tc.path, resp.Proto)
				}
				err = Drain(resp)
			}
			took := time.Since(start)
			var te interface{ Timeout() bool }
			timedOut := errors.As(err, &te) && te.Timeout()
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("%s %s: %v, want the whole body", srv.name, tc.path, err)
			case errors.Is(tc.want, ErrTooLarge) && !errors.Is(err, ErrTooLarge):
				t.Errorf("%s %s: %v, want ErrTooLarge", srv.name, tc.path, err)
			case errors.Is(tc.want, context.DeadlineExceeded) && !timedOut:
				t.Errorf("%s %s: %v, want a timeout", srv.name, tc.path, err)
			case tc.want != nil && Describe(err) == "the call failed":
				t.Errorf("%s %s: Describe(%v) says nothing of the reason", srv.name, tc.path, err)
			}
			if took > 10*timeout { // a generous liveness bound, not a speed check
				t.Errorf("%s %s: took %v, the deadline is %v", srv.name, tc.path, took, timeout)
			}
		}
	}

	shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the test:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
