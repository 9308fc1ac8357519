// Package apperr carries domain errors to the edge. A domain returns an *Error
// with a Kind and a public message; one interceptor turns the Kind into a
// Connect code and logs the wrapped cause, which never reaches the client.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the client. Each maps to one Connect code.
type Kind int

// The kinds, in the order of their Connect codes.
const (
	Internal Kind = iota
	InvalidArgument
	NotFound
	AlreadyExists
	PermissionDenied
	Unauthenticated
	FailedPrecondition
	ResourceExhausted
	Unavailable
	Aborted
)

// Error is a domain error: what the client may read, and the cause it may not.
type Error struct {
	Kind Kind
	// Public is shown to the client.
	Public string
	// Field names the offending request field, if any.
	Field string
	// Detail is a machine-readable reason (for example "RESYNC_REQUIRED").
	Detail string
	cause  error
}

func (e *Error) Error() string {
	msg := e.Public
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.cause != nil {
		return msg + ": " + e.cause.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error of the kind with a public message.
func New(kind Kind, public string) *Error { return &Error{Kind: kind, Public: public} }

// Newf is New with formatting.
func Newf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Public: fmt.Sprintf(format, args...)}
}

// Invalid reports a bad request field.
func Invalid(field, public string) *Error {
	return &Error{Kind: InvalidArgument, Field: field, Public: public}
}

// Wrap returns an error of the kind whose cause is err; the cause is logged, not sent.
func Wrap(kind Kind, public string, err error) *Error {
	return &Error{Kind: kind, Public: public, cause: err}
}

// WithDetail sets a machine-readable reason.
func (e *Error) WithDetail(detail string) *Error {
	e.Detail = detail
	return e
}

// KindOf returns the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of the kind.
func Is(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}

// Common errors that domains share.
var (
	// ErrNotFound is the one answer for missing and foreign objects alike, so
	// that nobody learns whether another workspace's object exists.
	ErrNotFound = New(NotFound, "not found")
)
