package events

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"
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
	// Heartbeat gives the position the stream has reached (its last
	// event's, or where it started), for a cursor.
	Heartbeat func(pos Position) error
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
	flusher     *flusher
	logger      *slog.Logger
	gaps        atomic.Uint64
}

// NewFollower returns a follower that sends heartbeats at the interval and
// ends its streams when draining closes.
func NewFollower(log *Log, hub *Hub, heartbeat time.Duration, draining <-chan struct{}, logger *slog.Logger) *Follower {
	f := &Follower{log: log, hub: hub, heartbeat: heartbeat, batch: 256, draining: draining,
		flusher: newFlusher(log.db), logger: logger}
	f.recent = newRecent(log, hub, f.durable)
	return f
}

// Gaps counts the events a stream would have sent out of order (skipping
// or repeating one) and resynced instead: a broken promise of the spine,
// for an alert (tandem_stream_gaps_total).
func (f *Follower) Gaps() uint64 { return f.gaps.Load() }

// WithSendTimeout makes the follower cut off readers that do not keep up
// (see sendGuard); zero leaves them be. It returns f.
func (f *Follower) WithSendTimeout(d time.Duration) *Follower {
	f.sendTimeout = d
	return f
}

// Start resolves where a stream starts: after the cursor, checked for the
// workspace and principal, or at the log head (from now) without one.
func (f *Follower) Start(ctx context.Context, c *Cursors, cursor, workspaceID, principal string) (Position, error) {
	if cursor == "" {
		return f.Head(ctx, workspaceID)
	}
	return c.Parse(cursor, workspaceID, principal)
}

// Head returns the workspace's newest seq: the position a snapshot read now
// reflects. It is durable (see flusher): a cursor made from it never points
// at an event a database crash could take back and give to another commit.
func (f *Follower) Head(ctx context.Context, workspaceID string) (Position, error) {
	for range 3 {
		// Acked before the read: a commit acknowledged before a read began
		// is durable whatever happens to the database during it.
		acked := f.hub.Acked(workspaceID)
		h, err := f.log.Head(ctx, workspaceID)
		head := Position{Seq: h.Last, Mark: markOf(h.LastID)}
		// An event retention pruned is long durable.
		if err != nil || h.Last <= max(acked, h.Pruned) {
			return head, err
		}
		ok, err := f.confirm(ctx, workspaceID, h.Last, h.LastID)
		if ok || err != nil {
			return head, err
		}
	}
	return Position{}, apperr.New(apperr.Unavailable, "the event log is recovering: try again")
}

// durable returns the events of evs (read from the workspace's log in seq
// order) that are durable, and whether the log lost events after them,
// which a reader should read again. Events up to acked, the newest seq the
// hub knew to be acknowledged before the read began, are; beyond it, one
// flush makes the rest durable unless the database lost them before it,
// which the newest one's id tells. (acked must come from before the read:
// after it, a crash and a new commit under a lost event's seq could have
// moved it.)
func (f *Follower) durable(ctx context.Context, workspaceID string, acked int64, evs []Event) ([]Event, bool, error) {
	if len(evs) == 0 {
		return evs, false, nil
	}
	last := evs[len(evs)-1]
	if last.Seq <= acked {
		return evs, false, nil
	}
	ok, err := f.confirm(ctx, workspaceID, last.Seq, last.ID)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return evs, false, nil
	}
	f.logger.Warn("the event log lost commits that were visible but not yet durable (a database crash); reading it again",
		"workspace_id", workspaceID, "lost_from_seq", acked+1, "read_up_to_seq", last.Seq)
	keep := sort.Search(len(evs), func(i int) bool { return evs[i].Seq > acked })
	return evs[:keep], true, nil
}

// confirm makes the event (seq, id) of the workspace durable, reporting
// false when the log no longer holds it (lost in a crash, its seq maybe
// taken by another event). Within a workspace commit order is seq order, so
// everything up to seq is durable along with it.
func (f *Follower) confirm(ctx context.Context, workspaceID string, seq int64, id string) (bool, error) {
	if err := f.flusher.flush(ctx); err != nil {
		return false, err
	}
	// The flush may have reached a restarted database, after the crash
	// that lost what was read: only the event's being there still proves
	// it durable.
	ok, err := f.log.holds(ctx, workspaceID, seq, id)
	if ok {
		f.hub.ack(workspaceID, seq)
	}
	return ok, err
}

