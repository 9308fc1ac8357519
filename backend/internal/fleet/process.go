// Package fleet runs Tandem's moving parts as real processes (tandemd
// replicas, a private nats-server, a private mariadbd) so that the tests
// (rpctest, faulttest) and the tools (cmd/tandembench) can load them, kill
// them and start them again, and read what each costs from /proc; and gives
// the configuration of a tandemd run inside a test's or a tool's own process.
//
// Nothing here touches the shared MariaDB or NATS of a machine: brokers and
// databases that a test kills are its own.
package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a child process and what it printed.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // how it exited; read after done closes
}

// syncBuffer keeps the last bytes a process wrote, for error reports.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// keepBytes bounds what a chatty process keeps in memory.
const keepBytes = 256 << 10

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len()+len(p) > keepBytes {
		rest := s.b.Bytes()[min(s.b.Len(), len(p)):]
		s.b = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartProcess runs bin with args and exactly the environment env (plus PATH
// and HOME). It does not wait for the process to be ready. The process is
// killed if this one dies first, so that a crashed test or benchmark leaves
// no servers behind.
func StartProcess(name, bin string, args []string, env map[string]string) (*Process, error) {
	cmd := exec.Command(bin, args...) //nolint:noctx,gosec // the process outlives the call that starts it (Kill and Stop end it); bin and args are the caller's own
	dieWithParent(cmd)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is the tail of what the process printed.
func (p *Process) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Stop asks the process to end with SIGTERM and waits up to timeout, then
// kills it. It returns how the process exited.
func (p *Process) Stop(timeout time.Duration) error {
	if !p.Exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v of SIGTERM", p.name, timeout)
	}
}

// waitUntil polls ready until it returns true, the process exits, or
// timeout passes.
func (p *Process) waitUntil(ctx context.Context, timeout time.Duration, ready func(ctx context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if ready(ctx) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %w\n%s", p.name, p.err, p.Output())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v:\n%s", p.name, timeout, p.Output())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// FreeAddr returns a loopback address whose port is free at the moment.
func FreeAddr(ctx context.Context) (string, error) {
	addrs, err := FreeAddrs(ctx, 1)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// FreeAddrs finds n distinct free loopback addresses: each listener is held
// open until all are found, so that none is handed out twice.
func FreeAddrs(ctx context.Context, n int) ([]string, error) {
	var lc net.ListenConfig
	out := make([]string, 0, n)
	for range n {
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer func() { _ = ln.Close() }()
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

// ErrMissing says a binary a test needs is not installed.
var ErrMissing = errors.New("not installed")

// lookBin finds a binary on PATH or at one of the fallbacks.
func lookBin(name string, fallbacks ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, f := range fallbacks {
		if _, err := os.Stat(f); err == nil {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, ErrMissing)
}
