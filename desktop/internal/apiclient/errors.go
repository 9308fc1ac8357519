package apiclient

import (
	"context"
	"errors"
	"net"
	"strings"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
)

// Kind classifies an error for the app: what the person can do about it.
type Kind string

// The kinds the frontend knows (frontend/src/logic/errors.ts).
const (
	// KindOffline: the server could not be reached; retrying later may work.
	KindOffline Kind = "offline"
	// KindTimeout: the server took too long; retrying may work.
	KindTimeout Kind = "timeout"
	// KindSignedOut: the session ended or was revoked; sign in again.
	KindSignedOut Kind = "signed_out"
	// KindForbidden: the person's role does not allow it.
	KindForbidden Kind = "forbidden"
	// KindNotFound: it does not exist or is not visible to the person.
	KindNotFound Kind = "not_found"
	// KindConflict: the state changed (claimed by someone else, closed...).
	KindConflict Kind = "conflict"
	// KindInvalid: the input is not acceptable.
	KindInvalid Kind = "invalid"
	// KindResync: a stream cursor can no longer be resumed from.
	KindResync Kind = "resync"
	// KindCanceled: the app stopped the call.
	KindCanceled Kind = "canceled"
	// KindInternal: something failed on the server or in the app.
	KindInternal Kind = "internal"
)

// ReasonHeader carries the server's machine-readable reason, such as
// RESYNC_REQUIRED or RECONNECT.
const ReasonHeader = "Tandem-Error-Reason"

// Error is an error the app can show: a kind and a message in plain words.
// Bound methods return it as {"kind", "message"} to the frontend.
type Error struct {
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
	// Reason is the server's machine-readable reason, if it gave one.
	Reason string `json:"reason,omitempty"`
	cause  error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return string(e.Kind) + ": " + e.Message + " (" + e.cause.Error() + ")"
	}
	return string(e.Kind) + ": " + e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports whether the same call may succeed later unchanged.
func (e *Error) Temporary() bool {
	return e.Kind == KindOffline || e.Kind == KindTimeout
}

func invalid(msg string) *Error { return &Error{Kind: KindInvalid, Message: msg} }

// Errorf returns an app-made error of the kind.
func Errorf(kind Kind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

// KindOf returns the kind of any error (KindInternal when it has none).
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	return From(err).Kind
}

// From turns any error into an *Error. Server messages are public by
// contract (they never carry internals), so they are shown as they are;
// transport failures get the app's own words.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCanceled, Message: "Stopped.", cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Message: "The server took too long to answer. Try again.", cause: err}
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		var ne net.Error
		if errors.As(err, &ne) {
			return offline(err)
		}
		return &Error{Kind: KindInternal, Message: "Something went wrong. Try again.", cause: err}
	}
	reason := ce.Meta().Get(ReasonHeader)
	msg := sentence(ce.Message())
	out := &Error{Reason: reason, Message: msg, cause: err}
	switch ce.Code() {
	case connect.CodeUnavailable:
		if isTransport(ce) {
			return offline(err)
		}
		out.Kind = KindOffline
		out.Message = "The Tandem server is not available right now. Your work is kept and retried."
	case connect.CodeDeadlineExceeded:
		out.Kind, out.Message = KindTimeout, "The server took too long to answer. Try again."
	case connect.CodeCanceled:
		out.Kind, out.Message = KindCanceled, "Stopped."
	case connect.CodeUnauthenticated:
		out.Kind = KindSignedOut
		if msg == "" || strings.Contains(strings.ToLower(msg), "token") || strings.Contains(strings.ToLower(msg), "credential") {
			out.Message = "Your session has ended. Sign in again."
		}
	case connect.CodePermissionDenied:
		out.Kind = KindForbidden
		if msg == "" {
			out.Message = "Your role in this workspace does not allow that."
		}
	case connect.CodeNotFound:
		out.Kind = KindNotFound
		if msg == "" || msg == "Not found." {
			out.Message = "It no longer exists, or you can no longer see it."
		}
	case connect.CodeFailedPrecondition:
		out.Kind = KindConflict
		if reason == "RESYNC_REQUIRED" {
			out.Kind = KindResync
		}
	case connect.CodeAlreadyExists, connect.CodeAborted:
		out.Kind = KindConflict
	case connect.CodeInvalidArgument, connect.CodeOutOfRange:
		out.Kind = KindInvalid
	case connect.CodeResourceExhausted:
		out.Kind = KindTimeout
		if msg == "" {
			out.Message = "The server is busy. Try again in a moment."
		}
	default:
		out.Kind, out.Message = KindInternal, "Something went wrong on the server. Try again in a moment."
	}
	if out.Message == "" {
		out.Message = "Something went wrong. Try again."
	}
	return out
}

func offline(err error) *Error {
	return &Error{Kind: KindOffline, Message: "Can't reach the Tandem server. Check your connection; your work is kept and sent when it's back.", cause: err}
}

// isTransport reports whether an Unavailable error came from the network
// rather than from the server (connect-go uses Unavailable for both).
func isTransport(ce *connect.Error) bool {
	var ne net.Error
	if errors.As(ce, &ne) {
		return true
	}
	m := strings.ToLower(ce.Message())
	for _, s := range []string{"connection refused", "no such host", "connection reset", "eof", "dial tcp", "broken pipe", "network is unreachable"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// sentence capitalizes a server message and ends it with a period.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
