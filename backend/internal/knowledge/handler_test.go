package knowledge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/handlertest"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestHandler runs the generated client against the handler behind the
// validation interceptor, on SQLite (the service tests cover both databases).
func TestHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.New(t, "sqlite"))
	who := &handlertest.Caller{P: e.owner, Scope: &access.Scope{WorkspaceID: e.w1.ID, Role: access.RoleOwner}}
	url, hc := handlertest.Serve(t, who, func(opts ...connect.HandlerOption) (string, http.Handler) {
		return tandemv1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(e.svc), opts...)
	})
	client := tandemv1connect.NewKnowledgeServiceClient(hc, url)
	ctx := context.Background()

	pdf := makePDF(t, "", []string{"Returns", "You can return an item within 30 days."})
	up, err := client.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: "policy.pdf",
		Content: pdf, ClientId: uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	d := up.GetDocument()
	want := &tandemv1.KnowledgeDocument{Id: d.GetId(), WorkspaceId: e.w1.ID, Title: "policy.pdf", Filename: "policy.pdf",
		Format: tandemv1.DocumentFormat_DOCUMENT_FORMAT_PDF, SizeBytes: int64(len(pdf)), ChunkCount: 1, CreatedBy: e.ownerID,
		CreateTimeMs: servicetest.T0.UnixMilli(), UpdateTimeMs: servicetest.T0.UnixMilli()} // too short to tell its language
	if diff := cmp.Diff(want, d, protocmp.Transform()); diff != "" {
		t.Errorf("uploaded (-want +got):\n%s", diff)
	}

	got, err := client.GetDocument(ctx, &tandemv1.GetDocumentRequest{DocumentId: d.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	wantChunks := []*tandemv1.KnowledgeChunk{{Id: d.GetId() + "#0", DocumentId: d.GetId(), Position: 0,
		Text: "Returns\nYou can return an item within 30 days."}}
	if diff := cmp.Diff(wantChunks, got.GetChunks(), protocmp.Transform()); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}

	list, err := client.ListDocuments(ctx, &tandemv1.ListDocumentsRequest{WorkspaceId: e.w1.ID})
	if err != nil || len(list.GetDocuments()) != 1 || list.GetNextPageToken() != "" {
		t.Errorf("list: %v, %v", list, err)
	}

	search, err := client.SearchKnowledge(ctx, &tandemv1.SearchKnowledgeRequest{WorkspaceId: e.w1.ID, Query: "return item"})
	if err != nil || len(search.GetHits()) != 1 {
		t.Fatalf("search: %v, %v", search, err)
	}
	if h := search.GetHits()[0]; h.GetDocumentTitle() != "policy.pdf" || h.GetScore() <= 0 ||
		!cmp.Equal(h.GetChunk(), wantChunks[0], protocmp.Transform()) {
		t.Errorf("hit %v", h)
	}

	title := "Returns policy"
	rep, err := client.ReplaceDocument(ctx, &tandemv1.ReplaceDocumentRequest{DocumentId: d.GetId(), Title: &title,
		Filename: "policy.md", Format: tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN, Content: []byte("*Thirty* days.")})
	if err != nil || rep.GetDocument().GetTitle() != title || rep.GetDocument().GetFormat() != tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN {
		t.Errorf("replace: %v, %v", rep, err)
	}

	for name, call := range map[string]func() error{
		"broken pdf": func() error {
			_, err := client.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: "x.pdf",
				Content: []byte("%PDF-1.4 nothing")})
			return err
		},
		"scanned pdf": func() error {
			_, err := client.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: "x.pdf",
				Content: makePDF(t, "", nil)})
			return err
		},
		"empty content": func() error {
			_, err := client.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: "x"})
			return err
		},
		"long query": func() error {
			_, err := client.SearchKnowledge(ctx, &tandemv1.SearchKnowledgeRequest{WorkspaceId: e.w1.ID, Query: strings.Repeat("q", 1001)})
			return err
		},
	} {
		err := call()
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	_, err = client.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: "x.pdf",
		Content: makePDF(t, "", nil)})
	if !strings.Contains(err.Error(), "content: no extractable text in the PDF") {
		t.Errorf("scanned PDF error %q does not name the field and the reason", err)
	}

	if _, err := client.DeleteDocument(ctx, &tandemv1.DeleteDocumentRequest{DocumentId: d.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetDocument(ctx, &tandemv1.GetDocumentRequest{DocumentId: d.GetId()}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("get after delete: %v", err)
	}
}
