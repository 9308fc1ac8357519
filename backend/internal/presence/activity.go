package presence

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// An agent whose app has shown no open stream for InactiveAfter goes
// offline; their next stream brings them back to online. Streams report
// themselves at most every seenEvery, so an idle app costs one write a
// minute, not one per heartbeat.
const (
	InactiveAfter = 3 * time.Minute
	seenEvery     = time.Minute
)

// Activity records that agents' apps are connected. It remembers, per
// replica, when it last wrote for each agent.
type Activity struct {
	svc  *Service
	mu   sync.Mutex
	last map[[2]string]time.Time
}

// NewActivity returns the activity recorder of the service.
func (s *Service) NewActivity() *Activity {
	return &Activity{svc: s, last: map[[2]string]time.Time{}}
}

// Seen records that the user's app has a stream open in the workspace now.
// An agent inactivity took offline comes back online.
func (a *Activity) Seen(ctx context.Context, workspaceID, userID string) error {
	key, now := [2]string{workspaceID, userID}, a.svc.now()
	a.mu.Lock()
	if now.Sub(a.last[key]) < seenEvery {
		a.mu.Unlock()
		return nil
	}
	a.last[key] = now
	if len(a.last) > 100_000 { // forget everyone rather than grow without bound
		clear(a.last)
	}
	a.mu.Unlock()

	ms := store.NowMillis(now)
	res, err := a.svc.db.ExecContext(ctx, `UPDATE agent_status SET last_seen_at = ?
		WHERE workspace_id = ? AND user_id = ? AND auto_offline = 0`, ms, workspaceID, userID)
	if err != nil {
		return fmt.Errorf("record activity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	// No row (the agent never set a presence) or one inactivity set offline.
	return a.svc.db.InTx(ctx, func(tx *store.Tx) error {
		ag, exists, err := get(ctx, tx, workspaceID, userID)
		if err != nil || !exists || !ag.AutoOffline {
			return err
		}
		ag.Status, ag.AutoOffline, ag.LastSeenAt, ag.StatusChangedAt, ag.UpdatedAt = Online, false, ms, ms, ms
		if err := save(ctx, tx, ag, true); err != nil {
			return fmt.Errorf("restore presence: %w", err)
		}
		return a.svc.record(ctx, tx, events.ActorSystem, "", events.PresenceChanged, ag, "reconnected")
	})
}

// ExpireInactive takes offline every online or away agent whose app was
// last seen before the instant, each with a presence.changed event, and
// returns how many. Replicas may run it at once: each agent changes once.
func (s *Service) ExpireInactive(ctx context.Context, before time.Time) (int, error) {
	var keys []struct {
		WorkspaceID string `db:"workspace_id"`
		UserID      string `db:"user_id"`
	}
	cutoff := store.NowMillis(before)
	if err := s.db.SelectContext(ctx, &keys, `SELECT workspace_id, user_id FROM agent_status
		WHERE status IN ('online', 'away') AND last_seen_at < ? LIMIT 1000`, cutoff); err != nil {
		return 0, fmt.Errorf("find inactive agents: %w", err)
	}
	n := 0
	for _, k := range keys {
		changed := false
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			changed = false
			ag, exists, err := get(ctx, tx, k.WorkspaceID, k.UserID)
			if err != nil || !exists || ag.Status == Offline || ag.LastSeenAt >= cutoff {
				return err
			}
			now := store.NowMillis(s.now())
			ag.Status, ag.AutoOffline, ag.StatusChangedAt, ag.UpdatedAt = Offline, true, now, now
			if err := save(ctx, tx, ag, true); err != nil {
				return fmt.Errorf("expire presence: %w", err)
			}
			changed = true
			return s.record(ctx, tx, events.ActorSystem, "", events.PresenceChanged, ag, "inactive")
		})
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}
