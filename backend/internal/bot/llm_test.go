package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestLLMConcurrency: with one model slot taken (a call in flight), another
// call waits for it only within its timeout, never reaching the model, and
// fails as the model failing does (the AI agent hands off); once the slot
// is free, the next call is served.
func TestLLMConcurrency(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		content, _ := json.Marshal(result{Answer: "ok", CanAnswer: true})
		writeCompletion(w, content)
	}))
	defer srv.Close()
	const timeout = 300 * time.Millisecond
	l := NewLLM(srv.URL, "m", "", timeout, 1)
	ctx := context.Background()
	release, err := l.acquire(ctx) // the one slot, held as a stalled call holds it
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = l.complete(ctx, nil, nil)
	if !errors.Is(err, errBusy) || !errors.Is(err, errLLM) {
		t.Fatalf("a call while the only slot is held: %v, want errBusy (a model failure)", err)
	}
	if waited := time.Since(start); waited < timeout || waited > 10*timeout {
		t.Errorf("the call waited %s for a slot, want its timeout (%s)", waited, timeout)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the model saw %d calls while its only slot was held", n)
	}
	release()
	if res, err := l.complete(ctx, nil, nil); err != nil || res.Answer != "ok" || calls.Load() != 1 {
		t.Fatalf("with the slot free: %+v, %v, %d calls", res, err, calls.Load())
	}
}
