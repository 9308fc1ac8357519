package tag

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.TagService.
type Handler struct{ svc *Service }

var _ tandemv1connect.TagServiceHandler = (*Handler)(nil)

// NewHandler returns the TagService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// ToProto converts a tag for the API.
func ToProto(t Tag) *tandemv1.Tag {
	return &tandemv1.Tag{Id: t.ID, WorkspaceId: t.WorkspaceID, Name: t.Name, Color: t.Color, Description: t.Description, CreateTimeMs: t.CreatedAt}
}

// CreateTag implements TagService.CreateTag.
func (h *Handler) CreateTag(ctx context.Context, req *tandemv1.CreateTagRequest) (*tandemv1.CreateTagResponse, error) {
	t, err := h.svc.Create(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetName(), req.GetColor(), req.GetDescription())
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateTagResponse{Tag: ToProto(t)}, nil
}

// ListTags implements TagService.ListTags.
func (h *Handler) ListTags(ctx context.Context, _ *tandemv1.ListTagsRequest) (*tandemv1.ListTagsResponse, error) {
	ts, err := h.svc.List(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListTagsResponse{}
	for _, t := range ts {
		resp.Tags = append(resp.Tags, ToProto(t))
	}
	return resp, nil
}

// UpdateTag implements TagService.UpdateTag.
func (h *Handler) UpdateTag(ctx context.Context, req *tandemv1.UpdateTagRequest) (*tandemv1.UpdateTagResponse, error) {
	t, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), req.GetTagId(), req.Name, req.Color, req.Description)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateTagResponse{Tag: ToProto(t)}, nil
}

// DeleteTag implements TagService.DeleteTag.
func (h *Handler) DeleteTag(ctx context.Context, req *tandemv1.DeleteTagRequest) (*tandemv1.DeleteTagResponse, error) {
	if err := h.svc.Delete(ctx, access.PrincipalFrom(ctx), req.GetTagId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteTagResponse{}, nil
}

// CountTags implements TagService.CountTags.
func (h *Handler) CountTags(ctx context.Context, req *tandemv1.CountTagsRequest) (*tandemv1.CountTagsResponse, error) {
	cs, err := h.svc.Count(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetFromTimeMs(), req.GetUntilTimeMs())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.CountTagsResponse{}
	for _, c := range cs {
		resp.Counts = append(resp.Counts, &tandemv1.TagCount{Tag: ToProto(c.Tag), Conversations: c.Conversations})
	}
	return resp, nil
}
