package workspace_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
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
	_, issued, err := e.svc.AcceptInvite(e.ctx, nil, workspace.Acceptance{Token: e.invite(t, w, owner, e.email(name), role),
		DisplayName: name, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return issued.User
}

// join brings an existing account into w.
func (e *env) join(t testing.TB, w workspace.Workspace, owner, u account.User, role access.Role) {
	t.Helper()
	if _, _, err := e.svc.AcceptInvite(e.ctx, as(u), workspace.Acceptance{Token: e.invite(t, w, owner, u.Email, role)}); err != nil {
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
