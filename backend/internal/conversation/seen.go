package conversation

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// MarkSeen records that the widget showed the visitor their conversation
// up to the item at seq (visitor_seen_seq): replies after it are ones they
// have not seen, which the email channel may mail them. It only moves
// forward, and never past the conversation's last item; marking again is
// harmless. It appends no event: nothing the team sees changes.
func (s *Service) MarkSeen(ctx context.Context, p *access.Principal, conversationID string, seq int64) error {
	if p.Kind != access.KindVisitor {
		return apperr.New(apperr.PermissionDenied, "only the conversation's visitor marks it seen")
	}
	c, err := getConversation(ctx, s.db, conversationID, "")
	if store.ErrNoRows(err) || (err == nil && (c.WorkspaceID != p.WorkspaceID || c.ContactID != p.VisitorID)) {
		return apperr.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("mark seen: %w", err)
	}
	if seq > c.LastSeq {
		return apperr.Invalid("seq", "is past the conversation's last item")
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE conversations SET visitor_seen_seq = ? WHERE id = ? AND visitor_seen_seq < ?`,
		seq, conversationID, seq); err != nil {
		return fmt.Errorf("mark seen: %w", err)
	}
	return nil
}

// SeenSeq is how far the visitor has seen the conversation in the widget
// (the seq MarkSeen last recorded; 0: nothing yet).
func (s *Service) SeenSeq(ctx context.Context, workspaceID, conversationID string) (int64, error) {
	var seq int64
	err := s.db.GetContext(ctx, &seq, `SELECT visitor_seen_seq FROM conversations WHERE id = ? AND workspace_id = ?`,
		conversationID, workspaceID)
	if store.ErrNoRows(err) {
		return 0, apperr.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("seen seq: %w", err)
	}
	return seq, nil
}
