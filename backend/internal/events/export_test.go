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
