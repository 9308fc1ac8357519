package workspace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

const password = "correct horse battery"

// clock is the injected clock: it stands still until a test moves it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// t0 is where every test's clock starts.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// env is the workspace service on one fresh database, wired as server.New
// wires it, with a clock the test controls.
type env struct {
	ctx   context.Context
	db    *store.DB
	clock *clock
	acc   *account.Service
	svc   *workspace.Service
	n     int
}

func newEnv(db *store.DB) *env {
	c := &clock{now: t0}
	log := events.NewLog(db, nil, c.Now)
	acc := account.NewService(db, log, account.Options{Now: c.Now})
	return &env{ctx: context.Background(), db: db, clock: c, acc: acc,
		svc: workspace.NewService(db, log, acc, workspace.Options{Now: c.Now})}
}

// email returns an address no other in this env has.
func (e *env) email(name string) string {
	e.n++
	return fmt.Sprintf("%s%d@example.test", name, e.n)
}

// user creates an account that belongs to no workspace.
func (e *env) user(t testing.TB, name string) account.User {
	t.Helper()
	u, _, err := e.acc.EnsureUser(e.ctx, e.email(name), name, password)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// as is u calling with a session.
func as(u account.User) *access.Principal {
	return &access.Principal{Kind: access.KindUser, UserID: u.ID}
}

// scope is what authorization would establish for a caller with role r in w.
func scope(w workspace.Workspace, r access.Role) *access.Scope {
	return &access.Scope{WorkspaceID: w.ID, Role: r}
}

// workspace creates a workspace owned by u.
func (e *env) workspace(t testing.TB, u account.User) workspace.Workspace {
	t.Helper()
	w, err := e.svc.Create(e.ctx, as(u), "Shop "+u.DisplayName)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// invite has inviter (an owner of w) invite email with the role.
func (e *env) invite(t testing.TB, w workspace.Workspace, inviter account.User, email string, role access.Role) string {
	t.Helper()
	token, _, err := e.svc.Invite(e.ctx, as(inviter), scope(w, access.RoleOwner), email, role)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// member signs a new account up into w with the role, invited by owner.
func (e *env) member(t testing.TB, w workspace.Workspace, owner account.User, name string, role access.Role) account.User {
	t.Helper()
	_, issued, err := e.svc.AcceptInvite(e.ctx, e.invite(t, w, owner, e.email(name), role), name, password)
	if err != nil {
		t.Fatal(err)
	}
	return issued.User
}

// join brings an existing account into w.
func (e *env) join(t testing.TB, w workspace.Workspace, owner, u account.User, role access.Role) {
	t.Helper()
	if _, _, err := e.svc.AcceptInvite(e.ctx, e.invite(t, w, owner, u.Email, role), "", password); err != nil {
		t.Fatal(err)
	}
}

// roleOf is u's role in w, "" when u is not a member.
func (e *env) roleOf(t testing.TB, w workspace.Workspace, u account.User) access.Role {
	t.Helper()
	r, err := e.svc.Role(e.ctx, w.ID, u.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// eventRow is one row of the events table.
type eventRow struct {
	WorkspaceID string            `db:"workspace_id"`
	Seq         int64             `db:"seq"`
	Type        string            `db:"type"`
	ActorKind   string            `db:"actor_kind"`
	ActorID     string            `db:"actor_id"`
	Visibility  events.Visibility `db:"visibility"`
	Payload     []byte            `db:"payload"`
}

// events is the whole log.
func (e *env) events(t testing.TB) []eventRow {
	t.Helper()
	var rows []eventRow
	if err := e.db.SelectContext(e.ctx, &rows, `SELECT workspace_id, seq, type, actor_kind, actor_id, visibility, payload
		FROM events ORDER BY workspace_id, seq`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// record runs fn and returns the events it appended, in order.
func (e *env) record(t *testing.T, fn func() error) ([]eventRow, error) {
	t.Helper()
	before := map[string]bool{}
	for _, r := range e.events(t) {
		before[fmt.Sprint(r.WorkspaceID, r.Seq)] = true
	}
	err := fn()
	var added []eventRow
	for _, r := range e.events(t) {
		if !before[fmt.Sprint(r.WorkspaceID, r.Seq)] {
			added = append(added, r)
		}
	}
	return added, err
}

// ok runs fn, which must succeed, and checks that it appended events of
// exactly these types, in this order; it returns them.
func (e *env) ok(t *testing.T, fn func() error, types ...string) []eventRow {
	t.Helper()
	added, err := e.record(t, fn)
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := []string{}
	for _, r := range added {
		got = append(got, r.Type)
	}
	if types == nil {
		types = []string{}
	}
	if diff := cmp.Diff(types, got); diff != "" {
		t.Errorf("appended events (-want +got):\n%s", diff)
	}
	return added
}

// refused runs fn, which must fail with want, and checks that it wrote nothing.
func (e *env) refused(t *testing.T, want error, fn func() error) {
	t.Helper()
	e.refusedIf(t, want.Error(), func(err error) bool { return errors.Is(err, want) }, fn)
}

func (e *env) refusedIf(t *testing.T, want string, match func(error) bool, fn func() error) {
	t.Helper()
	before := e.snapshot(t)
	if err := fn(); !match(err) {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a refused call changed the database (-before +after):\n%s", diff)
	}
}

// snapshot is every row of every table, for checking that nothing changed;
// SELECT * so that a column added later is covered too.
func (e *env) snapshot(t testing.TB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"users", "sessions", "workspaces", "members", "invites", "api_keys",
		"agent_groups", "group_members", "events"} {
		rows, err := e.db.QueryxContext(e.ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = []string{}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				if b, ok := v.([]byte); ok {
					m[k] = string(b)
				}
			}
			out[table] = append(out[table], fmt.Sprint(m))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		sort.Strings(out[table])
	}
	return out
}

// isInvalid matches an InvalidArgument error naming the field.
func isInvalid(field string) func(error) bool {
	return func(err error) bool {
		var ae *apperr.Error
		return errors.As(err, &ae) && ae.Kind == apperr.InvalidArgument && ae.Field == field
	}
}

// TestLastOwner checks that a workspace always keeps an owner.
func TestLastOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.user(t, "owner")
		cases := []struct {
			name string
			call func(w workspace.Workspace) error
		}{
			{"demote to admin", func(w workspace.Workspace) error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), scope(w, access.RoleOwner), owner.ID, access.RoleAdmin)
				return err
			}},
			{"demote to agent", func(w workspace.Workspace) error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), scope(w, access.RoleOwner), owner.ID, access.RoleAgent)
				return err
			}},
			{"remove", func(w workspace.Workspace) error {
				return e.svc.RemoveMember(e.ctx, as(owner), scope(w, access.RoleOwner), owner.ID)
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
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), scope(w, access.RoleOwner), owner.ID, access.RoleAdmin)
				return err
			}, "member.role_changed")
			e.refused(t, workspace.ErrLastOwner, func() error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(second), scope(w, access.RoleOwner), second.ID, access.RoleAgent)
				return err
			})
			e.refused(t, workspace.ErrLastOwner, func() error {
				return e.svc.RemoveMember(e.ctx, as(second), scope(w, access.RoleOwner), second.ID)
			})
			e.ok(t, func() error {
				return e.svc.RemoveMember(e.ctx, as(second), scope(w, access.RoleOwner), owner.ID)
			}, "member.removed")
		})
	})
}

