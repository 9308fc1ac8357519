package automation

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.AutomationService.
type Handler struct{ svc *Service }

var _ tandemv1connect.AutomationServiceHandler = (*Handler)(nil)

// NewHandler returns the AutomationService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// CreateRule implements AutomationService.CreateRule.
func (h *Handler) CreateRule(ctx context.Context, req *tandemv1.CreateRuleRequest) (*tandemv1.CreateRuleResponse, error) {
	r, err := h.svc.CreateRule(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, specFromProto(req.GetRule()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateRuleResponse{Rule: RuleToProto(r)}, nil
}

// ListRules implements AutomationService.ListRules.
func (h *Handler) ListRules(ctx context.Context, _ *tandemv1.ListRulesRequest) (*tandemv1.ListRulesResponse, error) {
	rs, err := h.svc.Rules(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.ListRulesResponse{Rules: rulesToProto(rs)}, nil
}

func rulesToProto(rs []Rule) []*tandemv1.Rule {
	out := make([]*tandemv1.Rule, len(rs))
	for i, r := range rs {
		out[i] = RuleToProto(r)
	}
	return out
}

// UpdateRule implements AutomationService.UpdateRule.
func (h *Handler) UpdateRule(ctx context.Context, req *tandemv1.UpdateRuleRequest) (*tandemv1.UpdateRuleResponse, error) {
	r, err := h.svc.UpdateRule(ctx, access.PrincipalFrom(ctx), req.GetRuleId(), specFromProto(req.GetRule()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateRuleResponse{Rule: RuleToProto(r)}, nil
}

// DeleteRule implements AutomationService.DeleteRule.
func (h *Handler) DeleteRule(ctx context.Context, req *tandemv1.DeleteRuleRequest) (*tandemv1.DeleteRuleResponse, error) {
	if err := h.svc.DeleteRule(ctx, access.PrincipalFrom(ctx), req.GetRuleId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteRuleResponse{}, nil
}

// ReorderRules implements AutomationService.ReorderRules.
func (h *Handler) ReorderRules(ctx context.Context, req *tandemv1.ReorderRulesRequest) (*tandemv1.ReorderRulesResponse, error) {
	rs, err := h.svc.ReorderRules(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetRuleIds())
	if err != nil {
		return nil, err
	}
	return &tandemv1.ReorderRulesResponse{Rules: rulesToProto(rs)}, nil
}

func actionSpecFromProto(s *tandemv1.CustomActionSpec) CustomActionSpec {
	return CustomActionSpec{Label: s.GetLabel(), Enabled: s.GetEnabled(), Actions: actionsFromProto(s.GetActions())}
}

// CreateCustomAction implements AutomationService.CreateCustomAction.
func (h *Handler) CreateCustomAction(ctx context.Context, req *tandemv1.CreateCustomActionRequest) (*tandemv1.CreateCustomActionResponse, error) {
	a, err := h.svc.CreateCustomAction(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, actionSpecFromProto(req.GetAction()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateCustomActionResponse{Action: CustomActionToProto(a)}, nil
}

// ListCustomActions implements AutomationService.ListCustomActions.
func (h *Handler) ListCustomActions(ctx context.Context, _ *tandemv1.ListCustomActionsRequest) (*tandemv1.ListCustomActionsResponse, error) {
	as, err := h.svc.CustomActions(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListCustomActionsResponse{}
	for _, a := range as {
		resp.Actions = append(resp.Actions, CustomActionToProto(a))
	}
	return resp, nil
}

// UpdateCustomAction implements AutomationService.UpdateCustomAction.
func (h *Handler) UpdateCustomAction(ctx context.Context, req *tandemv1.UpdateCustomActionRequest) (*tandemv1.UpdateCustomActionResponse, error) {
	spec := actionSpecFromProto(req.GetAction())
	if req.Position != nil {
		p := int(req.GetPosition())
		spec.Position = &p
	}
	a, err := h.svc.UpdateCustomAction(ctx, access.PrincipalFrom(ctx), req.GetCustomActionId(), spec)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateCustomActionResponse{Action: CustomActionToProto(a)}, nil
}

// DeleteCustomAction implements AutomationService.DeleteCustomAction.
func (h *Handler) DeleteCustomAction(ctx context.Context, req *tandemv1.DeleteCustomActionRequest) (*tandemv1.DeleteCustomActionResponse, error) {
	if err := h.svc.DeleteCustomAction(ctx, access.PrincipalFrom(ctx), req.GetCustomActionId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteCustomActionResponse{}, nil
}

var deliveryStatuses = map[string]tandemv1.WebhookDeliveryStatus{ //nolint:gochecknoglobals // read-only table
	DeliveryPending:   tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_PENDING,
	DeliveryDelivered: tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DELIVERED,
	DeliveryDead:      tandemv1.WebhookDeliveryStatus_WEBHOOK_DELIVERY_STATUS_DEAD,
}

// DeliveryToProto converts a webhook delivery for the API (without its secret).
func DeliveryToProto(d Delivery) *tandemv1.WebhookDelivery {
	return &tandemv1.WebhookDelivery{Id: d.ID, Url: d.URL, SourceId: d.SourceID, ConversationId: d.ConversationID,
		Status: deliveryStatuses[d.Status], Attempts: int32(d.Attempts), LastStatusCode: int32(d.LastStatusCode), //nolint:gosec // small numbers
		LastError: d.LastError, NextAttemptTimeMs: d.NextAttemptAt, CreateTimeMs: d.CreatedAt, DeliveredTimeMs: d.DeliveredAt}
}

// ListWebhookDeliveries implements AutomationService.ListWebhookDeliveries.
func (h *Handler) ListWebhookDeliveries(ctx context.Context, req *tandemv1.ListWebhookDeliveriesRequest) (*tandemv1.ListWebhookDeliveriesResponse, error) {
	status := ""
	for k, v := range deliveryStatuses {
		if v == req.GetStatus() {
			status = k
		}
	}
	ds, next, err := h.svc.Deliveries(ctx, access.ScopeFrom(ctx).WorkspaceID, status, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListWebhookDeliveriesResponse{NextPageToken: next}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, DeliveryToProto(d))
	}
	return resp, nil
}

// RedeliverWebhook implements AutomationService.RedeliverWebhook.
func (h *Handler) RedeliverWebhook(ctx context.Context, req *tandemv1.RedeliverWebhookRequest) (*tandemv1.RedeliverWebhookResponse, error) {
	d, err := h.svc.Redeliver(ctx, access.PrincipalFrom(ctx), req.GetDeliveryId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.RedeliverWebhookResponse{Delivery: DeliveryToProto(d)}, nil
}

// DryRunRule implements AutomationService.DryRunRule.
func (h *Handler) DryRunRule(ctx context.Context, req *tandemv1.DryRunRuleRequest) (*tandemv1.DryRunRuleResponse, error) {
	n, ms, err := h.svc.DryRun(ctx, access.ScopeFrom(ctx).WorkspaceID, specFromProto(req.GetRule()), int(req.GetConversationCount()))
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.DryRunRuleResponse{Evaluated: int32(n)} //nolint:gosec // at most 500
	for _, m := range ms {
		resp.Matches = append(resp.Matches, &tandemv1.DryRunMatch{ConversationId: m.ConversationID, MessageId: m.MessageID,
			MessageExcerpt: m.Excerpt, Effects: m.Effects})
	}
	return resp, nil
}
