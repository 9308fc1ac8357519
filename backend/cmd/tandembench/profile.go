package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
)

// buildProfiled builds tandemd with its profiler (-tags pprof) into dir.
func buildProfiled(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "tandemdprof")
	if err := fleet.Build(ctx, out, "./cmd/tandemd", "pprof"); err != nil {
		return "", err
	}
	return out, nil
}

// profile starts a CPU profile of replica r for d when the run profiles
// (-pprof DIR); the returned function waits for it and takes a heap
// profile, writing DIR/<label>.cpu.pprof and DIR/<label>.heap.pprof.
func (s *stage) profile(label string, r *fleet.Tandemd, d time.Duration) func() {
	addr := s.pprof[r]
	if addr == "" {
		return func() {}
	}
	dir := s.e.o.pprofDir
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := int(math.Max(1, math.Round(d.Seconds())))
		s.fetch(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), filepath.Join(dir, label+".cpu.pprof"), d+30*time.Second)
	}()
	return func() {
		<-done
		s.fetch("http://"+addr+"/debug/pprof/heap", filepath.Join(dir, label+".heap.pprof"), 30*time.Second)
	}
}

func (s *stage) fetch(url, path string, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil) //nolint:gosec // the replica's own profiler, on loopback
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req) //nolint:gosec // the replica's own profiler, on loopback
	if err != nil {
		s.e.logger.Warn("profile", "url", url, "error", err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	f, err := os.Create(path) //nolint:gosec // a file in the operator's -pprof directory
	if err != nil {
		s.e.logger.Warn("profile", "path", path, "error", err)
		return
	}
	_, err = io.Copy(f, resp.Body)
	if err = errors.Join(err, f.Close()); err != nil {
		s.e.logger.Warn("profile", "path", path, "error", err)
	}
}
