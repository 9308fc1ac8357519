package conversation

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Queue lists a workspace's conversations waiting for a person (pending,
// unowned), most urgent first, then longest waiting.
func (s *Service) Queue(ctx context.Context, workspaceID string, limit int) ([]Conversation, error) {
	var cs []Conversation
	err := s.db.SelectContext(ctx, &cs, `SELECT `+convColumns+` FROM conversations
		WHERE workspace_id = ? AND state = 'pending' AND assignee_id = ''
		ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 4 ELSE 3 END,
			created_at, id LIMIT ?`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return cs, nil
}

// LastAssigned is when each agent of the workspace last got a conversation.
func (s *Service) LastAssigned(ctx context.Context, workspaceID string) (map[string]int64, error) {
	var rows []struct {
		UserID string `db:"assignee_id"`
		At     int64  `db:"at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT assignee_id, MAX(assigned_at) AS at FROM conversations
		WHERE workspace_id = ? AND assignee_id <> '' GROUP BY assignee_id`, workspaceID); err != nil {
		return nil, fmt.Errorf("last assigned: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.UserID] = r.At
	}
	return out, nil
}

// router is the actor of automatic assignments.
var router = Actor{EventKind: events.ActorSystem, AuthorKind: AuthorSystem, ID: "router", Name: "Tandem"}

// AutoAssign gives a waiting conversation to the agent, if it is still
// waiting (a person may have claimed it meanwhile); it reports whether it did.
func (s *Service) AutoAssign(ctx context.Context, workspaceID, id, userID string) (bool, error) {
	u, err := s.accounts.User(ctx, userID)
	if err != nil {
		return false, err
	}
	done := false
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		conv, err := s.lock(ctx, tx, workspaceID, id)
		if err != nil || conv.State != StatePending || conv.AssigneeID != "" {
			return err
		}
		done = true
		return s.own(ctx, tx, &conv, router, userID, u.DisplayName, "auto")
	})
	return done, err
}

// ExpireRouted puts back in the queue the conversations the router gave an
// agent at or before cutoff who has not replied since; the router then
// offers them to someone else. It returns how many.
func (s *Service) ExpireRouted(ctx context.Context, workspaceID string, cutoff int64) (int, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM conversations WHERE workspace_id = ? AND state = 'active'
		AND routed_at > 0 AND routed_at <= ?`, workspaceID, cutoff); err != nil {
		return 0, fmt.Errorf("find unanswered: %w", err)
	}
	n := 0
	for _, id := range ids {
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			conv, err := s.lock(ctx, tx, workspaceID, id)
			if err != nil || conv.State != StateActive || conv.RoutedAt == 0 || conv.RoutedAt > cutoff {
				return err
			}
			n++
			return s.toQueue(ctx, tx, &conv, router, conv.GroupID, "conversation.unassigned", "unassigned",
				map[string]string{"reason": "reply_timeout"})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// QueuePosition is where a waiting conversation stands in its workspace's
// queue (1 when next), or 0 when it is not waiting.
func (s *Service) QueuePosition(ctx context.Context, workspaceID, id string) (int, error) {
	queue, err := s.Queue(ctx, workspaceID, 500)
	if err != nil {
		return 0, err
	}
	for i, c := range queue {
		if c.ID == id {
			return i + 1, nil
		}
	}
	return 0, nil
}

// Pace is the time between assignments over the window just past (0 when
// there were none): how fast the queue moves.
func (s *Service) Pace(ctx context.Context, workspaceID string, window time.Duration) (time.Duration, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM conversations WHERE workspace_id = ? AND assigned_at >= ?`,
		workspaceID, store.NowMillis(s.now().Add(-window))); err != nil || n == 0 {
		return 0, err
	}
	return window / time.Duration(n), nil
}
