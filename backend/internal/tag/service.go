package tag

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ErrNameTaken answers a duplicate tag name.
var ErrNameTaken = apperr.New(apperr.AlreadyExists, "a tag with this name already exists")

const columns = `id, workspace_id, name, color, description, created_at, updated_at`

// Service manages tag definitions.
type Service struct {
	db  *store.DB
	log *events.Log
	now func() time.Time
}

// NewService returns the tag service.
func NewService(db *store.DB, log *events.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, log: log, now: now}
}

// cleanName trims a name, so that both dialects agree on which names
// collide (MySQL ignores trailing spaces when comparing), and holds it to
// the rule of every name people see (naming.Check): a tag's name shows in
// every teammate's timeline, where a direction override would reverse the
// text after it.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if err := naming.Check("name", name); err != nil {
		return "", err
	}
	return name, nil
}

func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, t Tag) error {
	// Streams pass on an event's data, not the rest of its payload: it names
	// the tag, so that a client drops a deleted one from the conversations
	// it shows (the database took it off them, with no event of theirs).
	payload, _ := json.Marshal(map[string]any{"tag": t, "data": map[string]string{"tag_id": t.ID, "tag_name": t.Name}})
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: t.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: events.Agents, Payload: payload})
}

// Create adds a tag to the workspace.
func (s *Service) Create(ctx context.Context, actor *access.Principal, workspaceID, name, color, description string) (Tag, error) {
	name, err := cleanName(name)
	if err != nil {
		return Tag{}, err
	}
	now := store.NowMillis(s.now())
	t := Tag{ID: uuid.NewString(), WorkspaceID: workspaceID, Name: name, Color: color, Description: description, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tags (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.WorkspaceID, t.Name, t.Color, t.Description, t.CreatedAt, t.UpdatedAt); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrNameTaken
			}
			return fmt.Errorf("insert tag: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.TagCreated, t)
	})
	return t, err
}

// List returns the workspace's tags by name.
func (s *Service) List(ctx context.Context, workspaceID string) ([]Tag, error) {
	var ts []Tag
	if err := s.db.SelectContext(ctx, &ts, `SELECT `+columns+` FROM tags WHERE workspace_id = ? ORDER BY name, id`, workspaceID); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return ts, nil
}

func get(ctx context.Context, q store.Querier, id string) (Tag, error) {
	var t Tag
	err := q.GetContext(ctx, &t, `SELECT `+columns+` FROM tags WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return Tag{}, apperr.ErrNotFound
	}
	return t, err
}

// Update changes a tag; nil fields stay.
func (s *Service) Update(ctx context.Context, actor *access.Principal, id string, name, color, description *string) (Tag, error) {
	var t Tag
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = get(ctx, tx, id); err != nil {
			return err
		}
		if name != nil {
			if t.Name, err = cleanName(*name); err != nil {
				return err
			}
		}
		if color != nil {
			t.Color = *color
		}
		if description != nil {
			t.Description = *description
		}
		t.UpdatedAt = store.NowMillis(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE tags SET name = ?, color = ?, description = ?, updated_at = ? WHERE id = ?`,
			t.Name, t.Color, t.Description, t.UpdatedAt, t.ID); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrNameTaken
			}
			return fmt.Errorf("update tag: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.TagUpdated, t)
	})
	return t, err
}

// Delete removes a tag, and so takes it off every conversation.
func (s *Service) Delete(ctx context.Context, actor *access.Principal, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		t, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete tag: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.TagDeleted, t)
	})
}

// Count counts, for every tag of the workspace, the conversations it was put
// on within [from, until), most used first.
func (s *Service) Count(ctx context.Context, workspaceID string, from, until int64) ([]Count, error) {
	if until == 0 {
		until = store.NowMillis(s.now()) + 1
	}
	var cs []Count
	err := s.db.SelectContext(ctx, &cs, `SELECT `+store.Prefixed("t.", columns)+`, COUNT(ct.conversation_id) AS conversations
		FROM tags t LEFT JOIN conversation_tags ct ON ct.tag_id = t.id AND ct.created_at >= ? AND ct.created_at < ?
		WHERE t.workspace_id = ?
		GROUP BY `+store.Prefixed("t.", columns)+`
		ORDER BY conversations DESC, t.name, t.id`, from, until, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("count tags: %w", err)
	}
	return cs, nil
}

// Get returns a tag.
func (s *Service) Get(ctx context.Context, id string) (Tag, error) { return get(ctx, s.db, id) }

// WorkspaceOf resolves a tag id to its workspace, for authorization and for
// checking that a tag put on a conversation is of the same workspace.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	t, err := get(ctx, s.db, id)
	return t.WorkspaceID, err
}

// Ensure returns the workspace's tag of that name, creating it (as the
// actor) when there is none: how the AI agent and rules tag by name.
func (s *Service) Ensure(ctx context.Context, actor *access.Principal, workspaceID, name string) (Tag, error) {
	clean, err := cleanName(name)
	if err != nil {
		return Tag{}, err
	}
	var t Tag
	err = s.db.GetContext(ctx, &t, `SELECT `+columns+` FROM tags WHERE workspace_id = ? AND name = ?`, workspaceID, clean)
	if err == nil || !store.ErrNoRows(err) {
		return t, err
	}
	t, err = s.Create(ctx, actor, workspaceID, clean, "#6b7280", "")
	if errors.Is(err, ErrNameTaken) { // created at the same moment elsewhere
		err = s.db.GetContext(ctx, &t, `SELECT `+columns+` FROM tags WHERE workspace_id = ? AND name = ?`, workspaceID, clean)
	}
	return t, err
}
