package notify

import (
	"context"
	"fmt"
	"slices"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, user_id, type, conversation_id, title, body, event_id, created_at, read_at`

// List pages through a member's notifications, newest first, and counts
// their unread ones.
func (s *Service) List(ctx context.Context, workspaceID, userID string, unreadOnly bool, size int32, token string) ([]Notification, string, int64, error) {
	limit := page.Size(size)
	beforeAt, beforeID := int64(1<<62), ""
	if _, err := page.Decode(token, &beforeAt, &beforeID); err != nil {
		return nil, "", 0, err
	}
	q := `SELECT ` + columns + ` FROM notifications WHERE workspace_id = ? AND user_id = ?
		AND (created_at < ? OR (created_at = ? AND id < ?))`
	if unreadOnly {
		q += ` AND read_at = 0`
	}
	var ns []Notification
	if err := s.db.SelectContext(ctx, &ns, q+` ORDER BY created_at DESC, id DESC LIMIT ?`,
		workspaceID, userID, beforeAt, beforeAt, beforeID, limit+1); err != nil {
		return nil, "", 0, fmt.Errorf("list notifications: %w", err)
	}
	ns, next := page.Cut(ns, limit, func(n Notification) []any { return []any{n.CreatedAt, n.ID} })
	unread, err := s.unread(ctx, workspaceID, userID)
	return ns, next, unread, err
}

func (s *Service) unread(ctx context.Context, workspaceID, userID string) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM notifications WHERE workspace_id = ? AND user_id = ? AND read_at = 0`,
		workspaceID, userID)
	return n, err
}

// MarkRead marks the member's notifications read (all of them when ids is
// empty) and returns how many stay unread.
func (s *Service) MarkRead(ctx context.Context, workspaceID, userID string, ids []string) (int64, error) {
	now := store.NowMillis(s.now())
	q, args := `UPDATE notifications SET read_at = ? WHERE workspace_id = ? AND user_id = ? AND read_at = 0`, []any{now, workspaceID, userID}
	if len(ids) > 0 {
		q += ` AND id IN (` + store.Placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	return s.unread(ctx, workspaceID, userID)
}

// Preferences returns whether each type is on for the member.
func (s *Service) Preferences(ctx context.Context, workspaceID, userID string) (map[string]bool, error) {
	var rows []struct {
		Type    string `db:"type"`
		Enabled bool   `db:"enabled"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT type, enabled FROM notification_prefs WHERE workspace_id = ? AND user_id = ?`,
		workspaceID, userID); err != nil {
		return nil, fmt.Errorf("read preferences: %w", err)
	}
	out := map[string]bool{}
	for _, t := range Types {
		out[t] = true
	}
	for _, r := range rows {
		out[r.Type] = r.Enabled
	}
	return out, nil
}

// SetPreferences turns types on or off for the member.
func (s *Service) SetPreferences(ctx context.Context, workspaceID, userID string, prefs map[string]bool) (map[string]bool, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for typ, on := range prefs {
			if !slices.Contains(Types, typ) {
				return apperr.Invalid("preferences", "unknown notification type "+typ)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM notification_prefs WHERE workspace_id = ? AND user_id = ? AND type = ?`,
				workspaceID, userID, typ); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_prefs (workspace_id, user_id, type, enabled) VALUES (?, ?, ?, ?)`,
				workspaceID, userID, typ, on); err != nil {
				return fmt.Errorf("save preference: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Preferences(ctx, workspaceID, userID)
}

// enabled reports whether the member gets the type.
func (s *Service) enabled(ctx context.Context, workspaceID, userID, typ string) (bool, error) {
	var on bool
	err := s.db.GetContext(ctx, &on, `SELECT enabled FROM notification_prefs WHERE workspace_id = ? AND user_id = ? AND type = ?`,
		workspaceID, userID, typ)
	if store.ErrNoRows(err) {
		return true, nil
	}
	return on, err
}
