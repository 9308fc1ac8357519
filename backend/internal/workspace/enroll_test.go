package workspace_test

import (
	"errors"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// TestEnroll (issue 15 item 21) creates accounts as the setup link and
// `tandemd user create` do: the first owner with a new workspace (only
// while no account exists), members of an existing workspace by name or
// id, and refuses bad input naming the field.
func TestEnroll(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		var first workspace.Workspace
		n := len(storetest.Events(t, db))
		owner, w, err := e.svc.Enroll(e.Ctx, workspace.Enrollment{Email: " Founder@Example.test ", DisplayName: "Fay Founder",
			Password: servicetest.Password, Workspace: "Acme Support", FirstUser: true})
		if err != nil {
			t.Fatal(err)
		}
		first = w
		if owner.Email != "founder@example.test" || owner.DisplayName != "Fay Founder" || w.Name != "Acme Support" {
			t.Fatalf("enrolled %+v in %+v", owner, w)
		}
		if role, err := e.svc.Role(e.Ctx, w.ID, owner.ID); err != nil || role != access.RoleOwner {
			t.Fatalf("founder's role = %q, %v; want owner", role, err)
		}
		if got := storetest.Events(t, db)[n:]; len(got) != 2 || got[0].Type != events.WorkspaceCreated || got[1].Type != events.MemberAdded {
			t.Fatalf("events = %+v, want workspace.created and member.added", got)
		}
		if _, err := e.Accounts.Login(e.Ctx, "founder@example.test", servicetest.Password, ""); err != nil {
			t.Fatalf("the enrolled owner cannot sign in: %v", err)
		}

		// The setup link makes only the first account.
		_, _, err = e.svc.Enroll(e.Ctx, workspace.Enrollment{Email: "second@example.test", Password: servicetest.Password, Workspace: "Other", FirstUser: true})
		if !errors.Is(err, workspace.ErrSetupDone) {
			t.Fatalf("second first user: %v, want ErrSetupDone", err)
		}
		if storetest.Count(t, db, "users", "email = ?", "second@example.test") != 0 {
			t.Fatal("the refused setup left an account behind")
		}

		// An agent joins the workspace by name, an admin by id.
		for _, tc := range []struct {
			email, ws string
			role      access.Role
		}{{"agent@example.test", "Acme Support", access.RoleAgent}, {"admin@example.test", first.ID, access.RoleAdmin}} {
			u, w, err := e.svc.Enroll(e.Ctx, workspace.Enrollment{Email: tc.email, Password: servicetest.Password, Workspace: tc.ws, Role: tc.role})
			if err != nil || w.ID != first.ID {
				t.Fatalf("%s: %v in %+v", tc.email, err, w)
			}
			if role, err := e.svc.Role(e.Ctx, first.ID, u.ID); err != nil || role != tc.role {
				t.Fatalf("%s: role %q, %v; want %q", tc.email, role, err, tc.role)
			}
		}
		// No workspace: an account that may create its own.
		if _, w, err := e.svc.Enroll(e.Ctx, workspace.Enrollment{Email: "loner@example.test", Password: servicetest.Password}); err != nil || w.ID != "" {
			t.Fatalf("no workspace: %+v, %v", w, err)
		}

		for _, tc := range []struct {
			name  string
			e     workspace.Enrollment
			field string
			kind  apperr.Kind
		}{
			{"bad email", workspace.Enrollment{Email: "not an email", Password: servicetest.Password}, "email", apperr.InvalidArgument},
			{"weak password", workspace.Enrollment{Email: "weak@example.test", Password: "short"}, "password", apperr.InvalidArgument},
			{"role without workspace", workspace.Enrollment{Email: "r@example.test", Password: servicetest.Password, Role: access.RoleAgent}, "role", apperr.InvalidArgument},
			{"unknown role", workspace.Enrollment{Email: "r@example.test", Password: servicetest.Password, Workspace: "Acme Support", Role: "boss"}, "role", apperr.InvalidArgument},
			{"agent of no workspace", workspace.Enrollment{Email: "r@example.test", Password: servicetest.Password, Workspace: "Nowhere", Role: access.RoleAgent}, "workspace", apperr.InvalidArgument},
			{"taken email", workspace.Enrollment{Email: "agent@example.test", Password: servicetest.Password}, "", apperr.AlreadyExists},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.svc.Enroll(e.Ctx, tc.e)
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != tc.kind || ae.Field != tc.field {
					t.Fatalf("err = %v, want %v naming %q", err, tc.kind, tc.field)
				}
			})
		}
		if storetest.Count(t, db, "users", "email = ?", "r@example.test") != 0 {
			t.Fatal("a refused enrollment left an account behind")
		}

		// Two workspaces of one name: the name is ambiguous, the id is not.
		if _, err := e.svc.Create(e.Ctx, &access.Principal{Kind: access.KindUser, UserID: owner.ID}, "Acme Support"); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Enroll(e.Ctx, workspace.Enrollment{Email: "amb@example.test", Password: servicetest.Password, Workspace: "Acme Support", Role: access.RoleAgent})
		if !apperr.Is(err, apperr.InvalidArgument) {
			t.Fatalf("ambiguous name: %v, want InvalidArgument", err)
		}
	})
}
