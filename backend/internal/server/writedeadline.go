package server

import (
	"net/http"

	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// withWriteDeadliner lets the streams of each request abort a write that
// their client stopped reading (see events.Follower.WithSendTimeout).
func withWriteDeadliner(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := events.WithWriteDeadliner(r.Context(), http.NewResponseController(w))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
