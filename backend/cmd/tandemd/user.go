package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/server"
)

// userCommand runs `tandemd user <subcommand>` and returns the exit code.
func userCommand(args []string) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(os.Stderr, "Usage: tandemd user create --email EMAIL [flags]   (tandemd user create --help lists them)")
		return 2
	}
	uc, err := config.LoadUserCreate(args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tandemd user create:\n%v\n", err)
		return 2
	}
	// Migrations log at info; only trouble is worth showing here.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := server.CreateUser(context.Background(), uc, os.Stdin, os.Stdout, logger); err != nil {
		fmt.Fprintf(os.Stderr, "tandemd user create: %v\n", err)
		return 1
	}
	return 0
}
