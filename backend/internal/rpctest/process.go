package rpctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds tandemd once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		backend := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "tandemd-test-")
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

// Process is a tandemd process started by a test.
type Process struct {
	URL  string
	Addr string
	cmd  *exec.Cmd
	out  *SyncBuffer
	done chan error

	// MetricsURL is the process's /metrics listener (TANDEM_METRICS_ADDR).
	MetricsURL string
}

// SyncBuffer is an output sink safe for concurrent writers (a process's
// output, a server's log) that tests read while they run.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreeAddr returns a loopback address with a port free at the moment.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartProcess runs tandemd with the arguments and TANDEM_* environment, and
// waits until it is ready. The process is killed when the test ends.
func StartProcess(t testing.TB, addr string, env map[string]string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), append([]string{"--addr", addr}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	metricsAddr, ok := env["TANDEM_METRICS_ADDR"]
	if !ok { // processes side by side each need their own
		metricsAddr = FreeAddr(t)
		cmd.Env = append(cmd.Env, "TANDEM_METRICS_ADDR="+metricsAddr)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{URL: "http://" + addr, Addr: addr, MetricsURL: "http://" + metricsAddr, cmd: cmd, out: &SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("tandemd %s output:\n%s", addr, p.out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("tandemd exited before it was ready: %v\n%s", err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tandemd not ready after 30s:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Output is what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Stop sends SIGTERM and waits for a graceful exit, returning its error.
func (p *Process) Stop(t testing.TB) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("tandemd did not stop within 30s after SIGTERM")
		return nil
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}
