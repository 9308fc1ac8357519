package canned

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.CannedResponseService.
type Handler struct {
	svc *Service
}

var _ tandemv1connect.CannedResponseServiceHandler = (*Handler)(nil)

// NewHandler returns the CannedResponseService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// CreateCannedResponse implements CannedResponseService.CreateCannedResponse.
func (h *Handler) CreateCannedResponse(ctx context.Context, req *tandemv1.CreateCannedResponseRequest) (*tandemv1.CreateCannedResponseResponse, error) {
	r, err := h.svc.Create(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetShortcut(), req.GetTitle(),
		req.GetBody(), req.GetPersonal())
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateCannedResponseResponse{CannedResponse: ToProto(r)}, nil
}

// ListCannedResponses implements CannedResponseService.ListCannedResponses.
func (h *Handler) ListCannedResponses(ctx context.Context, req *tandemv1.ListCannedResponsesRequest) (*tandemv1.ListCannedResponsesResponse, error) {
	rs, next, err := h.svc.List(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetQuery(),
		req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListCannedResponsesResponse{NextPageToken: next}
	for _, r := range rs {
		resp.CannedResponses = append(resp.CannedResponses, ToProto(r))
	}
	return resp, nil
}

// UpdateCannedResponse implements CannedResponseService.UpdateCannedResponse.
func (h *Handler) UpdateCannedResponse(ctx context.Context, req *tandemv1.UpdateCannedResponseRequest) (*tandemv1.UpdateCannedResponseResponse, error) {
	r, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetCannedResponseId(),
		req.Shortcut, req.Title, req.Body)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateCannedResponseResponse{CannedResponse: ToProto(r)}, nil
}

// DeleteCannedResponse implements CannedResponseService.DeleteCannedResponse.
func (h *Handler) DeleteCannedResponse(ctx context.Context, req *tandemv1.DeleteCannedResponseRequest) (*tandemv1.DeleteCannedResponseResponse, error) {
	if err := h.svc.Delete(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetCannedResponseId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteCannedResponseResponse{}, nil
}

// RenderCannedResponse implements CannedResponseService.RenderCannedResponse.
func (h *Handler) RenderCannedResponse(ctx context.Context, req *tandemv1.RenderCannedResponseRequest) (*tandemv1.RenderCannedResponseResponse, error) {
	out, err := h.svc.RenderDetail(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx), req.GetCannedResponseId(),
		req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RenderCannedResponseResponse{Text: out.Text, Unresolved: out.Unresolved}, nil
}

// ToProto converts a response for the API.
func ToProto(r Response) *tandemv1.CannedResponse {
	return &tandemv1.CannedResponse{Id: r.ID, WorkspaceId: r.WorkspaceID, OwnerUserId: r.OwnerUserID, Shortcut: r.Shortcut,
		Title: r.Title, Body: r.Body, CreatedBy: r.CreatedBy, CreateTimeMs: r.CreatedAt, UpdateTimeMs: r.UpdatedAt}
}
