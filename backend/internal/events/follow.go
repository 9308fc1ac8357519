package events

import (
	"context"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Reconnect is the reason given to streams ended by a server shutdown: the
// client reconnects (to any replica) with its cursor and loses nothing.
const Reconnect = "RECONNECT"

// Sink receives what a followed log delivers. A non-nil error from any of
// its functions ends the follow with that error.
type Sink struct {
	Event     func(ev Event) error
	Ephemeral func(e Ephemeral) error
	Heartbeat func(seq int64) error
}

// Follower streams a workspace's log to readers.
type Follower struct {
	log         *Log
	hub         *Hub
	heartbeat   time.Duration
	batch       int
	draining    <-chan struct{}
	sendTimeout time.Duration
	recent      *recent
}

// NewFollower returns a follower that sends heartbeats at the interval and
// ends its streams when draining closes.
func NewFollower(log *Log, hub *Hub, heartbeat time.Duration, draining <-chan struct{}) *Follower {
	return &Follower{log: log, hub: hub, heartbeat: heartbeat, batch: 256, draining: draining, recent: newRecent(log)}
}

// WithSendTimeout makes the follower cut off readers that do not keep up
// (see sendGuard); zero leaves them be. It returns f.
func (f *Follower) WithSendTimeout(d time.Duration) *Follower {
	f.sendTimeout = d
	return f
}

// Start resolves where a stream starts: after the cursor, checked for the
// workspace and principal, or at the log head (from now) without one.
func (f *Follower) Start(ctx context.Context, c *Cursors, cursor, workspaceID, principal string) (int64, error) {
	if cursor == "" {
		return f.Head(ctx, workspaceID)
	}
	return c.Parse(cursor, workspaceID, principal)
}

// Head returns the workspace's newest seq: the position a snapshot read now reflects.
func (f *Follower) Head(ctx context.Context, workspaceID string) (int64, error) {
	h, err := f.log.Head(ctx, workspaceID)
	return h.Last, err
}

// Follow delivers every event of the workspace (of one conversation, if
// given) with seq > after, in seq order, then each new one as it commits,
// until ctx ends, the server drains, or the sink returns an error.
//
// Nothing is skipped: within a workspace, seq order is commit order, so
// reading "seq > last delivered" after each wake-up sees every committed
// event exactly once. A cursor behind retention, or ahead of the log, is
// refused with ErrResync rather than silently skipping.
func (f *Follower) Follow(ctx context.Context, workspaceID, conversationID string, after int64, sink Sink) error {
	sub := f.hub.Subscribe(workspaceID)
	defer sub.Close()
	// Followers of a whole workspace share its newest events (see recent);
	// a conversation's follower reads its own.
	read := func(after int64) ([]Event, error) {
		return f.log.ReadAfter(ctx, workspaceID, after, conversationID, f.batch)
	}
	if conversationID == "" {
		w := f.recent.acquire(workspaceID)
		defer f.recent.release(workspaceID)
		read = func(after int64) ([]Event, error) { return f.recent.read(ctx, w, workspaceID, after, f.batch) }
	}
	head, err := f.log.Head(ctx, workspaceID)
	if err != nil {
		return err
	}
	switch {
	case after > head.Last:
		return ErrResync("cursor is ahead of the log")
	case after < head.Pruned:
		return ErrResync("cursor is older than the event retention")
	}
	guard := newSendGuard(ctx, f.sendTimeout)
	defer guard.stop()
	flushes := newBatch(ctx)
	// A first heartbeat at once: it sends the response headers (a client's
	// Watch call returns only then) and gives a client that started "from
	// now" its cursor.
	if err := guard.send(func() error { return sink.Heartbeat(after) }); err != nil {
		return err
	}
	heartbeat := time.NewTicker(f.heartbeat)
	defer heartbeat.Stop()
	// The log is read at the start and after each wake-up, never on a
	// heartbeat or a typing event: with thousands of idle streams those
	// reads were most of an idle replica's work, and every commit wakes its
	// readers (the hub's poller catches what a broker loses).
	unread := true
	for {
		for unread {
			evs, err := read(after)
			if err != nil {
				return err
			}
			if len(evs) > 0 && evs[0].Seq != after+1 {
				// A workspace's seqs have no gaps, so a gap means retention
				// pruned events this reader has not seen. (A conversation's
				// events have gaps; ask the log head instead.)
				if conversationID == "" {
					return ErrResync("events after the cursor were pruned")
				}
				if h, err := f.log.Head(ctx, workspaceID); err != nil {
					return err
				} else if after < h.Pruned {
					return ErrResync("events after the cursor were pruned")
				}
			}
			flushes.hold(len(evs))
			for _, ev := range evs {
				if err := guard.send(func() error { return sink.Event(ev) }); err != nil {
					return err
				}
				after = ev.Seq
			}
			if err := guard.send(func() error { return flushes.release(len(evs)) }); err != nil {
				return err
			}
			unread = len(evs) == f.batch
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.draining:
			return apperr.New(apperr.Unavailable, "the server is restarting: reconnect with your cursor").WithDetail(Reconnect)
		case <-sub.Wake:
			unread = true
		case e := <-sub.Ephemeral:
			if err := guard.send(func() error { return sink.Ephemeral(e) }); err != nil {
				return err
			}
		case <-heartbeat.C:
			if err := guard.send(func() error { return sink.Heartbeat(after) }); err != nil {
				return err
			}
		}
	}
}

// StreamWriter is what a stream needs of its transport besides sending.
type StreamWriter interface {
	// SetWriteDeadline aborts a write its client stopped reading.
	SetWriteDeadline(deadline time.Time) error
	// HoldFlushes makes the flush after each message wait until
	// ReleaseFlushes, which flushes once: a batch of events goes out in a
	// few large writes instead of one write per event and stream, which
	// was most of what a resume storm cost (tandembench S6).
	HoldFlushes()
	ReleaseFlushes() error
}

type writerKey struct{}

// WithStreamWriter gives the stream served under ctx its transport's
// writer (the server sets one on every request).
func WithStreamWriter(ctx context.Context, w StreamWriter) context.Context {
	return context.WithValue(ctx, writerKey{}, w)
}

// batch holds back flushes while a stream sends a batch of events.
type batch struct{ w StreamWriter }

func newBatch(ctx context.Context) batch {
	w, _ := ctx.Value(writerKey{}).(StreamWriter)
	return batch{w: w}
}

func (b batch) hold(n int) {
	if b.w != nil && n > 1 {
		b.w.HoldFlushes()
	}
}

func (b batch) release(n int) error {
	if b.w != nil && n > 1 {
		return b.w.ReleaseFlushes()
	}
	return nil
}

// sendGuard cuts off a reader that does not keep up, so that it holds no
// server resources for long and knows to resume. Sends block only when the
// client stopped reading and the transport's buffers are full; a send that
// stayed blocked longer than the timeout ends the stream, once it
// completes, with Unavailable and the RECONNECT reason (the client reads
// what was buffered, then resumes from its last cursor, losing nothing). A
// send blocked three times as long is aborted at the transport, which frees
// the stream even if its client never reads again.
type sendGuard struct {
	timeout time.Duration
	abort   *time.Timer // nil when the request offers no StreamWriter
}

func newSendGuard(ctx context.Context, timeout time.Duration) *sendGuard {
	if timeout <= 0 {
		return nil
	}
	g := &sendGuard{timeout: timeout}
	if d, ok := ctx.Value(writerKey{}).(StreamWriter); ok {
		g.abort = time.AfterFunc(time.Hour, func() { _ = d.SetWriteDeadline(time.Now()) })
		g.abort.Stop()
	}
	return g
}

// errFellBehind ends the stream of a reader that blocked a send too long.
func errFellBehind() error {
	return apperr.New(apperr.Unavailable, "this stream fell behind: reconnect with your cursor").WithDetail(Reconnect)
}

func (g *sendGuard) send(fn func() error) error {
	if g == nil {
		return fn()
	}
	start := time.Now()
	if g.abort != nil {
		g.abort.Reset(3 * g.timeout)
	}
	err := fn()
	if g.abort != nil {
		g.abort.Stop()
	}
	if err == nil && time.Since(start) > g.timeout {
		err = errFellBehind()
	}
	return err
}

func (g *sendGuard) stop() {
	if g != nil && g.abort != nil {
		g.abort.Stop()
	}
}
