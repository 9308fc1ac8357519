package bot

import (
	"context"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// Handler serves tandem.v1.BotService.
type Handler struct{ svc *Service }

var _ tandemv1connect.BotServiceHandler = (*Handler)(nil)

// NewHandler returns the BotService handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// SettingsToProto converts settings for the API.
func SettingsToProto(st Settings) *tandemv1.BotSettings {
	out := &tandemv1.BotSettings{WorkspaceId: st.WorkspaceID, Enabled: st.Enabled, Name: st.Name, Greeting: st.Greeting,
		Instructions: st.Instructions, ConfidenceThreshold: st.Threshold, HandoffMessage: st.HandoffMessage,
		OfflineMessage: st.OfflineMessage, HandoffTag: st.HandoffTag, UpdateTimeMs: st.UpdatedAt,
		AnswerWhileWaiting: st.AnswerWhileWaiting, Synonyms: st.Synonyms}
	for _, in := range st.Intents {
		out.EscalationIntents = append(out.EscalationIntents, &tandemv1.EscalationIntent{Name: in.Name,
			Description: in.Description, Enabled: in.Enabled, Examples: in.Examples, Phrases: in.Phrases})
	}
	return out
}

// intentPatches converts the request's intent updates.
func intentPatches(us []*tandemv1.EscalationIntentUpdate) []IntentPatch {
	var out []IntentPatch
	for _, u := range us {
		out = append(out, IntentPatch{Name: u.GetName(), Enabled: u.Enabled, Phrases: u.GetPhrases(), Clear: u.GetClearPhrases()})
	}
	return out
}

// GetBotSettings implements BotService.GetBotSettings.
func (h *Handler) GetBotSettings(ctx context.Context, _ *tandemv1.GetBotSettingsRequest) (*tandemv1.GetBotSettingsResponse, error) {
	st, err := h.svc.Settings(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetBotSettingsResponse{Settings: SettingsToProto(st)}, nil
}

// UpdateBotSettings implements BotService.UpdateBotSettings.
func (h *Handler) UpdateBotSettings(ctx context.Context, req *tandemv1.UpdateBotSettingsRequest) (*tandemv1.UpdateBotSettingsResponse, error) {
	st, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, Patch{
		Enabled: req.Enabled, Name: req.Name, Greeting: req.Greeting, Instructions: req.Instructions,
		HandoffMessage: req.HandoffMessage, OfflineMessage: req.OfflineMessage, Tag: req.HandoffTag, Threshold: req.ConfidenceThreshold,
		AnswerWhileWaiting: req.AnswerWhileWaiting, Synonyms: req.Synonyms, Intents: intentPatches(req.GetEscalationIntents()),
	})
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateBotSettingsResponse{Settings: SettingsToProto(st)}, nil
}

var reasons = map[string]tandemv1.HandoffReason{ //nolint:gochecknoglobals // read-only table
	conversation.HandoffCustomerRequest: tandemv1.HandoffReason_HANDOFF_REASON_CUSTOMER_REQUEST,
	conversation.HandoffKeywordRule:     tandemv1.HandoffReason_HANDOFF_REASON_KEYWORD_RULE,
	conversation.HandoffAttributeRule:   tandemv1.HandoffReason_HANDOFF_REASON_ATTRIBUTE_RULE,
	conversation.HandoffLowConfidence:   tandemv1.HandoffReason_HANDOFF_REASON_LOW_CONFIDENCE,
	conversation.HandoffBotError:        tandemv1.HandoffReason_HANDOFF_REASON_BOT_ERROR,
	conversation.HandoffRepeated:        tandemv1.HandoffReason_HANDOFF_REASON_REPEATED_QUESTION,
	conversation.HandoffAgentTakeover:   tandemv1.HandoffReason_HANDOFF_REASON_AGENT_TAKEOVER,

	conversation.HandoffEscalationIntent: tandemv1.HandoffReason_HANDOFF_REASON_ESCALATION_INTENT,
}

// ReasonToProto converts a handoff reason.
func ReasonToProto(r string) tandemv1.HandoffReason { return reasons[r] }

// ReasonFromProto converts a handoff reason ("" for unspecified).
func ReasonFromProto(r tandemv1.HandoffReason) string {
	for k, v := range reasons {
		if v == r {
			return k
		}
	}
	return ""
}

// ListHandoffs implements BotService.ListHandoffs.
func (h *Handler) ListHandoffs(ctx context.Context, req *tandemv1.ListHandoffsRequest) (*tandemv1.ListHandoffsResponse, error) {
	hs, next, counts, err := h.svc.Handoffs(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetStartTimeMs(), req.GetEndTimeMs(),
		ReasonFromProto(req.GetReason()), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListHandoffsResponse{NextPageToken: next}
	for _, x := range hs {
		resp.Handoffs = append(resp.Handoffs, &tandemv1.Handoff{Id: x.ID, ConversationId: x.ConversationID,
			Reason: ReasonToProto(x.Reason), Detail: x.Detail, Question: x.Question, CreateTimeMs: x.CreatedAt})
	}
	for r, n := range counts {
		resp.Counts = append(resp.Counts, &tandemv1.HandoffCount{Reason: ReasonToProto(r), Count: n})
	}
	return resp, nil
}
