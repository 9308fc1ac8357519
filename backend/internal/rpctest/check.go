package rpctest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/config"
)

// Checks of answers: codes, quiet servers, plain HTTP calls.

// WantCode fails the test unless err has the code (0: no error).
func WantCode(t *testing.T, err error, want connect.Code) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if got := connect.CodeOf(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

// Quiet turns the server's own reactions off: the test drives them.
func Quiet(c *config.Config) { c.Reactors = false }

// CodeOrOK names a code, or OK for none.
func CodeOrOK(c connect.Code) string {
	if c == 0 {
		return "OK"
	}
	return c.String()
}

// Do makes a plain HTTP request and returns the answer with its body read.
func Do(t *testing.T, hc *http.Client, method, url string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
