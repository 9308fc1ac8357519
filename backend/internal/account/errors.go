package account

import "github.com/tandem-inbox/tandem/backend/internal/apperr"

// Domain errors.
var (
	// ErrBadCredentials answers a wrong email or password alike, so that a
	// login attempt does not reveal which accounts exist.
	ErrBadCredentials = apperr.New(apperr.Unauthenticated, "email or password is incorrect")
	// ErrTooManyAttempts answers logins beyond the rate limit.
	ErrTooManyAttempts = apperr.New(apperr.ResourceExhausted, "too many sign-in attempts; wait a minute and try again")
	// ErrSessionInvalid answers an unknown, expired or revoked credential.
	ErrSessionInvalid = apperr.New(apperr.Unauthenticated, "your session has expired or was revoked; sign in again")
	// ErrEmailTaken answers creating a user whose email is in use.
	ErrEmailTaken = apperr.New(apperr.AlreadyExists, "an account with this email already exists")
	// ErrKeyOutranks answers revoking an API key whose role is above the caller's.
	ErrKeyOutranks = apperr.New(apperr.PermissionDenied, "this API key's role is higher than yours")
)
