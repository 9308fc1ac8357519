package canned_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

func TestCreateListSearch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sup, agent := servicetest.Scope(e.w1, access.RoleSupervisor), servicetest.Scope(e.w1, access.RoleAgent)
		ev := storetest.Appends(t, e.DB, events.CannedResponseCreated, func() error {
			r, err := e.svc.Create(e.Ctx, servicetest.As(e.sup), sup, "refund", "  Refund policy ", "Refunds take 5 days, {{customer.name}}.", false)
			if r.Title != "Refund policy" || r.OwnerUserID != "" || r.CreatedBy != e.sup.ID || r.CreatedAt != servicetest.T0.UnixMilli() {
				t.Errorf("created %+v", r)
			}
			return err
		})
		if ev.Visibility != events.Agents || ev.ActorKind != events.ActorUser || ev.ActorID != e.sup.ID ||
			!strings.Contains(ev.Payload, `"shortcut":"refund"`) {
			t.Errorf("event %+v", ev)
		}
		e.create(t, servicetest.As(e.owner), servicetest.Scope(e.w1, access.RoleOwner), "shipping", "Shipping times", "Parcels ship in 2 days; see your tracking_link.", false)
		e.create(t, e.adminKey, servicetest.Scope(e.w1, access.RoleAdmin), "discount_10", "10% off Éclairs", "Use code SAVE10.", false)
		mine := e.create(t, servicetest.As(e.agent), agent, "greeting", "Hello", "Hello! I'm {{agent.name}}.", true)
		if mine.OwnerUserID != e.agent.ID {
			t.Errorf("personal response owned by %q", mine.OwnerUserID)
		}
		e.create(t, servicetest.As(e.agent2), agent, "greeting", "Hi there", "Hi there!", true)
		e.create(t, e.w2Owner, servicetest.Scope(e.w2, access.RoleOwner), "refund", "Other shop", "Not yours.", false)

		for _, tt := range []struct {
			name  string
			p     *access.Principal
			query string
			want  []string
		}{
			{"agent sees workspace-wide and own", servicetest.As(e.agent), "", []string{"discount_10", "greeting@grace", "refund", "shipping"}},
			{"another agent sees theirs", servicetest.As(e.agent2), "", []string{"discount_10", "greeting@alan", "refund", "shipping"}},
			{"supervisor sees no one else's", servicetest.As(e.sup), "", []string{"discount_10", "refund", "shipping"}},
			{"API key sees workspace-wide", e.agentKey, "", []string{"discount_10", "refund", "shipping"}},
			{"shortcut prefix", servicetest.As(e.agent), "re", []string{"refund"}},
			{"not a shortcut infix", servicetest.As(e.agent), "count", []string{}},
			{"title, any case", servicetest.As(e.agent), "REFUND POL", []string{"refund"}},
			{"title, any case beyond ASCII", servicetest.As(e.agent), "ÉCLAIRS", []string{"discount_10"}},
			{"body text", servicetest.As(e.agent), "days", []string{"refund", "shipping"}},
			{"personal body", servicetest.As(e.agent), "i'm", []string{"greeting@grace"}},
			{"others' bodies are not searched", servicetest.As(e.agent2), "i'm", []string{}},
			{"percent is literal", servicetest.As(e.agent), "%", []string{"discount_10"}},
			{"underscore is literal", servicetest.As(e.agent), "s_ip", []string{}},
			{"underscore matches itself", servicetest.As(e.agent), "g_li", []string{"shipping"}},
			{"escape char is literal", servicetest.As(e.agent), "!", []string{"greeting@grace"}},
			{"spaces trimmed", servicetest.As(e.agent), "  ship ", []string{"shipping"}},
			{"variables are text", servicetest.As(e.agent), "{{customer", []string{"refund"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				for _, size := range []int32{0, 1, 3} {
					if diff := cmp.Diff(tt.want, e.shortcuts(t, tt.p, e.w1, tt.query, size)); diff != "" {
						t.Errorf("page size %d (-want +got):\n%s", size, diff)
					}
				}
			})
		}
		if _, _, err := e.svc.List(e.Ctx, servicetest.As(e.agent), e.w1.ID, "", 0, "garbage"); !servicetest.IsInvalid("page_token")(err) {
			t.Errorf("bad page token: %v", err)
		}
		if _, _, err := e.svc.List(e.Ctx, servicetest.As(e.agent), e.w1.ID, strings.Repeat("é", 101), 0, ""); !servicetest.IsInvalid("query")(err) {
			t.Errorf("long query: %v", err)
		}
		r, err := e.svc.Get(e.Ctx, servicetest.As(e.agent), agent, mine.ID)
		if err != nil || r != mine {
			t.Errorf("Get = %+v, %v; want %+v", r, err, mine)
		}
	})
}

func TestShortcutsAndFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sup, agent := servicetest.Scope(e.w1, access.RoleSupervisor), servicetest.Scope(e.w1, access.RoleAgent)
		e.create(t, servicetest.As(e.sup), sup, "refund", "Refund", "Workspace refund", false)
		shipping := e.create(t, servicetest.As(e.sup), sup, "shipping", "Shipping", "Ships soon", false)
		taken := servicetest.Is(apperr.AlreadyExists)
		e.refused(t, taken, func() error {
			_, err := e.svc.Create(e.Ctx, servicetest.As(e.owner), servicetest.Scope(e.w1, access.RoleOwner), "refund", "Again", "Again", false)
			return err
		})
		// Personal shortcuts are unique per owner, apart from the workspace's.
		e.create(t, servicetest.As(e.agent), agent, "refund", "My refund", "Mine", true)
		e.refused(t, taken, func() error {
			_, err := e.svc.Create(e.Ctx, servicetest.As(e.agent), agent, "refund", "My refund again", "Mine", true)
			return err
		})
		e.create(t, servicetest.As(e.agent2), agent, "refund", "Alan's refund", "His", true)
		e.create(t, servicetest.As(e.sup), sup, "refund", "Sam's own refund", "Sam's", true)
		e.create(t, e.w2Owner, servicetest.Scope(e.w2, access.RoleOwner), "refund", "Other shop", "Theirs", false)
		greet := e.create(t, servicetest.As(e.agent), agent, "greet", "Greeting", "Hello", true)
		e.refused(t, taken, func() error {
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.sup), sup, shipping.ID, new("refund"), nil, nil)
			return err
		})
		e.refused(t, taken, func() error {
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.agent), agent, greet.ID, new("refund"), nil, nil)
			return err
		})
		storetest.Appends(t, e.DB, events.CannedResponseUpdated, func() error {
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.agent), agent, greet.ID, new("hello"), nil, nil)
			return err
		})

		long := strings.Repeat("x", canned.MaxBody+1)
		for _, tt := range []struct {
			name                  string
			shortcut, title, body string
			field                 string
		}{
			{"empty shortcut", "", "T", "B", "shortcut"},
			{"upper case", "Refund", "T", "B", "shortcut"},
			{"space", "re fund", "T", "B", "shortcut"},
			{"slash", "/refund", "T", "B", "shortcut"},
			{"non-ASCII", "rückgabe", "T", "B", "shortcut"},
			{"33 characters", strings.Repeat("a", 33), "T", "B", "shortcut"},
			{"blank title", "ok", "   ", "B", "title"},
			{"long title", "ok", strings.Repeat("é", 101), "B", "title"},
			{"direction override in the title", "ok", "Refund \u202eabc", "B", "title"},
			{"blank body", "ok", "T", " \n\t", "body"},
			{"long body", "ok", "T", long, "body"},
			{"broken UTF-8", "ok", "T", "\xff", "body"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.refused(t, servicetest.IsInvalid(tt.field), func() error {
					_, err := e.svc.Create(e.Ctx, servicetest.As(e.sup), sup, tt.shortcut, tt.title, tt.body, false)
					return err
				})
				e.refused(t, servicetest.IsInvalid(tt.field), func() error {
					_, err := e.svc.Update(e.Ctx, servicetest.As(e.sup), sup, shipping.ID, &tt.shortcut, &tt.title, &tt.body)
					return err
				})
			})
		}
		// The limits themselves are fine: 32 characters, 100 non-ASCII
		// characters, 16384 bytes.
		e.create(t, servicetest.As(e.sup), sup, strings.Repeat("a", 32)+"", strings.Repeat("é", 100), long[:canned.MaxBody], false)
		e.create(t, servicetest.As(e.sup), sup, "a-b_c-9", "T", "B", false)
	})
}

