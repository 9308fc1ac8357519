package conversation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
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
func router() Actor {
	return Actor{EventKind: events.ActorSystem, AuthorKind: AuthorSystem, ID: "router", Name: "Tandem"}
}

// AutoAssign gives a waiting conversation to the agent, if it is still
// waiting for the router (a person may have claimed it meanwhile, routing
// may have given up on it) and the agent is not the one whose reply timeout
// just sent it back; it reports whether it did.
func (s *Service) AutoAssign(ctx context.Context, workspaceID, id, userID string) (bool, error) {
	u, err := s.accounts.User(ctx, userID)
	if err != nil {
		return false, err
	}
	done := false
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		done = false
		conv, err := s.lock(ctx, tx, workspaceID, id)
		if err != nil || conv.State != StatePending || conv.AssigneeID != "" || conv.NeedsAttention || conv.LapsedBy == userID {
			return err
		}
		done = true
		return s.own(ctx, tx, &conv, router(), userID, u.DisplayName, "auto")
	})
	return done, err
}

// ExpireRouted puts back in the queue the conversations the router gave an
// agent at or before cutoff who has not replied since; the router then
// offers them to someone else, never to that agent. Each time counts as a
// re-route: past maxReroutes the conversation waits in the queue flagged as
// needing attention (its event says so, for supervisors' notifications) and
// the router leaves it to people. The row lock makes each lapse count once,
// whichever replica sees it. It returns how many went back.
func (s *Service) ExpireRouted(ctx context.Context, workspaceID string, cutoff int64, maxReroutes int) (int, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM conversations WHERE workspace_id = ? AND state = 'active'
		AND routed_at > 0 AND routed_at <= ?`, workspaceID, cutoff); err != nil {
		return 0, fmt.Errorf("find unanswered: %w", err)
	}
	n := 0
	for _, id := range ids {
		expired := false
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			expired = false
			conv, err := s.lock(ctx, tx, workspaceID, id)
			if err != nil || conv.State != StateActive || conv.RoutedAt == 0 || conv.RoutedAt > cutoff {
				return err
			}
			expired = true
			conv.Reroutes++
			data := map[string]string{"reason": "reply_timeout", "reroutes": strconv.Itoa(conv.Reroutes)}
			lapsed := conv.AssigneeID
			if conv.Reroutes > maxReroutes {
				data[DataNeedsAttention] = "true"
			}
			return s.toQueueThen(ctx, tx, &conv, router(), conv.GroupID, events.ConversationUnassigned, "unassigned", data, func(c *Conversation) {
				c.LapsedBy, c.NeedsAttention = lapsed, data[DataNeedsAttention] == "true"
			})
		})
		if err != nil {
			return n, err
		}
		if expired {
			n++
		}
	}
	return n, nil
}

// DataNeedsAttention is the key, in the data of the conversation.unassigned
// event by which routing gives up on a conversation, set to "true".
const DataNeedsAttention = "needs_attention"

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

// PickupTimes are how long the workspace's most recent conversations (at
// most limit, handed to the team since the given time) waited for a person:
// from the handoff (or, for a conversation that never had the AI agent,
// from its start) to the first of its assignment and an agent's first
// reply. Conversations still waiting are not counted.
func (s *Service) PickupTimes(ctx context.Context, workspaceID string, since time.Time, limit int) ([]time.Duration, error) {
	var rows []struct {
		Queued       int64 `db:"queued"`
		Assigned     int64 `db:"assigned_at"`
		FirstReplied int64 `db:"first_response_at"`
	}
	from := store.NowMillis(since)
	if err := s.db.SelectContext(ctx, &rows, `SELECT h.created_at AS queued, c.assigned_at, c.first_response_at
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
		WHERE h.workspace_id = ? AND h.created_at >= ? AND h.reason <> ? AND (c.assigned_at >= h.created_at OR c.first_response_at >= h.created_at)
		ORDER BY h.created_at DESC LIMIT ?`, workspaceID, from, HandoffAgentTakeover, limit); err != nil {
		return nil, fmt.Errorf("pick-up times: %w", err)
	}
	var direct []struct {
		Queued       int64 `db:"queued"`
		Assigned     int64 `db:"assigned_at"`
		FirstReplied int64 `db:"first_response_at"`
	}
	if err := s.db.SelectContext(ctx, &direct, `SELECT created_at AS queued, assigned_at, first_response_at FROM conversations
		WHERE workspace_id = ? AND created_at >= ? AND handoff_reason = '' AND (assigned_at > 0 OR first_response_at > 0)
		ORDER BY created_at DESC LIMIT ?`, workspaceID, from, limit); err != nil {
		return nil, fmt.Errorf("pick-up times: %w", err)
	}
	rows = append(rows, direct...)
	out := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		at := int64(0)
		for _, t := range []int64{r.Assigned, r.FirstReplied} {
			if t >= r.Queued && (at == 0 || t < at) {
				at = t
			}
		}
		if at > 0 {
			out = append(out, time.Duration(at-r.Queued)*time.Millisecond)
		}
	}
	return out, nil
}

// WaitingSince is when a conversation began waiting for a person: its
// latest hand-off by the AI agent, else its start.
func (s *Service) WaitingSince(ctx context.Context, workspaceID, id string) (time.Time, error) {
	var at int64
	err := s.db.GetContext(ctx, &at, `SELECT COALESCE((SELECT MAX(h.created_at) FROM handoffs h WHERE h.conversation_id = c.id), c.created_at)
		FROM conversations c WHERE c.id = ? AND c.workspace_id = ?`, id, workspaceID)
	if store.ErrNoRows(err) {
		return time.Time{}, apperr.ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("waiting since: %w", err)
	}
	return time.UnixMilli(at), nil
}
