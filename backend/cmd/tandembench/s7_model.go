package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// fakeModel is an OpenAI-compatible chat-completions server (the API
// bot.LLM calls: POST {base}/chat/completions, the user message's content a
// JSON object with the passages) that answers at once with the first
// passage it was given, citing it, unless a passage's title holds the stall
// marker: then it answers nothing until the caller gives up or stall
// passes. See backend/cmd/tandemeval/model.go for a model that reads the
// question.
type fakeModel struct {
	marker string
	stall  time.Duration
	srv    *http.Server
	url    string
	calls  atomic.Int64
	stalls atomic.Int64
}

// startFakeModel serves the model on a loopback port.
func startFakeModel(ctx context.Context, marker string, stall time.Duration) (*fakeModel, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &fakeModel{marker: marker, stall: stall, url: "http://" + ln.Addr().String() + "/v1"}
	m.srv = &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

func (m *fakeModel) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
}

func (m *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	m.calls.Add(1)
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	var in struct {
		Passages []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"passages"`
	}
	for _, msg := range req.Messages {
		if msg.Role == "user" {
			_ = json.Unmarshal([]byte(msg.Content), &in)
		}
	}
	for _, p := range in.Passages {
		if strings.Contains(p.Title, m.marker) {
			m.stalls.Add(1)
			select {
			case <-r.Context().Done():
			case <-time.After(m.stall):
			}
			http.Error(w, `{"error":{"message":"stalled"}}`, http.StatusServiceUnavailable)
			return
		}
	}
	reply := map[string]any{"answer": "", "citations": []string{}, "can_answer": false, "needs_human": false}
	if len(in.Passages) > 0 {
		p := in.Passages[0]
		reply = map[string]any{"answer": p.Text, "citations": []string{p.ID}, "can_answer": true, "needs_human": false}
	}
	content, _ := json.Marshal(reply)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-s7", "object": "chat.completion", "model": "s7-fake",
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]string{"role": "assistant", "content": string(content)}}},
	})
}
