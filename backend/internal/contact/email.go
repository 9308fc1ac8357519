package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// errEmailTaken stops a transaction that found, under the workspace's lock,
// a contact with the address it was about to create.
var errEmailTaken = errors.New("contact with this email created concurrently")

// ForEmail returns the workspace's contact with the address (the oldest,
// when several widget visitors gave it), or creates one, unverified, with
// the name the mail gave. Concurrent first mails of one sender make one
// contact: the creation appends its event first, which locks the
// workspace's log, then looks again.
func (s *Service) ForEmail(ctx context.Context, workspaceID, address, name string) (Contact, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	byEmail := func(q store.Querier, lock string) (Contact, error) {
		return getContact(ctx, q, `workspace_id = ? AND email = ? ORDER BY created_at, id LIMIT 1`+lock, workspaceID, address)
	}
	if c, err := byEmail(s.db, ""); err == nil {
		return c, nil
	} else if !store.ErrNoRows(err) {
		return Contact{}, fmt.Errorf("find contact by email: %w", err)
	}
	now := store.NowMillis(s.now())
	c := Contact{ID: uuid.NewString(), WorkspaceID: workspaceID, Name: store.Truncate(name, 200), Email: address,
		CreatedAt: now, UpdatedAt: now, LastSeenAt: now, Verified: store.JSONMap{}, Unverified: store.JSONMap{}}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		payload, err := json.Marshal(map[string]any{"contact": c})
		if err != nil {
			return fmt.Errorf("encode contact.created: %w", err)
		}
		if err := s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: events.ContactCreated,
			ActorKind: events.ActorVisitor, ActorID: c.ID, Visibility: events.Agents, Payload: payload}); err != nil {
			return err
		}
		// A locking read: it sees what committed while this waited.
		if _, err := byEmail(tx, tx.Dialect.ForUpdate()); err == nil {
			return errEmailTaken
		} else if !store.ErrNoRows(err) {
			return fmt.Errorf("find contact by email: %w", err)
		}
		if err := insertContact(ctx, tx, &c); err != nil {
			return fmt.Errorf("insert contact: %w", err)
		}
		return nil
	})
	if errors.Is(err, errEmailTaken) {
		return byEmail(s.db, "")
	}
	if err != nil {
		return Contact{}, err
	}
	return c, nil
}