// TestLastOwnerConcurrent has the two owners of a workspace demote (or
// remove) each other at the same moment, several times: exactly one wins.
func TestLastOwnerConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		ops := []struct {
			name string
			call func(w workspace.Workspace, actor, target account.User) error
		}{
			{"demote", func(w workspace.Workspace, actor, target account.User) error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(actor), scope(w, access.RoleOwner), target.ID, access.RoleAdmin)
				return err
			}},
			{"remove", func(w workspace.Workspace, actor, target account.User) error {
				return e.svc.RemoveMember(e.ctx, as(actor), scope(w, access.RoleOwner), target.ID)
			}},
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				a := e.user(t, "a")
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
					} else if _, err := e.svc.UpdateMemberRole(e.ctx, as(winner), scope(w, access.RoleOwner), loser.ID, access.RoleOwner); err != nil {
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
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.user(t, "owner")
		w := e.workspace(t, owner)
		admin := e.member(t, w, owner, "admin", access.RoleAdmin)
		sc := scope(w, access.RoleAdmin)
		setRole := func(u account.User, r access.Role) func() error {
			return func() error { _, err := e.svc.UpdateMemberRole(e.ctx, as(admin), sc, u.ID, r); return err }
		}
		to := func(r access.Role) func(account.User) func() error {
			return func(u account.User) func() error { return setRole(u, r) }
		}
		remove := func(u account.User) func() error {
			return func() error { return e.svc.RemoveMember(e.ctx, as(admin), sc, u.ID) }
		}
		cases := []struct {
			name string
			call func(target account.User) func() error
			role access.Role // the target's role before the call
			want error       // nil: allowed
			// the event of an allowed call, and the target's role after it
			event string
			after access.Role
		}{
			{"make an agent owner", to(access.RoleOwner), access.RoleAgent, workspace.ErrRoleTooHigh, "", ""},
			{"make an admin owner", to(access.RoleOwner), access.RoleAdmin, workspace.ErrRoleTooHigh, "", ""},
			{"demote an owner", to(access.RoleAdmin), access.RoleOwner, workspace.ErrOutranked, "", ""},
			{"set an owner's role to owner", to(access.RoleOwner), access.RoleOwner, workspace.ErrRoleTooHigh, "", ""},
			{"remove an owner", remove, access.RoleOwner, workspace.ErrOutranked, "", ""},
			{"invite an owner", func(u account.User) func() error {
				return func() error {
					_, _, err := e.svc.Invite(e.ctx, as(admin), sc, e.email("new"), access.RoleOwner)
					return err
				}
			}, access.RoleAgent, workspace.ErrRoleTooHigh, "", ""},
			{"promote an agent to admin", to(access.RoleAdmin), access.RoleAgent, nil, "member.role_changed", access.RoleAdmin},
			{"demote another admin", to(access.RoleAgent), access.RoleAdmin, nil, "member.role_changed", access.RoleAgent},
			{"remove another admin", remove, access.RoleAdmin, nil, "member.removed", ""},
			{"remove an agent", remove, access.RoleAgent, nil, "member.removed", ""},
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
			e.refused(t, apperr.ErrNotFound, setRole(e.user(t, "stranger"), access.RoleAgent))
			e.refused(t, apperr.ErrNotFound, remove(e.user(t, "stranger")))
		})
	})
}

