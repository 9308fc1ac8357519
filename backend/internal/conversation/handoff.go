package conversation

import tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"

// HandoffReason says why a conversation went from the AI agent to the team.
// It is stored (conversations.handoff_reason, handoffs.reason), counted by
// metrics and reports, and named by rules' hand-off actions; the API carries
// it as tandemv1.HandoffReason (HandoffReasonToProto, HandoffReasonFromProto).
// This is the one list of reasons: other packages use these constants and
// HandoffReasons, never their own.
type HandoffReason string

// Handoff reasons.
const (
	// HandoffCustomerRequest: the customer asked for a person (the widget's
	// button, a custom action).
	HandoffCustomerRequest HandoffReason = "customer_request"
	// HandoffKeywordRule: a rule matching words of a message handed it off.
	HandoffKeywordRule HandoffReason = "keyword_rule"
	// HandoffAttributeRule: a rule on anything but words handed it off.
	HandoffAttributeRule HandoffReason = "attribute_rule"
	// HandoffLowConfidence: the AI agent was not sure enough of its answer.
	HandoffLowConfidence HandoffReason = "low_confidence"
	// HandoffBotError: the AI agent could not answer (its model failed).
	HandoffBotError HandoffReason = "bot_error"
	// HandoffRepeated: the customer asked the same thing again.
	HandoffRepeated HandoffReason = "repeated_question"
	// HandoffAgentTakeover: a person took the conversation from the AI
	// agent (a claim, an assignment or a reply); recorded with that event,
	// not with a conversation.handoff (see DataHandoff).
	HandoffAgentTakeover HandoffReason = "agent_takeover"
	// HandoffEscalationIntent: a customer's message showed a built-in
	// escalation intent (a request for a person, a refund demand, fraud, ...)
	// or the model said a person must handle it; the detail names the intent.
	HandoffEscalationIntent HandoffReason = "escalation_intent"
	// HandoffAIBudget: a token budget of the AI agent (the workspace's for
	// the UTC day, or the conversation's) was spent, so it handed off
	// without asking the model; the detail says which.
	HandoffAIBudget HandoffReason = "ai_budget"
)

// HandoffReasons lists every handoff reason, in the API's order.
func HandoffReasons() []HandoffReason {
	return []HandoffReason{HandoffCustomerRequest, HandoffKeywordRule, HandoffAttributeRule, HandoffLowConfidence,
		HandoffBotError, HandoffRepeated, HandoffAgentTakeover, HandoffEscalationIntent, HandoffAIBudget}
}

// Actionable reports whether a hand-off action (a rule's or a custom
// action's) may name the reason: a person's takeover, an escalation intent
// and a spent AI budget are not given by actions, only by a person taking
// the conversation and by the AI agent reading a message or counting its
// tokens.
func (r HandoffReason) Actionable() bool {
	switch r {
	case HandoffCustomerRequest, HandoffKeywordRule, HandoffAttributeRule, HandoffLowConfidence, HandoffBotError, HandoffRepeated:
		return true
	}
	return false
}

// HandoffReasonToProto converts a handoff reason (unspecified for one it
// does not know).
func HandoffReasonToProto(r HandoffReason) tandemv1.HandoffReason {
	switch r {
	case HandoffCustomerRequest:
		return tandemv1.HandoffReason_HANDOFF_REASON_CUSTOMER_REQUEST
	case HandoffKeywordRule:
		return tandemv1.HandoffReason_HANDOFF_REASON_KEYWORD_RULE
	case HandoffAttributeRule:
		return tandemv1.HandoffReason_HANDOFF_REASON_ATTRIBUTE_RULE
	case HandoffLowConfidence:
		return tandemv1.HandoffReason_HANDOFF_REASON_LOW_CONFIDENCE
	case HandoffBotError:
		return tandemv1.HandoffReason_HANDOFF_REASON_BOT_ERROR
	case HandoffRepeated:
		return tandemv1.HandoffReason_HANDOFF_REASON_REPEATED_QUESTION
	case HandoffAgentTakeover:
		return tandemv1.HandoffReason_HANDOFF_REASON_AGENT_TAKEOVER
	case HandoffEscalationIntent:
		return tandemv1.HandoffReason_HANDOFF_REASON_ESCALATION_INTENT
	case HandoffAIBudget:
		return tandemv1.HandoffReason_HANDOFF_REASON_AI_BUDGET
	}
	return tandemv1.HandoffReason_HANDOFF_REASON_UNSPECIFIED
}

// HandoffReasonFromProto converts a handoff reason ("" for unspecified).
func HandoffReasonFromProto(r tandemv1.HandoffReason) HandoffReason {
	for _, x := range HandoffReasons() {
		if HandoffReasonToProto(x) == r {
			return x
		}
	}
	return ""
}
