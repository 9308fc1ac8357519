package workspace_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// TestSecurityAcceptInviteNoOracle (issue 14 item 1): an invitation to an
// existing account checks no password and opens no session, whoever calls
// it and whatever they send; failed attempts kill it.
func TestSecurityAcceptInviteNoOracle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		attacker, victim := e.User(t, "attacker"), e.User(t, "victim")
		bait := e.workspace(t, attacker)
		token := e.invite(t, bait, attacker, victim.Email, access.RoleAgent)
		accept := func(p *access.Principal, pw string) func() error {
			return func() error {
				_, issued, err := e.svc.AcceptInvite(e.Ctx, p, workspace.Acceptance{Token: token, Password: pw, ClientIP: "203.0.113.9"})
				if issued.Token != "" {
					t.Errorf("an attempt with password %q returned a session", pw)
				}
				return err
			}
		}
		// The right password gets the same answer as a wrong one.
		e.refused(t, workspace.ErrSignInToAccept, accept(nil, servicetest.Password))
		e.refused(t, workspace.ErrSignInToAccept, accept(nil, "guess guess guess"))
		e.refused(t, workspace.ErrInviteForOther, accept(servicetest.As(attacker), servicetest.Password))
		for i := 3; i < workspace.MaxInviteFailures; i++ {
			if err := accept(nil, "guess guess guess")(); !errors.Is(err, workspace.ErrSignInToAccept) {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		// Dead now, even for the victim signed in.
		if err := accept(servicetest.As(victim), "")(); !errors.Is(err, workspace.ErrInviteInvalid) {
			t.Fatalf("accepting after %d failed attempts: %v, want ErrInviteInvalid", workspace.MaxInviteFailures, err)
		}
		if n := storetest.Count(t, db, "members", "user_id = ?", victim.ID); n != 0 {
			t.Errorf("the victim is in %d workspaces, want none", n)
		}
		if n := storetest.Count(t, db, "sessions", "user_id = ?", victim.ID); n != 0 {
			t.Errorf("the victim has %d sessions, want none", n)
		}

		// A fresh invitation accepted by the victim, signed in, joins them
		// without a new session.
		fresh := e.invite(t, bait, attacker, victim.Email, access.RoleAgent)
		e.ok(t, func() error {
			_, issued, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(victim), workspace.Acceptance{Token: fresh})
			if issued.Token != "" {
				t.Error("accepting signed in opened a session")
			}
			return err
		}, events.MemberAdded)
	})
}

// TestSecurityArgon2OutsideTx (issue 14 item 2): accepting an invitation
// for a new account hashes its password before its transaction, so other
// tenants' writes do not wait for argon2 (or for a hashing slot).
func TestSecurityArgon2OutsideTx(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hasher := access.NewHasher(1, 30*time.Second)
		log := events.NewLog(db, nil, nil)
		acc := account.NewService(db, log, account.Options{Hasher: hasher})
		svc := workspace.NewService(db, log, acc, workspace.Options{})
		ctx := context.Background()
		owner, _, err := acc.EnsureUser(ctx, "owner@example.test", "Owner", servicetest.Password)
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := acc.EnsureUser(ctx, "other@example.test", "Other", servicetest.Password)
		if err != nil {
			t.Fatal(err)
		}
		w, err := svc.Create(ctx, servicetest.As(owner), "Shop")
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := svc.Invite(ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), "new@example.test", access.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		release, err := hasher.Acquire(ctx) // every hashing slot taken
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan error, 1)
		go func() {
			_, _, err := svc.AcceptInvite(ctx, nil, workspace.Acceptance{Token: token, DisplayName: "New", Password: servicetest.Password})
			accepted <- err
		}()
		time.Sleep(200 * time.Millisecond) // the accept is waiting for its hash
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := svc.Create(wctx, servicetest.As(other), "Another shop"); err != nil {
			t.Errorf("another tenant's write while a password waits to be hashed: %v", err)
		}
		release()
		if err := <-accepted; err != nil {
			t.Fatalf("accept: %v", err)
		}
	})
}

// TestSecurityNameValidation (issue 14 item 18): workspace, group and
// display names refuse control characters, bidi overrides and blanks,
// naming the field, and write nothing.
func TestSecurityNameValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.User(t, "owner")
		w := e.workspace(t, owner)
		for _, bad := range []string{"", "   ", "\u00a0\u3000", "Shop\n", "Sh\top", "Shop\x00", "evil\u202Egnp.exe", "a\u2066b\u2069", "x\u202A"} {
			e.refusedIf(t, "invalid name", servicetest.IsInvalid("name"), func() error { _, err := e.svc.Create(e.Ctx, servicetest.As(owner), bad); return err })
			e.refusedIf(t, "invalid name", servicetest.IsInvalid("name"), func() error { _, err := e.svc.Update(e.Ctx, servicetest.As(owner), w.ID, &bad, nil); return err })
			e.refusedIf(t, "invalid name", servicetest.IsInvalid("name"), func() error {
				_, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), bad, "", 0)
				return err
			})
			if bad == "" {
				continue // an empty display name defaults to the email's local part
			}
			token := e.invite(t, w, owner, e.Email("new"), access.RoleAgent)
			e.refusedIf(t, "invalid display_name", servicetest.IsInvalid("display_name"), func() error {
				_, _, err := e.svc.AcceptInvite(e.Ctx, nil, workspace.Acceptance{Token: token, DisplayName: bad, Password: servicetest.Password})
				return err
			})
		}
		for _, good := range []string{"Café Ünïcode", "متجر", "店舗 1"} {
			if _, err := e.svc.Create(e.Ctx, servicetest.As(owner), good); err != nil {
				t.Errorf("Create(%q): %v", good, err)
			}
		}
	})
}

// TestSecurityWorkspaceLimit (issue 14 item 18): one user owns at most the
// configured number of workspaces.
func TestSecurityWorkspaceLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		e.svc = workspace.NewService(db, events.NewLog(db, nil, e.Clock.Now), e.Accounts, workspace.Options{Now: e.Clock.Now, MaxOwnedWorkspaces: 3})
		u, other := e.User(t, "busy"), e.User(t, "other")
		for range 3 {
			e.workspace(t, u)
		}
		e.refusedIf(t, "ResourceExhausted", func(err error) bool { return apperr.KindOf(err) == apperr.ResourceExhausted }, func() error {
			_, err := e.svc.Create(e.Ctx, servicetest.As(u), "One too many")
			return err
		})
		e.workspace(t, other) // others are not limited by u's count
	})
}
