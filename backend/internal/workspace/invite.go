package workspace

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// MaxInviteFailures is how many failed attempts kill an invitation (per
// replica): accepting it signed in as another account, or without signing
// in for an email that has an account.
const MaxInviteFailures = 5

// Invite creates a single-use invitation for the email, with a role no
// higher than the inviter's, and returns its token.
func (s *Service) Invite(ctx context.Context, actor *access.Principal, scope *access.Scope, email string, role access.Role) (string, int64, error) {
	if role.Rank() > scope.Role.Rank() {
		return "", 0, ErrRoleTooHigh
	}
	email = account.NormalizeEmail(email)
	token, hash := access.NewSecret(access.PrefixInvite)
	now := s.now()
	inv := Invite{ID: uuid.NewString(), WorkspaceID: scope.WorkspaceID, Email: email, Role: role, TokenHash: hash,
		InvitedBy: actor.UserID, CreatedAt: store.NowMillis(now), ExpiresAt: store.NowMillis(now.Add(InviteTTL))}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var existing int
		if err := tx.GetContext(ctx, &existing, `SELECT COUNT(*) FROM members m JOIN users u ON u.id = m.user_id
			WHERE m.workspace_id = ? AND u.email = ?`, scope.WorkspaceID, email); err != nil {
			return fmt.Errorf("check member: %w", err)
		}
		if existing > 0 {
			return ErrAlreadyMember
		}
		if err := insertInvite(ctx, tx, &inv); err != nil {
			return fmt.Errorf("insert invite: %w", err)
		}
		return s.appendEvent(ctx, tx, scope.WorkspaceID, actor, events.MemberInvited, events.Admins,
			map[string]string{"invite_id": inv.ID, "email": email, "role": string(role)})
	})
	if err != nil {
		return "", 0, err
	}
	return token, inv.ExpiresAt, nil
}

// Acceptance is an AcceptInvite request.
type Acceptance struct {
	Token string
	// DisplayName and Password make the account when the invited email has
	// none; they are ignored otherwise.
	DisplayName string
	Password    string
	// ClientIP is the caller's address, for the attempt limits.
	ClientIP string
}

// AcceptInvite joins the invitation's workspace. When the invited email has
// an account, the caller must be signed in as it: no password is checked
// here and no session is opened, so an invitation is never a way to guess
// someone's password. Otherwise the account is created with the display
// name and password (checked against the policy and hashed before the
// transaction) and a session for it is returned. Attempts go through the
// account service's credential limits, and an invitation dies after
// MaxInviteFailures failed ones.
func (s *Service) AcceptInvite(ctx context.Context, actor *access.Principal, a Acceptance) (Workspace, account.Issued, error) {
	inv, err := inviteByHash(ctx, s.db, access.HashSecret(a.Token), "")
	if err != nil || !s.live(inv) {
		if err != nil && !store.ErrNoRows(err) {
			return Workspace{}, account.Issued{}, fmt.Errorf("find invite: %w", err)
		}
		// An unknown token guesses nothing, but it still costs the client.
		if _, err := s.accounts.Attempt(ctx, "", a.ClientIP); err != nil {
			return Workspace{}, account.Issued{}, err
		}
		return Workspace{}, account.Issued{}, ErrInviteInvalid
	}
	// Anonymous attempts count against the invited account from this
	// client; a signed-in caller's against themselves, so that someone
	// hammering the invitation does not hold up its rightful owner.
	key := account.PairKey(inv.Email, a.ClientIP)
	if actor != nil && actor.Kind == access.KindUser {
		key = "accept-invite|" + actor.UserID
	}
	done, err := s.accounts.Attempt(ctx, key, a.ClientIP)
	if err != nil {
		return Workspace{}, account.Issued{}, err
	}
	existing, err := s.accounts.UserByEmail(ctx, inv.Email)
	switch {
	case err == nil:
		if actor == nil || actor.Kind != access.KindUser {
			return Workspace{}, account.Issued{}, s.refuse(ctx, inv, ErrSignInToAccept)
		}
		if actor.UserID != existing.ID {
			return Workspace{}, account.Issued{}, s.refuse(ctx, inv, ErrInviteForOther)
		}
		w, err := s.joinTx(ctx, a.Token, func(context.Context, *store.Tx, Invite) (account.User, error) {
			if existing.DisabledAt != 0 {
				return account.User{}, ErrInviteInvalid
			}
			return existing, nil
		})
		if err == nil {
			done(true)
		}
		return w, account.Issued{User: existing}, err
	case !errors.Is(err, apperr.ErrNotFound):
		return Workspace{}, account.Issued{}, err
	}
	// No account has the email: whoever holds the token (signed in or not)
	// makes it, as the invitation's email proves nothing more either way.
	hash, err := s.accounts.HashNewPassword(ctx, "password", a.Password, inv.Email, a.DisplayName)
	if err != nil {
		return Workspace{}, account.Issued{}, err
	}
	var issued account.Issued
	w, err := s.joinTx(ctx, a.Token, func(ctx context.Context, tx *store.Tx, inv Invite) (account.User, error) {
		u, err := s.accounts.CreateUserTx(ctx, tx, inv.Email, a.DisplayName, hash)
		if errors.Is(err, account.ErrEmailTaken) { // made meanwhile: its owner signs in
			return account.User{}, ErrSignInToAccept
		}
		if err != nil {
			return account.User{}, err
		}
		issued, err = s.accounts.NewSessionTx(ctx, tx, u)
		return u, err
	})
	if err != nil {
		return Workspace{}, account.Issued{}, err
	}
	done(true)
	return w, issued, nil
}

