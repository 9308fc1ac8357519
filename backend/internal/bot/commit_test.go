package bot

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// TestAnswerCommitments (AI-01): a model that obeys an injection can build
// a promise out of its passage's own words ("your refund is approved"),
// which grounding alone lets through. An answer that approves, guarantees,
// promises, waives or gives for free what its cited passages do not say
// is handed to a person (escalation_intent, intent commitment), in every
// language the check knows; what the passages themselves promise passes.
func TestAnswerCommitments(t *testing.T) {
	t.Parallel()
	hits := []knowledge.Hit{{ChunkID: "c1", DocumentID: "d1", Title: "Refunds", Relevance: 0.9,
		Text: "Annual plans can be refunded in full within 14 days of the first payment. We guarantee a reply within one business day."}}
	// The threshold is low so that grounding lets every answer through:
	// the commitment check alone decides.
	checkAnswers(t, hits, 0.01, "Can annual plans be refunded?", conversation.HandoffEscalationIntent, []answerCase{
		{"the passage", "Annual plans can be refunded in full within 14 days of the first payment.", false},
		{"the passage's own guarantee", "We guarantee a reply within one business day.", false},
		{"approved", "Annual plans can be refunded in full: your refund is approved.", true},
		{"authorised", "Your full refund within 14 days is authorised.", true},
		{"promise", "I promise annual plans are refunded in full.", true},
		{"free", "Annual plans are refunded in full and the next year is free of charge.", true},
		{"waived", "The 14 days are waived: annual plans can be refunded in full.", true},
		{"a discount", "Annual plans get a 50% discount within 14 days.", true},
		{"spanish", "Reembolso aprobado: los planes anuales se reembolsan en 14 días.", true},
		{"german", "Ihre Erstattung ist genehmigt, innerhalb von 14 Tagen.", true},
		{"french", "Votre remboursement est approuvé sous 14 jours.", true},
		{"portuguese", "Reembolso aprovado em 14 dias.", true},
	})
}
