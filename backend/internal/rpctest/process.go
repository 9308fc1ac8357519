package rpctest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// tandemd as a process of its own (fleet), for tests of what only a real
// process shows: flags, environment, restarts, signals, replicas.

// Binary builds tandemd once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := fleet.BuildTandemd(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// FreeAddr returns a loopback address with a port free at the moment.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := fleet.FreeAddr(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// StartProcess runs tandemd on addr with the TANDEM_* environment and the
// further arguments, and waits until it is ready. The process is killed when
// the test ends, and its output logged if the test failed.
func StartProcess(t testing.TB, addr string, env map[string]string, args ...string) *fleet.Tandemd {
	t.Helper()
	p, err := fleet.StartTandemd(context.Background(), Binary(t), addr, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("tandemd %s output:\n%s", addr, p.Output())
		}
	})
	return p
}

// SyncBuffer is an output sink safe for concurrent writers (a server's
// log) that tests read while they run.
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

// NATS starts a private nats-server with the further arguments (skipping,
// or failing in CI, without one), killed when the test ends; its output is
// logged if the test failed.
func NATS(t testing.TB, args ...string) *fleet.NATS {
	t.Helper()
	n, err := fleet.StartNATS(t.Context(), args...)
	if errors.Is(err, fleet.ErrMissing) {
		storetest.Missing(t, "nats-server is not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nats-server %s output:\n%s", n.Addr, n.Output())
		}
		n.Kill()
	})
	return n
}
