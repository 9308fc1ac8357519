package rpctest

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
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// TestPassword is the password of every user a World makes.
const TestPassword = servicetest.Password

var serial atomic.Int64 //nolint:gochecknoglobals // names unique across the whole test binary

// Unique returns a string no other call in this test binary returns.
func Unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, serial.Add(1)) }

// World is a server with two workspaces and people in every role.
type World struct {
	T   testing.TB
	Srv *Server
	Ctx context.Context

	W1, W2 workspace.Workspace
	Users  map[string]account.User // by role name in W1, plus "w2owner", "outsider" (owner of a third workspace) and "removed"
	Keys   map[string]string       // API key secrets by role

	// Visitor is a widget visitor of W1; Other is another visitor of W1;
	// W2Visitor is one of W2.
	Visitor, Other, W2Visitor *access.Principal
	VisitorToken              string
	Tokens                    map[*access.Principal]string
}

// NewWorld starts a server on the store and builds the world on it.
func NewWorld(t testing.TB, opts store.Options) *World {
	t.Helper()
	return WorldOn(t, Start(t, opts))
}

// WorldOn builds the world on a server the test started.
func WorldOn(t testing.TB, srv *Server) *World {
	t.Helper()
	w := &World{T: t, Srv: srv, Ctx: context.Background(), Users: map[string]account.User{}, Keys: map[string]string{}}
	for _, name := range []string{"owner", "admin", "supervisor", "agent", "w2owner", "outsider", "removed"} {
		w.Users[name] = w.NewUser(name)
	}
	var err error
	if w.W1, err = srv.Domain().Workspaces.Create(w.Ctx, w.Principal("owner"), "W1 "+Unique("")); err != nil {
		t.Fatal(err)
	}
	if w.W2, err = srv.Domain().Workspaces.Create(w.Ctx, w.Principal("w2owner"), "W2 "+Unique("")); err != nil {
		t.Fatal(err)
	}
	if _, err = srv.Domain().Workspaces.Create(w.Ctx, w.Principal("outsider"), "W3 "+Unique("")); err != nil {
		t.Fatal(err)
	}
	for _, role := range []access.Role{access.RoleAdmin, access.RoleSupervisor, access.RoleAgent} {
		w.Join(w.W1, w.Users[string(role)], role)
	}
	w.Join(w.W1, w.Users["removed"], access.RoleAgent)
	if err := srv.Domain().Workspaces.RemoveMember(w.Ctx, w.Principal("owner"), w.OwnerScope(w.W1), w.Users["removed"].ID); err != nil {
		t.Fatal(err)
	}
	for _, role := range []access.Role{access.RoleAdmin, access.RoleAgent} {
		_, secret, err := srv.Domain().Accounts.CreateAPIKey(w.Ctx, w.Principal("owner"), w.OwnerScope(w.W1), "key "+string(role), role, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Keys[string(role)] = secret
	}
	w.Tokens = map[*access.Principal]string{}
	w.Visitor, w.VisitorToken = w.NewVisitor(w.W1)
	var otherToken string
	w.Other, otherToken = w.NewVisitor(w.W1)
	w.Tokens[w.Other] = otherToken
	w.W2Visitor, _ = w.NewVisitor(w.W2)
	w.Tokens[w.Visitor] = w.VisitorToken
	return w
}

// NewVisitor starts a widget session in ws.
func (w *World) NewVisitor(ws workspace.Workspace) (*access.Principal, string) {
	w.T.Helper()
	sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: ws.PublicKey, Name: Unique("visitor ")})
	if err != nil {
		w.T.Fatal(err)
	}
	p, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
	if err != nil {
		w.T.Fatal(err)
	}
	return p, sess.Token
}

// Tag creates a tag in ws and returns its id.
func (w *World) Tag(ws workspace.Workspace) string {
	w.T.Helper()
	owner := w.Principal("owner")
	if ws.ID == w.W2.ID {
		owner = w.Principal("w2owner")
	}
	t, err := w.Srv.Domain().Tags.Create(w.Ctx, owner, ws.ID, Unique("tag "), "#2563eb", "")
	if err != nil {
		w.T.Fatal(err)
	}
	return t.ID
}

