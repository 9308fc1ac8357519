package events

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Reactor feeds each event of a workspace's log, in seq order, to a
// handler: the spine of the server's own reactions (the AI agent, automation
// rules, SLA clocks, notifications, metrics). Its position in each
// workspace's log is kept in reactor_cursors, so a restart resumes where it
// stopped. Run reacts only in the workspaces whose shards this replica holds
// (see Shards), and only where there are events past the cursor: work
// follows events, never the number of workspaces. Delivery is at least
// once: a handler must be idempotent, since after a crash it may see an
// event again.
type Reactor struct {
	name   string
	log    *Log
	hub    *Hub
	db     *store.DB
	handle func(ctx context.Context, ev Event) error
	logger *slog.Logger
	now    func() time.Time
	// gated: the reactor reacts only where its feature made it a cursor
	// (see Gated).
	gated bool

	// draining serializes drains per workspace in this process (the run
	// loop's workers, and Settle before the AI agent answers, both drain):
	// two drains handling one workspace's events side by side would let a
	// slower one redo an old event after a newer one undid its effect. It
	// holds only the workspaces being drained, and never makes one
	// workspace wait for another.
	draining keyedMutex
}

// NewReactor returns a reactor named name (its cursor key) calling handle
// for each event.
func NewReactor(name string, log *Log, hub *Hub, handle func(ctx context.Context, ev Event) error, logger *slog.Logger) *Reactor {
	return &Reactor{name: name, log: log, hub: hub, db: log.db, handle: handle,
		logger: logger.With("reactor", name), now: time.Now}
}

// Gated makes the reactor react only in the workspaces where its feature
// is on: where the feature, turned on, made the reactor a cursor
// (StartCursor, in the transaction that turns it on) until, turned off, it
// dropped it (StopCursor, likewise). Where the feature is off the reactor
// has no cursor, hence no lag behind the log (tandem_reactor_lag_events
// counts cursors' lag), and costs nothing. An ungated reactor (on
// everywhere) makes its own cursor where it first reacts. It returns r.
func (r *Reactor) Gated() *Reactor {
	r.gated = true
	return r
}

// errNoCursor is a gated reactor's answer for a workspace where its feature
// is off.
var errNoCursor = errors.New("no cursor: the reactor's feature is off in the workspace")

// errShardLost stops a drain in a shard this replica no longer holds.
var errShardLost = errors.New("the workspace's shard is no longer held here")

// Drain handles every event of the workspace after the reactor's cursor,
// moving the cursor past each one handled. It stops at the first handler
// error, to retry from there next time.
func (r *Reactor) Drain(ctx context.Context, workspaceID string) error {
	return r.drain(ctx, workspaceID, nil)
}

// drain is Drain that, given held, checks before each event that this
// replica may still act in the workspace.
func (r *Reactor) drain(ctx context.Context, workspaceID string, held func() bool) error {
	defer r.draining.lock(workspaceID)()
	after, err := r.cursor(ctx, workspaceID)
	if errors.Is(err, errNoCursor) {
		return nil // off here: nothing to do
	}
	if err != nil {
		return err
	}
	for {
		evs, err := r.log.ReadAfter(ctx, workspaceID, after, "", 200)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, ev := range evs {
			if held != nil && !held() {
				return errShardLost
			}
			if err := r.handle(ctx, ev); err != nil {
				return fmt.Errorf("event %d (%s): %w", ev.Seq, ev.Type, err)
			}
			after = ev.Seq
			if _, err := r.db.ExecContext(ctx, `UPDATE reactor_cursors SET seq = ? WHERE name = ? AND workspace_id = ? AND seq < ?`,
				after, r.name, workspaceID, after); err != nil {
				return fmt.Errorf("move cursor: %w", err)
			}
		}
	}
}

// stripe maps a key to one of n stripes (FNV-1a).
func stripe(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))       // a hash.Hash never fails to write
	return int(h.Sum32() % uint32(n)) //nolint:gosec // n is a small positive stripe count
}

// startGrace is how far back a reactor meeting a workspace for the first
// time reaches: it reacts to the last minute's events (a new workspace's
// first ones), not to older history.
const startGrace = time.Minute

// cursor returns where the reactor is in the workspace's log; see startGrace
// for a workspace it never saw.
func (r *Reactor) cursor(ctx context.Context, workspaceID string) (int64, error) {
	var seq int64
	err := r.db.GetContext(ctx, &seq, `SELECT seq FROM reactor_cursors WHERE name = ? AND workspace_id = ?`, r.name, workspaceID)
	if err == nil || !store.ErrNoRows(err) {
		return seq, err
	}
	if r.gated {
		return 0, errNoCursor
	}
	var start int64
	if err := r.db.GetContext(ctx, &start, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = ? AND created_at < ?`,
		workspaceID, store.NowMillis(r.now().Add(-startGrace))); err != nil {
		return 0, fmt.Errorf("find start: %w", err)
	}
	if _, err := r.db.ExecContext(ctx, `INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until)
		VALUES (?, ?, ?, '', 0)`, r.name, workspaceID, start); err != nil && !r.db.Dialect.IsUniqueViolation(err) {
		return 0, fmt.Errorf("start cursor: %w", err)
	}
	err = r.db.GetContext(ctx, &seq, `SELECT seq FROM reactor_cursors WHERE name = ? AND workspace_id = ?`, r.name, workspaceID)
	return seq, err
}

// StartCursor makes the named reactor start after seq in the workspace,
// inside the caller's transaction, unless it has a cursor there already:
// a feature turned on by an event reacts to everything after that event.
func StartCursor(ctx context.Context, tx *store.Tx, name, workspaceID string, seq int64) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM reactor_cursors WHERE name = ? AND workspace_id = ?`, name, workspaceID); err != nil {
		return fmt.Errorf("find cursor: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until)
		VALUES (?, ?, ?, '', 0)`, name, workspaceID, seq); err != nil {
		return fmt.Errorf("start cursor: %w", err)
	}
	return nil
}

// StopCursor drops the named reactor's cursor in the workspace, inside the
// caller's transaction: a feature turned off by an event leaves its (gated)
// reactor nothing to do there, and nothing to lag behind.
func StopCursor(ctx context.Context, tx *store.Tx, name, workspaceID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM reactor_cursors WHERE name = ? AND workspace_id = ?`, name, workspaceID); err != nil {
		return fmt.Errorf("stop cursor: %w", err)
	}
	return nil
}

// CursorAt returns where the named reactor stands in the workspace's log:
// the seq of the last event it handled (0 when it has no cursor there).
func CursorAt(ctx context.Context, q store.Querier, name, workspaceID string) (int64, error) {
	var seq int64
	err := q.GetContext(ctx, &seq, `SELECT seq FROM reactor_cursors WHERE name = ? AND workspace_id = ?`, name, workspaceID)
	if store.ErrNoRows(err) {
		return 0, nil
	}
	return seq, err
}
