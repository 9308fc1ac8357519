package server

import (
	"context"
	"fmt"
	"os"

	"github.com/tandem-inbox/tandem/backend/internal/demo"
)

// Bootstrap creates the configured first owner account (once) and, with
// --demo, the demo data.
func (s *Server) Bootstrap(ctx context.Context) error {
	if s.cfg.BootstrapEmail != "" {
		u, created, err := s.Accounts.EnsureUser(ctx, s.cfg.BootstrapEmail, "", s.cfg.BootstrapPass)
		if err != nil {
			return fmt.Errorf("bootstrap owner: %w", err)
		}
		if created {
			s.logger.InfoContext(ctx, "bootstrap account created; it can create workspaces", "email", u.Email, "user_id", u.ID)
		}
	}
	if s.cfg.Demo {
		if _, err := demo.Seed(ctx, demo.Services{Accounts: s.Accounts, Workspaces: s.Workspaces, Contacts: s.Contacts, Conversations: s.Conversations, Tags: s.Tags, Canned: s.Canned}, s.cfg.Addr, os.Stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	return nil
}