// TestInvites covers the life of an invitation: single use, expiry, the
// inviter's current role, and accepting with an existing account.
func TestInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.user(t, "owner")
		w := e.workspace(t, owner)
		accept := func(token, pw string) func() error {
			return func() error { _, _, err := e.svc.AcceptInvite(e.ctx, token, "New Person", pw); return err }
		}

		t.Run("single use", func(t *testing.T) {
			token := e.invite(t, w, owner, e.email("new"), access.RoleSupervisor)
			var (
				got    workspace.Workspace
				issued account.Issued
			)
			added := e.ok(t, func() error {
				var err error
				got, issued, err = e.svc.AcceptInvite(e.ctx, token, "New Person", password)
				return err
			}, "member.added")
			if got.ID != w.ID || issued.User.DisplayName != "New Person" || e.roleOf(t, w, issued.User) != access.RoleSupervisor {
				t.Fatalf("accepted into %v as %v with role %q", got, issued.User, e.roleOf(t, w, issued.User))
			}
			if len(added) == 1 && added[0].ActorID != issued.User.ID {
				t.Errorf("member.added actor = %s, want the new member %s", added[0].ActorID, issued.User.ID)
			}
			if _, err := e.acc.AuthenticateSession(e.ctx, issued.Token); err != nil {
				t.Errorf("the session opened by accepting does not work: %v", err)
			}
			e.refused(t, workspace.ErrInviteInvalid, accept(token, password))
		})

		t.Run("concurrent accepts", func(t *testing.T) {
			token := e.invite(t, w, owner, e.email("new"), access.RoleAgent)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { errs[i] = accept(token, password)() })
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), workspace.ErrInviteInvalid) {
				t.Fatalf("errors %v and %v, want one success and one ErrInviteInvalid", errs[0], errs[1])
			}
		})

		t.Run("unknown token", func(t *testing.T) {
			forged, _ := access.NewSecret(access.PrefixInvite)
			e.refused(t, workspace.ErrInviteInvalid, accept(forged, password))
			e.refused(t, workspace.ErrInviteInvalid, accept("", password))
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
					e.clock.Set(t0)
					defer e.clock.Set(t0)
					token, expires, err := e.svc.Invite(e.ctx, as(owner), scope(w, access.RoleOwner), e.email("new"), access.RoleAgent)
					if err != nil {
						t.Fatal(err)
					}
					if want := t0.Add(workspace.InviteTTL).UnixMilli(); expires != want {
						t.Errorf("expires at %d, want %d", expires, want)
					}
					e.clock.Advance(tc.after)
					if tc.valid {
						e.ok(t, accept(token, password), "member.added")
					} else {
						e.refused(t, workspace.ErrInviteInvalid, accept(token, password))
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
					_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), scope(w, access.RoleOwner), u.ID, access.RoleSupervisor)
					return err
				}},
				{"removed", access.RoleAdmin, access.RoleAgent, func(u account.User) error {
					return e.svc.RemoveMember(e.ctx, as(owner), scope(w, access.RoleOwner), u.ID)
				}},
				{"disabled", access.RoleAdmin, access.RoleAgent, func(u account.User) error {
					_, err := e.db.ExecContext(e.ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, t0.UnixMilli(), u.ID)
					return err
				}},
				{"owner demoted below the invited role", access.RoleOwner, access.RoleOwner, func(u account.User) error {
					_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), scope(w, access.RoleOwner), u.ID, access.RoleAdmin)
					return err
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					inviter := e.member(t, w, owner, "inviter", tc.role)
					token, _, err := e.svc.Invite(e.ctx, as(inviter), scope(w, tc.role), e.email("new"), tc.invite)
					if err != nil {
						t.Fatal(err)
					}
					if err := tc.change(inviter); err != nil {
						t.Fatal(err)
					}
					e.refused(t, workspace.ErrInviteInvalid, accept(token, password))
				})
			}
		})

		t.Run("existing account", func(t *testing.T) {
			u := e.user(t, "existing")
			token := e.invite(t, w, owner, strings.ToUpper(u.Email), access.RoleAgent)
			e.refused(t, account.ErrBadCredentials, accept(token, "not the password"))
			e.refused(t, account.ErrBadCredentials, accept(token, ""))
			users := storetest.Count(t, db, "users", "")
			var issued account.Issued
			e.ok(t, func() error {
				var err error
				_, issued, err = e.svc.AcceptInvite(e.ctx, token, "Another Name", password)
				return err
			}, "member.added")
			if issued.User.ID != u.ID || issued.User.DisplayName != u.DisplayName {
				t.Errorf("joined as %+v, want the existing account %+v unchanged", issued.User, u)
			}
			if n := storetest.Count(t, db, "users", ""); n != users {
				t.Errorf("%d users after accepting with an existing account, want %d", n, users)
			}
		})

		t.Run("existing disabled account", func(t *testing.T) {
			u := e.user(t, "disabled")
			storetest.MustExec(t, db, `UPDATE users SET disabled_at = ? WHERE id = ?`, t0.UnixMilli(), u.ID)
			e.refused(t, account.ErrBadCredentials, accept(e.invite(t, w, owner, u.Email, access.RoleAgent), password))
		})

		t.Run("new account needs a real password", func(t *testing.T) {
			token := e.invite(t, w, owner, e.email("new"), access.RoleAgent)
			e.refusedIf(t, "invalid password", isInvalid("password"), accept(token, "short"))
			e.ok(t, accept(token, password), "member.added") // the refusal did not use it up
		})
	})
}