// Follow delivers every event of the workspace (of one conversation, if
// given) with seq > after, in seq order, then each new one as it commits,
// until ctx ends, the server drains, or the sink returns an error.
//
// Nothing is skipped: within a workspace, seq order is commit order, so
// reading "seq > last delivered" after each wake-up sees every committed
// event exactly once; and only durable events go out (see flusher), so a
// database crash cannot take one back and give its seq to another. A
// cursor behind retention, or ahead of the log, is refused with ErrResync
// rather than silently skipping, and so is a read out of order (inOrder).
func (f *Follower) Follow(ctx context.Context, workspaceID, conversationID string, from Position, sink Sink) error {
	sub := f.hub.Subscribe(workspaceID)
	defer sub.Close()
	// Followers of a whole workspace share its newest events (see recent);
	// a conversation's follower reads its own.
	read := func(after int64) ([]Event, bool, error) {
		acked := f.hub.Acked(workspaceID)
		evs, err := f.log.ReadAfter(ctx, workspaceID, after, conversationID, f.batch)
		if err != nil {
			return nil, false, err
		}
		return f.durable(ctx, workspaceID, acked, evs)
	}
	if conversationID == "" {
		w := f.recent.acquire(workspaceID)
		defer f.recent.release(workspaceID)
		read = func(after int64) ([]Event, bool, error) { return f.recent.read(ctx, w, workspaceID, after, f.batch) }
	}
	head, err := f.log.Head(ctx, workspaceID)
	if err != nil {
		return err
	}
	after, pos := from.Seq, from
	switch {
	case after > head.Last:
		return ErrResync("cursor is ahead of the log")
	case after < head.Pruned:
		return ErrResync("cursor is older than the event retention")
	case from.Mark != 0 && after > head.Pruned:
		// The log must still hold the cursor's event: restored from a
		// backup and written to again, it holds another under that seq,
		// and resuming would skip or repeat events silently.
		id, err := f.log.idAt(ctx, workspaceID, after)
		if err != nil {
			return err
		}
		if markOf(id) != from.Mark {
			return ErrResync("the log no longer holds the cursor's event (restored from a backup?)")
		}
	}
	guard := newSendGuard(ctx, f.sendTimeout)
	defer guard.stop()
	flushes := newBatch(ctx)
	// A first heartbeat at once: it sends the response headers (a client's
	// Watch call returns only then) and gives a client that started "from
	// now" its cursor.
	if err := guard.send(func() error { return sink.Heartbeat(pos) }); err != nil {
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
			evs, lost, err := read(after)
			if err != nil {
				return err
			}
			if err := f.inOrder(ctx, workspaceID, conversationID, after, evs); err != nil {
				return err
			}
			flushes.hold(len(evs))
			for _, ev := range evs {
				if err := guard.send(func() error { return sink.Event(ev) }); err != nil {
					return err
				}
				after, pos = ev.Seq, At(ev)
			}
			if err := guard.send(func() error { return flushes.release(len(evs)) }); err != nil {
				return err
			}
			unread = lost || len(evs) == f.batch
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
			if err := guard.send(func() error { return sink.Heartbeat(pos) }); err != nil {
				return err
			}
		}
	}
}

// inOrder checks the promise a stream keeps: the events it sends next
// follow its cursor with nothing skipped or repeated. A workspace's seqs
// have no gaps, so its stream expects exactly after+1, after+2, ...; a
// conversation's stream, strictly rising seqs. The first event past a
// cursor that retention overtook is a resync, as for any pruned cursor;
// anything else out of order is a defect of the spine: it is logged and
// counted (tandem_stream_gaps_total) and the client resyncs rather than
// silently missing or doubling an event.
func (f *Follower) inOrder(ctx context.Context, workspaceID, conversationID string, after int64, evs []Event) error {
	prev := after
	for i, ev := range evs {
		ok := ev.Seq == prev+1 || (conversationID != "" && ev.Seq > prev)
		if i == 0 && ev.Seq > after+1 {
			// Seqs between the cursor and the first event are missing: other
			// conversations' (for a conversation's stream), or pruned ones.
			h, err := f.log.Head(ctx, workspaceID)
			if err != nil {
				return err
			}
			if after < h.Pruned {
				return ErrResync("events after the cursor were pruned")
			}
		}
		if !ok {
			f.gaps.Add(1)
			f.logger.Error("a stream would have skipped or repeated an event; the client resyncs",
				"workspace_id", workspaceID, "conversation_id", conversationID, "after_seq", prev, "next_seq", ev.Seq)
			return ErrResync("the stream lost its place in the event log")
		}
		prev = ev.Seq
	}
	return nil
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
