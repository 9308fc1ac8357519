package knowledge_test

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
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// t0 is the clock of every test.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func now() time.Time { return t0 }

// env is the knowledge service on one fresh database, with two workspaces,
// their owners and an admin API key in the first.
type env struct {
	ctx context.Context
	db  *store.DB
	log *events.Log
	acc *account.Service
	ws  *workspace.Service
	svc *knowledge.Service

	w1, w2         workspace.Workspace
	owner, w2Owner *access.Principal
	adminKey       *access.Principal
	ownerID        string
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{ctx: context.Background(), db: db}
	e.log = events.NewLog(db, nil, now)
	e.acc = account.NewService(db, e.log, account.Options{Now: now})
	e.ws = workspace.NewService(db, e.log, e.acc, workspace.Options{Now: now})
	e.svc = e.newService(t, knowledge.Options{})
	u1, u2 := e.user(t, "Olivia"), e.user(t, "Wanda")
	e.owner, e.w2Owner = as(u1), as(u2)
	e.ownerID = u1.ID
	var err error
	if e.w1, err = e.ws.Create(e.ctx, e.owner, "Shop One"); err != nil {
		t.Fatal(err)
	}
	if e.w2, err = e.ws.Create(e.ctx, e.w2Owner, "Shop Two"); err != nil {
		t.Fatal(err)
	}
	e.adminKey = &access.Principal{Kind: access.KindAPIKey, APIKeyID: uuid.NewString(), UserID: u1.ID,
		WorkspaceID: e.w1.ID, Role: access.RoleAdmin}
	return e
}

// newService is another knowledge service on the same database: another
// replica, with in-memory indexes of its own.
func (e *env) newService(t *testing.T, opts knowledge.Options) *knowledge.Service {
	t.Helper()
	opts.Now = now
	s := knowledge.NewService(e.db, e.log, opts)
	t.Cleanup(s.Close)
	return s
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

// upload stores a document in w as the owner, or fails the test.
func (e *env) upload(t *testing.T, w workspace.Workspace, filename, content string) knowledge.Document {
	t.Helper()
	p := e.owner
	if w.ID == e.w2.ID {
		p = e.w2Owner
	}
	var d knowledge.Document
	storetest.Appends(t, e.db, "knowledge.document_created", func() (err error) {
		d, err = e.svc.Upload(e.ctx, p, w.ID, knowledge.Upload{Filename: filename, Content: []byte(content)})
		return err
	})
	return d
}

// refused runs fn, which must fail as match says, and checks that it
// changed no knowledge row and appended no event.
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
	out := []string{}
	for _, q := range []string{
		`SELECT id, workspace_id, title, filename, format, size_bytes, content_sha256, upload_sha256, chunk_count,
			COALESCE(client_id, '') AS client_id, created_by, created_at, updated_at FROM knowledge_documents`,
		`SELECT document_id, position, workspace_id, heading, text FROM knowledge_chunks`,
		`SELECT workspace_id, revision FROM knowledge_revisions`,
	} {
		rows, err := e.db.QueryxContext(e.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s", cols))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
	}
	sort.Strings(out)
	return append(out, fmt.Sprint(len(storetest.Events(t, e.db)), " events"))
}

// revision is the stored knowledge revision of w.
func (e *env) revision(t *testing.T, w workspace.Workspace) int64 {
	t.Helper()
	var rev int64
	err := e.db.GetContext(e.ctx, &rev, `SELECT revision FROM knowledge_revisions WHERE workspace_id = ?`, w.ID)
	if err != nil && !store.ErrNoRows(err) {
		t.Fatal(err)
	}
	return rev
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

func ptr[T any](v T) *T { return &v }