func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sup, agent, owner := servicetest.Scope(e.w1, access.RoleSupervisor), servicetest.Scope(e.w1, access.RoleAgent), servicetest.Scope(e.w1, access.RoleOwner)
		denied := servicetest.Is(apperr.PermissionDenied)
		notFound := func(err error) bool { return errors.Is(err, apperr.ErrNotFound) }

		// Workspace-wide: supervisors and above make and change them.
		for _, p := range []*access.Principal{servicetest.As(e.agent), e.agentKey} {
			e.refused(t, denied, func() error {
				_, err := e.svc.Create(e.Ctx, p, agent, "refund", "Refund", "Body", false)
				return err
			})
		}
		wide := e.create(t, servicetest.As(e.sup), sup, "refund", "Refund", "Body", false)
		e.refused(t, denied, func() error {
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.agent), agent, wide.ID, nil, new("Mine now"), nil)
			return err
		})
		e.refused(t, denied, func() error { return e.svc.Delete(e.Ctx, servicetest.As(e.agent), agent, wide.ID) })
		ev := storetest.Appends(t, e.DB, events.CannedResponseUpdated, func() error {
			r, err := e.svc.Update(e.Ctx, e.adminKey, servicetest.Scope(e.w1, access.RoleAdmin), wide.ID, nil, new("Refunds"), new("New body"))
			if r.Title != "Refunds" || r.Body != "New body" || r.Shortcut != "refund" {
				t.Errorf("updated %+v", r)
			}
			return err
		})
		if ev.ActorKind != events.ActorAPIKey || ev.ActorID != e.adminKey.APIKeyID || ev.Visibility != events.Agents {
			t.Errorf("event %+v", ev)
		}
		storetest.Appends(t, e.DB, "", func() error { // nothing changes: nothing written
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.sup), sup, wide.ID, new("refund"), new("Refunds"), nil)
			return err
		})

		// Personal: any person, never an API key.
		e.refused(t, servicetest.Is(apperr.FailedPrecondition), func() error {
			_, err := e.svc.Create(e.Ctx, e.adminKey, servicetest.Scope(e.w1, access.RoleAdmin), "mine", "Mine", "Body", true)
			return err
		})
		var mine canned.Response
		ev = storetest.Appends(t, e.DB, events.CannedResponseCreated, func() (err error) {
			mine, err = e.svc.Create(e.Ctx, servicetest.As(e.agent), agent, "mine", "Mine", "Body", true)
			return err
		})
		if ev.Visibility != events.Self || ev.ActorID != e.agent.ID || !strings.Contains(ev.Payload, e.agent.ID) {
			t.Errorf("personal event %+v", ev)
		}
		// To anyone else a personal response does not exist, whatever their role.
		conv := e.conversation(t, e.w1)
		for name, c := range map[string]struct {
			p  *access.Principal
			sc *access.Scope
		}{
			"another agent": {servicetest.As(e.agent2), agent},
			"the owner":     {servicetest.As(e.owner), owner},
			"an admin key":  {e.adminKey, servicetest.Scope(e.w1, access.RoleAdmin)},
			"another shop":  {e.w2Owner, servicetest.Scope(e.w2, access.RoleOwner)},
		} {
			t.Run(name, func(t *testing.T) {
				e.refused(t, notFound, func() error {
					_, err := e.svc.Update(e.Ctx, c.p, c.sc, mine.ID, nil, new("Taken"), nil)
					return err
				})
				e.refused(t, notFound, func() error { return e.svc.Delete(e.Ctx, c.p, c.sc, mine.ID) })
				e.refused(t, notFound, func() error {
					_, err := e.svc.Render(e.Ctx, c.p, c.sc, mine.ID, conv.ID)
					return err
				})
				if _, err := e.svc.Get(e.Ctx, c.p, c.sc, mine.ID); !notFound(err) {
					t.Errorf("Get: %v", err)
				}
			})
		}
		for _, id := range []string{uuid.NewString(), wide.ID} {
			sc := servicetest.Scope(e.w1, access.RoleOwner)
			if id == wide.ID {
				sc = servicetest.Scope(e.w2, access.RoleOwner) // a scope that is not the response's
			}
			e.refused(t, notFound, func() error { return e.svc.Delete(e.Ctx, e.w2Owner, sc, id) })
		}
		ev = storetest.Appends(t, e.DB, events.CannedResponseUpdated, func() error {
			_, err := e.svc.Update(e.Ctx, servicetest.As(e.agent), agent, mine.ID, nil, nil, new("Better body"))
			return err
		})
		if ev.Visibility != events.Self {
			t.Errorf("personal update event %+v", ev)
		}
		ev = storetest.Appends(t, e.DB, events.CannedResponseDeleted, func() error { return e.svc.Delete(e.Ctx, servicetest.As(e.agent), agent, mine.ID) })
		if ev.Visibility != events.Self {
			t.Errorf("personal delete event %+v", ev)
		}
		storetest.Appends(t, e.DB, events.CannedResponseDeleted, func() error { return e.svc.Delete(e.Ctx, servicetest.As(e.sup), sup, wide.ID) })
		e.refused(t, notFound, func() error { return e.svc.Delete(e.Ctx, servicetest.As(e.sup), sup, wide.ID) })

		// The resolver the authorizer uses.
		other := e.create(t, servicetest.As(e.agent2), agent, "x", "X", "X", true)
		if ws, err := e.svc.WorkspaceOf(e.Ctx, other.ID); err != nil || ws != e.w1.ID {
			t.Errorf("WorkspaceOf = %q, %v", ws, err)
		}
		if _, err := e.svc.WorkspaceOf(e.Ctx, wide.ID); !notFound(err) {
			t.Errorf("WorkspaceOf(deleted) = %v", err)
		}
	})
}

func TestRenderConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		sup, agent := servicetest.Scope(e.w1, access.RoleSupervisor), servicetest.Scope(e.w1, access.RoleAgent)
		body := "Hi {{ customer.name }} <{{customer.email}}>, plan {{customer.plan}}, vip {{customer.vip}}, " +
			"color {{customer.color}}, [{{customer.shoe_size}}] [{{order.id}}] {{not a variable}}\n" +
			"— {{agent.name}}, {{workspace.name}} (ref {{conversation.id}})"
		r := e.create(t, servicetest.As(e.sup), sup, "hello", "Hello", body, false)
		conv := e.conversation(t, e.w1)
		want := func(agentName string) string {
			if agentName == "" { // nothing to sign with: the space before the comma goes too
				return "Hi Ada Lovelace <ada@example.test>, plan pro, vip true, color blue, [] [] {{not a variable}}\n" +
					"—, Shop One (ref " + conv.ID + ")"
			}
			return "Hi Ada Lovelace <ada@example.test>, plan pro, vip true, color blue, [] [] {{not a variable}}\n" +
				"— " + agentName + ", Shop One (ref " + conv.ID + ")"
		}
		for _, tt := range []struct {
			p     *access.Principal
			agent string
		}{{servicetest.As(e.agent), "Grace"}, {servicetest.As(e.sup), "Sam"}, {e.agentKey, ""}} {
			storetest.Appends(t, e.DB, "", func() error {
				got, err := e.svc.Render(e.Ctx, tt.p, agent, r.ID, conv.ID)
				if diff := cmp.Diff(want(tt.agent), got); err == nil && diff != "" {
					t.Errorf("rendered (-want +got):\n%s", diff)
				}
				return err
			})
		}
		mine := e.create(t, servicetest.As(e.agent), agent, "me", "Me", "{{agent.name}} for {{customer.name}}", true)
		if got, err := e.svc.Render(e.Ctx, servicetest.As(e.agent), agent, mine.ID, conv.ID); err != nil || got != "Grace for Ada Lovelace" {
			t.Errorf("personal render = %q, %v", got, err)
		}
		// The conversation must be of the response's workspace.
		for _, id := range []string{e.conversation(t, e.w2).ID, uuid.NewString()} {
			e.refused(t, servicetest.IsInvalid("conversation_id"), func() error {
				_, err := e.svc.Render(e.Ctx, servicetest.As(e.agent), agent, r.ID, id)
				return err
			})
		}
	})
}

