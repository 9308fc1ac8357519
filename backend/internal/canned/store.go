package canned

import (
	"context"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const columns = `id, workspace_id, owner_user_id, shortcut, title, body, created_by, created_at, updated_at`

// insertResponse stores r. The scope column repeats the owner ("" for
// workspace-wide) so that one unique key, (workspace_id, scope, shortcut),
// keeps shortcuts unique per workspace and per owner.
func insertResponse(ctx context.Context, q store.Querier, r *Response) error {
	_, err := q.ExecContext(ctx, `INSERT INTO canned_responses (`+columns+`, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.OwnerUserID, r.Shortcut, r.Title, r.Body, r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.OwnerUserID)
	return err
}

func responseByID(ctx context.Context, q store.Querier, id, lock string) (Response, error) {
	var r Response
	err := q.GetContext(ctx, &r, `SELECT `+columns+` FROM canned_responses WHERE id = ?`+lock, id)
	return r, err
}

func updateResponse(ctx context.Context, q store.Querier, r *Response) error {
	_, err := q.ExecContext(ctx, `UPDATE canned_responses SET shortcut = ?, title = ?, body = ?, updated_at = ? WHERE id = ?`,
		r.Shortcut, r.Title, r.Body, r.UpdatedAt, r.ID)
	return err
}

func deleteResponse(ctx context.Context, q store.Querier, id string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM canned_responses WHERE id = ?`, id)
	return err
}

// responsesPage pages by (shortcut, id) through a workspace's workspace-wide
// responses and the owner's personal ones ("" owner: workspace-wide only).
// A query keeps those whose shortcut starts with it or whose title or body
// contains it. Case is folded on both sides with LOWER (Unicode's on both
// dialects: the store replaces SQLite's ASCII-only one).
func responsesPage(ctx context.Context, q store.Querier, workspaceID, owner, query, afterShortcut, afterID string, limit int) ([]Response, error) {
	where := `workspace_id = ? AND scope IN ('', ?) AND (shortcut > ? OR (shortcut = ? AND id > ?))`
	args := []any{workspaceID, owner, afterShortcut, afterShortcut, afterID}
	if query != "" {
		text := store.LikeEscape(strings.ToLower(query))
		where += ` AND (shortcut LIKE ? ESCAPE '!' OR LOWER(title) LIKE ? ESCAPE '!' OR LOWER(body) LIKE ? ESCAPE '!')`
		args = append(args, text+"%", "%"+text+"%", "%"+text+"%")
	}
	var rs []Response
	err := q.SelectContext(ctx, &rs, `SELECT `+columns+` FROM canned_responses WHERE `+where+` ORDER BY shortcut, id LIMIT ?`,
		append(args, limit)...)
	return rs, err
}
