package server

import (
	"context"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/files"
)

// filesPolicy is what POST /files asks beyond access: the rate limit, the
// workspace's allow_files widget setting (for customers) and whether the
// conversation is closed.
func (s *Server) filesPolicy(limit func(context.Context, *access.Principal) error) files.Policy {
	return files.Policy{
		Limit: limit,
		FilesAllowed: func(ctx context.Context, workspaceID string) (bool, error) {
			w, err := s.domain.Workspaces.Get(ctx, workspaceID)
			return w.Widget.AllowFiles, err
		},
		Closed: func(ctx context.Context, workspaceID, conversationID string) (bool, error) {
			c, err := s.domain.Conversations.Get(ctx, workspaceID, conversationID)
			return c.State == conversation.StateClosed, err
		},
	}
}
