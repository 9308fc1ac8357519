package server_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// The knowledge base: admins manage documents and try searches; every
// member reads documents.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.KnowledgeService/UploadDocument":  member(access.RoleAdmin),
			"/tandem.v1.KnowledgeService/ListDocuments":   member(access.RoleAgent),
			"/tandem.v1.KnowledgeService/GetDocument":     member(access.RoleAgent),
			"/tandem.v1.KnowledgeService/ReplaceDocument": member(access.RoleAdmin),
			"/tandem.v1.KnowledgeService/DeleteDocument":  member(access.RoleAdmin),
			"/tandem.v1.KnowledgeService/SearchKnowledge": member(access.RoleAdmin),
		},
		fixtures: knowledgeFixtures,
		digest: []string{
			`SELECT id, title, filename, content_sha256, chunk_count, updated_at FROM knowledge_documents WHERE workspace_id = ? ORDER BY id`,
			`SELECT document_id, position, heading, text FROM knowledge_chunks WHERE workspace_id = ? ORDER BY document_id, position`,
			`SELECT revision FROM knowledge_revisions WHERE workspace_id = ?`,
		},
	})
}

// knowledgeFixtures target W1 (own), W2 (foreign) or nothing (missing).
func knowledgeFixtures(w *world) map[string]func(tg target) call {
	return map[string]func(tg target) call{
		"/tandem.v1.KnowledgeService/UploadDocument": func(tg target) call {
			id, content := w.targetWorkspace(tg), []byte("# Returns\n\nReturn any item within 30 days. "+rpctest.Unique("v"))
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: id, Filename: "returns.md",
					Content: content, ClientId: uuid.NewString()})
				return err
			}
		},
		"/tandem.v1.KnowledgeService/ListDocuments": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.ListDocuments(ctx, &tandemv1.ListDocumentsRequest{WorkspaceId: id})
				return err
			}
		},
		"/tandem.v1.KnowledgeService/GetDocument": func(tg target) call {
			id := w.knowledgeDocument(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.GetDocument(ctx, &tandemv1.GetDocumentRequest{DocumentId: id})
				return err
			}
		},
		"/tandem.v1.KnowledgeService/ReplaceDocument": func(tg target) call {
			id, content := w.knowledgeDocument(tg), []byte("# Returns\n\nNow 60 days. "+rpctest.Unique("v"))
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.ReplaceDocument(ctx, &tandemv1.ReplaceDocumentRequest{DocumentId: id, Filename: "returns.md",
					Content: content})
				return err
			}
		},
		"/tandem.v1.KnowledgeService/DeleteDocument": func(tg target) call {
			id := w.knowledgeDocument(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.DeleteDocument(ctx, &tandemv1.DeleteDocumentRequest{DocumentId: id})
				return err
			}
		},
		"/tandem.v1.KnowledgeService/SearchKnowledge": func(tg target) call {
			id := w.targetWorkspace(tg)
			return func(ctx context.Context, c rpcclient.Clients) error {
				_, err := c.Knowledge.SearchKnowledge(ctx, &tandemv1.SearchKnowledgeRequest{WorkspaceId: id, Query: "return an item"})
				return err
			}
		},
	}
}

// knowledgeDocument uploads a document to W1 (own) or W2 (foreign), or
// names a missing one, and returns its id.
func (w *world) knowledgeDocument(tg target) string {
	w.T.Helper()
	if tg == missing {
		return uuid.NewString()
	}
	ws, owner := w.W1, w.Principal("owner")
	if tg == foreign {
		ws, owner = w.W2, w.Principal("w2owner")
	}
	d, err := w.Srv.Domain().Knowledge.Upload(w.Ctx, owner, ws.ID, knowledge.Upload{Filename: "returns.md",
		Content: []byte("# Returns\n\nReturn any item within 30 days. " + rpctest.Unique("v"))})
	if err != nil {
		w.T.Fatal(err)
	}
	return d.ID
}

// TestKnowledgeUploadSize sends uploads past the server's general request
// limit (1 MiB in tests): the knowledge service takes documents up to the
// API's 8 MiB, and refuses larger ones.
func TestKnowledgeUploadSize(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	w := worldOn(t, srv)
	var doc strings.Builder
	for i := 0; doc.Len() < 3<<20; i++ {
		if i%8 == 0 {
			doc.WriteString("## Section " + rpctest.Unique("") + "\n\n")
		}
		doc.WriteString("Return any item within thirty days of delivery, unused and in its original box.\n\n")
	}
	for _, p := range rpcclient.Protocols() {
		resp, err := srv.Clients(p).Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
			Filename: "big.md", Content: []byte(doc.String())})
		if err != nil {
			t.Fatalf("%s: 3 MiB upload: %v", p, err)
		}
		if resp.GetDocument().GetChunkCount() < 1000 {
			t.Errorf("%s: %d chunks", p, resp.GetDocument().GetChunkCount())
		}
	}
	huge := make([]byte, 8<<20+1)
	_, err := srv.Clients(rpcclient.Connect).Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
		Filename: "huge.txt", Content: huge})
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("upload over 8 MiB: %v, want InvalidArgument", err)
	}
	_, err = srv.Clients(rpcclient.GRPC).Knowledge.UploadDocument(w.As("admin"), &tandemv1.UploadDocumentRequest{WorkspaceId: w.W1.ID,
		Filename: "huge.txt", Content: make([]byte, 11<<20)})
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Errorf("request over 10 MiB: %v, want ResourceExhausted", err)
	}
	// Other services keep the general limit.
	_, err = srv.Clients(rpcclient.Connect).Canned.CreateCannedResponse(w.As("admin"), &tandemv1.CreateCannedResponseRequest{
		WorkspaceId: w.W1.ID, Shortcut: "big", Title: "Big", Body: strings.Repeat("x", 2<<20)})
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Errorf("2 MiB canned response: %v, want ResourceExhausted", err)
	}
}
