package workspace_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

func TestInvites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.User(t, "owner")
		w := e.workspace(t, owner)
		accept := func(token, pw string) func() error {
			return func() error {
				_, _, err := e.svc.AcceptInvite(e.Ctx, nil, workspace.Acceptance{Token: token, DisplayName: "New Person", Password: pw})
				return err
			}
		}

		t.Run("single use", func(t *testing.T) {
			token := e.invite(t, w, owner, e.Email("new"), access.RoleSupervisor)
			var (
				got    workspace.Workspace
				issued account.Issued
			)
			added := e.ok(t, func() error {
				var err error
				got, issued, err = e.svc.AcceptInvite(e.Ctx, nil, workspace.Acceptance{Token: token, DisplayName: "New Person", Password: servicetest.Password})
				return err
			}, events.MemberAdded)
			if got.ID != w.ID || issued.User.DisplayName != "New Person" || e.roleOf(t, w, issued.User) != access.RoleSupervisor {
				t.Fatalf("accepted into %v as %v with role %q", got, issued.User, e.roleOf(t, w, issued.User))
			}
			if len(added) == 1 && added[0].ActorID != issued.User.ID {
				t.Errorf("member.added actor = %s, want the new member %s", added[0].ActorID, issued.User.ID)
			}
			if _, err := e.Accounts.AuthenticateSession(e.Ctx, issued.Token); err != nil {
				t.Errorf("the session opened by accepting does not work: %v", err)
			}
			e.refused(t, workspace.ErrInviteInvalid, accept(token, servicetest.Password))
		})

		t.Run("concurrent accepts", func(t *testing.T) {
			token := e.invite(t, w, owner, e.Email("new"), access.RoleAgent)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { errs[i] = accept(token, servicetest.Password)() })
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), workspace.ErrInviteInvalid) {
				t.Fatalf("errors %v and %v, want one success and one ErrInviteInvalid", errs[0], errs[1])
			}
		})

		t.Run("unknown token", func(t *testing.T) {
			forged, _ := access.NewSecret(access.PrefixInvite)
			e.refused(t, workspace.ErrInviteInvalid, accept(forged, servicetest.Password))
			e.refused(t, workspace.ErrInviteInvalid, accept("", servicetest.Password))
		})

		t.Run("expiry", func(t *testing.T) {
			for _, tc := range []struct {
				after time.Duration
				valid bool
			}{
				{0, true},
				{workspace.InviteTTL - time.Millisecond, true},
				{workspace.InviteTTL, false},
				{workspace.InviteTTL + 24*time.Hour, false},
			} {
				t.Run(tc.after.String(), func(t *testing.T) {
					e.Clock.Set(servicetest.T0)
					defer e.Clock.Set(servicetest.T0)
					token, expires, err := e.svc.Invite(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), e.Email("new"), access.RoleAgent)
					if err != nil {
						t.Fatal(err)
					}
					if want := servicetest.T0.Add(workspace.InviteTTL).UnixMilli(); expires != want {
						t.Errorf("expires at %d, want %d", expires, want)
					}
					e.Clock.Advance(tc.after)
					if tc.valid {
						e.ok(t, accept(token, servicetest.Password), events.MemberAdded)
					} else {
						e.refused(t, workspace.ErrInviteInvalid, accept(token, servicetest.Password))
					}
				})
			}
		})

		t.Run("inviter lost admin", func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				role   access.Role // the inviter's role, and the invitation's
				invite access.Role
				change func(inviter account.User) error
			}{
				{"demoted to supervisor", access.RoleAdmin, access.RoleAgent, func(u account.User) error {
					_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), u.ID, access.RoleSupervisor)
					return err
				}},
				{"removed", access.RoleAdmin, access.RoleAgent, func(u account.User) error {
					return e.svc.RemoveMember(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), u.ID)
				}},
				{"disabled", access.RoleAdmin, access.RoleAgent, func(u account.User) error {
					_, err := e.DB.ExecContext(e.Ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, servicetest.T0.UnixMilli(), u.ID)
					return err
				}},
				{"owner demoted below the invited role", access.RoleOwner, access.RoleOwner, func(u account.User) error {
					_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), u.ID, access.RoleAdmin)
					return err
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					inviter := e.member(t, w, owner, "inviter", tc.role)
					token, _, err := e.svc.Invite(e.Ctx, servicetest.As(inviter), servicetest.Scope(w, tc.role), e.Email("new"), tc.invite)
					if err != nil {
						t.Fatal(err)
					}
					if err := tc.change(inviter); err != nil {
						t.Fatal(err)
					}
					e.refused(t, workspace.ErrInviteInvalid, accept(token, servicetest.Password))
				})
			}
		})

		t.Run("existing account", func(t *testing.T) {
			u, other := e.User(t, "existing"), e.User(t, "other")
			token := e.invite(t, w, owner, strings.ToUpper(u.Email), access.RoleAgent)
			acceptAs := func(p *access.Principal, pw string) func() error {
				return func() error {
					_, _, err := e.svc.AcceptInvite(e.Ctx, p, workspace.Acceptance{Token: token, DisplayName: "Another Name", Password: pw})
					return err
				}
			}
			// Without signing in, even the right password does not join.
			e.refused(t, workspace.ErrSignInToAccept, acceptAs(nil, servicetest.Password))
			e.refused(t, workspace.ErrInviteForOther, acceptAs(servicetest.As(other), servicetest.Password))
			users := storetest.Count(t, db, "users", "")
			var issued account.Issued
			e.ok(t, func() error {
				var err error
				_, issued, err = e.svc.AcceptInvite(e.Ctx, servicetest.As(u), workspace.Acceptance{Token: token, DisplayName: "Another Name"})
				return err
			}, events.MemberAdded)
			if issued.User.ID != u.ID || issued.User.DisplayName != u.DisplayName || issued.Token != "" {
				t.Errorf("joined as %+v with token %q, want the existing account %+v unchanged and no new session", issued.User, issued.Token, u)
			}
			if n := storetest.Count(t, db, "users", ""); n != users {
				t.Errorf("%d users after accepting with an existing account, want %d", n, users)
			}
		})

		t.Run("existing disabled account", func(t *testing.T) {
			u := e.User(t, "disabled")
			storetest.MustExec(t, db, `UPDATE users SET disabled_at = ? WHERE id = ?`, servicetest.T0.UnixMilli(), u.ID)
			token := e.invite(t, w, owner, u.Email, access.RoleAgent)
			e.refused(t, workspace.ErrInviteInvalid, func() error {
				_, _, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(u), workspace.Acceptance{Token: token})
				return err
			})
		})

		t.Run("new account needs a real password", func(t *testing.T) {
			token := e.invite(t, w, owner, e.Email("new"), access.RoleAgent)
			e.refusedIf(t, "invalid password", servicetest.IsInvalid("password"), accept(token, "short"))
			e.ok(t, accept(token, servicetest.Password), events.MemberAdded) // the refusal did not use it up
		})
	})
}

// TestAlreadyMember checks inviting and accepting for someone who is
// already a member.
func TestAlreadyMember(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.User(t, "owner")
		w := e.workspace(t, owner)
		agent := e.member(t, w, owner, "agent", access.RoleAgent)

		e.refused(t, workspace.ErrAlreadyMember, func() error {
			_, _, err := e.svc.Invite(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), " "+strings.ToUpper(agent.Email), access.RoleAdmin)
			return err
		})

		// Two invitations for one person: the second is refused once the first is used.
		email := e.Email("twice")
		first, second := e.invite(t, w, owner, email, access.RoleAgent), e.invite(t, w, owner, email, access.RoleAdmin)
		_, issued, err := e.svc.AcceptInvite(e.Ctx, nil, workspace.Acceptance{Token: first, Password: servicetest.Password})
		if err != nil {
			t.Fatal(err)
		}
		e.refused(t, workspace.ErrAlreadyMember, func() error {
			_, _, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(issued.User), workspace.Acceptance{Token: second})
			return err
		})
	})
}

// TestGroups covers name uniqueness, membership of another workspace's
// users, and what removing a member does to their groups.
