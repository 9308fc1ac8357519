package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/files"
)

// Bootstrap creates the configured first owner account (once) and, with
// --demo, the demo data; with neither and no account yet, it prints the
// one-time setup link.
func (s *Server) Bootstrap(ctx context.Context) error {
	if s.cfg.BootstrapEmail != "" {
		u, created, err := s.domain.Accounts.EnsureUser(ctx, s.cfg.BootstrapEmail, "", s.cfg.BootstrapPass)
		if err != nil {
			return fmt.Errorf("bootstrap owner: %w", err)
		}
		if created {
			s.logger.InfoContext(ctx, "bootstrap account created; it can create workspaces", "email", u.Email, "user_id", u.ID)
		}
	}
	if s.cfg.Demo {
		if s.cfg.DemoForce {
			s.logger.WarnContext(ctx, "demo data on a forced address: anyone who can reach it can sign in with the public demo passwords", "addr", s.cfg.Addr)
		}
		where := demo.Banner{Addr: s.cfg.Addr, SMTPAddr: s.SMTPAddr(), MailDomain: cmp.Or(s.cfg.MailDomain, "localhost")}
		if s.cfg.DatabaseURL == "" {
			where.DataDir, _ = filepath.Abs(s.cfg.DataDir)
		}
		d, err := demo.Seed(ctx, s.domain.Demo(), where, os.Stdout)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		s.demoKey.Store(&d.Workspace.PublicKey)
		return nil
	}
	if s.cfg.BootstrapEmail == "" {
		return s.offerSetup(ctx)
	}
	return nil
}

// demoWidgetKey is the demo workspace's widget key, once seeded.
func (s *Server) demoWidgetKey() string {
	if k := s.demoKey.Load(); k != nil {
		return *k
	}
	return ""
}

// resetDemo deletes the embedded database and files of earlier runs
// (--demo-reset), before the store is opened and the demo seeded afresh.
func resetDemo(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("demo reset: %w", err)
	}
	filesDir := ""
	if cfg.BlobURL == "" { // files kept elsewhere are not the data directory's
		filesDir = files.LocalDir("", dir)
	}
	deleted, err := demo.Reset(dir, filesDir)
	if err != nil {
		return err
	}
	logger.WarnContext(ctx, "demo reset: deleted the embedded database and uploaded files of earlier runs; seeding the demo afresh",
		"data_dir", dir, "deleted", deleted)
	return nil
}

// Demo is what the demo data is seeded through.
func (d Domain) Demo() demo.Services {
	return demo.Services{Accounts: d.Accounts, Workspaces: d.Workspaces, Contacts: d.Contacts, Conversations: d.Conversations,
		Tags: d.Tags, Canned: d.Canned, Knowledge: d.Knowledge, Bot: d.Bot, Presence: d.Presence, SLA: d.SLA, Files: d.Files,
		Automation: d.Automation, Email: d.Email}
}
