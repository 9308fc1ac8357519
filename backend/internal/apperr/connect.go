package apperr

import (
	"context"
	"database/sql/driver"
	"errors"
	"math"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
)

var codes = map[Kind]connect.Code{ //nolint:gochecknoglobals // read-only table
	Internal:           connect.CodeInternal,
	InvalidArgument:    connect.CodeInvalidArgument,
	NotFound:           connect.CodeNotFound,
	AlreadyExists:      connect.CodeAlreadyExists,
	PermissionDenied:   connect.CodePermissionDenied,
	Unauthenticated:    connect.CodeUnauthenticated,
	FailedPrecondition: connect.CodeFailedPrecondition,
	ResourceExhausted:  connect.CodeResourceExhausted,
	Unavailable:        connect.CodeUnavailable,
	Aborted:            connect.CodeAborted,
}

// DetailHeader carries an error's machine-readable reason (such as
// RESYNC_REQUIRED) in the error metadata.
const DetailHeader = "Tandem-Error-Reason"

// ToConnect maps err to the error a client sees: domain errors keep their
// public message and code; context errors become Canceled or
// DeadlineExceeded; anything else is an opaque Internal error. It also
// reports whether the error's cause should be logged as a server fault.
func ToConnect(err error) (*connect.Error, bool) {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce, ce.Code() == connect.CodeInternal || ce.Code() == connect.CodeUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		msg := e.Public
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		out := connect.NewError(codes[e.Kind], errors.New(msg))
		if e.Detail != "" {
			out.Meta().Set(DetailHeader, e.Detail)
		}
		var r retryAfter
		if errors.As(err, &r) {
			out.Meta().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(r.wait, time.Second).Seconds()))))
		}
		return out, e.Kind == Internal
	}
	var netErr net.Error
	switch {
	// Context errors first: context.DeadlineExceeded is also a net.Error.
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("the call was canceled")), false
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("the call took too long")), false
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &netErr), isConnLost(err):
		// The database is unreachable: the client may retry (with its
		// idempotency keys), so say Unavailable rather than Internal.
		return connect.NewError(connect.CodeUnavailable, errors.New("the service is temporarily unavailable; retry")), true
	case isLockTimeout(err):
		// A row stayed locked past the lock wait (something long holds
		// it): nothing was written, and a retry may find it free.
		return connect.NewError(connect.CodeUnavailable, errors.New("the data is busy; retry")), true
	case isDiskFull(err):
		// Nothing was written (the transaction rolled back); the operator
		// must make room, so it is logged as the server's fault too.
		return connect.NewError(connect.CodeResourceExhausted, errors.New("the server's disk is full; try again later")), true
	}
	return connect.NewError(connect.CodeInternal, errors.New("internal error")), true
}

// isDiskFull recognizes a write refused for want of disk space: ENOSPC,
// SQLite's SQLITE_FULL and MySQL's table-full and disk-full errors, by
// their text (as isConnLost does) so that no driver is imported here.
func isDiskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "no space left on device") ||
		strings.Contains(msg, "Error 1114") || strings.Contains(msg, "Error 1021")
}

// isLockTimeout recognizes MySQL's lock wait timeout (and a deadlock whose
// retries ran out), by its text as isConnLost does.
func isLockTimeout(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Error 1205") || strings.Contains(msg, "Error 1213")
}

// isConnLost recognizes the MySQL driver's lost-connection error without
// importing the driver here.
func isConnLost(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "invalid connection") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "bad connection")
}

// RetryAfter adds to err (a refusal for a limit) how long the client
// should wait before trying again: the answer's Retry-After header, in
// whole seconds (at least one). errors.Is and errors.As see through it.
func RetryAfter(err error, wait time.Duration) error { return retryAfter{err, wait} }

type retryAfter struct {
	error
	wait time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }
