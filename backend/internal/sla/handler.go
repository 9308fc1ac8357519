package sla

import (
	"context"
	"strings"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// Handler serves tandem.v1.SlaService.
type Handler struct{ svc *Service }

var _ tandemv1connect.SlaServiceHandler = (*Handler)(nil)

// NewHandler returns the SlaService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

func policyToProto(p Policy) *tandemv1.SlaPolicy {
	out := &tandemv1.SlaPolicy{Id: p.ID, WorkspaceId: p.WorkspaceID, Name: p.Name, Position: int32(p.Position), //nolint:gosec // policy positions are small
		FirstResponseSeconds: p.FirstResponse, NextResponseSeconds: p.NextResponse, ResolutionSeconds: p.Resolution,
		WarningPercent: int32(p.WarningPercent), BusinessHours: p.BusinessHours, UpdateTimeMs: p.UpdatedAt} //nolint:gosec // a percentage from 0 to 100
	for _, pr := range p.Priorities() {
		out.Priorities = append(out.Priorities, conversation.PriorityToProto(pr))
	}
	for _, ch := range p.Channels() {
		out.Channels = append(out.Channels, conversation.ChannelToProto(ch))
	}
	return out
}

func policyFromProto(id string, in *tandemv1.SlaPolicyInput) Policy {
	var prs, chs []string
	for _, pr := range in.GetPriorities() {
		prs = append(prs, conversation.PriorityFromProto(pr))
	}
	for _, ch := range in.GetChannels() {
		chs = append(chs, conversation.ChannelFromProto(ch))
	}
	return Policy{ID: id, Name: in.GetName(), PrioritiesText: strings.Join(prs, ","), ChannelsText: strings.Join(chs, ","), Position: int(in.GetPosition()),
		FirstResponse: in.GetFirstResponseSeconds(), NextResponse: in.GetNextResponseSeconds(), Resolution: in.GetResolutionSeconds(),
		WarningPercent: int(in.GetWarningPercent()), BusinessHours: in.GetBusinessHours()}
}

// ListSlaPolicies implements SlaService.ListSlaPolicies.
func (h *Handler) ListSlaPolicies(ctx context.Context, _ *tandemv1.ListSlaPoliciesRequest) (*tandemv1.ListSlaPoliciesResponse, error) { //nolint:revive // the generated SlaServiceHandler names it so (proto SlaPolicy)
	ps, err := h.svc.Policies(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListSlaPoliciesResponse{}
	for _, p := range ps {
		resp.Policies = append(resp.Policies, policyToProto(p))
	}
	return resp, nil
}

// CreateSlaPolicy implements SlaService.CreateSlaPolicy.
func (h *Handler) CreateSlaPolicy(ctx context.Context, req *tandemv1.CreateSlaPolicyRequest) (*tandemv1.CreateSlaPolicyResponse, error) { //nolint:revive // the generated SlaServiceHandler names it so (proto SlaPolicy)
	p, err := h.svc.Save(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, policyFromProto("", req.GetPolicy()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateSlaPolicyResponse{Policy: policyToProto(p)}, nil
}

// UpdateSlaPolicy implements SlaService.UpdateSlaPolicy.
func (h *Handler) UpdateSlaPolicy(ctx context.Context, req *tandemv1.UpdateSlaPolicyRequest) (*tandemv1.UpdateSlaPolicyResponse, error) { //nolint:revive // the generated SlaServiceHandler names it so (proto SlaPolicy)
	p, err := h.svc.Save(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, policyFromProto(req.GetPolicyId(), req.GetPolicy()))
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateSlaPolicyResponse{Policy: policyToProto(p)}, nil
}

// DeleteSlaPolicy implements SlaService.DeleteSlaPolicy.
func (h *Handler) DeleteSlaPolicy(ctx context.Context, req *tandemv1.DeleteSlaPolicyRequest) (*tandemv1.DeleteSlaPolicyResponse, error) { //nolint:revive // the generated SlaServiceHandler names it so (proto SlaPolicy)
	if err := h.svc.Delete(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetPolicyId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteSlaPolicyResponse{}, nil
}

func hoursToProto(h Hours) *tandemv1.BusinessHours {
	out := &tandemv1.BusinessHours{TimeZone: h.Zone, Holidays: h.Holidays}
	for _, sp := range h.Spans {
		out.Ranges = append(out.Ranges, &tandemv1.BusinessHours_Range{Weekday: int32(sp.Weekday), StartMinute: int32(sp.Start), EndMinute: int32(sp.End)}) //nolint:gosec // a weekday and minutes of a day
	}
	return out
}

// GetBusinessHours implements SlaService.GetBusinessHours.
func (h *Handler) GetBusinessHours(ctx context.Context, _ *tandemv1.GetBusinessHoursRequest) (*tandemv1.GetBusinessHoursResponse, error) {
	hours, err := h.svc.HoursOf(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetBusinessHoursResponse{Hours: hoursToProto(hours)}, nil
}

// SetBusinessHours implements SlaService.SetBusinessHours.
func (h *Handler) SetBusinessHours(ctx context.Context, req *tandemv1.SetBusinessHoursRequest) (*tandemv1.SetBusinessHoursResponse, error) {
	in := Hours{Zone: req.GetHours().GetTimeZone(), Holidays: req.GetHours().GetHolidays()}
	for _, r := range req.GetHours().GetRanges() {
		in.Spans = append(in.Spans, Span{Weekday: time.Weekday(r.GetWeekday()), Start: int(r.GetStartMinute()), End: int(r.GetEndMinute())})
	}
	hours, err := h.svc.SetHours(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, in)
	if err != nil {
		return nil, err
	}
	return &tandemv1.SetBusinessHoursResponse{Hours: hoursToProto(hours)}, nil
}

func followUpToProto(f FollowUp) *tandemv1.FollowUpSettings {
	return &tandemv1.FollowUpSettings{RemindAfterMinutes: int32(f.RemindAfter / time.Minute), //nolint:gosec // set through the API in int32 minutes
		CloseAfterMinutes: int32(f.CloseAfter / time.Minute), ReminderMessage: f.Message} //nolint:gosec // set through the API in int32 minutes
}

// GetFollowUpSettings implements SlaService.GetFollowUpSettings.
func (h *Handler) GetFollowUpSettings(ctx context.Context, _ *tandemv1.GetFollowUpSettingsRequest) (*tandemv1.GetFollowUpSettingsResponse, error) {
	f, err := h.svc.FollowUps(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetFollowUpSettingsResponse{Settings: followUpToProto(f)}, nil
}

// UpdateFollowUpSettings implements SlaService.UpdateFollowUpSettings.
func (h *Handler) UpdateFollowUpSettings(ctx context.Context, req *tandemv1.UpdateFollowUpSettingsRequest) (*tandemv1.UpdateFollowUpSettingsResponse, error) {
	in := req.GetSettings()
	f, err := h.svc.SetFollowUps(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, FollowUp{
		RemindAfter: time.Duration(in.GetRemindAfterMinutes()) * time.Minute, CloseAfter: time.Duration(in.GetCloseAfterMinutes()) * time.Minute,
		Message: in.GetReminderMessage()})
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateFollowUpSettingsResponse{Settings: followUpToProto(f)}, nil
}
