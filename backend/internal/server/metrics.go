package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves the Prometheus exposition of the server's registry.
// It is mounted only on the metrics listener (TANDEM_METRICS_ADDR), never on
// the API's: business volumes and workspace names are for operators.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	return mux
}

// ServeMetrics serves /metrics on ln until ctx ends.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.Info("serving metrics", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}

// serveWithMetrics serves the API on ln and /metrics on mln; when either
// stops, both do.
func (s *Server) serveWithMetrics(ctx context.Context, ln, mln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsDone := make(chan error, 1)
	go func() {
		err := s.ServeMetrics(ctx, mln)
		cancel() // metrics gone: shut the API down too, rather than run unobserved
		metricsDone <- err
	}()
	err := s.Serve(ctx, ln)
	cancel()
	if merr := <-metricsDone; merr != nil && !errors.Is(merr, http.ErrServerClosed) {
		err = errors.Join(err, merr)
	}
	return err
}
