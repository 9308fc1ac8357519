package contact

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const contactColumns = `id, workspace_id, external_id, name, email, attributes, identity_verified, created_at, updated_at, last_seen_at,
	user_agent, time_zone, pages`

// attributes is the stored form: each attribute with whether it is verified.
type attributes struct {
	Verified   map[string]string `json:"verified,omitempty"`
	Unverified map[string]string `json:"unverified,omitempty"`
}

func (c *Contact) encode() {
	b, _ := json.Marshal(attributes{Verified: c.Verified, Unverified: c.Unverified})
	c.AttributesJSON = string(b)
	c.PagesJSON = ""
	if len(c.Pages) > 0 {
		b, _ = json.Marshal(c.Pages)
		c.PagesJSON = string(b)
	}
}

func (c *Contact) decode() error {
	var a attributes
	if c.AttributesJSON != "" {
		if err := json.Unmarshal([]byte(c.AttributesJSON), &a); err != nil {
			return fmt.Errorf("contact %s attributes: %w", c.ID, err)
		}
	}
	c.Verified, c.Unverified = a.Verified, a.Unverified
	c.Pages = nil
	if c.PagesJSON != "" {
		if err := json.Unmarshal([]byte(c.PagesJSON), &c.Pages); err != nil {
			return fmt.Errorf("contact %s pages: %w", c.ID, err)
		}
	}
	return nil
}

func insertContact(ctx context.Context, q store.Querier, c *Contact) error {
	c.encode()
	_, err := q.ExecContext(ctx, `INSERT INTO contacts (`+contactColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.ExternalID, c.Name, c.Email, c.AttributesJSON, c.IdentityVerified, c.CreatedAt, c.UpdatedAt, c.LastSeenAt,
		c.UserAgent, c.TimeZone, c.PagesJSON)
	return err
}

func updateContact(ctx context.Context, q store.Querier, c *Contact) error {
	c.encode()
	_, err := q.ExecContext(ctx, `UPDATE contacts SET name = ?, email = ?, attributes = ?, identity_verified = ?,
		updated_at = ?, last_seen_at = ?, user_agent = ?, time_zone = ?, pages = ? WHERE id = ?`,
		c.Name, c.Email, c.AttributesJSON, c.IdentityVerified, c.UpdatedAt, c.LastSeenAt, c.UserAgent, c.TimeZone, c.PagesJSON, c.ID)
	return err
}

func getContact(ctx context.Context, q store.Querier, where string, args ...any) (Contact, error) {
	var c Contact
	if err := q.GetContext(ctx, &c, `SELECT `+contactColumns+` FROM contacts WHERE `+where, args...); err != nil {
		return Contact{}, err
	}
	return c, c.decode()
}

func contactsByID(ctx context.Context, q store.Querier, ids []string) ([]Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var cs []Contact
	if err := q.SelectContext(ctx, &cs, `SELECT `+contactColumns+` FROM contacts WHERE id IN (`+store.Placeholders(len(ids))+`)`, args...); err != nil {
		return nil, err
	}
	for i := range cs {
		if err := cs[i].decode(); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

func insertSession(ctx context.Context, q store.Querier, id, workspaceID, contactID string, hash []byte, now, expires int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO visitor_sessions (id, workspace_id, contact_id, token_hash, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, 0)`, id, workspaceID, contactID, hash, now, expires)
	return err
}

type sessionRow struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	ContactID   string `db:"contact_id"`
	ExpiresAt   int64  `db:"expires_at"`
	RevokedAt   int64  `db:"revoked_at"`
}

func sessionByHash(ctx context.Context, q store.Querier, hash []byte) (sessionRow, error) {
	var s sessionRow
	err := q.GetContext(ctx, &s, `SELECT id, workspace_id, contact_id, expires_at, revoked_at FROM visitor_sessions WHERE token_hash = ?`, hash)
	return s, err
}
