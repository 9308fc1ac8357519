package canned

import "github.com/tandem-inbox/tandem/backend/internal/apperr"

// Domain errors.
var (
	ErrShortcutTaken   = apperr.New(apperr.AlreadyExists, "a canned response with this shortcut already exists")
	ErrSupervisorsOnly = apperr.New(apperr.PermissionDenied, "only supervisors, admins and owners can change workspace-wide canned responses")
	ErrPeopleOnly      = apperr.New(apperr.FailedPrecondition, "only a signed-in person can have personal canned responses")
	ErrNotConversation = apperr.Invalid("conversation_id", "is not a conversation of this workspace")
	errShortcut        = apperr.Invalid("shortcut", "must be 1 to 32 characters of a-z, 0-9, _ and -")
)
