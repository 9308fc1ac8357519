package workspace_test

import (
	"encoding/json"
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

func TestEventLog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(db)
		owner, joiner := e.User(t, "owner"), e.User(t, "joiner")
		var (
			w      workspace.Workspace
			g      workspace.Group
			token  string
			name   = "Renamed"
			gname  = "Sales & Billing"
			ownerS = func() *access.Scope { return servicetest.Scope(w, access.RoleOwner) }
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
				w, err = e.svc.Create(e.Ctx, servicetest.As(owner), "Acme")
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{
					{events.WorkspaceCreated, events.Agents, map[string]string{"name": "Acme"}},
					{events.MemberAdded, events.Agents, map[string]string{"user_id": owner.ID, "role": "owner"}},
				}
			}},
			{"rename workspace", owner, func() error { _, err := e.svc.Update(e.Ctx, servicetest.As(owner), w.ID, &name, nil); return err }, nil,
				func() []wantEvent {
					return []wantEvent{{events.WorkspaceUpdated, events.Agents, map[string]string{"name": name}}}
				}},
			{"rotate widget secret", owner, func() error {
				_, err := e.svc.RotateWidgetSecret(e.Ctx, servicetest.As(owner), w.ID, false)
				return err
			}, nil,
				func() []wantEvent {
					return []wantEvent{{events.WorkspaceWidgetSecretRotated, events.Admins, map[string]string{"previous_expire_time_ms": "0"}}}
				}},
			{"rename to the same name", owner, func() error { _, err := e.svc.Update(e.Ctx, servicetest.As(owner), w.ID, &name, nil); return err }, nil, nil},
			{"update nothing", owner, func() error { _, err := e.svc.Update(e.Ctx, servicetest.As(owner), w.ID, nil, nil); return err }, nil, nil},
			{"invite", owner, func() error {
				var err error
				token, _, err = e.svc.Invite(e.Ctx, servicetest.As(owner), ownerS(), joiner.Email, access.RoleAgent)
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{events.MemberInvited, events.Admins, map[string]string{"invite_id": "*", "email": joiner.Email, "role": "agent"}}}
			}},
			{"accept", joiner, func() error {
				_, _, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(joiner), workspace.Acceptance{Token: token})
				return err
			}, nil,
				func() []wantEvent {
					return []wantEvent{{events.MemberAdded, events.Agents, map[string]string{"user_id": joiner.ID, "role": "agent", "invite_id": "*"}}}
				}},
			{"accept again", joiner, func() error {
				_, _, err := e.svc.AcceptInvite(e.Ctx, servicetest.As(joiner), workspace.Acceptance{Token: token})
				return err
			}, workspace.ErrInviteInvalid, nil},
			{"invite a member", owner, func() error {
				_, _, err := e.svc.Invite(e.Ctx, servicetest.As(owner), ownerS(), joiner.Email, access.RoleAgent)
				return err
			}, workspace.ErrAlreadyMember, nil},
			{"change role", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), ownerS(), joiner.ID, access.RoleSupervisor)
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{events.MemberRoleChanged, events.Agents, map[string]string{"user_id": joiner.ID, "from": "agent", "role": "supervisor"}}}
			}},
			{"set the same role", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), ownerS(), joiner.ID, access.RoleSupervisor)
				return err
			}, nil, nil},
			{"demote the last owner", owner, func() error {
				_, err := e.svc.UpdateMemberRole(e.Ctx, servicetest.As(owner), ownerS(), owner.ID, access.RoleAdmin)
				return err
			}, workspace.ErrLastOwner, nil},
			{"create group", owner, func() error {
				var err error
				g, err = e.svc.CreateGroup(e.Ctx, servicetest.As(owner), ownerS(), "Sales", "", 0)
				return err
			}, nil, func() []wantEvent {
				return []wantEvent{{events.GroupCreated, events.Agents, map[string]string{"group_id": g.ID, "name": "Sales"}}}
			}},
			{"create a taken group name", owner, func() error {
				_, err := e.svc.CreateGroup(e.Ctx, servicetest.As(owner), ownerS(), "Sales", "", 0)
				return err
			}, workspace.ErrGroupNameTaken, nil},
			{"update group", owner, func() error {
				_, err := e.svc.UpdateGroup(e.Ctx, servicetest.As(owner), g.ID, &gname, nil, nil)
				return err
			}, nil,
				func() []wantEvent {
					return []wantEvent{{events.GroupUpdated, events.Agents, map[string]string{"group_id": g.ID, "name": gname}}}
				}},
			{"add group member", owner, func() error {
				_, err := e.svc.AddGroupMember(e.Ctx, servicetest.As(owner), g.ID, joiner.ID)
				return err
			}, nil,
				func() []wantEvent {
					return []wantEvent{{events.GroupMemberAdded, events.Agents, map[string]string{"group_id": g.ID, "user_id": joiner.ID}}}
				}},
			{"add again", owner, func() error {
				_, err := e.svc.AddGroupMember(e.Ctx, servicetest.As(owner), g.ID, joiner.ID)
				return err
			}, workspace.ErrAlreadyInGroup, nil},
			{"remove group member", owner, func() error {
				_, err := e.svc.RemoveGroupMember(e.Ctx, servicetest.As(owner), g.ID, joiner.ID)
				return err
			}, nil,
				func() []wantEvent {
					return []wantEvent{{events.GroupMemberRemoved, events.Agents, map[string]string{"group_id": g.ID, "user_id": joiner.ID}}}
				}},
			{"remove again", owner, func() error {
				_, err := e.svc.RemoveGroupMember(e.Ctx, servicetest.As(owner), g.ID, joiner.ID)
				return err
			}, workspace.ErrNotInGroup, nil},
			{"delete group", owner, func() error { return e.svc.DeleteGroup(e.Ctx, servicetest.As(owner), g.ID) }, nil,
				func() []wantEvent {
					return []wantEvent{{events.GroupDeleted, events.Agents, map[string]string{"group_id": g.ID}}}
				}},
			{"delete again", owner, func() error { return e.svc.DeleteGroup(e.Ctx, servicetest.As(owner), g.ID) }, apperr.ErrNotFound, nil},
			{"remove member", owner, func() error { return e.svc.RemoveMember(e.Ctx, servicetest.As(owner), ownerS(), joiner.ID) }, nil,
				func() []wantEvent {
					return []wantEvent{{events.MemberRemoved, events.Agents, map[string]string{"user_id": joiner.ID}}}
				}},
			{"remove again", owner, func() error { return e.svc.RemoveMember(e.Ctx, servicetest.As(owner), ownerS(), joiner.ID) }, apperr.ErrNotFound, nil},
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
