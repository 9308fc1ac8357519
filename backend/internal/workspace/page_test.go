package workspace_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

func pages[T any](t *testing.T, size int32, most int, list func(size int32, token string) ([]T, string, error), key func(T) string) []string {
	t.Helper()
	var (
		got   []string
		token string
	)
	for range most + 2 {
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
	t.Fatalf("more than %d pages for %d rows", most+2, most)
	return nil
}

// TestPagination pages through members, groups and workspaces with small
// page sizes, with rows that tie on their first sort key, and checks that
// every row comes exactly once, in order.
func TestPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, other := e.User(t, "owner"), e.User(t, "other")
		type row struct {
			at int64
			id string
		}
		var ws, ms []row
		w := e.workspace(t, owner)
		ws = append(ws, row{w.CreatedAt, w.ID})
		ms = append(ms, row{servicetest.T0.UnixMilli(), owner.ID})
		// Rows come three to a millisecond, so pages split ties.
		for i := range 7 {
			if i%3 == 0 {
				e.Clock.Advance(time.Millisecond)
			}
			u := e.member(t, w, owner, "member", access.RoleAgent)
			ms = append(ms, row{e.Clock.Now().UnixMilli(), u.ID})
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
			if _, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), servicetest.Scope(w, access.RoleOwner), name, "", 0); err != nil {
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
					return e.svc.Members(e.Ctx, w.ID, size, token)
				}, func(m workspace.Member) string { return m.UserID })
			}},
			{"groups", gs, func(t *testing.T, size int32) []string {
				return pages(t, size, len(gs), func(size int32, token string) ([]workspace.Group, string, error) {
					return e.svc.Groups(e.Ctx, w.ID, size, token)
				}, func(g workspace.Group) string { return g.Name })
			}},
			{"workspaces", ordered(ws), func(t *testing.T, size int32) []string {
				return pages(t, size, len(ws), func(size int32, token string) ([]workspace.Workspace, string, error) {
					return e.svc.List(e.Ctx, servicetest.As(owner), size, token)
				}, func(w workspace.Workspace) string { return w.ID })
			}},
		}
		for _, l := range lists {
			for _, size := range []int32{1, 2, 3, int32(len(l.want)) - 1, int32(len(l.want)), int32(len(l.want)) + 1, 0} { //nolint:gosec // a handful of fixture rows
				t.Run(fmt.Sprintf("%s by %d", l.name, size), func(t *testing.T) {
					if diff := cmp.Diff(l.want, l.got(t, size)); diff != "" {
						t.Errorf("rows served (-want +got):\n%s", diff)
					}
				})
			}
		}

		t.Run("forged token", func(t *testing.T) {
			if _, _, err := e.svc.Members(e.Ctx, w.ID, 2, "bm90IGEgdG9rZW4"); !servicetest.IsInvalid("page_token")(err) {
				t.Errorf("error = %v, want invalid page_token", err)
			}
		})
		t.Run("api key sees its one workspace", func(t *testing.T) {
			key := &access.Principal{Kind: access.KindAPIKey, UserID: owner.ID, WorkspaceID: w.ID, Role: access.RoleAgent}
			got := pages(t, 1, 1, func(size int32, token string) ([]workspace.Workspace, string, error) {
				return e.svc.List(e.Ctx, key, size, token)
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
	Type       events.Type
	Visibility events.Visibility
	Payload    map[string]string
}

// TestEventLog walks through every mutation of the service: each one that
// succeeds appends exactly its documented events, by its actor, in its
// workspace; each one refused appends nothing.
