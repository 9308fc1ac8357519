package knowledge

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.KnowledgeService.
type Handler struct {
	svc *Service
}

var _ tandemv1connect.KnowledgeServiceHandler = (*Handler)(nil)

// NewHandler returns the KnowledgeService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// UploadDocument implements KnowledgeService.UploadDocument.
func (h *Handler) UploadDocument(ctx context.Context, req *tandemv1.UploadDocumentRequest) (*tandemv1.UploadDocumentResponse, error) {
	d, err := h.svc.Upload(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, Upload{
		Title: req.GetTitle(), Filename: req.GetFilename(), Format: formatFromProto(req.GetFormat()), SourceURL: req.GetSourceUrl(),
		Content: req.GetContent(), ClientID: req.GetClientId(),
	})
	if err != nil {
		return nil, err
	}
	return &tandemv1.UploadDocumentResponse{Document: ToProto(d)}, nil
}

// ListDocuments implements KnowledgeService.ListDocuments.
func (h *Handler) ListDocuments(ctx context.Context, req *tandemv1.ListDocumentsRequest) (*tandemv1.ListDocumentsResponse, error) {
	ds, next, err := h.svc.List(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListDocumentsResponse{NextPageToken: next}
	for _, d := range ds {
		resp.Documents = append(resp.Documents, ToProto(d))
	}
	return resp, nil
}

// GetDocument implements KnowledgeService.GetDocument.
func (h *Handler) GetDocument(ctx context.Context, req *tandemv1.GetDocumentRequest) (*tandemv1.GetDocumentResponse, error) {
	d, cs, err := h.svc.Get(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetDocumentId())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.GetDocumentResponse{Document: ToProto(d)}
	for _, c := range cs {
		resp.Chunks = append(resp.Chunks, chunkToProto(c))
	}
	return resp, nil
}

// ReplaceDocument implements KnowledgeService.ReplaceDocument.
func (h *Handler) ReplaceDocument(ctx context.Context, req *tandemv1.ReplaceDocumentRequest) (*tandemv1.ReplaceDocumentResponse, error) {
	d, err := h.svc.Replace(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetDocumentId(), Replacement{
		Title: req.Title, Filename: req.GetFilename(), Format: formatFromProto(req.GetFormat()), Content: req.GetContent(),
		SourceURL: req.SourceUrl,
	})
	if err != nil {
		return nil, err
	}
	return &tandemv1.ReplaceDocumentResponse{Document: ToProto(d)}, nil
}

// DeleteDocument implements KnowledgeService.DeleteDocument.
func (h *Handler) DeleteDocument(ctx context.Context, req *tandemv1.DeleteDocumentRequest) (*tandemv1.DeleteDocumentResponse, error) {
	if err := h.svc.Delete(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetDocumentId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteDocumentResponse{}, nil
}

// SearchKnowledge implements KnowledgeService.SearchKnowledge.
func (h *Handler) SearchKnowledge(ctx context.Context, req *tandemv1.SearchKnowledgeRequest) (*tandemv1.SearchKnowledgeResponse, error) {
	hits, err := h.svc.Search(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetQuery(), int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.SearchKnowledgeResponse{}
	for _, hit := range hits {
		resp.Hits = append(resp.Hits, &tandemv1.KnowledgeHit{
			Chunk:         chunkToProto(Chunk{DocumentID: hit.DocumentID, Position: hit.Position, Heading: hit.Heading, Text: hit.Text}),
			DocumentTitle: hit.Title, Score: hit.Score,
		})
	}
	return resp, nil
}

// ToProto converts a document for the API.
func ToProto(d Document) *tandemv1.KnowledgeDocument {
	return &tandemv1.KnowledgeDocument{Id: d.ID, WorkspaceId: d.WorkspaceID, Title: d.Title, Filename: d.Filename,
		Format: formatToProto(d.Format), SizeBytes: d.SizeBytes, ChunkCount: int32(d.ChunkCount), CreatedBy: d.CreatedBy, //nolint:gosec // chunks of one document, bounded by the upload size
		Language: d.Language, FlaggedChunkCount: int32(d.FlaggedChunkCount), //nolint:gosec // chunks of one document, bounded by the upload size
		CreateTimeMs: d.CreatedAt, UpdateTimeMs: d.UpdatedAt, SourceUrl: d.SourceURL}
}

func chunkToProto(c Chunk) *tandemv1.KnowledgeChunk {
	return &tandemv1.KnowledgeChunk{Id: c.ID(), DocumentId: c.DocumentID, Position: int32(c.Position), Heading: c.Heading, Text: c.Text, //nolint:gosec // positions in one document, bounded by the upload size
		FlagReason: c.FlagReason}
}

func formatToProto(f Format) tandemv1.DocumentFormat {
	switch f {
	case FormatText:
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_TEXT
	case FormatMarkdown:
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN
	case FormatHTML:
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_HTML
	case FormatPDF:
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_PDF
	}
	return tandemv1.DocumentFormat_DOCUMENT_FORMAT_UNSPECIFIED
}

func formatFromProto(f tandemv1.DocumentFormat) Format {
	switch f {
	case tandemv1.DocumentFormat_DOCUMENT_FORMAT_TEXT:
		return FormatText
	case tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN:
		return FormatMarkdown
	case tandemv1.DocumentFormat_DOCUMENT_FORMAT_HTML:
		return FormatHTML
	case tandemv1.DocumentFormat_DOCUMENT_FORMAT_PDF:
		return FormatPDF
	}
	return FormatUnspecified
}
