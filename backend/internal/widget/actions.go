package widget

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Button is a custom action as the widget shows it.
type Button struct {
	ID    string
	Label string
	// HandsOff is set when pressing it hands the chat to the team.
	HandsOff bool
}

// Buttons are the workspace's custom actions (the automation package):
// listed for the widget, and run when a visitor presses one.
type Buttons interface {
	WidgetButtons(ctx context.Context, workspaceID string) ([]Button, error)
	Press(ctx context.Context, visitor *access.Principal, workspaceID, conversationID, actionID string) error
}

// WithButtons makes the handler serve the workspace's custom actions.
func (h *Handler) WithButtons(b Buttons) *Handler {
	h.buttons = b
	return h
}

// ListCustomActions implements WidgetService.ListCustomActions.
func (h *Handler) ListCustomActions(ctx context.Context, _ *tandemv1.WidgetServiceListCustomActionsRequest) (*tandemv1.WidgetServiceListCustomActionsResponse, error) {
	resp := &tandemv1.WidgetServiceListCustomActionsResponse{}
	if h.buttons == nil {
		return resp, nil
	}
	bs, err := h.buttons.WidgetButtons(ctx, access.PrincipalFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		resp.Actions = append(resp.Actions, &tandemv1.WidgetCustomAction{Id: b.ID, Label: b.Label, HandsOff: b.HandsOff})
	}
	return resp, nil
}

// PressCustomAction implements WidgetService.PressCustomAction.
func (h *Handler) PressCustomAction(ctx context.Context, req *tandemv1.PressCustomActionRequest) (*tandemv1.PressCustomActionResponse, error) {
	p := access.PrincipalFrom(ctx)
	if h.buttons == nil {
		return nil, apperr.ErrNotFound
	}
	if err := h.buttons.Press(ctx, p, p.WorkspaceID, req.GetConversationId(), req.GetCustomActionId()); err != nil {
		return nil, err
	}
	c, err := h.conversations.Get(ctx, p.WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.PressCustomActionResponse{Conversation: h.widgetConv(ctx, &c)}, nil
}
