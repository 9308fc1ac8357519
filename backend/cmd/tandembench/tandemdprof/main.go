// Command tandemdprof is tandemd with Go's profiler: the same configuration
// and server, plus net/http/pprof on TANDEMBENCH_PPROF_ADDR. tandembench
// runs it instead of tandemd with -pprof, to profile a scenario; it is not
// for production.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/server"
)

func main() {
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tandemdprof: configuration:\n%v\n", err)
		os.Exit(2)
	}
	logger := cfg.Logger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if addr := os.Getenv("TANDEMBENCH_PPROF_ADDR"); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.ListenAndServe() }() // ends with the process
	}
	if err := server.Run(ctx, cfg, logger); err != nil {
		logger.Error("tandemdprof stopped", "error", err)
		os.Exit(1)
	}
}
