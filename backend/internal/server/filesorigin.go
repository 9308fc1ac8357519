package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/files"
)

// bindFiles binds the files origin's listener (TANDEM_FILES_ADDR) when the
// server is built, so that an address in use stops tandemd at start, and
// loads the key of its links.
func (s *Server) bindFiles(ctx context.Context) error {
	addr := s.cfg.FilesAddr
	if addr == "" {
		addr = "127.0.0.1:0" // a configuration built in code (the test kits)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s for files (TANDEM_FILES_ADDR): %w", addr, err)
	}
	s.filesListener = ln
	base := s.cfg.FilesURL
	if base == "" {
		base = config.DefaultFilesURL(s.cfg.PublicURL, ln.Addr().String(), s.cfg.TLSCert != "")
	}
	if loopback(base) && s.cfg.PublicURL != "" && !loopback(s.cfg.PublicURL) {
		s.logger.Warn("files are offered at a loopback address, which browsers elsewhere cannot reach: set TANDEM_FILES_URL (and TANDEM_FILES_ADDR) to a host of their own",
			"files_url", base, "public_url", s.cfg.PublicURL)
	}
	s.links, err = files.LoadLinks(ctx, s.db, base)
	return err
}

// loopback reports whether a URL's host is this machine's loopback.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
}

// FilesURL is the files origin's public URL: TANDEM_FILES_URL, or the
// address its listener got.
func (s *Server) FilesURL() string { return s.links.Base() }

// serveFiles serves the files origin until ctx ends: the files by signed
// link and nothing else (files.Handler.Origin).
func (s *Server) serveFiles(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.filesHandler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	ln := s.filesListener
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS key pair: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.Info("serving files", "addr", ln.Addr().String(), "url", s.FilesURL())
	select {
	case err := <-errc:
		return fmt.Errorf("serve files: %w", err)
	case <-ctx.Done():
	}
	return shutdown(ctx, srv, s.cfg.ShutdownTimeout, errc)
}
