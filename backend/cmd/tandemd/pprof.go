//go:build pprof

package main

import (
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// Built with -tags pprof (tandembench -pprof does), tandemd serves Go's
// profiler on TANDEMBENCH_PPROF_ADDR. Release builds leave it out.
func init() {
	addr := os.Getenv("TANDEMBENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ListenAndServe() }() // ends with the process
}
