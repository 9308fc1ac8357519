package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"connectrpc.com/connect"
)

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/":      "http://127.0.0.1:8080",
		" tandem.example.com ":        "https://tandem.example.com",
		"https://example.com/tandem/": "https://example.com/tandem",
	} {
		if got, err := NormalizeURL(in); err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "javascript:alert(1)", "https://user:pw@x", "https://x/?q=1", "http://"} {
		if _, err := NormalizeURL(bad); KindOf(err) != KindInvalid {
			t.Errorf("NormalizeURL(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestFromSaysItPlainly(t *testing.T) {
	resync := connect.NewError(connect.CodeFailedPrecondition, errors.New("cannot resume from this cursor"))
	resync.Meta().Set(ReasonHeader, "RESYNC_REQUIRED")
	cases := []struct {
		err  error
		kind Kind
		msg  string
	}{
		{connect.NewError(connect.CodeFailedPrecondition, errors.New("Olivia Owner has already claimed this conversation")), KindConflict, "Olivia Owner has already claimed this conversation."},
		{connect.NewError(connect.CodePermissionDenied, errors.New("only supervisors can whisper")), KindForbidden, "Only supervisors can whisper."},
		{connect.NewError(connect.CodeUnauthenticated, errors.New("invalid or expired token")), KindSignedOut, "Your session has ended. Sign in again."},
		{connect.NewError(connect.CodeUnavailable, &net.OpError{Op: "dial", Err: errors.New("connection refused")}), KindOffline, "Can't reach the Tandem server. Check your connection; your work is kept and sent when it's back."},
		{connect.NewError(connect.CodeInternal, errors.New("internal error")), KindInternal, "Something went wrong on the server. Try again in a moment."},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), KindTimeout, "The server took too long to answer. Try again."},
		{resync, KindResync, "Cannot resume from this cursor."},
	}
	for _, c := range cases {
		got := From(c.err)
		if got.Kind != c.kind || got.Message != c.msg {
			t.Errorf("From(%v) = %s %q; want %s %q", c.err, got.Kind, got.Message, c.kind, c.msg)
		}
	}
	if got := From(From(cases[0].err)); got.Kind != KindConflict {
		t.Error("From is not idempotent")
	}
	if !From(cases[3].err).Temporary() || From(cases[0].err).Temporary() {
		t.Error("Temporary misclassifies")
	}
}
