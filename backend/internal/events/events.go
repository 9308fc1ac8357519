// Package events is Tandem's spine: the event log and the bus that wakes its
// readers. Every state change appends an event row in the change's own
// transaction (Append); after commit the bus carries a wake-up naming the
// workspace and its newest sequence number. The bus is only a hint: readers
// that see a gap, or that resume from a cursor, read the log.
//
// Reactors (Reactor) feed the log to the server's own reactions, in order
// per workspace, only where there are events; the replicas running them
// divide the workspaces in leased shards (Shards).
//
// Tables owned: events, log_flushes, reactor_cursors, reactor_shards,
// reactor_replicas, server_secrets (the key of stream cursors, and the
// secrets other packages keep through Secret).
// Columns owned: workspaces.last_seq (the per-workspace sequence),
// workspaces.pruned_seq.
package events

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Visibility says who may see an event.
type Visibility string

// Visibilities, from widest to narrowest.
const (
	// Public events are seen by the conversation's customer and by agents.
	Public Visibility = "public"
	// Agents events are seen by members of the workspace, never by customers.
	Agents Visibility = "agents"
	// Admins events are seen by workspace admins and owners only.
	Admins Visibility = "admins"
)

// Actor kinds.
const (
	ActorUser    = "user"
	ActorAPIKey  = "api_key"
	ActorVisitor = "visitor"
	ActorBot     = "bot"
	ActorRule    = "rule"
	ActorSystem  = "system"
)

// Event is one row of the log.
type Event struct {
	WorkspaceID    string     `db:"workspace_id"`
	Seq            int64      `db:"seq"`
	ID             string     `db:"id"`
	Type           Type       `db:"type"`
	ConversationID string     `db:"conversation_id"`
	ActorKind      string     `db:"actor_kind"`
	ActorID        string     `db:"actor_id"`
	Visibility     Visibility `db:"visibility"`
	// Payload is the JSON the event's type defines.
	Payload   []byte `db:"payload"`
	CreatedAt int64  `db:"created_at"`
}

// Self events are seen only by the streams of the user who caused them (their
// read markers, for their other devices).
const Self Visibility = "self"

// Direct events are seen only by the member their payload's user_id names
// (a mention).
const Direct Visibility = "direct"

// Notifier is told, after commit, that a workspace's log advanced to seq.
type Notifier interface {
	Notify(workspaceID string, seq int64)
}

// Log appends events to the log and reads them back.
type Log struct {
	db       *store.DB
	notifier Notifier
	now      func() time.Time
}

// NewLog returns the log of db that wakes notifier after each commit.
func NewLog(db *store.DB, notifier Notifier, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, notifier: notifier, now: now}
}

// Append writes ev to the log inside tx, filling its ID, Seq and CreatedAt.
//
// The sequence comes from the workspace row, incremented under its row lock,
// which is held until tx commits; so within a workspace no event with a
// higher seq can commit before a lower one, and readers never skip an event
// that commits late. Append is the last write of a transaction by
// convention, which keeps the lock short and the lock order the same
// everywhere (domain rows first, then the workspace row).
func (l *Log) Append(ctx context.Context, tx *store.Tx, ev *Event) error {
	return l.AppendWith(ctx, tx, ev, nil)
}

// AppendWith is Append for a payload that must name its own seq (a message
// records its position in the conversation): build is called with the seq
// once it is allocated, and its result becomes the payload.
func (l *Log) AppendWith(ctx context.Context, tx *store.Tx, ev *Event, build func(seq int64) ([]byte, error)) error {
	res, err := tx.ExecContext(ctx, `UPDATE workspaces SET last_seq = last_seq + 1 WHERE id = ?`, ev.WorkspaceID)
	if err != nil {
		return fmt.Errorf("allocate event seq: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("allocate event seq: workspace %s not found", ev.WorkspaceID)
	}
	if err := tx.GetContext(ctx, &ev.Seq, `SELECT last_seq FROM workspaces WHERE id = ?`, ev.WorkspaceID); err != nil {
		return fmt.Errorf("read event seq: %w", err)
	}
	if build != nil {
		if ev.Payload, err = build(ev.Seq); err != nil {
			return fmt.Errorf("build %s payload: %w", ev.Type, err)
		}
	}
	ev.ID = uuid.NewString()
	ev.CreatedAt = store.NowMillis(l.now())
	if ev.Visibility == "" {
		ev.Visibility = Agents
	}
	if ev.Payload == nil {
		ev.Payload = []byte("{}")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events
		(workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.WorkspaceID, ev.Seq, ev.ID, ev.Type, ev.ConversationID, ev.ActorKind, ev.ActorID,
		ev.Visibility, ev.Payload, ev.CreatedAt)
	if err != nil {
		return fmt.Errorf("append event %s: %w", ev.Type, err)
	}
	if l.notifier != nil {
		ws, seq := ev.WorkspaceID, ev.Seq
		tx.AfterCommit(func() { l.notifier.Notify(ws, seq) })
	}
	return nil
}
