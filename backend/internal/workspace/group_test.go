package workspace_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, owner2 := e.User(t, "owner"), e.User(t, "owner2")
		w, w2 := e.workspace(t, owner), e.workspace(t, owner2)
		agent := e.member(t, w, owner, "agent", access.RoleAgent)
		stranger := e.member(t, w2, owner2, "stranger", access.RoleAgent)
		create := func(w workspace.Workspace, actor account.User, name string) func() error {
			return func() error {
				_, err := e.svc.CreateGroup(e.Ctx, servicetest.As(actor), servicetest.Scope(w, access.RoleOwner), name, "", 0)
				return err
			}
		}

		t.Run("names", func(t *testing.T) {
			e.ok(t, create(w, owner, "Sales"), events.GroupCreated)
			e.refused(t, workspace.ErrGroupNameTaken, create(w, owner, "Sales"))
			e.ok(t, create(w2, owner2, "Sales"), events.GroupCreated) // names are per workspace
			support, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), "Support", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			taken := "Sales"
			e.refused(t, workspace.ErrGroupNameTaken, func() error {
				_, err := e.svc.UpdateGroup(e.Ctx, servicetest.As(owner), support.ID, &taken, nil, nil)
				return err
			})
		})

		g, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), "Billing", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		add := func(u string) func() error {
			return func() error { _, err := e.svc.AddGroupMember(e.Ctx, servicetest.As(owner), g.ID, u); return err }
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
			e.ok(t, add(agent.ID), events.GroupMemberAdded)
			e.refused(t, workspace.ErrAlreadyInGroup, add(agent.ID))
			e.ok(t, func() error {
				_, err := e.svc.RemoveGroupMember(e.Ctx, servicetest.As(owner), g.ID, agent.ID)
				return err
			}, events.GroupMemberRemoved)
			e.refused(t, workspace.ErrNotInGroup, func() error {
				_, err := e.svc.RemoveGroupMember(e.Ctx, servicetest.As(owner), g.ID, agent.ID)
				return err
			})
		})

		t.Run("removing a member empties their groups", func(t *testing.T) {
			leaver := e.member(t, w, owner, "leaver", access.RoleAgent)
			g2, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), "Returns", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			// The leaver is also in a group of the other workspace, which stays.
			e.join(t, w2, owner2, leaver, access.RoleAgent)
			other, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner2), servicetest.Scope(w2, access.RoleOwner), "Elsewhere", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{g.ID, g2.ID} {
				if _, err := e.svc.AddGroupMember(e.Ctx, servicetest.As(owner), id, leaver.ID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.svc.AddGroupMember(e.Ctx, servicetest.As(owner2), other.ID, leaver.ID); err != nil {
				t.Fatal(err)
			}
			e.ok(t, func() error {
				return e.svc.RemoveMember(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), leaver.ID)
			}, events.MemberRemoved)
			groups, _, err := e.svc.Groups(e.Ctx, w.ID, 0, "")
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
	t.Parallel()
	dialects := storetest.Dialects()
	if len(dialects) < 2 {
		storetest.Missing(t, "needs a second database ("+storetest.EnvMySQL+")")
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
		owner := e.User(t, "owner")
		for _, p := range pairs {
			w := e.workspace(t, owner)
			if _, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), p[0], "", 0); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), p[1], "", 0)
			answers[d] = append(answers[d], fmt.Sprintf("%q then %q: %v", p[0], p[1], err))
		}
	}
	if diff := cmp.Diff(answers[dialects[0]], answers[dialects[1]]); diff != "" {
		t.Errorf("group name uniqueness differs (-%s +%s):\n%s", dialects[0], dialects[1], diff)
	}
}

// pages lists every page of size, failing on a runaway or oversized page,
// and returns the keys in the order served.
