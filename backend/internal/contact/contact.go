// Package contact owns customers: their profiles (name, email, external id,
// verified and unverified attributes) and the visitor sessions through which
// the widget acts for them. A store can vouch for a shopper by signing their
// identity with the workspace's widget secret; what it signs is verified,
// anything else the browser says is kept but marked unverified.
//
// Tables owned: contacts, visitor_sessions.
// Events emitted: contact.created, contact.updated.
package contact

import "github.com/tandem-inbox/tandem/backend/internal/store"

// Contact is a customer of a workspace.
type Contact struct {
	ID               string  `db:"id" json:"id"`
	WorkspaceID      string  `db:"workspace_id" json:"workspace_id"`
	ExternalID       *string `db:"external_id" json:"external_id,omitempty"`
	Name             string  `db:"name" json:"name"`
	Email            string  `db:"email" json:"email"`
	AttributesJSON   string  `db:"attributes" json:"-"`
	IdentityVerified bool    `db:"identity_verified" json:"identity_verified"`
	CreatedAt        int64   `db:"created_at" json:"created_at"`
	UpdatedAt        int64   `db:"updated_at" json:"updated_at"`
	LastSeenAt       int64   `db:"last_seen_at" json:"last_seen_at"`

	// Verified and Unverified are the attributes, split by whether the
	// store vouched for them.
	Verified   store.JSONMap `db:"-" json:"verified,omitempty"`
	Unverified store.JSONMap `db:"-" json:"unverified,omitempty"`
}

// DisplayName is how agents and the widget name the contact.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Email != "" {
		return c.Email
	}
	return "Visitor"
}

// Identity is what a store vouches for, as the JSON it signs.
type Identity struct {
	ExternalID string         `json:"external_id"`
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Attributes map[string]any `json:"attributes"`
	// IssuedAt and Expires (unix seconds) bound when the identity may start
	// a session, so a signed identity copied from a page cannot be replayed
	// later; both are required.
	IssuedAt int64 `json:"iat"`
	Expires  int64 `json:"exp"`
}

// Session is a new visitor session.
type Session struct {
	Token         string
	ExpiresAt     int64
	Contact       Contact
	WorkspaceName string
}
