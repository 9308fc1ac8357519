package routing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// revisit is how long a waiting queue goes without a pass when nothing in
// its workspace's log moved: a bound on a change that reached routing
// without an event (none is known; every change that can let an agent take
// a chat, a new chat, an agent online, a chat closed or handed over, is
// one).
const revisit = 30 * time.Second

// sweep finds where routing work is due, for Run: the workspaces with a
// conversation waiting in the queue whose log moved since their last pass
// (a pass over an unchanged queue changes nothing), and those with a
// routed chat past its reply timeout. Each pass costs two indexed queries,
// proportional to the waiting and routed conversations, never to the
// workspaces: an idle one costs nothing.
type sweep struct {
	db     *store.DB
	shards *events.Shards // nil: every workspace is this replica's
	// passed is the log head of each waiting queue at its last pass, and
	// when: queues that no longer wait are forgotten.
	passed map[string]passed
}

type passed struct {
	seq int64
	at  time.Time
}

// dueWork is one workspace to route.
type dueWork struct {
	workspaceID string
	seq         int64 // its log head when found due
	queued      bool  // it has conversations waiting (not only lapses)
}

func newSweep(db *store.DB, shards *events.Shards) *sweep {
	return &sweep{db: db, shards: shards, passed: map[string]passed{}}
}

// due lists the workspaces of this replica's shards with routing work at
// now.
func (w *sweep) due(ctx context.Context, now time.Time) ([]dueWork, error) {
	// Two index-only scans of the conversations with routing work, whatever
	// the workspaces' settings: the waiting ones (conversations_queue) and
	// the routed, unanswered ones with the oldest time each workspace gave
	// one out (conversations_routed).
	var queued []string
	if err := w.db.SelectContext(ctx, &queued, `SELECT DISTINCT workspace_id FROM conversations
		WHERE state = 'pending' AND assignee_id = '' AND needs_attention = 0`); err != nil {
		return nil, fmt.Errorf("find waiting queues: %w", err)
	}
	ms := store.NowMillis(now)
	var routed []struct {
		ID     string `db:"workspace_id"`
		Oldest int64  `db:"oldest"`
	}
	if err := w.db.SelectContext(ctx, &routed, `SELECT workspace_id, MIN(routed_at) AS oldest FROM conversations
		WHERE state = 'active' AND routed_at > 0 AND routed_at <= ? GROUP BY workspace_id`, ms); err != nil {
		return nil, fmt.Errorf("find routed chats: %w", err)
	}
	oldest := make(map[string]int64, len(routed))
	candidates := make([]string, 0, len(queued)+len(routed))
	for _, id := range queued {
		if w.mine(id) {
			candidates = append(candidates, id)
		}
	}
	for _, r := range routed {
		if w.mine(r.ID) {
			oldest[r.ID] = r.Oldest
			candidates = append(candidates, r.ID)
		}
	}
	// Then, for those only, their settings and log heads.
	settings := map[string]struct {
		timeout int64
		seq     int64
	}{}
	candidates = compact(candidates)
	for len(candidates) > 0 {
		chunk := candidates[:min(len(candidates), 500)]
		candidates = candidates[len(chunk):]
		args := []any{Off}
		for _, id := range chunk {
			args = append(args, id)
		}
		var rows []struct {
			ID      string `db:"workspace_id"`
			Timeout int64  `db:"reply_timeout_seconds"`
			Seq     int64  `db:"last_seq"`
		}
		if err := w.db.SelectContext(ctx, &rows, `SELECT r.workspace_id, r.reply_timeout_seconds, ws.last_seq
			FROM routing_settings r JOIN workspaces ws ON ws.id = r.workspace_id
			WHERE r.mode <> ? AND r.workspace_id IN (`+store.Placeholders(len(chunk))+`)`, args...); err != nil {
			return nil, fmt.Errorf("read routing settings: %w", err)
		}
		for _, r := range rows {
			settings[r.ID] = struct{ timeout, seq int64 }{r.Timeout, r.Seq}
		}
	}
	var out []dueWork
	passedNext := make(map[string]passed, len(queued))
	for _, id := range queued {
		st, on := settings[id]
		if !on {
			continue // routing is off there, or the shard is another replica's
		}
		p, ok := w.passed[id]
		if ok {
			passedNext[id] = p
		}
		if ok && p.seq == st.seq && now.Sub(p.at) < revisit {
			continue // nothing changed since its last pass
		}
		out = append(out, dueWork{workspaceID: id, seq: st.seq, queued: true})
		delete(oldest, id) // its pass expires the lapsed chats too
	}
	w.passed = passedNext
	for _, r := range routed {
		st, on := settings[r.ID]
		if _, pending := oldest[r.ID]; on && pending && st.timeout > 0 && r.Oldest <= ms-st.timeout*1000 {
			out = append(out, dueWork{workspaceID: r.ID})
		}
	}
	return out, nil
}

// compact sorts ids and drops the repeated ones.
func compact(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// done records a pass over the workspace that found it due.
func (w *sweep) done(d dueWork, now time.Time) {
	if d.queued {
		w.passed[d.workspaceID] = passed{seq: d.seq, at: now}
	}
}

func (w *sweep) mine(workspaceID string) bool {
	return w.shards == nil || w.shards.Holds(w.shards.Of(workspaceID))
}
