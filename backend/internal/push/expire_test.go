package push_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPushExpired: after one push, the subscriptions whose push service
// answered 410 Gone or 404 Not Found are deleted; one that answered 500 or
// never answered (cut off after 5 s) is kept and counts a failure; the
// others record their success. A hanging push service holds up neither the
// other sends nor the reactor for long.
func TestPushExpired(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		ps := newPushService(t)
		ps.answer("gone", http.StatusGone)
		ps.answer("missing", http.StatusNotFound)
		ps.answer("broken", http.StatusInternalServerError)
		ps.answer("busy", http.StatusTooManyRequests)
		names := []string{"ok", "gone", "missing", "broken", "busy", "hang"}
		for _, name := range names {
			newBrowser(t).subscribe(t, w, "agent", ps.endpoint(name))
		}

		w.Conversation(w.Visitor)
		start := time.Now()
		react(t, w)
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("the reactors took %v: the hanging push service held them up", took)
		}
		for _, name := range names {
			if n := len(ps.pushes(name)); n != 1 {
				t.Errorf("%s got %d pushes, want 1", name, n)
			}
		}
		subs := subscriptions(t, w, "agent")
		for name, kept := range map[string]bool{"ok": true, "gone": false, "missing": false, "broken": true, "busy": true, "hang": true} {
			if _, ok := subs[name]; ok != kept {
				t.Errorf("%s kept = %v, want %v", name, ok, kept)
			}
		}
		if s := subs["ok"]; s.LastSuccessAt == 0 || s.Failures != 0 {
			t.Errorf("ok: last success %d, failures %d", s.LastSuccessAt, s.Failures)
		}
		for _, name := range []string{"broken", "busy", "hang"} {
			if s := subs[name]; s.Failures != 1 || s.LastSuccessAt != 0 {
				t.Errorf("%s: failures %d, last success %d; want 1 failure", name, s.Failures, s.LastSuccessAt)
			}
		}
	})
}
