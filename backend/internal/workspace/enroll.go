package workspace

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ErrSetupDone answers the setup link once any account exists.
var ErrSetupDone = apperr.New(apperr.FailedPrecondition, "this server has accounts already: sign in with one")

// Enrollment is an account an operator creates, not an invitation: the
// first owner through the setup link tandemd prints on its first start,
// or anyone through `tandemd user create`.
type Enrollment struct {
	Email, DisplayName, Password string
	// Workspace is the id or name of the workspace the user joins with
	// Role. A name no workspace has is created, owned by the user, when
	// Role is owner (the default). Empty: the user joins none (and may
	// create their own).
	Workspace string
	Role      access.Role
	// FirstUser refuses with ErrSetupDone when any account exists.
	FirstUser bool
}

// Enroll creates the user and their membership in one transaction; the
// password is checked against the policy and hashed before it.
func (s *Service) Enroll(ctx context.Context, e Enrollment) (account.User, Workspace, error) {
	e.Email = account.NormalizeEmail(e.Email)
	e.Workspace = strings.TrimSpace(e.Workspace)
	if a, err := mail.ParseAddress(e.Email); err != nil || a.Address != e.Email {
		return account.User{}, Workspace{}, apperr.Invalid("email", "is not an email address like you@example.com")
	}
	switch {
	case e.Workspace == "" && e.Role != "":
		return account.User{}, Workspace{}, apperr.Invalid("role", "needs a workspace to have it in")
	case e.Workspace != "" && e.Role == "":
		e.Role = access.RoleOwner
	case e.Role != "" && e.Role.Rank() == 0:
		return account.User{}, Workspace{}, apperr.Invalid("role", "must be owner, admin, supervisor or agent")
	}
	if e.Workspace != "" {
		if err := naming.Check("workspace", e.Workspace); err != nil {
			return account.User{}, Workspace{}, err
		}
	}
	hash, err := s.accounts.HashNewPassword(ctx, "password", e.Password, e.Email, e.DisplayName)
	if err != nil {
		return account.User{}, Workspace{}, err
	}
	var (
		u account.User
		w Workspace
	)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if e.FirstUser {
			exists, err := s.accounts.HasUsers(ctx, tx)
			if err != nil {
				return err
			}
			if exists {
				return ErrSetupDone
			}
		}
		var err error
		if u, err = s.accounts.CreateUserTx(ctx, tx, e.Email, e.DisplayName, hash); err != nil {
			return err
		}
		if e.Workspace == "" {
			return nil
		}
		actor := &access.Principal{Kind: access.KindUser, UserID: u.ID}
		w, err = s.findTx(ctx, tx, e.Workspace)
		switch {
		case store.ErrNoRows(err) && e.Role == access.RoleOwner:
			w, err = s.createTx(ctx, tx, actor, e.Workspace)
			return err
		case store.ErrNoRows(err):
			return apperr.Invalid("workspace", "no workspace has this id or name (the owner role creates one)")
		case err != nil:
			return err
		}
		if err := insertMember(ctx, tx, w.ID, u.ID, e.Role, store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("insert member: %w", err)
		}
		return s.appendEvent(ctx, tx, w.ID, nil, events.MemberAdded, events.Agents,
			map[string]string{"user_id": u.ID, "role": string(e.Role)})
	})
	if err != nil {
		return account.User{}, Workspace{}, err
	}
	return u, w, nil
}

// findTx returns the workspace with the id, else the one with the name;
// sql.ErrNoRows when none has either, InvalidArgument when several share
// the name.
func (s *Service) findTx(ctx context.Context, tx *store.Tx, idOrName string) (Workspace, error) {
	w, err := workspaceByID(ctx, tx, idOrName)
	if !store.ErrNoRows(err) {
		return w, err
	}
	named, err := workspacesByName(ctx, tx, idOrName)
	switch {
	case err != nil:
		return Workspace{}, fmt.Errorf("find workspace: %w", err)
	case len(named) > 1:
		return Workspace{}, apperr.Invalid("workspace", "several workspaces have this name: give the id of one")
	case len(named) == 1:
		return named[0], nil
	}
	return Workspace{}, sql.ErrNoRows
}
