// Package tandemtest runs a real tandemd for the desktop app's tests: built
// from this repository's backend, started as a process on a free loopback
// port with the embedded SQLite store in a temporary directory and the demo
// data, and stopped when the test ends. It also signs people in and plays
// the customer through the widget API.
package tandemtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Demo accounts seeded by tandemd --demo (backend/internal/demo).
const (
	OwnerEmail = "owner@demo.tandem"
	AgentEmail = "agent@demo.tandem"
	Password   = "tandem-demo"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds tandemd once per test binary and returns its path. The
// TANDEMD environment variable names a prebuilt binary instead.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TANDEMD"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		backend := filepath.Join(filepath.Dir(file), "..", "..", "..", "backend")
		dir, err := os.MkdirTemp("", "tandemd-desktop-test-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "tandemd")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/tandemd")
		cmd.Dir = backend
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build tandemd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Server is a tandemd process with the demo data.
type Server struct {
	URL         string
	Addr        string
	DataDir     string
	WorkspaceID string
	// WidgetKey is the demo workspace's public widget key.
	WidgetKey string

	// filesAddr is its files origin's listener, free like Addr (the
	// default, Addr's port + 1, may be another server's).
	filesAddr string
	env       map[string]string
	cmd       *exec.Cmd
	out       *syncBuffer
	done      chan error
}

// Start runs tandemd --demo on a free port with a fresh data directory.
// Env adds or overrides TANDEM_* variables.
func Start(t testing.TB, env map[string]string) *Server {
	t.Helper()
	addrs := freeAddrs(t, 2)
	s := &Server{Addr: addrs[0], filesAddr: addrs[1], DataDir: t.TempDir(), env: env}
	s.URL = "http://" + s.Addr
	s.start(t)
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("tandemd output:\n%s", s.out.String())
		}
	})
	return s
}

var banner = regexp.MustCompile(`\(id ([0-9a-f-]{36}), widget key (\S+)\)`)

func (s *Server) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(Binary(t), "--demo")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TANDEM_ADDR=" + s.Addr, "TANDEM_DATA_DIR=" + s.DataDir,
		"TANDEM_HEARTBEAT=1s", "TANDEM_POLL_INTERVAL=200ms", "TANDEM_LOG_LEVEL=warn",
		"TANDEM_METRICS_ADDR=off", // servers side by side would share its port
		"TANDEM_FILES_ADDR=" + s.filesAddr,
	}
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s.out = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := banner.FindStringSubmatch(s.out.String()); m != nil && ready(s.URL) {
			s.WorkspaceID, s.WidgetKey = m[1], m[2]
			return
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("tandemd exited before it was ready: %v\n%s", err, s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tandemd not ready after 60s:\n%s", s.out.String())
		}
	}
}

func ready(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends the process gracefully (SIGTERM) and waits for it.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(30 * time.Second):
		t.Fatal("tandemd did not stop within 30s")
	}
}

// Restart starts the server again on the same address and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.start(t)
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	err := <-s.done
	s.done <- err
}

// Output is what the process printed so far.
func (s *Server) Output() string { return s.out.String() }

// freeAddrs finds n distinct free loopback addresses: each listener is
// held open until all are found, so that none is handed out twice.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, n)
	held := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range held {
			_ = ln.Close()
		}
	}()
	for i := range out {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ln)
		out[i] = ln.Addr().String()
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
