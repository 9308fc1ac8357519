package stats

import (
	"context"
	"maps"
	"slices"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Handler serves tandem.v1.StatsService.
type Handler struct{ svc *Service }

var _ tandemv1connect.StatsServiceHandler = (*Handler)(nil)

// NewHandler returns the StatsService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// GetOverview implements StatsService.GetOverview.
func (h *Handler) GetOverview(ctx context.Context, _ *tandemv1.GetOverviewRequest) (*tandemv1.GetOverviewResponse, error) {
	o, err := h.svc.Overview(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetOverviewResponse{AvgFirstResponseMs: o.AvgFirstResponse.Milliseconds(), ActiveConversations: o.Active,
		WaitingConversations: o.Waiting, CsatAverage: o.CSATAverage, CsatCount: o.CSATCount, ResolvedToday: o.ResolvedToday,
		AgentsOnline: o.AgentsOnline}, nil
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func percentilesToProto(p Percentiles) *tandemv1.Percentiles {
	return &tandemv1.Percentiles{Count: p.Count, P50Ms: ms(p.P50), P90Ms: ms(p.P90), P99Ms: ms(p.P99), AvgMs: ms(p.Avg)}
}

// GetReport implements StatsService.GetReport.
func (h *Handler) GetReport(ctx context.Context, req *tandemv1.GetReportRequest) (*tandemv1.GetReportResponse, error) {
	if req.GetEndTimeMs() <= req.GetStartTimeMs() {
		return nil, apperr.Invalid("end_time_ms", "must be after start_time_ms")
	}
	r, err := h.svc.Report(ctx, access.ScopeFrom(ctx).WorkspaceID, Filter{Start: req.GetStartTimeMs(), End: req.GetEndTimeMs(),
		GroupID: req.GetGroupId(), AgentID: req.GetAgentUserId(), TagID: req.GetTagId()})
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.GetReportResponse{Conversations: r.Conversations, Resolved: r.Resolved,
		FirstResponse: percentilesToProto(r.FirstResponse), Resolution: percentilesToProto(r.Resolution),
		AiResolved: r.AIResolved, HandedOff: r.HandedOff, CsatAverage: r.CSATAverage, CsatDistribution: r.CSAT[:]}
	if r.Conversations > 0 {
		resp.ResolutionRate = float64(r.Resolved) / float64(r.Conversations)
	}
	for _, reason := range slices.Sorted(maps.Keys(r.HandoffsByReason)) {
		resp.HandoffsByReason = append(resp.HandoffsByReason, &tandemv1.ReasonCount{Reason: string(reason), Count: r.HandoffsByReason[reason]})
	}
	for _, target := range []string{"first_response", "next_response", "resolution"} {
		v := r.SLA[target]
		resp.Sla = append(resp.Sla, &tandemv1.SlaOutcome{Target: target, Met: v[0], Missed: v[1]})
	}
	for _, w := range r.Agents {
		resp.Agents = append(resp.Agents, &tandemv1.AgentWorkload{UserId: w.UserID, DisplayName: w.Name, OpenConversations: w.Open,
			Handled: w.Handled, AvgHandlingMs: ms(w.AvgHandling)})
	}
	for _, t := range r.Tags {
		resp.Tags = append(resp.Tags, &tandemv1.TagFrequency{TagId: t.TagID, Name: t.Name, Count: t.Count})
	}
	return resp, nil
}
