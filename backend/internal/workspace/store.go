package workspace

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const workspaceColumns = `id, name, public_key, widget_secret, created_at, updated_at, widget_settings,
	previous_widget_secret, previous_widget_secret_expires_at`

func insertWorkspace(ctx context.Context, q store.Querier, w *Workspace) error {
	_, err := q.ExecContext(ctx, `INSERT INTO workspaces (`+workspaceColumns+`, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		w.ID, w.Name, w.PublicKey, w.WidgetSecret, w.CreatedAt, w.UpdatedAt, w.Widget,
		w.PreviousWidgetSecret, w.PreviousWidgetSecretExpiresAt)
	return err
}

func workspaceByID(ctx context.Context, q store.Querier, id string) (Workspace, error) {
	var w Workspace
	err := q.GetContext(ctx, &w, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id)
	return w, err
}

func workspaceForUpdate(ctx context.Context, tx *store.Tx, id string) (Workspace, error) {
	var w Workspace
	err := tx.GetContext(ctx, &w, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`+tx.Dialect.ForUpdate(), id)
	return w, err
}

func setWidgetSecret(ctx context.Context, q store.Querier, w *Workspace) error {
	_, err := q.ExecContext(ctx, `UPDATE workspaces SET widget_secret = ?, previous_widget_secret = ?,
		previous_widget_secret_expires_at = ?, updated_at = ? WHERE id = ?`,
		w.WidgetSecret, w.PreviousWidgetSecret, w.PreviousWidgetSecretExpiresAt, w.UpdatedAt, w.ID)
	return err
}

func updateWorkspace(ctx context.Context, q store.Querier, w *Workspace) error {
	_, err := q.ExecContext(ctx, `UPDATE workspaces SET name = ?, widget_settings = ?, updated_at = ? WHERE id = ?`,
		w.Name, w.Widget, w.UpdatedAt, w.ID)
	return err
}

// workspacesOfUser pages through a user's workspaces by (created_at, id).
func workspacesOfUser(ctx context.Context, q store.Querier, userID string, afterCreated int64, afterID string, limit int) ([]Workspace, error) {
	var ws []Workspace
	err := q.SelectContext(ctx, &ws, `SELECT w.id, w.name, w.public_key, w.widget_secret, w.created_at, w.updated_at
		FROM members m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = ? AND (w.created_at > ? OR (w.created_at = ? AND w.id > ?))
		ORDER BY w.created_at, w.id LIMIT ?`, userID, afterCreated, afterCreated, afterID, limit)
	return ws, err
}

const memberSelect = `SELECT m.workspace_id, m.user_id, u.email, u.display_name, m.role, m.created_at
	FROM members m JOIN users u ON u.id = m.user_id`

func insertMember(ctx context.Context, q store.Querier, workspaceID, userID string, role access.Role, now int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		workspaceID, userID, role, now)
	return err
}

func memberOf(ctx context.Context, q store.Querier, workspaceID, userID string, lock string) (Member, error) {
	var m Member
	err := q.GetContext(ctx, &m, memberSelect+` WHERE m.workspace_id = ? AND m.user_id = ?`+lock, workspaceID, userID)
	return m, err
}

// liveRole is the role of an enabled user in a workspace.
func liveRole(ctx context.Context, q store.Querier, workspaceID, userID string) (access.Role, error) {
	var r access.Role
	err := q.GetContext(ctx, &r, `SELECT m.role FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND m.user_id = ? AND u.disabled_at = 0`, workspaceID, userID)
	return r, err
}

func membersPage(ctx context.Context, q store.Querier, workspaceID string, afterCreated int64, afterID string, limit int) ([]Member, error) {
	var ms []Member
	err := q.SelectContext(ctx, &ms, memberSelect+` WHERE m.workspace_id = ?
		AND (m.created_at > ? OR (m.created_at = ? AND m.user_id > ?))
		ORDER BY m.created_at, m.user_id LIMIT ?`, workspaceID, afterCreated, afterCreated, afterID, limit)
	return ms, err
}

func setMemberRole(ctx context.Context, q store.Querier, workspaceID, userID string, role access.Role) error {
	_, err := q.ExecContext(ctx, `UPDATE members SET role = ? WHERE workspace_id = ? AND user_id = ?`, role, workspaceID, userID)
	return err
}

func deleteMember(ctx context.Context, q store.Querier, workspaceID, userID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	return err
}

// lockOwners locks and counts the owners of a workspace, so two concurrent
// demotions cannot both pass the last-owner check.
func lockOwners(ctx context.Context, tx *store.Tx, workspaceID string) (int, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, `SELECT user_id FROM members WHERE workspace_id = ? AND role = ?`+tx.Dialect.ForUpdate(),
		workspaceID, access.RoleOwner)
	return len(ids), err
}

