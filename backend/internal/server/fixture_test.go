package server_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

const testPassword = "correct horse battery"

var serial atomic.Int64

// unique returns a string no other call in this test binary returns.
func unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, serial.Add(1)) }

// world is a server with two workspaces and people in every role.
type world struct {
	t   testing.TB
	srv *rpctest.Server
	ctx context.Context

	w1, w2 workspace.Workspace
	users  map[string]account.User // by role name in W1, plus "w2owner", "outsider" (owner of a third workspace) and "removed"
	keys   map[string]string       // API key secrets by role

	// visitor is a widget visitor of W1; other is another visitor of W1;
	// w2visitor is one of W2.
	visitor, other, w2visitor *access.Principal
	visitorToken              string
	tokens                    map[*access.Principal]string
}

func newWorld(t testing.TB, opts store.Options) *world {
	t.Helper()
	return worldOn(t, rpctest.Start(t, opts))
}

// worldOn builds the world on a server the test started.
func worldOn(t testing.TB, srv *rpctest.Server) *world {
	t.Helper()
	w := &world{t: t, srv: srv, ctx: context.Background(), users: map[string]account.User{}, keys: map[string]string{}}
	for _, name := range []string{"owner", "admin", "supervisor", "agent", "w2owner", "outsider", "removed"} {
		w.users[name] = w.newUser(name)
	}
	var err error
	if w.w1, err = srv.Workspaces.Create(w.ctx, w.principal("owner"), "W1 "+unique("")); err != nil {
		t.Fatal(err)
	}
	if w.w2, err = srv.Workspaces.Create(w.ctx, w.principal("w2owner"), "W2 "+unique("")); err != nil {
		t.Fatal(err)
	}
	if _, err = srv.Workspaces.Create(w.ctx, w.principal("outsider"), "W3 "+unique("")); err != nil {
		t.Fatal(err)
	}
	for _, role := range []access.Role{access.RoleAdmin, access.RoleSupervisor, access.RoleAgent} {
		w.join(w.w1, w.users[string(role)], role)
	}
	w.join(w.w1, w.users["removed"], access.RoleAgent)
	if err := srv.Workspaces.RemoveMember(w.ctx, w.principal("owner"), w.ownerScope(w.w1), w.users["removed"].ID); err != nil {
		t.Fatal(err)
	}
	for _, role := range []access.Role{access.RoleAdmin, access.RoleAgent} {
		_, secret, err := srv.Accounts.CreateAPIKey(w.ctx, w.principal("owner"), w.ownerScope(w.w1), "key "+string(role), role, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.keys[string(role)] = secret
	}
	w.tokens = map[*access.Principal]string{}
	w.visitor, w.visitorToken = w.newVisitor(w.w1)
	var otherToken string
	w.other, otherToken = w.newVisitor(w.w1)
	w.tokens[w.other] = otherToken
	w.w2visitor, _ = w.newVisitor(w.w2)
	w.tokens[w.visitor] = w.visitorToken
	return w
}

// newVisitor starts a widget session in ws.
func (w *world) newVisitor(ws workspace.Workspace) (*access.Principal, string) {
	w.t.Helper()
	sess, err := w.srv.Contacts.StartSession(w.ctx, contact.SessionRequest{PublicKey: ws.PublicKey, Name: unique("visitor ")})
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := w.srv.Contacts.AuthenticateVisitor(w.ctx, sess.Token)
	if err != nil {
		w.t.Fatal(err)
	}
	return p, sess.Token
}

// tag creates a tag in ws and returns its id.
func (w *world) tag(ws workspace.Workspace) string {
	w.t.Helper()
	owner := w.principal("owner")
	if ws.ID == w.w2.ID {
		owner = w.principal("w2owner")
	}
	t, err := w.srv.Tags.Create(w.ctx, owner, ws.ID, unique("tag "), "#2563eb", "")
	if err != nil {
		w.t.Fatal(err)
	}
	return t.ID
}

// tokenOf is the widget token of a visitor of the world.
func (w *world) tokenOf(p *access.Principal) string { return w.tokens[p] }

// conversation starts a conversation of the visitor, with a first message.
func (w *world) conversation(visitor *access.Principal) conversation.Conversation {
	w.t.Helper()
	c, _, err := w.srv.Conversations.Start(w.ctx, visitor, uuid.NewString(), "https://shop.example/", nil, "hello "+unique(""))
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) newUser(name string) account.User {
	w.t.Helper()
	u, _, err := w.srv.Accounts.EnsureUser(w.ctx, unique(name)+"@example.test", name, testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) principal(name string) *access.Principal {
	return &access.Principal{Kind: access.KindUser, UserID: w.users[name].ID}
}

func (w *world) ownerScope(ws workspace.Workspace) *access.Scope {
	return &access.Scope{WorkspaceID: ws.ID, Role: access.RoleOwner}
}

// join makes u a member of ws with the role, through an invitation.
func (w *world) join(ws workspace.Workspace, u account.User, role access.Role) {
	w.t.Helper()
	owner := w.principal("owner")
	if ws.ID == w.w2.ID {
		owner = w.principal("w2owner")
	}
	token, _, err := w.srv.Workspaces.Invite(w.ctx, owner, w.ownerScope(ws), u.Email, role)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := w.srv.Workspaces.AcceptInvite(w.ctx, &access.Principal{Kind: access.KindUser, UserID: u.ID},
		workspace.Acceptance{Token: token}); err != nil {
		w.t.Fatal(err)
	}
}

// token opens a fresh session for the named user.
func (w *world) token(name string) string {
	w.t.Helper()
	issued, err := w.srv.Accounts.NewSession(w.ctx, w.users[name])
	if err != nil {
		w.t.Fatal(err)
	}
	return issued.Token
}

// as returns a context calling with the named user's fresh session.
func (w *world) as(name string) context.Context { return rpctest.WithToken(w.ctx, w.token(name)) }

// group creates a group in ws.
func (w *world) group(ws workspace.Workspace) workspace.Group {
	w.t.Helper()
	owner := w.principal("owner")
	if ws.ID == w.w2.ID {
		owner = w.principal("w2owner")
	}
	g, err := w.srv.Workspaces.CreateGroup(w.ctx, owner, w.ownerScope(ws), unique("group "), "", 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

// roleProto converts for requests.
func roleProto(r access.Role) tandemv1.Role { return access.RoleToProto(r) }

// sla is the conversation's SLA as an agent reads it.
func (w *world) sla(conversationID string) *tandemv1.ConversationSla {
	w.t.Helper()
	got, err := w.srv.Clients(rpctest.Connect).Conversation.GetConversation(w.as("agent"), &tandemv1.GetConversationRequest{ConversationId: conversationID})
	if err != nil {
		w.t.Fatal(err)
	}
	return got.GetConversation().GetSla()
}