// TestAlreadyMember checks inviting and accepting for someone who is
// already a member.
func TestAlreadyMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner := e.user(t, "owner")
		w := e.workspace(t, owner)
		agent := e.member(t, w, owner, "agent", access.RoleAgent)

		e.refused(t, workspace.ErrAlreadyMember, func() error {
			_, _, err := e.svc.Invite(e.ctx, as(owner), scope(w, access.RoleOwner), " "+strings.ToUpper(agent.Email), access.RoleAdmin)
			return err
		})

		// Two invitations for one person: the second is refused once the first is used.
		email := e.email("twice")
		first, second := e.invite(t, w, owner, email, access.RoleAgent), e.invite(t, w, owner, email, access.RoleAdmin)
		if _, _, err := e.svc.AcceptInvite(e.ctx, first, "", password); err != nil {
			t.Fatal(err)
		}
		e.refused(t, workspace.ErrAlreadyMember, func() error {
			_, _, err := e.svc.AcceptInvite(e.ctx, second, "", password)
			return err
		})
	})
}

// TestGroups covers name uniqueness, membership of another workspace's
// users, and what removing a member does to their groups.
func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, owner2 := e.user(t, "owner"), e.user(t, "owner2")
		w, w2 := e.workspace(t, owner), e.workspace(t, owner2)
		agent := e.member(t, w, owner, "agent", access.RoleAgent)
		stranger := e.member(t, w2, owner2, "stranger", access.RoleAgent)
		create := func(w workspace.Workspace, actor account.User, name string) func() error {
			return func() error {
				_, err := e.svc.CreateGroup(e.ctx, as(actor), scope(w, access.RoleOwner), name, "")
				return err
			}
		}

		t.Run("names", func(t *testing.T) {
			e.ok(t, create(w, owner, "Sales"), "group.created")
			e.refused(t, workspace.ErrGroupNameTaken, create(w, owner, "Sales"))
			e.ok(t, create(w2, owner2, "Sales"), "group.created") // names are per workspace
			support, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), "Support", "")
			if err != nil {
				t.Fatal(err)
			}
			taken := "Sales"
			e.refused(t, workspace.ErrGroupNameTaken, func() error {
				_, err := e.svc.UpdateGroup(e.ctx, as(owner), support.ID, &taken, nil)
				return err
			})
		})

		g, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), "Billing", "")
		if err != nil {
			t.Fatal(err)
		}
		add := func(u string) func() error {
			return func() error { _, err := e.svc.AddGroupMember(e.ctx, as(owner), g.ID, u); return err }
		}

		t.Run("members of another workspace", func(t *testing.T) {
			e.refused(t, workspace.ErrNotMember, add(stranger.ID))
			e.refused(t, workspace.ErrNotMember, add(owner2.ID))
			e.refused(t, workspace.ErrNotMember, add("00000000-0000-0000-0000-000000000000"))
			if n := storetest.Count(t, db, "group_members", "user_id IN (?, ?)", stranger.ID, owner2.ID); n != 0 {
				t.Fatalf("%d group rows for outsiders", n)
			}
		})

		t.Run("add and remove", func(t *testing.T) {
			e.ok(t, add(agent.ID), "group.member_added")
			e.refused(t, workspace.ErrAlreadyInGroup, add(agent.ID))
			e.ok(t, func() error { _, err := e.svc.RemoveGroupMember(e.ctx, as(owner), g.ID, agent.ID); return err }, "group.member_removed")
			e.refused(t, workspace.ErrNotInGroup, func() error {
				_, err := e.svc.RemoveGroupMember(e.ctx, as(owner), g.ID, agent.ID)
				return err
			})
		})

		t.Run("removing a member empties their groups", func(t *testing.T) {
			leaver := e.member(t, w, owner, "leaver", access.RoleAgent)
			g2, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), "Returns", "")
			if err != nil {
				t.Fatal(err)
			}
			// The leaver is also in a group of the other workspace, which stays.
			e.join(t, w2, owner2, leaver, access.RoleAgent)
			other, err := e.svc.CreateGroup(e.ctx, as(owner2), scope(w2, access.RoleOwner), "Elsewhere", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{g.ID, g2.ID} {
				if _, err := e.svc.AddGroupMember(e.ctx, as(owner), id, leaver.ID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.svc.AddGroupMember(e.ctx, as(owner2), other.ID, leaver.ID); err != nil {
				t.Fatal(err)
			}
			e.ok(t, func() error {
				return e.svc.RemoveMember(e.ctx, as(owner), scope(w, access.RoleOwner), leaver.ID)
			}, "member.removed")
			groups, _, err := e.svc.Groups(e.ctx, w.ID, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, gr := range groups {
				if slices.Contains(gr.MemberIDs, leaver.ID) {
					t.Errorf("removed member still in group %q", gr.Name)
				}
			}
			if n := storetest.Count(t, db, "group_members", "workspace_id = ? AND user_id = ?", w.ID, leaver.ID); n != 0 {
				t.Errorf("%d group_members rows left for the removed member", n)
			}
			if n := storetest.Count(t, db, "group_members", "group_id = ? AND user_id = ?", other.ID, leaver.ID); n != 1 {
				t.Errorf("the other workspace's group lost the member")
			}
		})
	})
}

