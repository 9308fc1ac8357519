package events

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const eventColumns = `workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at`

// ReadAfter returns up to limit events of the workspace with seq > after, in
// seq order; with a conversation id, only that conversation's.
func (l *Log) ReadAfter(ctx context.Context, workspaceID string, after int64, conversationID string, limit int) ([]Event, error) {
	var evs []Event
	var err error
	if conversationID == "" {
		err = l.db.SelectContext(ctx, &evs, `SELECT `+eventColumns+` FROM events
			WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`, workspaceID, after, limit)
	} else {
		err = l.db.SelectContext(ctx, &evs, `SELECT `+eventColumns+` FROM events
			WHERE workspace_id = ? AND conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`, workspaceID, conversationID, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

// Head is a workspace's newest seq, its event's id ("" when there is none)
// and the highest seq pruned by retention.
type Head struct {
	Last   int64  `db:"last_seq"`
	LastID string `db:"last_id"`
	Pruned int64  `db:"pruned_seq"`
}

// Head reads a workspace's log head.
func (l *Log) Head(ctx context.Context, workspaceID string) (Head, error) {
	var h Head
	if err := l.db.GetContext(ctx, &h, `SELECT w.last_seq, COALESCE(e.id, '') AS last_id, w.pruned_seq
		FROM workspaces w LEFT JOIN events e ON e.workspace_id = w.id AND e.seq = w.last_seq
		WHERE w.id = ?`, workspaceID); err != nil {
		return Head{}, fmt.Errorf("read log head: %w", err)
	}
	return h, nil
}

// idAt is the id of the workspace's event seq, "" if the log holds none.
func (l *Log) idAt(ctx context.Context, workspaceID string, seq int64) (string, error) {
	var id string
	err := l.db.GetContext(ctx, &id, `SELECT id FROM events WHERE workspace_id = ? AND seq = ?`, workspaceID, seq)
	if store.ErrNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read event %d: %w", seq, err)
	}
	return id, nil
}

// holds reports whether the workspace's event seq is still the event id.
func (l *Log) holds(ctx context.Context, workspaceID string, seq int64, id string) (bool, error) {
	var n int
	if err := l.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM events WHERE workspace_id = ? AND seq = ? AND id = ?`,
		workspaceID, seq, id); err != nil {
		return false, fmt.Errorf("check event %d: %w", seq, err)
	}
	return n == 1, nil
}
