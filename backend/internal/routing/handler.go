package routing

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.RoutingService.
type Handler struct{ svc *Service }

var _ tandemv1connect.RoutingServiceHandler = (*Handler)(nil)

// NewHandler returns the RoutingService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

var modes = map[Mode]tandemv1.RoutingMode{Off: tandemv1.RoutingMode_ROUTING_MODE_OFF, //nolint:gochecknoglobals // read-only table
	Balanced: tandemv1.RoutingMode_ROUTING_MODE_BALANCED, RoundRobin: tandemv1.RoutingMode_ROUTING_MODE_ROUND_ROBIN}

func toProto(st Settings) *tandemv1.RoutingSettings {
	return &tandemv1.RoutingSettings{Mode: modes[st.Mode], ReplyTimeoutSeconds: int32(st.ReplyTimeoutSeconds), //nolint:gosec // set through the API as int32s
		MaxReroutes: int32(st.MaxReroutes)} //nolint:gosec // set through the API as an int32
}

// GetRoutingSettings implements RoutingService.GetRoutingSettings.
func (h *Handler) GetRoutingSettings(ctx context.Context, _ *tandemv1.GetRoutingSettingsRequest) (*tandemv1.GetRoutingSettingsResponse, error) {
	st, err := h.svc.Settings(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetRoutingSettingsResponse{Settings: toProto(st)}, nil
}

// UpdateRoutingSettings implements RoutingService.UpdateRoutingSettings.
func (h *Handler) UpdateRoutingSettings(ctx context.Context, req *tandemv1.UpdateRoutingSettingsRequest) (*tandemv1.UpdateRoutingSettingsResponse, error) {
	st := Settings{WorkspaceID: access.ScopeFrom(ctx).WorkspaceID, ReplyTimeoutSeconds: int(req.GetReplyTimeoutSeconds())}
	for m, p := range modes {
		if p == req.GetMode() {
			st.Mode = m
		}
	}
	var maxReroutes *int
	if req.MaxReroutes != nil {
		n := int(req.GetMaxReroutes())
		maxReroutes = &n
	}
	st, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), st, maxReroutes)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateRoutingSettingsResponse{Settings: toProto(st)}, nil
}
