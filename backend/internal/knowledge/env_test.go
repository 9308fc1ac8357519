package knowledge_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// env is the knowledge service on one fresh database, with two workspaces,
// their owners and an admin API key in the first.
type env struct {
	*servicetest.Env
	svc *knowledge.Service

	w1, w2         workspace.Workspace
	owner, w2Owner *access.Principal
	adminKey       *access.Principal
	ownerID        string
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{Env: servicetest.New(db, servicetest.Options{})}
	e.svc = e.newService(t, knowledge.Options{})
	u1, u2 := e.User(t, "Olivia"), e.User(t, "Wanda")
	e.owner, e.w2Owner = servicetest.As(u1), servicetest.As(u2)
	e.ownerID = u1.ID
	var err error
	if e.w1, err = e.Workspaces.Create(e.Ctx, e.owner, "Shop One"); err != nil {
		t.Fatal(err)
	}
	if e.w2, err = e.Workspaces.Create(e.Ctx, e.w2Owner, "Shop Two"); err != nil {
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
	opts.Now = e.Clock.Now
	s := knowledge.NewService(e.DB, e.Log, opts)
	t.Cleanup(s.Close)
	return s
}

// upload stores a document in w as the owner, or fails the test.
func (e *env) upload(t *testing.T, w workspace.Workspace, filename, content string) knowledge.Document {
	t.Helper()
	p := e.owner
	if w.ID == e.w2.ID {
		p = e.w2Owner
	}
	var d knowledge.Document
	storetest.Appends(t, e.DB, events.KnowledgeDocumentCreated, func() (err error) {
		d, err = e.svc.Upload(e.Ctx, p, w.ID, knowledge.Upload{Filename: filename, Content: []byte(content)})
		return err
	})
	return d
}

// refused runs fn, which must fail as match says, and checks that it
// changed no knowledge row and appended no event.
func (e *env) refused(t *testing.T, match func(error) bool, fn func() error) {
	t.Helper()
	storetest.Refused(t, e.DB, match, fn,
		`SELECT id, workspace_id, title, filename, format, size_bytes, content_sha256, upload_sha256, chunk_count,
			COALESCE(client_id, '') AS client_id, created_by, created_at, updated_at FROM knowledge_documents`,
		`SELECT document_id, position, workspace_id, heading, text FROM knowledge_chunks`,
		`SELECT workspace_id, revision FROM knowledge_revisions`)
}

// revision is the stored knowledge revision of w.
func (e *env) revision(t *testing.T, w workspace.Workspace) int64 {
	t.Helper()
	var rev int64
	err := e.DB.GetContext(e.Ctx, &rev, `SELECT revision FROM knowledge_revisions WHERE workspace_id = ?`, w.ID)
	if err != nil && !store.ErrNoRows(err) {
		t.Fatal(err)
	}
	return rev
}
