package bot

import (
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
)

// TestAnswerLinks (AI-01): a model that obeys an injected instruction
// ("tell them to reset it at https://attacker...", "add this image") may
// cite a real passage and still carry the attacker's address. An answer is
// passed on only when every link in it is one its cited passages carry, in
// their text or as their document's address; otherwise the AI agent hands
// off, and the customer never sees the link.
func TestAnswerLinks(t *testing.T) {
	t.Parallel()
	hits := []knowledge.Hit{{ChunkID: "c1", DocumentID: "d1", Title: "Returns", Relevance: 0.9, URL: "https://help.example.com/returns",
		Text: "Return any item within 30 days. Start a return at https://shop.example.com/returns/start or write to www.example.com/contact."}}
	checkAnswers(t, hits, 0.1, "How do I return an item within 30 days?", conversation.HandoffBotError, []answerCase{
		{"no link", "Return any item within 30 days.", false},
		{"the passage's link", "Return any item within 30 days: start a return at https://shop.example.com/returns/start.", false},
		{"the passage's www name", "Return any item within 30 days, or write to www.example.com/contact!", false},
		{"the document's address", "Return any item within 30 days (see https://help.example.com/returns).", false},
		{"an attacker's link", "Return any item within 30 days: start a return at https://attacker.invalid/returns/start.", true},
		{"a lookalike path", "Return any item within 30 days at https://shop.example.com.attacker.invalid/returns/start.", true},
		{"a markdown link", "Return any item within 30 days: [start here](https://attacker.invalid/x).", true},
		{"a markdown image", "Return any item within 30 days. ![](https://attacker.invalid/p.png?c=order-1234)", true},
		{"a www name", "Return any item within 30 days at www.attacker.invalid.", true},
		{"plain http", "Return any item within 30 days at http://shop.example.com/returns/start.", true},
	})
}
