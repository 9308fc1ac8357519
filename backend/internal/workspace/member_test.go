package workspace_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

func TestLastOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.User(t, "owner")
		cases := []struct {
			name string
			call func(w workspace.Workspace) error
		}{
			{"demote to admin", func(w workspace.Workspace) error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), owner.ID, access.RoleAdmin)
				return err
			}},
			{"demote to agent", func(w workspace.Workspace) error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), owner.ID, access.RoleAgent)
				return err
			}},
			{"remove", func(w workspace.Workspace) error {
				return e.svc.RemoveMember(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), owner.ID)
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := e.workspace(t, owner)
				e.member(t, w, owner, "admin", access.RoleAdmin) // another admin is not another owner
				e.refused(t, workspace.ErrLastOwner, func() error { return tc.call(w) })
			})
		}

		t.Run("one of two steps down", func(t *testing.T) {
			w := e.workspace(t, owner)
			second := e.member(t, w, owner, "second", access.RoleOwner)
			e.ok(t, func() error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), owner.ID, access.RoleAdmin)
				return err
			}, events.MemberRoleChanged)
			e.refused(t, workspace.ErrLastOwner, func() error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(second), servicetest.Scope(w, access.RoleOwner), second.ID, access.RoleAgent)
				return err
			})
			e.refused(t, workspace.ErrLastOwner, func() error {
				return e.svc.RemoveMember(e.Ctx, servicetest.As(second), servicetest.Scope(w, access.RoleOwner), second.ID)
			})
			e.ok(t, func() error {
				return e.svc.RemoveMember(e.Ctx, servicetest.As(second), servicetest.Scope(w, access.RoleOwner), owner.ID)
			}, events.MemberRemoved)
		})
	})
}

// TestLastOwnerConcurrent has the two owners of a workspace demote (or
// remove) each other at the same moment, several times: exactly one wins.
func TestLastOwnerConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		ops := []struct {
			name string
			call func(w workspace.Workspace, actor, target account.User) error
		}{
			{"demote", func(w workspace.Workspace, actor, target account.User) error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(actor), servicetest.Scope(w, access.RoleOwner), target.ID, access.RoleAdmin)
				return err
			}},
			{"remove", func(w workspace.Workspace, actor, target account.User) error {
				return e.svc.RemoveMember(e.Ctx, servicetest.As(actor), servicetest.Scope(w, access.RoleOwner), target.ID)
			}},
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				a := e.User(t, "a")
				w := e.workspace(t, a)
				b := e.member(t, w, a, "b", access.RoleOwner)
				for round := range 4 {
					eventsBefore := len(e.events(t))
					start := make(chan struct{})
					errs := make([]error, 2)
					var wg sync.WaitGroup
					for i, pair := range [][2]account.User{{a, b}, {b, a}} {
						wg.Go(func() {
							<-start
							errs[i] = op.call(w, pair[0], pair[1])
						})
					}
					close(start)
					wg.Wait()
					if (errs[0] == nil) == (errs[1] == nil) {
						t.Fatalf("round %d: errors %v and %v, want exactly one success", round, errs[0], errs[1])
					}
					winner, loser := a, b
					if errs[0] != nil {
						winner, loser = b, a
					}
					if lost := errors.Join(errs...); !errors.Is(lost, workspace.ErrLastOwner) {
						t.Fatalf("round %d: the losing call failed with %v, want ErrLastOwner", round, lost)
					}
					if r := e.roleOf(t, w, winner); r != access.RoleOwner {
						t.Fatalf("round %d: the winner's role is %q", round, r)
					}
					if r := e.roleOf(t, w, loser); r == access.RoleOwner {
						t.Fatalf("round %d: both are still owners", round)
					}
					if n := len(e.events(t)) - eventsBefore; n != 1 {
						t.Fatalf("round %d: %d events appended, want 1", round, n)
					}
					// Make the loser an owner again for the next round.
					if op.name == "remove" {
						e.join(t, w, winner, loser, access.RoleOwner)
					} else if _, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(winner), servicetest.Scope(w, access.RoleOwner), loser.ID, access.RoleOwner); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	})
}

// TestAdminLimits checks that an admin neither grants more than admin nor
// touches an owner, and may manage everyone else.
func TestAdminLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.User(t, "owner")
		w := e.workspace(t, owner)
		admin := e.member(t, w, owner, "admin", access.RoleAdmin)
		sc := servicetest.Scope(w, access.RoleAdmin)
		setRole := func(u account.User, r access.Role) func() error {
			return func() error { _, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(admin), sc, u.ID, r); return err }
		}
		to := func(r access.Role) func(account.User) func() error {
			return func(u account.User) func() error { return setRole(u, r) }
		}
		remove := func(u account.User) func() error {
			return func() error { return e.svc.RemoveMember(e.Ctx, servicetest.As(admin), sc, u.ID) }
		}
		cases := []struct {
			name string
			call func(target account.User) func() error
			role access.Role // the target's role before the call
			want error       // nil: allowed
			// the event of an allowed call, and the target's role after it
			event events.Type
			after access.Role
		}{
			{"make an agent owner", to(access.RoleOwner), access.RoleAgent, workspace.ErrRoleTooHigh, "", ""},
			{"make an admin owner", to(access.RoleOwner), access.RoleAdmin, workspace.ErrRoleTooHigh, "", ""},
			{"demote an owner", to(access.RoleAdmin), access.RoleOwner, workspace.ErrOutranked, "", ""},
			{"set an owner's role to owner", to(access.RoleOwner), access.RoleOwner, workspace.ErrRoleTooHigh, "", ""},
			{"remove an owner", remove, access.RoleOwner, workspace.ErrOutranked, "", ""},
			{"invite an owner", func(account.User) func() error {
				return func() error {
					_, _, err := e.svc.Invite(e.Ctx, servicetest.As(admin), sc, e.Email("new"), access.RoleOwner)
					return err
				}
			}, access.RoleAgent, workspace.ErrRoleTooHigh, "", ""},
			{"promote an agent to admin", to(access.RoleAdmin), access.RoleAgent, nil, events.MemberRoleChanged, access.RoleAdmin},
			{"demote another admin", to(access.RoleAgent), access.RoleAdmin, nil, events.MemberRoleChanged, access.RoleAgent},
			{"remove another admin", remove, access.RoleAdmin, nil, events.MemberRemoved, ""},
			{"remove an agent", remove, access.RoleAgent, nil, events.MemberRemoved, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				target := e.member(t, w, owner, "target", tc.role)
				if tc.want != nil {
					e.refused(t, tc.want, tc.call(target))
					tc.after = tc.role
				} else {
					e.ok(t, tc.call(target), tc.event)
				}
				if r := e.roleOf(t, w, target); r != tc.after {
					t.Errorf("target's role is %q, want %q", r, tc.after)
				}
			})
		}
		t.Run("unknown member", func(t *testing.T) {
			e.refused(t, apperr.ErrNotFound, setRole(e.User(t, "stranger"), access.RoleAgent))
			e.refused(t, apperr.ErrNotFound, remove(e.User(t, "stranger")))
		})
	})
}

// TestInvites covers the life of an invitation: single use, expiry, the
// inviter's current role, and accepting with an existing account.