// TestGroupNamesAgreeAcrossDialects creates the same pairs of group names on
// every database and checks that each database gives the same answer.
func TestGroupNamesAgreeAcrossDialects(t *testing.T) {
	dialects := storetest.Dialects()
	if len(dialects) < 2 {
		t.Skipf("needs a second database (%s)", storetest.EnvMySQL)
	}
	pairs := [][2]string{
		{"Sales", "Sales"},
		{"Sales", "sales"},
		{"Sales", "Sales "},
		{"Sales", " Sales"},
		{"Café", "Cafe"},
	}
	answers := map[string][]string{}
	for _, d := range dialects {
		e := newEnv(storetest.New(t, d))
		owner := e.user(t, "owner")
		for _, p := range pairs {
			w := e.workspace(t, owner)
			if _, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), p[0], ""); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), p[1], "")
			answers[d] = append(answers[d], fmt.Sprintf("%q then %q: %v", p[0], p[1], err))
		}
	}
	if diff := cmp.Diff(answers[dialects[0]], answers[dialects[1]]); diff != "" {
		t.Errorf("group name uniqueness differs (-%s +%s):\n%s", dialects[0], dialects[1], diff)
	}
}

// pages lists every page of size, failing on a runaway or oversized page,
// and returns the keys in the order served.
func pages[T any](t *testing.T, size int32, max int, list func(size int32, token string) ([]T, string, error), key func(T) string) []string {
	t.Helper()
	var (
		got   []string
		token string
	)
	for range max + 2 {
		page, next, err := list(size, token)
		if err != nil {
			t.Fatalf("page after %q: %v", token, err)
		}
		if size > 0 && len(page) > int(size) {
			t.Fatalf("page of %d rows for size %d", len(page), size)
		}
		for _, r := range page {
			got = append(got, key(r))
		}
		if next == "" {
			return got
		}
		if len(page) == 0 {
			t.Fatalf("empty page with a next token")
		}
		token = next
	}
	t.Fatalf("more than %d pages for %d rows", max+2, max)
	return nil
}