// TokenOf is the widget token of a visitor of the world.
func (w *World) TokenOf(p *access.Principal) string { return w.Tokens[p] }

// Conversation starts a conversation of the visitor, with a first message.
func (w *World) Conversation(visitor *access.Principal) conversation.Conversation {
	w.T.Helper()
	c, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, visitor, uuid.NewString(), "https://shop.example/", nil, "hello "+Unique(""))
	if err != nil {
		w.T.Fatal(err)
	}
	return c
}

// NewUser makes a user (of no workspace) whose display name is name.
// Its password is TestPassword, with the cheap hash every test user shares
// (servicetest.PasswordHash): every world makes seven users, and tests sign
// them in often.
func (w *World) NewUser(name string) account.User {
	w.T.Helper()
	return w.NewUserHashed(name, servicetest.PasswordHash())
}

// NewUserHashed makes a user whose password hash is hash: a test of what
// password checks cost gives access.HashPassword(TestPassword).
func (w *World) NewUserHashed(name, hash string) account.User {
	w.T.Helper()
	var u account.User
	err := w.Srv.DB().InTx(w.Ctx, func(tx *store.Tx) (err error) {
		u, err = w.Srv.Domain().Accounts.CreateUserTx(w.Ctx, tx, account.NormalizeEmail(Unique(name)+"@example.test"), name, hash)
		return err
	})
	if err != nil {
		w.T.Fatal(err)
	}
	return u
}

// Principal is the named user as a caller of the services.
func (w *World) Principal(name string) *access.Principal {
	return &access.Principal{Kind: access.KindUser, UserID: w.Users[name].ID}
}

// OwnerScope is the scope of ws's owner.
func (w *World) OwnerScope(ws workspace.Workspace) *access.Scope {
	return &access.Scope{WorkspaceID: ws.ID, Role: access.RoleOwner}
}

// Join makes u a member of ws with the role, through an invitation.
func (w *World) Join(ws workspace.Workspace, u account.User, role access.Role) {
	w.T.Helper()
	owner := w.Principal("owner")
	if ws.ID == w.W2.ID {
		owner = w.Principal("w2owner")
	}
	token, _, err := w.Srv.Domain().Workspaces.Invite(w.Ctx, owner, w.OwnerScope(ws), u.Email, role)
	if err != nil {
		w.T.Fatal(err)
	}
	if _, _, err := w.Srv.Domain().Workspaces.AcceptInvite(w.Ctx, &access.Principal{Kind: access.KindUser, UserID: u.ID},
		workspace.Acceptance{Token: token}); err != nil {
		w.T.Fatal(err)
	}
}

// Token opens a fresh session for the named user.
func (w *World) Token(name string) string {
	w.T.Helper()
	issued, err := w.Srv.Domain().Accounts.NewSession(w.Ctx, w.Users[name])
	if err != nil {
		w.T.Fatal(err)
	}
	return issued.Token
}

// As returns a context calling with the named user's fresh session.
func (w *World) As(name string) context.Context { return rpcclient.WithToken(w.Ctx, w.Token(name)) }

// Group creates a group in ws.
func (w *World) Group(ws workspace.Workspace) workspace.Group {
	w.T.Helper()
	owner := w.Principal("owner")
	if ws.ID == w.W2.ID {
		owner = w.Principal("w2owner")
	}
	g, err := w.Srv.Domain().Workspaces.CreateGroup(w.Ctx, owner, w.OwnerScope(ws), Unique("group "), "", 0)
	if err != nil {
		w.T.Fatal(err)
	}
	return g
}

// SLA is the conversation's SLA as an agent reads it.
func (w *World) SLA(conversationID string) *tandemv1.ConversationSla {
	w.T.Helper()
	got, err := w.Srv.Clients(rpcclient.Connect).Conversation.GetConversation(w.As("agent"), &tandemv1.GetConversationRequest{ConversationId: conversationID})
	if err != nil {
		w.T.Fatal(err)
	}
	return got.GetConversation().GetSla()
}
