package workspace

import "github.com/tandem-inbox/tandem/backend/internal/apperr"

// Domain errors.
var (
	ErrInviteInvalid  = apperr.New(apperr.NotFound, "this invitation is invalid, expired or already used")
	ErrSignInToAccept = apperr.New(apperr.Unauthenticated, "an account with the invited email exists: sign in to it, then accept the invitation")
	ErrInviteForOther = apperr.New(apperr.PermissionDenied, "this invitation is for another account: sign in as the invited email to accept it")
	ErrAlreadyMember  = apperr.New(apperr.AlreadyExists, "this person is already a member of the workspace")
	ErrLastOwner      = apperr.New(apperr.FailedPrecondition, "a workspace needs at least one owner; make someone else owner first")
	ErrRoleTooHigh    = apperr.Invalid("role", "cannot be higher than your own role")
	ErrOutranked      = apperr.New(apperr.PermissionDenied, "this member's role is higher than yours")
	ErrNotMember      = apperr.Invalid("user_id", "is not a member of this workspace")
	ErrGroupNameTaken = apperr.New(apperr.AlreadyExists, "a group with this name already exists")
	ErrAlreadyInGroup = apperr.New(apperr.AlreadyExists, "this member is already in the group")
	ErrNotInGroup     = apperr.New(apperr.NotFound, "this member is not in the group")
)