// TestPagination pages through members, groups and workspaces with small
// page sizes, with rows that tie on their first sort key, and checks that
// every row comes exactly once, in order.
func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, other := e.user(t, "owner"), e.user(t, "other")
		type row struct {
			at int64
			id string
		}
		var ws, ms []row
		w := e.workspace(t, owner)
		ws = append(ws, row{w.CreatedAt, w.ID})
		ms = append(ms, row{t0.UnixMilli(), owner.ID})
		// Rows come three to a millisecond, so pages split ties.
		for i := range 7 {
			if i%3 == 0 {
				e.clock.Advance(time.Millisecond)
			}
			u := e.member(t, w, owner, "member", access.RoleAgent)
			ms = append(ms, row{e.clock.Now().UnixMilli(), u.ID})
			mine := e.workspace(t, owner)
			ws = append(ws, row{mine.CreatedAt, mine.ID})
			if i%2 == 0 { // and some the owner joined rather than created
				theirs := e.workspace(t, other)
				e.join(t, theirs, other, owner, access.RoleAgent)
				ws = append(ws, row{theirs.CreatedAt, theirs.ID})
			}
		}
		var gs []string
		for _, name := range []string{"Sales", "billing", "Billing", "Ops 2", "Ops", "Zoë", "Zoe", "returns"} {
			if _, err := e.svc.CreateGroup(e.ctx, as(owner), scope(w, access.RoleOwner), name, ""); err != nil {
				t.Fatal(err)
			}
			gs = append(gs, name)
		}
		ordered := func(rs []row) []string {
			slices.SortFunc(rs, func(a, b row) int {
				if a.at != b.at {
					return int(a.at - b.at)
				}
				return strings.Compare(a.id, b.id)
			})
			out := make([]string, len(rs))
			for i, r := range rs {
				out[i] = r.id
			}
			return out
		}
		slices.Sort(gs) // byte order, which both databases' binary collations follow
		lists := []struct {
			name string
			want []string
			got  func(t *testing.T, size int32) []string
		}{
			{"members", ordered(ms), func(t *testing.T, size int32) []string {
				return pages(t, size, len(ms), func(size int32, token string) ([]workspace.Member, string, error) {
					return e.svc.Members(e.ctx, w.ID, size, token)
				}, func(m workspace.Member) string { return m.UserID })
			}},
			{"groups", gs, func(t *testing.T, size int32) []string {
				return pages(t, size, len(gs), func(size int32, token string) ([]workspace.Group, string, error) {
					return e.svc.Groups(e.ctx, w.ID, size, token)
				}, func(g workspace.Group) string { return g.Name })
			}},
			{"workspaces", ordered(ws), func(t *testing.T, size int32) []string {
				return pages(t, size, len(ws), func(size int32, token string) ([]workspace.Workspace, string, error) {
					return e.svc.List(e.ctx, as(owner), size, token)
				}, func(w workspace.Workspace) string { return w.ID })
			}},
		}
		for _, l := range lists {
			for _, size := range []int32{1, 2, 3, int32(len(l.want)) - 1, int32(len(l.want)), int32(len(l.want)) + 1, 0} {
				t.Run(fmt.Sprintf("%s by %d", l.name, size), func(t *testing.T) {
					if diff := cmp.Diff(l.want, l.got(t, size)); diff != "" {
						t.Errorf("rows served (-want +got):\n%s", diff)
					}
				})
			}
		}

		t.Run("forged token", func(t *testing.T) {
			if _, _, err := e.svc.Members(e.ctx, w.ID, 2, "bm90IGEgdG9rZW4"); !isInvalid("page_token")(err) {
				t.Errorf("error = %v, want invalid page_token", err)
			}
		})
		t.Run("api key sees its one workspace", func(t *testing.T) {
			key := &access.Principal{Kind: access.KindAPIKey, UserID: owner.ID, WorkspaceID: w.ID, Role: access.RoleAgent}
			got := pages(t, 1, 1, func(size int32, token string) ([]workspace.Workspace, string, error) {
				return e.svc.List(e.ctx, key, size, token)
			}, func(w workspace.Workspace) string { return w.ID })
			if diff := cmp.Diff([]string{w.ID}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	})
}

