package workspace_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// env is the workspace service on one fresh database, wired as server.New
// wires it, with a clock the test controls.
type env struct {
	*servicetest.Env
	svc *workspace.Service
}

func newEnv(db *store.DB) *env {
	e := servicetest.New(db, servicetest.Options{})
	return &env{Env: e, svc: e.Workspaces}
}

// workspace creates a workspace owned by u.
func (e *env) workspace(t testing.TB, u account.User) workspace.Workspace {
	t.Helper()
	w, err := e.svc.Create(e.Ctx, servicetest.As(u), "Shop "+u.DisplayName)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// invite has inviter (an owner of w) invite email with the role.
func (e *env) invite(t testing.TB, w workspace.Workspace, inviter account.User, email string, role access.Role) string {
	t.Helper()
	token, _, err := e.svc.Invite(e.Ctx, servicetest.As(inviter), servicetest.Scope(w, access.RoleOwner), email, role)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// member signs a new account up into w with the role, invited by owner.
func (e *env) member(t testing.TB, w workspace.Workspace, owner account.User, name string, role access.Role) account.User {
	t.Helper()
	_, issued, err := e.svc.AcceptInvite(e.Ctx, nil, workspace.Acceptance{Token: e.invite(t, w, owner, e.Email(name), role),
		DisplayName: name, Password: servicetest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return issued.User
}

// join brings an existing account into w.
func (e *env) join(t testing.TB, w workspace.Workspace, owner, u account.User, role access.Role) {
	t.Helper()
	if _, _, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(u), workspace.Acceptance{Token: e.invite(t, w, owner, u.Email, role)}); err != nil {
		t.Fatal(err)
	}
}

// roleOf is u's role in w, "" when u is not a member.
func (e *env) roleOf(t testing.TB, w workspace.Workspace, u account.User) access.Role {
	t.Helper()
	r, err := e.svc.Role(e.Ctx, w.ID, u.ID)
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
	Type        events.Type       `db:"type"`
	ActorKind   string            `db:"actor_kind"`
	ActorID     string            `db:"actor_id"`
	Visibility  events.Visibility `db:"visibility"`
	Payload     []byte            `db:"payload"`
}

// events is the whole log.
func (e *env) events(t testing.TB) []eventRow {
	t.Helper()
	var rows []eventRow
	if err := e.DB.SelectContext(e.Ctx, &rows, `SELECT workspace_id, seq, type, actor_kind, actor_id, visibility, payload
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
func (e *env) ok(t *testing.T, fn func() error, types ...events.Type) []eventRow {
	t.Helper()
	added, err := e.record(t, fn)
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := []events.Type{}
	for _, r := range added {
		got = append(got, r.Type)
	}
	if types == nil {
		types = []events.Type{}
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
	storetest.Refused(t, e.DB, func(err error) bool {
		if !match(err) {
			t.Logf("want %s", want)
		}
		return match(err)
	}, fn, everyTable()...)
}

// everyTable reads every row of the tables the workspace service could
// write: SELECT * so that a column added later is covered too.
func everyTable() []string {
	var queries []string
	for _, table := range []string{"users", "sessions", "workspaces", "members", "invites", "api_keys", "agent_groups", "group_members"} {
		queries = append(queries, "SELECT * FROM "+table)
	}
	return queries
}

// TestLastOwner checks that a workspace always keeps an owner.
