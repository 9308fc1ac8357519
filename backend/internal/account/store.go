package account

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const userColumns = `id, email, display_name, password_hash, created_at, updated_at, disabled_at`

func insertUser(ctx context.Context, q store.Querier, u *User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.DisplayName, u.PasswordHash, u.CreatedAt, u.UpdatedAt, u.DisabledAt)
	return err
}

func userByEmail(ctx context.Context, q store.Querier, email string) (User, error) {
	var u User
	err := q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE email = ?`, email)
	return u, err
}

func userByID(ctx context.Context, q store.Querier, id string) (User, error) {
	var u User
	err := q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
	return u, err
}

func setPassword(ctx context.Context, q store.Querier, userID, hash string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now, userID)
	return err
}

func insertSession(ctx context.Context, q store.Querier, s *Session) error {
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, 0)`, s.ID, s.UserID, s.TokenHash, s.CreatedAt, s.ExpiresAt)
	return err
}

// sessionUser is a live session joined with its user, for authentication.
type sessionUser struct {
	SessionID  string `db:"session_id"`
	UserID     string `db:"user_id"`
	ExpiresAt  int64  `db:"expires_at"`
	RevokedAt  int64  `db:"revoked_at"`
	DisabledAt int64  `db:"disabled_at"`
}

func sessionByHash(ctx context.Context, q store.Querier, hash []byte) (sessionUser, error) {
	var s sessionUser
	err := q.GetContext(ctx, &s, `SELECT s.id AS session_id, s.user_id, s.expires_at, s.revoked_at, u.disabled_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hash)
	return s, err
}

func revokeSession(ctx context.Context, q store.Querier, id string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, now, id)
	return err
}

func revokeUserSessions(ctx context.Context, q store.Querier, userID string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, now, userID)
	return err
}

const apiKeyColumns = `id, workspace_id, name, role, prefix, secret_hash, created_by, created_at, expires_at, revoked_at, last_used_at` //nolint:gosec // G101: column names, not a credential

func insertAPIKey(ctx context.Context, q store.Querier, k *APIKey) error {
	_, err := q.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
		k.ID, k.WorkspaceID, k.Name, k.Role, k.Prefix, k.SecretHash, k.CreatedBy, k.CreatedAt, k.ExpiresAt)
	return err
}

// liveAPIKeyByHash finds a key whose creator is still an enabled member of
// the key's workspace: a key dies with its creator's membership.
func liveAPIKeyByHash(ctx context.Context, q store.Querier, hash []byte) (APIKey, error) {
	var k APIKey
	err := q.GetContext(ctx, &k, `SELECT `+store.Prefixed("k.", apiKeyColumns)+` FROM api_keys k
		JOIN members m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
		JOIN users u ON u.id = k.created_by AND u.disabled_at = 0
		WHERE k.secret_hash = ?`, hash)
	return k, err
}

func apiKeyByID(ctx context.Context, q store.Querier, id string) (APIKey, error) {
	var k APIKey
	err := q.GetContext(ctx, &k, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id)
	return k, err
}

func apiKeysOfWorkspace(ctx context.Context, q store.Querier, workspaceID string) ([]APIKey, error) {
	var ks []APIKey
	err := q.SelectContext(ctx, &ks, `SELECT `+apiKeyColumns+` FROM api_keys WHERE workspace_id = ?
		ORDER BY created_at, id`, workspaceID)
	return ks, err
}

func revokeAPIKey(ctx context.Context, q store.Querier, id string, now int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, now, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func touchAPIKey(ctx context.Context, q store.Querier, id string, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, id)
	return err
}

func anyUser(ctx context.Context, q store.Querier) (bool, error) {
	var ids []string
	err := q.SelectContext(ctx, &ids, `SELECT id FROM users LIMIT 1`)
	return len(ids) > 0, err
}