// membershipRow is one of a user's memberships with its workspace's name.
type membershipRow struct {
	WorkspaceID   string      `db:"workspace_id"`
	WorkspaceName string      `db:"name"`
	Role          access.Role `db:"role"`
}

func membershipsOfUser(ctx context.Context, q store.Querier, userID string) ([]membershipRow, error) {
	var rows []membershipRow
	err := q.SelectContext(ctx, &rows, `SELECT m.workspace_id, w.name, m.role FROM members m
		JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.created_at, w.id`, userID)
	return rows, err
}

const inviteColumns = `id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by`

func insertInvite(ctx context.Context, q store.Querier, inv *Invite) error {
	_, err := q.ExecContext(ctx, `INSERT INTO invites (`+inviteColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '')`,
		inv.ID, inv.WorkspaceID, inv.Email, inv.Role, inv.TokenHash, inv.InvitedBy, inv.CreatedAt, inv.ExpiresAt)
	return err
}

func inviteByHash(ctx context.Context, q store.Querier, hash []byte, lock string) (Invite, error) {
	var inv Invite
	err := q.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = ?`+lock, hash)
	return inv, err
}

// expireInvite ends a pending invitation now.
func expireInvite(ctx context.Context, q store.Querier, id string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE invites SET expires_at = ? WHERE id = ? AND accepted_at = 0 AND expires_at > ?`, now, id, now)
	return err
}

// ownedCount counts the workspaces the user owns, locking those rows (and,
// on MySQL, the gap after them) so that concurrent creations queue.
func ownedCount(ctx context.Context, tx *store.Tx, userID string) (int, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, `SELECT workspace_id FROM members WHERE user_id = ? AND role = ?`+tx.Dialect.ForUpdate(),
		userID, access.RoleOwner)
	return len(ids), err
}

func markInviteAccepted(ctx context.Context, q store.Querier, id, userID string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE invites SET accepted_at = ?, accepted_by = ? WHERE id = ?`, now, userID, id)
	return err
}

const groupColumns = `id, workspace_id, name, description, created_at, updated_at, max_chats_per_agent`

func insertGroup(ctx context.Context, q store.Querier, g *Group) error {
	_, err := q.ExecContext(ctx, `INSERT INTO agent_groups (`+groupColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.WorkspaceID, g.Name, g.Description, g.CreatedAt, g.UpdatedAt, g.MaxChatsPerAgent)
	return err
}

func groupByID(ctx context.Context, q store.Querier, id string) (Group, error) {
	var g Group
	err := q.GetContext(ctx, &g, `SELECT `+groupColumns+` FROM agent_groups WHERE id = ?`, id)
	return g, err
}

func groupsPage(ctx context.Context, q store.Querier, workspaceID, afterName, afterID string, limit int) ([]Group, error) {
	var gs []Group
	err := q.SelectContext(ctx, &gs, `SELECT `+groupColumns+` FROM agent_groups WHERE workspace_id = ?
		AND (name > ? OR (name = ? AND id > ?)) ORDER BY name, id LIMIT ?`, workspaceID, afterName, afterName, afterID, limit)
	return gs, err
}

func updateGroup(ctx context.Context, q store.Querier, g *Group) error {
	_, err := q.ExecContext(ctx, `UPDATE agent_groups SET name = ?, description = ?, max_chats_per_agent = ?, updated_at = ? WHERE id = ?`,
		g.Name, g.Description, g.MaxChatsPerAgent, g.UpdatedAt, g.ID)
	return err
}

func deleteGroup(ctx context.Context, q store.Querier, id string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM agent_groups WHERE id = ?`, id)
	return err
}

func insertGroupMember(ctx context.Context, q store.Querier, groupID, workspaceID, userID string, now int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, workspace_id, created_at) VALUES (?, ?, ?, ?)`,
		groupID, userID, workspaceID, now)
	return err
}

func deleteGroupMember(ctx context.Context, q store.Querier, groupID, userID string) (bool, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// groupMemberIDs returns the member ids of each of the groups.
func groupMemberIDs(ctx context.Context, q store.Querier, groupIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(groupIDs))
	for i, id := range groupIDs {
		args[i] = id
	}
	var rows []struct {
		GroupID string `db:"group_id"`
		UserID  string `db:"user_id"`
	}
	err := q.SelectContext(ctx, &rows, `SELECT group_id, user_id FROM group_members WHERE group_id IN (`+
		store.Placeholders(len(groupIDs))+`) ORDER BY created_at, user_id`, args...)
	for _, r := range rows {
		out[r.GroupID] = append(out[r.GroupID], r.UserID)
	}
	return out, err
}

func workspacesByName(ctx context.Context, q store.Querier, name string) ([]Workspace, error) {
	var ws []Workspace
	err := q.SelectContext(ctx, &ws, `SELECT `+workspaceColumns+` FROM workspaces WHERE name = ? ORDER BY created_at LIMIT 2`, name)
	return ws, err
}
