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
	log       *Log
	hub       *Hub
	heartbeat time.Duration
	batch     int
	draining  <-chan struct{}
}

// NewFollower returns a follower that sends heartbeats at the interval and
// ends its streams when draining closes.
func NewFollower(log *Log, hub *Hub, heartbeat time.Duration, draining <-chan struct{}) *Follower {
	return &Follower{log: log, hub: hub, heartbeat: heartbeat, batch: 256, draining: draining}
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
	// A first heartbeat at once: it sends the response headers (a client's
	// Watch call returns only then) and gives a client that started "from
	// now" its cursor.
	if err := sink.Heartbeat(after); err != nil {
		return err
	}
	heartbeat := time.NewTicker(f.heartbeat)
	defer heartbeat.Stop()
	for {
		for {
			evs, err := f.log.ReadAfter(ctx, workspaceID, after, conversationID, f.batch)
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
			for _, ev := range evs {
				if err := sink.Event(ev); err != nil {
					return err
				}
				after = ev.Seq
			}
			if len(evs) < f.batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.draining:
			return apperr.New(apperr.Unavailable, "the server is restarting: reconnect with your cursor").WithDetail(Reconnect)
		case <-sub.Wake:
		case e := <-sub.Ephemeral:
			if err := sink.Ephemeral(e); err != nil {
				return err
			}
		case <-heartbeat.C:
			if err := sink.Heartbeat(after); err != nil {
				return err
			}
		}
	}
}
