package email

import "github.com/tandem-inbox/tandem/backend/internal/apperr"

// Domain errors.
var (
	ErrAddressTaken = apperr.New(apperr.AlreadyExists, "an email inbox with this support address already exists in this workspace")
	ErrTooMany      = apperr.Newf(apperr.ResourceExhausted, "a workspace has at most %d email inboxes", MaxInboxes)
	ErrNotGroup     = apperr.Invalid("group_id", "is not a group of this workspace")
)

// ErrUnknownRecipient answers an address that is no inbox's receiving
// address.
var ErrUnknownRecipient = apperr.New(apperr.NotFound, "no email inbox receives mail at this address")
