package server

import (
	"net/http"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// withStreamWriter gives the streams of each request their transport's
// writer (events.StreamWriter): to abort a write their client stopped
// reading, and to send a batch of events in a few writes.
func withStreamWriter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
		next.ServeHTTP(sw, r.WithContext(events.WithStreamWriter(r.Context(), sw)))
	})
}

// streamWriter is the response writer with flushes that a stream may hold.
// Only the request's handler goroutine uses it.
type streamWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	holding bool
}

// Flush flushes unless the stream holds flushes.
func (w *streamWriter) Flush() {
	if !w.holding {
		_ = w.rc.Flush()
	}
}

func (w *streamWriter) HoldFlushes() { w.holding = true }

func (w *streamWriter) ReleaseFlushes() error {
	w.holding = false
	return w.rc.Flush()
}

func (w *streamWriter) SetWriteDeadline(deadline time.Time) error {
	return w.rc.SetWriteDeadline(deadline)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