// wantEvent is what an event row must say; "*" in the payload matches any
// non-empty value.
type wantEvent struct {
	Type       string
	Visibility events.Visibility
	Payload    map[string]string
}

// TestEventLog walks through every mutation of the service: each one that
// succeeds appends exactly its documented events, by its actor, in its
// workspace; each one refused appends nothing.
func TestEventLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, joiner := e.user(t, "owner"), e.user(t, "joiner")
		var (
			w      workspace.Workspace
			g      workspace.Group
			token  string
			name   = "Renamed"
			gname  = "Sales & Billing"
			ownerS = func() *access.Scope { return scope(w, access.RoleOwner) }
		)
		steps := []struct {
			name  string
			actor account.User
			call  func() error
			want  error // nil: must succeed
			// events expected of a successful call (none for a no-op)
			events func() []wantEvent
		}{
			{"create workspace", owner, func() error {
				var err error
				w, err = e.svc.Create(e.ctx, as(owner), "Acme")
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{
					{"workspace.created", events.Agents, map[string]string{"name": "Acme"}},
					{"member.added", events.Agents, map[string]string{"user_id": owner.ID, "role": "owner"}},
				}
			}},
			{"rename workspace", owner, func() error { _, err := e.svc.Update(e.ctx, as(owner), w.ID, &name); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{"workspace.updated", events.Agents, map[string]string{"name": name}}}
				}},
			{"rename to the same name", owner, func() error { _, err := e.svc.Update(e.ctx, as(owner), w.ID, &name); return err }, nil, nil},
			{"update nothing", owner, func() error { _, err := e.svc.Update(e.ctx, as(owner), w.ID, nil); return err }, nil, nil},
			{"invite", owner, func() error {
				var err error
				token, _, err = e.svc.Invite(e.ctx, as(owner), ownerS(), joiner.Email, access.RoleAgent)
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{"member.invited", events.Admins, map[string]string{"invite_id": "*", "email": joiner.Email, "role": "agent"}}}
			}},
			{"accept", joiner, func() error { _, _, err := e.svc.AcceptInvite(e.ctx, token, "", password); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{"member.added", events.Agents, map[string]string{"user_id": joiner.ID, "role": "agent", "invite_id": "*"}}}
				}},
			{"accept again", joiner, func() error { _, _, err := e.svc.AcceptInvite(e.ctx, token, "", password); return err }, workspace.ErrInviteInvalid, nil},
			{"invite a member", owner, func() error {
				_, _, err := e.svc.Invite(e.ctx, as(owner), ownerS(), joiner.Email, access.RoleAgent)
				return err
			}, workspace.ErrAlreadyMember, nil},
			{"change role", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), ownerS(), joiner.ID, access.RoleSupervisor)
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{"member.role_changed", events.Agents, map[string]string{"user_id": joiner.ID, "from": "agent", "role": "supervisor"}}}
			}},
			{"set the same role", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), ownerS(), joiner.ID, access.RoleSupervisor)
				return err
			}, nil, nil},
			{"demote the last owner", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.ctx, as(owner), ownerS(), owner.ID, access.RoleAdmin)
				return err
			}, workspace.ErrLastOwner, nil},
			{"create group", owner, func() error {
				var err error
				g, err = e.svc.CreateGroup(e.ctx, as(owner), ownerS(), "Sales", "")
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{"group.created", events.Agents, map[string]string{"group_id": g.ID, "name": "Sales"}}}
			}},
			{"create a taken group name", owner, func() error {
				_, err := e.svc.CreateGroup(e.ctx, as(owner), ownerS(), "Sales", "")
				return err
			}, workspace.ErrGroupNameTaken, nil},
			{"update group", owner, func() error { _, err := e.svc.UpdateGroup(e.ctx, as(owner), g.ID, &gname, nil); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{"group.updated", events.Agents, map[string]string{"group_id": g.ID, "name": gname}}}
				}},
			{"add group member", owner, func() error { _, err := e.svc.AddGroupMember(e.ctx, as(owner), g.ID, joiner.ID); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{"group.member_added", events.Agents, map[string]string{"group_id": g.ID, "user_id": joiner.ID}}}
				}},
			{"add again", owner, func() error { _, err := e.svc.AddGroupMember(e.ctx, as(owner), g.ID, joiner.ID); return err }, workspace.ErrAlreadyInGroup, nil},
			{"remove group member", owner, func() error { _, err := e.svc.RemoveGroupMember(e.ctx, as(owner), g.ID, joiner.ID); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{"group.member_removed", events.Agents, map[string]string{"group_id": g.ID, "user_id": joiner.ID}}}
				}},
			{"remove again", owner, func() error { _, err := e.svc.RemoveGroupMember(e.ctx, as(owner), g.ID, joiner.ID); return err }, workspace.ErrNotInGroup, nil},
			{"delete group", owner, func() error { return e.svc.DeleteGroup(e.ctx, as(owner), g.ID) }, nil,
				func() []wantEvent {
					return []wantEvent{{"group.deleted", events.Agents, map[string]string{"group_id": g.ID}}}
				}},
			{"delete again", owner, func() error { return e.svc.DeleteGroup(e.ctx, as(owner), g.ID) }, apperr.ErrNotFound, nil},
			{"remove member", owner, func() error { return e.svc.RemoveMember(e.ctx, as(owner), ownerS(), joiner.ID) }, nil,
				func() []wantEvent {
					return []wantEvent{{"member.removed", events.Agents, map[string]string{"user_id": joiner.ID}}}
				}},
			{"remove again", owner, func() error { return e.svc.RemoveMember(e.ctx, as(owner), ownerS(), joiner.ID) }, apperr.ErrNotFound, nil},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				if s.want != nil {
					e.refused(t, s.want, s.call)
					return
				}
				added, err := e.record(t, s.call)
				if err != nil {
					t.Fatal(err)
				}
				var want, got []wantEvent
				if s.events != nil {
					want = s.events()
				}
				for i, r := range added {
					if r.WorkspaceID != w.ID || r.ActorKind != events.ActorUser || r.ActorID != s.actor.ID {
						t.Errorf("event %s in workspace %s by %s %s, want %s by user %s",
							r.Type, r.WorkspaceID, r.ActorKind, r.ActorID, w.ID, s.actor.ID)
					}
					var payload map[string]string
					if err := json.Unmarshal(r.Payload, &payload); err != nil {
						t.Errorf("payload %s: %v", r.Payload, err)
					}
					if i < len(want) {
						for k, v := range want[i].Payload {
							if v == "*" && payload[k] != "" {
								payload[k] = "*"
							}
						}
					}
					got = append(got, wantEvent{r.Type, r.Visibility, payload})
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("appended events (-want +got):\n%s", diff)
				}
			})
		}
	})
}
