package push

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, user_id, endpoint, p256dh, auth, user_agent, created_at, updated_at, last_success_at, failures`

// endpointHash is the key a subscription's endpoint is found by.
func endpointHash(endpoint string) []byte {
	h := sha256.Sum256([]byte(endpoint))
	return h[:]
}

// memberSubscriptions lists a member's subscriptions in a workspace.
func memberSubscriptions(ctx context.Context, q store.Querier, workspaceID, userID string) ([]Subscription, error) {
	var subs []Subscription
	if err := q.SelectContext(ctx, &subs, `SELECT `+columns+` FROM push_subscriptions WHERE workspace_id = ? AND user_id = ? ORDER BY id`,
		workspaceID, userID); err != nil {
		return nil, fmt.Errorf("list push subscriptions: %w", err)
	}
	return subs, nil
}

// moveEndpoint deletes the endpoint's subscriptions of other users, in any
// workspace: whoever subscribes a browser now is the one signed in there.
func moveEndpoint(ctx context.Context, tx *store.Tx, hash []byte, userID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint_hash = ? AND user_id <> ?`, hash, userID); err != nil {
		return fmt.Errorf("move push subscription: %w", err)
	}
	return nil
}

// refresh updates the keys of the endpoint's subscription in the workspace
// and reports whether there was one.
func refresh(ctx context.Context, tx *store.Tx, sub *Subscription, hash []byte) (bool, error) {
	var id string
	err := tx.GetContext(ctx, &id, `SELECT id FROM push_subscriptions WHERE endpoint_hash = ? AND workspace_id = ?`+tx.Dialect.ForUpdate(),
		hash, sub.WorkspaceID)
	if store.ErrNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find push subscription: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET endpoint = ?, p256dh = ?, auth = ?, user_agent = ?, updated_at = ?, failures = 0
		WHERE id = ?`, sub.Endpoint, sub.P256dh, sub.Auth, sub.UserAgent, sub.UpdatedAt, id); err != nil {
		return false, fmt.Errorf("update push subscription: %w", err)
	}
	return true, nil
}

// countLocked counts a member's subscriptions in a workspace, locking them
// (on MySQL; a write transaction holds the database on SQLite) so that two
// subscribes at once cannot both pass the cap.
func countLocked(ctx context.Context, tx *store.Tx, workspaceID, userID string) (int, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM push_subscriptions WHERE workspace_id = ? AND user_id = ?`+tx.Dialect.ForUpdate(),
		workspaceID, userID); err != nil {
		return 0, fmt.Errorf("count push subscriptions: %w", err)
	}
	return len(ids), nil
}

func insert(ctx context.Context, tx *store.Tx, sub *Subscription, hash []byte) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (id, workspace_id, user_id, endpoint, endpoint_hash, p256dh, auth,
		user_agent, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sub.ID, sub.WorkspaceID, sub.UserID, sub.Endpoint, hash,
		sub.P256dh, sub.Auth, sub.UserAgent, sub.CreatedAt, sub.UpdatedAt); err != nil {
		return fmt.Errorf("insert push subscription: %w", err)
	}
	return nil
}

// deleteMember deletes a member's subscription of the endpoint in a
// workspace (all of theirs there when hash is nil).
func deleteMember(ctx context.Context, q store.Querier, workspaceID, userID string, hash []byte) error {
	query, args := `DELETE FROM push_subscriptions WHERE workspace_id = ? AND user_id = ?`, []any{workspaceID, userID}
	if hash != nil {
		query, args = query+` AND endpoint_hash = ?`, append(args, hash)
	}
	if _, err := q.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("delete push subscriptions: %w", err)
	}
	return nil
}

// record writes what one round of sends found: the subscriptions their
// push service no longer knows are deleted, the others count their
// success or failure.
func record(ctx context.Context, q store.Querier, now int64, gone, ok, failed []string) error {
	if len(gone) > 0 {
		if _, err := q.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id IN (`+store.Placeholders(len(gone))+`)`, anys(gone)...); err != nil {
			return fmt.Errorf("delete expired push subscriptions: %w", err)
		}
	}
	if len(ok) > 0 {
		if _, err := q.ExecContext(ctx, `UPDATE push_subscriptions SET last_success_at = ?, failures = 0 WHERE id IN (`+
			store.Placeholders(len(ok))+`)`, append([]any{now}, anys(ok)...)...); err != nil {
			return fmt.Errorf("record push successes: %w", err)
		}
	}
	if len(failed) > 0 {
		if _, err := q.ExecContext(ctx, `UPDATE push_subscriptions SET failures = failures + 1 WHERE id IN (`+
			store.Placeholders(len(failed))+`)`, anys(failed)...); err != nil {
			return fmt.Errorf("record push failures: %w", err)
		}
	}
	return nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
