package conversation

import (
	"context"
	"fmt"
	"slices"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ErrNotTag answers a tag id that is not one of the workspace's tags.
var ErrNotTag = apperr.Invalid("tag_id", "is not a tag of this workspace")

// tagName checks that the tag is the workspace's and returns its name.
func (s *Service) tagName(ctx context.Context, workspaceID, tagID string) (string, error) {
	ws, name, err := s.dir.Tag(ctx, tagID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ws != workspaceID) {
		return "", ErrNotTag
	}
	return name, err
}

// Tag puts a tag on the conversation, recording who (or which rule) did;
// a tag already there is left as it is.
func (s *Service) Tag(ctx context.Context, p *access.Principal, workspaceID, id, tagID string) (Conversation, error) {
	name, err := s.tagName(ctx, workspaceID, tagID)
	if err != nil {
		return Conversation{}, err
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		return s.addTag(ctx, tx, conv, actor, tagID, name)
	})
}

// addTag tags the locked conversation, unless the tag is there.
func (s *Service) addTag(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, tagID, name string) error {
	if slices.Contains(conv.TagIDs, tagID) {
		return nil
	}
	prev := before(conv)
	if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_tags (conversation_id, tag_id, workspace_id, applied_by_kind, applied_by_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, conv.ID, tagID, conv.WorkspaceID, actor.EventKind, actor.ID, store.NowMillis(s.now())); err != nil {
		if tx.Dialect.IsForeignKeyViolation(err) {
			return ErrNotTag // deleted since it was checked
		}
		return fmt.Errorf("tag conversation: %w", err)
	}
	conv.TagIDs = append(conv.TagIDs, tagID)
	data := map[string]string{"tag_id": tagID, "tag_name": name}
	return s.record(ctx, tx, conv, prev, events.ConversationTagged, events.Agents, actor,
		activity(conv, actor, "tagged", data, events.Agents), data)
}

// Untag takes a tag off the conversation; an absent tag is left absent.
func (s *Service) Untag(ctx context.Context, p *access.Principal, workspaceID, id, tagID string) (Conversation, error) {
	name, err := s.tagName(ctx, workspaceID, tagID)
	if err != nil {
		return Conversation{}, err
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if !slices.Contains(conv.TagIDs, tagID) {
			return nil
		}
		prev := before(conv)
		if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_tags WHERE conversation_id = ? AND tag_id = ?`, conv.ID, tagID); err != nil {
			return fmt.Errorf("untag conversation: %w", err)
		}
		kept := conv.TagIDs[:0]
		for _, t := range conv.TagIDs {
			if t != tagID {
				kept = append(kept, t)
			}
		}
		conv.TagIDs = kept
		data := map[string]string{"tag_id": tagID, "tag_name": name}
		return s.record(ctx, tx, conv, prev, events.ConversationUntagged, events.Agents, actor,
			activity(conv, actor, "untagged", data, events.Agents), data)
	})
}
