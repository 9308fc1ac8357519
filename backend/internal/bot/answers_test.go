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

// answerCase is an answer a model gives, and whether the AI agent must
// hand off rather than pass it on.
type answerCase struct {
	name, answer string
	handoff      bool
}

// writeCompletion answers a chat completion with content as the
// assistant's message, as an OpenAI-compatible API does.
func writeCompletion(w http.ResponseWriter, content []byte) {
	_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": chatMessage{Role: "assistant", Content: string(content)}}}})
}

// checkAnswers has a model on a real HTTP server answer question with each
// case's answer, citing the first of hits, and checks what ask makes of
// it: a case that must hand off does so for reason with no text, the
// others are passed on unchanged.
func checkAnswers(t *testing.T, hits []knowledge.Hit, threshold float64, question string, reason conversation.HandoffReason, cases []answerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				content, _ := json.Marshal(result{Answer: tc.answer, Citations: []string{hits[0].ChunkID}, CanAnswer: true})
				writeCompletion(w, content)
			}))
			defer srv.Close()
			l := NewLLM(srv.URL, "m", "", 5*time.Second, 1)
			a := l.ask(context.Background(), nil, Settings{Threshold: threshold}, question, "", nil, hits)
			if tc.handoff && (a.handoff != reason || a.text != "") {
				t.Fatalf("answer %q: %+v, want a handoff (%s) and no text", tc.answer, a, reason)
			}
			if !tc.handoff && (a.handoff != "" || a.text != tc.answer) {
				t.Fatalf("answer %q: %+v, want it passed on", tc.answer, a)
			}
		})
	}
}