// fakeConversations and the other fakes stand in for the other domains.
type fakeConversations struct{ conv conversation.Conversation }

func (f fakeConversations) Get(_ context.Context, workspaceID, id string) (conversation.Conversation, error) {
	if id != f.conv.ID || workspaceID != f.conv.WorkspaceID {
		return conversation.Conversation{}, apperr.ErrNotFound
	}
	return f.conv, nil
}

type fakeContacts struct{ c *contact.Contact }

func (f fakeContacts) Get(context.Context, string, string) (contact.Contact, error) {
	if f.c == nil {
		return contact.Contact{}, apperr.ErrNotFound
	}
	return *f.c, nil
}

type fakeUsers struct{}

func (fakeUsers) User(_ context.Context, id string) (account.User, error) {
	return account.User{ID: id, DisplayName: "Agent " + id[:4]}, nil
}

type fakeWorkspaces struct{}

func (fakeWorkspaces) Get(_ context.Context, id string) (workspace.Workspace, error) {
	return workspace.Workspace{ID: id, Name: "Fake Shop"}, nil
}

// TestRenderFakes renders through fakes: a contact gone missing renders
// empty customer variables rather than failing.
func TestRenderFakes(t *testing.T) {
	t.Parallel()
	db := storetest.New(t, "sqlite")
	e := newEnv(t, db)
	r := e.create(t, servicetest.As(e.sup), servicetest.Scope(e.w1, access.RoleSupervisor), "x", "X", "{{customer.name}}|{{agent.name}}|{{workspace.name}}|{{conversation.id}}", false)
	conv := conversation.Conversation{ID: uuid.NewString(), WorkspaceID: e.w1.ID, ContactID: uuid.NewString()}
	for _, tt := range []struct {
		contact *contact.Contact
		want    string
	}{
		{&contact.Contact{Name: "Ada"}, "Ada|Agent " + e.agent.ID[:4] + "|Fake Shop|" + conv.ID},
		{nil, "|Agent " + e.agent.ID[:4] + "|Fake Shop|" + conv.ID},
	} {
		svc := canned.NewService(db, events.NewLog(db, nil, e.Clock.Now), canned.Deps{Conversations: fakeConversations{conv},
			Contacts: fakeContacts{tt.contact}, Users: fakeUsers{}, Workspaces: fakeWorkspaces{}}, canned.Options{Now: e.Clock.Now})
		got, err := svc.Render(context.Background(), servicetest.As(e.agent), servicetest.Scope(e.w1, access.RoleAgent), r.ID, conv.ID)
		if err != nil || got != tt.want {
			t.Errorf("Render = %q, %v; want %q", got, err, tt.want)
		}
	}
	var payload map[string]map[string]string
	var created storetest.EventRow
	for _, ev := range storetest.Events(t, e.DB) {
		if ev.Type == events.CannedResponseCreated {
			created = ev
		}
	}
	if err := json.Unmarshal([]byte(created.Payload), &payload); err != nil || payload["data"]["canned_response_id"] != r.ID {
		t.Errorf("event payload %v, %v", payload, err)
	}
}
