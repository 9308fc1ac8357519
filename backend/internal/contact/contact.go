// Package contact owns customers: their profiles (name, email, external id,
// verified and unverified attributes) and the visitor sessions through which
// the widget acts for them. A store can vouch for a shopper by signing their
// identity with the workspace's widget secret; what it signs is verified,
// anything else the browser says is kept but marked unverified.
//
// Tables owned: contacts, visitor_sessions.
// Events emitted: contact.created, contact.updated.
package contact

import (
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

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
	// UserAgent is the browser's, from its latest widget session.
	UserAgent string `db:"user_agent" json:"user_agent,omitempty"`
	// TimeZone is the IANA zone the browser said it is in.
	TimeZone string `db:"time_zone" json:"time_zone,omitempty"`
	// PagesJSON is Pages as stored.
	PagesJSON string `db:"pages" json:"-"`

	// Verified and Unverified are the attributes, split by whether the
	// store vouched for them.
	Verified   store.JSONMap `db:"-" json:"verified,omitempty"`
	Unverified store.JSONMap `db:"-" json:"unverified,omitempty"`
	// Pages are where the visitor was when they started a session or a
	// conversation, newest first, at most MaxPages.
	Pages []PageVisit `db:"-" json:"pages,omitempty"`
}

// PageVisit is a page a visitor was seen on.
type PageVisit struct {
	URL string `json:"url"`
	At  int64  `json:"at"`
}

// MaxPages bounds the pages a contact remembers; maxPageURL the bytes of each.
const (
	MaxPages   = 10
	maxPageURL = 300
)

// addPage records a visit to url at the front of the list, once per URL.
func (c *Contact) addPage(url string, at int64) {
	if url == "" {
		return
	}
	url = store.Truncate(url, maxPageURL)
	pages := []PageVisit{{URL: url, At: at}}
	for _, p := range c.Pages {
		if p.URL != url && len(pages) < MaxPages {
			pages = append(pages, p)
		}
	}
	c.Pages = pages
}

// DisplayName is how agents and the widget name the contact: their name,
// else their email, else a name generated from their id ("Teal Otter"),
// the same in every list, thread and notification.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Email != "" {
		return c.Email
	}
	return GeneratedName(c.ID)
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