func (s *Service) live(inv Invite) bool {
	return inv.AcceptedAt == 0 && inv.ExpiresAt > store.NowMillis(s.now())
}

// failed counts a failed attempt on the invitation, expiring it at the
// limit, and returns err.
func (s *Service) failed(ctx context.Context, inv Invite, err error) error {
	if s.failures.add(inv.ID) < MaxInviteFailures {
		return err
	}
	if e := expireInvite(ctx, s.db, inv.ID, store.NowMillis(s.now())); e != nil {
		return errors.Join(err, fmt.Errorf("expire invite %s: %w", inv.ID, e))
	}
	s.failures.forget(inv.ID)
	return err
}

// refuse refuses the invitation's acceptance with err, unless another
// acceptance used the invitation since it was read: the account this one
// found may be the one that acceptance made (two at once with the same
// link, a double click), and the invitation is no longer valid for anyone.
func (s *Service) refuse(ctx context.Context, inv Invite, err error) error {
	now, e := inviteByHash(ctx, s.db, inv.TokenHash, "")
	if e == nil && !s.live(now) {
		return ErrInviteInvalid
	}
	return s.failed(ctx, inv, err)
}

// joinTx re-reads the invitation under lock, checks that its inviter may
// still grant it, gets the joining user from who, and adds them, all in
// one transaction.
func (s *Service) joinTx(ctx context.Context, token string, who func(context.Context, *store.Tx, Invite) (account.User, error)) (Workspace, error) {
	var w Workspace
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		inv, err := inviteByHash(ctx, tx, access.HashSecret(token), tx.Dialect.ForUpdate())
		if store.ErrNoRows(err) {
			return ErrInviteInvalid
		}
		if err != nil {
			return fmt.Errorf("find invite: %w", err)
		}
		if !s.live(inv) {
			return ErrInviteInvalid
		}
		// The inviter's role may have dropped since: an invite never grants
		// more than its inviter holds now.
		inviterRole, err := liveRole(ctx, tx, inv.WorkspaceID, inv.InvitedBy)
		if store.ErrNoRows(err) || (err == nil && inviterRole.Rank() < inv.Role.Rank()) || (err == nil && !inviterRole.AtLeast(access.RoleAdmin)) {
			return ErrInviteInvalid
		}
		if err != nil {
			return fmt.Errorf("inviter role: %w", err)
		}
		u, err := who(ctx, tx, inv)
		if err != nil {
			return err
		}
		now := store.NowMillis(s.now())
		if err := insertMember(ctx, tx, inv.WorkspaceID, u.ID, inv.Role, now); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrAlreadyMember
			}
			return fmt.Errorf("insert member: %w", err)
		}
		if err := markInviteAccepted(ctx, tx, inv.ID, u.ID, now); err != nil {
			return fmt.Errorf("accept invite: %w", err)
		}
		if w, err = workspaceByID(ctx, tx, inv.WorkspaceID); err != nil {
			return fmt.Errorf("get workspace: %w", err)
		}
		actor := &access.Principal{Kind: access.KindUser, UserID: u.ID}
		return s.appendEvent(ctx, tx, inv.WorkspaceID, actor, events.MemberAdded, events.Agents,
			map[string]string{"user_id": u.ID, "role": string(inv.Role), "invite_id": inv.ID})
	})
	return w, err
}

// inviteFailures counts failed attempts per invitation on this replica.
type inviteFailures struct {
	mu sync.Mutex
	n  map[string]int
}

// maxTrackedInvites bounds the memory of the counts.
const maxTrackedInvites = 100_000

func newInviteFailures() *inviteFailures { return &inviteFailures{n: map[string]int{}} }

func (f *inviteFailures) add(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.n[id]; !ok && len(f.n) >= maxTrackedInvites {
		clear(f.n)
	}
	f.n[id]++
	return f.n[id]
}

func (f *inviteFailures) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.n, id)
}
