// Package account owns users and their credentials: passwords (argon2id),
// session tokens and API keys, all stored hashed, expiring and revocable. It
// serves AuthService and authenticates bearer credentials for the access
// interceptors.
//
// Tables owned: users, sessions, api_keys.
// Tables read: members (a key's or user's workspaces).
// Events emitted: api_key.created, api_key.revoked (workspace-scoped).
package account

import "github.com/tandem-inbox/tandem/backend/internal/access"

// User is a person who signs in.
type User struct {
	ID           string `db:"id"`
	Email        string `db:"email"`
	DisplayName  string `db:"display_name"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    int64  `db:"created_at"`
	UpdatedAt    int64  `db:"updated_at"`
	DisabledAt   int64  `db:"disabled_at"`
}

// Session is a signed-in user's token, as stored.
type Session struct {
	ID        string `db:"id"`
	UserID    string `db:"user_id"`
	TokenHash []byte `db:"token_hash"`
	CreatedAt int64  `db:"created_at"`
	ExpiresAt int64  `db:"expires_at"`
	RevokedAt int64  `db:"revoked_at"`
}

// Issued is a new session and its token, shown to the client once.
type Issued struct {
	Token     string
	ExpiresAt int64
	User      User
}

// APIKey is an integration credential scoped to one workspace and role.
type APIKey struct {
	ID          string      `db:"id"`
	WorkspaceID string      `db:"workspace_id"`
	Name        string      `db:"name"`
	Role        access.Role `db:"role"`
	Prefix      string      `db:"prefix"`
	SecretHash  []byte      `db:"secret_hash"`
	CreatedBy   string      `db:"created_by"`
	CreatedAt   int64       `db:"created_at"`
	ExpiresAt   int64       `db:"expires_at"`
	RevokedAt   int64       `db:"revoked_at"`
	LastUsedAt  int64       `db:"last_used_at"`
}
