package push

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Handler serves NotificationService's Web Push RPCs; notify's handler,
// which serves the rest of the service, embeds it (notify.Push).
type Handler struct{ svc *Service }

// NewHandler returns the Web Push RPCs' handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// person returns the calling member: subscriptions are people's browsers.
func person(ctx context.Context) (string, string, error) {
	p := access.PrincipalFrom(ctx)
	if p.Kind != access.KindUser {
		return "", "", apperr.New(apperr.FailedPrecondition, "push subscriptions belong to signed-in people, not API keys")
	}
	return access.ScopeFrom(ctx).WorkspaceID, p.UserID, nil
}

// GetPushConfig implements NotificationService.GetPushConfig.
func (h *Handler) GetPushConfig(context.Context, *tandemv1.GetPushConfigRequest) (*tandemv1.GetPushConfigResponse, error) {
	return &tandemv1.GetPushConfigResponse{VapidPublicKey: h.svc.PublicKey()}, nil
}

// SubscribePush implements NotificationService.SubscribePush.
func (h *Handler) SubscribePush(ctx context.Context, req *tandemv1.SubscribePushRequest) (*tandemv1.SubscribePushResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.Subscribe(ctx, ws, user, Subscription{Endpoint: req.GetEndpoint(), P256dh: req.GetP256Dh(), Auth: req.GetAuth(),
		UserAgent: req.GetUserAgent()}); err != nil {
		return nil, err
	}
	return &tandemv1.SubscribePushResponse{}, nil
}

// UnsubscribePush implements NotificationService.UnsubscribePush.
func (h *Handler) UnsubscribePush(ctx context.Context, req *tandemv1.UnsubscribePushRequest) (*tandemv1.UnsubscribePushResponse, error) {
	ws, user, err := person(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.Unsubscribe(ctx, ws, user, req.GetEndpoint()); err != nil {
		return nil, err
	}
	return &tandemv1.UnsubscribePushResponse{}, nil
}
