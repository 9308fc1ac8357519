package events

import (
	"context"
	"time"
)

// Pass is one sweep done in the caller's goroutine (over the events since
// from; a zero from is a full sweep): it drains each workspace of a held
// shard with events past the reactor's cursor, and says how many it
// drained.
func (r *Reactor) Pass(ctx context.Context, shards *Shards, from time.Time) (int, error) {
	ids, err := r.due(ctx, shards, from)
	if err != nil {
		return 0, err
	}
	for i, ws := range ids {
		if err := r.drain(ctx, ws, nil); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// Ensure creates the shards' rows.
func (s *Shards) Ensure(ctx context.Context) error { return s.ensure(ctx) }

// Tick is one round of Run: renew, take, give back.
func (s *Shards) Tick(ctx context.Context) error { return s.tick(ctx) }

// Crash makes Run end as a crashed replica's would: without giving its
// shards back, which the others take once their lease has run out.
func (s *Shards) Crash() { s.release = false }

// Window joins the followers of the workspace's shared newest events (see
// recent.go) as one more: read is a follower's read after its cursor.
func (f *Follower) Window(workspaceID string) (read func(ctx context.Context, after int64) ([]Event, error), release func()) {
	w := f.recent.acquire(workspaceID)
	return func(ctx context.Context, after int64) ([]Event, error) {
			evs, _, err := f.recent.read(ctx, w, workspaceID, after, f.batch)
			return evs, err
		}, func() {
			f.recent.release(workspaceID)
		}
}
