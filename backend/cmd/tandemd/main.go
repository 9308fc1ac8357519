// Command tandemd is Tandem's server; `tandemd user create` makes an
// account for scripted installs; `tandemd parse-worker` is the process the
// server parses one uploaded document in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/server"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "user" {
		os.Exit(userCommand(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "parse-worker" {
		// tandemd parses each uploaded document in a process of its
		// own: this is that process (knowledge.Worker).
		if err := knowledge.ServeWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "tandemd parse-worker: %v\n", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load(ctx, os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tandemd: configuration:\n%v\n", err)
		os.Exit(2)
	}
	logger := cfg.Logger(os.Stderr)
	if err := server.Run(ctx, cfg, logger); err != nil {
		logger.Error("tandemd stopped", "error", err)
		os.Exit(1)
	}
}
