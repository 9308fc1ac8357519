package canned_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// t0 is the clock of every test.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func now() time.Time { return t0 }

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
	ctx      context.Context
	db       *store.DB
	acc      *account.Service
	ws       *workspace.Service
	contacts *contact.Service
	convs    *conversation.Service
	svc      *canned.Service

	w1, w2                      workspace.Workspace
	owner, sup, agent, agent2   account.User
	adminKey, agentKey, w2Owner *access.Principal
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	log := events.NewLog(db, nil, now)
	e := &env{ctx: context.Background(), db: db}
	e.acc = account.NewService(db, log, account.Options{Now: now})
	e.ws = workspace.NewService(db, log, e.acc, workspace.Options{Now: now})
	e.contacts = contact.NewService(db, log, e.ws, contact.Options{Now: now})
	e.convs = conversation.NewService(db, log, events.NewHub(db, time.Second), e.acc, e.contacts, directory{e.ws}, conversation.Options{Now: now})
	e.svc = canned.NewService(db, log, canned.Sources{Conversations: e.convs, Contacts: e.contacts, Users: e.acc, Workspaces: e.ws},
		canned.Options{Now: now})
	e.owner, e.sup, e.agent, e.agent2 = e.user(t, "Olivia"), e.user(t, "Sam"), e.user(t, "Grace"), e.user(t, "Alan")
	var err error
	if e.w1, err = e.ws.Create(e.ctx, as(e.owner), "Shop One"); err != nil {
		t.Fatal(err)
	}
	if e.w2, err = e.ws.Create(e.ctx, as(e.user(t, "Other")), "Shop Two"); err != nil {
		t.Fatal(err)
	}
	key := func(w workspace.Workspace, r access.Role) *access.Principal {
		return &access.Principal{Kind: access.KindAPIKey, APIKeyID: uuid.NewString(), UserID: e.owner.ID, WorkspaceID: w.ID, Role: r}
	}
	e.adminKey, e.agentKey = key(e.w1, access.RoleAdmin), key(e.w1, access.RoleAgent)
	e.w2Owner = as(e.user(t, "Wanda"))
	return e
}

func (e *env) user(t *testing.T, name string) account.User {
	t.Helper()
	u, _, err := e.acc.EnsureUser(e.ctx, strings.ToLower(name)+"@example.test", name, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func as(u account.User) *access.Principal {
	return &access.Principal{Kind: access.KindUser, UserID: u.ID}
}

func scope(w workspace.Workspace, r access.Role) *access.Scope {
	return &access.Scope{WorkspaceID: w.ID, Role: r}
}

// refused runs fn, which must fail as match says, and checks that it changed
// no canned response and appended no event.
func (e *env) refused(t *testing.T, match func(error) bool, fn func() error) {
	t.Helper()
	before := e.snapshot(t)
	if err := fn(); !match(err) {
		t.Fatalf("unexpected error: %v", err)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a refused call changed the database (-before +after):\n%s", diff)
	}
}

func (e *env) snapshot(t *testing.T) []string {
	t.Helper()
	var rows []struct {
		canned.Response
		Scope string `db:"scope"`
	}
	if err := e.db.SelectContext(e.ctx, &rows, `SELECT * FROM canned_responses`); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%+v", r))
	}
	sort.Strings(out)
	return append(out, fmt.Sprint(len(storetest.Events(t, e.db)), " events"))
}

func is(kind apperr.Kind) func(error) bool {
	return func(err error) bool { return apperr.Is(err, kind) }
}

func isInvalid(field string) func(error) bool {
	return func(err error) bool {
		var ae *apperr.Error
		return errors.As(err, &ae) && ae.Kind == apperr.InvalidArgument && ae.Field == field
	}
}

// create saves a response or fails the test.
func (e *env) create(t *testing.T, p *access.Principal, sc *access.Scope, shortcut, title, body string, personal bool) canned.Response {
	t.Helper()
	var r canned.Response
	storetest.Appends(t, e.db, "canned_response.created", func() (err error) {
		r, err = e.svc.Create(e.ctx, p, sc, shortcut, title, body, personal)
		return err
	})
	return r
}

// shortcuts lists what p sees in w for the query, over pages of the size.
func (e *env) shortcuts(t *testing.T, p *access.Principal, w workspace.Workspace, query string, size int32) []string {
	t.Helper()
	out, token := []string{}, ""
	for range 20 {
		rs, next, err := e.svc.List(e.ctx, p, w.ID, query, size, token)
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

func ptr[T any](v T) *T { return &v }

// conversation starts a conversation in w from a customer whose identity the
// store signed (name, email, plan), who also said a plan and a color
// themselves.
func (e *env) conversation(t *testing.T, w workspace.Workspace) conversation.Conversation {
	t.Helper()
	identity := fmt.Sprintf(`{"external_id":%q,"name":"Ada Lovelace","email":"ada@example.test","attributes":{"plan":"pro","vip":true},"iat":%d,"exp":%d}`,
		uuid.NewString(), t0.Unix(), t0.Add(time.Hour).Unix())
	sess, err := e.contacts.StartSession(e.ctx, contact.SessionRequest{PublicKey: w.PublicKey, IdentityJSON: identity,
		IdentitySignature: contact.Sign(w.WidgetSecret, identity), Attributes: map[string]string{"plan": "free", "color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	visitor, err := e.contacts.AuthenticateVisitor(e.ctx, sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.convs.Start(e.ctx, visitor, uuid.NewString(), "https://shop.example/", nil, "Where is my parcel?")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
