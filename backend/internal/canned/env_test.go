package canned_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// directory is what the conversation service asks of the workspace; it
// answers every tag lookup with NotFound (these tests put no tags on
// conversations).
type directory struct{ *workspace.Service }

func (directory) Tag(context.Context, string) (string, string, error) {
	return "", "", apperr.ErrNotFound
}

func (directory) Online(context.Context, string, string) (bool, error) { return false, nil }

// env is the canned response service on one fresh database, with the
// services it reads from built as server.New builds them, two workspaces and
// people in them.
type env struct {
	*servicetest.Env
	contacts *contact.Service
	convs    *conversation.Service
	svc      *canned.Service

	w1, w2                      workspace.Workspace
	owner, sup, agent, agent2   account.User
	adminKey, agentKey, w2Owner *access.Principal
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{Env: servicetest.New(db, servicetest.Options{})}
	now := e.Clock.Now
	e.contacts = contact.NewService(db, e.Log, e.Workspaces, contact.Options{Now: now})
	e.convs = conversation.NewService(db, e.Log, events.NewHub(db, time.Second), conversation.Deps{Accounts: e.Accounts, Contacts: e.contacts,
		Directory: directory{e.Workspaces}}, conversation.Options{Now: now})
	e.svc = canned.NewService(db, e.Log, canned.Deps{Conversations: e.convs, Contacts: e.contacts, Users: e.Accounts, Workspaces: e.Workspaces},
		canned.Options{Now: now})
	e.owner, e.sup, e.agent, e.agent2 = e.User(t, "Olivia"), e.User(t, "Sam"), e.User(t, "Grace"), e.User(t, "Alan")
	var err error
	if e.w1, err = e.Workspaces.Create(e.Ctx, servicetest.As(e.owner), "Shop One"); err != nil {
		t.Fatal(err)
	}
	if e.w2, err = e.Workspaces.Create(e.Ctx, servicetest.As(e.User(t, "Other")), "Shop Two"); err != nil {
		t.Fatal(err)
	}
	key := func(w workspace.Workspace, r access.Role) *access.Principal {
		return &access.Principal{Kind: access.KindAPIKey, APIKeyID: uuid.NewString(), UserID: e.owner.ID, WorkspaceID: w.ID, Role: r}
	}
	e.adminKey, e.agentKey = key(e.w1, access.RoleAdmin), key(e.w1, access.RoleAgent)
	e.w2Owner = servicetest.As(e.User(t, "Wanda"))
	return e
}

// refused runs fn, which must fail as match says, and checks that it changed
// no canned response and appended no event.
func (e *env) refused(t *testing.T, match func(error) bool, fn func() error) {
	t.Helper()
	storetest.Refused(t, e.DB, match, fn, `SELECT * FROM canned_responses`)
}

// create saves a response or fails the test.
func (e *env) create(t *testing.T, p *access.Principal, sc *access.Scope, shortcut, title, body string, personal bool) canned.Response {
	t.Helper()
	var r canned.Response
	storetest.Appends(t, e.DB, events.CannedResponseCreated, func() (err error) {
		r, err = e.svc.Create(e.Ctx, p, sc, shortcut, title, body, personal)
		return err
	})
	return r
}

// shortcuts lists what p sees in w for the query, over pages of the size.
func (e *env) shortcuts(t *testing.T, p *access.Principal, w workspace.Workspace, query string, size int32) []string {
	t.Helper()
	out, token := []string{}, ""
	for range 20 {
		rs, next, err := e.svc.List(e.Ctx, p, w.ID, query, size, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			who := ""
			if r.Personal() {
				who = "@" + map[string]string{e.agent.ID: "grace", e.agent2.ID: "alan", e.sup.ID: "sam"}[r.OwnerUserID]
			}
			out = append(out, r.Shortcut+who)
		}
		if token = next; token == "" {
			return out
		}
	}
	t.Fatal("paging did not end")
	return nil
}

// conversation starts a conversation in w from a customer whose identity the
// store signed (name, email, plan), who also said a plan and a color
// themselves.
func (e *env) conversation(t *testing.T, w workspace.Workspace) conversation.Conversation {
	t.Helper()
	identity := fmt.Sprintf(`{"external_id":%q,"name":"Ada Lovelace","email":"ada@example.test","attributes":{"plan":"pro","vip":true},"iat":%d,"exp":%d}`,
		uuid.NewString(), servicetest.T0.Unix(), servicetest.T0.Add(time.Hour).Unix())
	sess, err := e.contacts.StartSession(e.Ctx, contact.SessionRequest{PublicKey: w.PublicKey, IdentityJSON: identity,
		IdentitySignature: contact.Sign(w.WidgetSecret, identity), Attributes: map[string]string{"plan": "free", "color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	visitor, err := e.contacts.AuthenticateVisitor(e.Ctx, sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.convs.Start(e.Ctx, visitor, uuid.NewString(), "https://shop.example/", nil, "Where is my parcel?")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
