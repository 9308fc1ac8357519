package access

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// ErrHasherBusy answers a password check or change that waited too long for
// a hashing slot.
var ErrHasherBusy = apperr.New(apperr.ResourceExhausted, "the server is busy checking passwords; try again in a moment")

// Hasher runs argon2id, which takes 19 MiB and tens of milliseconds per
// call, at most a fixed number of times at once for the whole server, so
// that a flood of password checks queues instead of taking the memory of
// one hash per request. Callers beyond the limit wait for a slot until
// their deadline or the hasher's longest wait, then get ErrHasherBusy.
type Hasher struct {
	slots   chan struct{}
	maxWait time.Duration
	running atomic.Int64
	peak    atomic.Int64
}

// NewHasher returns a hasher running at most concurrency hashes at once (0:
// one per CPU) and making callers wait at most maxWait (0: 5 s) for a slot.
func NewHasher(concurrency int, maxWait time.Duration) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	return &Hasher{slots: make(chan struct{}, concurrency), maxWait: maxWait}
}

// Acquire takes a hashing slot, waiting at most the hasher's longest wait
// and never past ctx; the release gives it back. Hash and Check use it.
func (h *Hasher) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
	default:
		wait := time.NewTimer(h.maxWait)
		defer wait.Stop()
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, apperr.Wrap(apperr.ResourceExhausted, ErrHasherBusy.Public, ctx.Err())
		case <-wait.C:
			return nil, ErrHasherBusy
		}
	}
	n := h.running.Add(1)
	for p := h.peak.Load(); n > p; p = h.peak.Load() {
		if h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() {
		h.running.Add(-1)
		<-h.slots
	}, nil
}

// Hash returns the argon2id PHC hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password), nil
}

// Check reports whether password matches the PHC hash.
func (h *Hasher) Check(ctx context.Context, hash, password string) (bool, error) {
	release, err := h.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(hash, password)
}

// CheckNone spends the time of a real check (for an account that does not
// exist) and fails; it fails early only when no slot frees up.
func (h *Hasher) CheckNone(ctx context.Context, password string) error {
	release, err := h.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	CheckNoPassword(password)
	return nil
}

// Peak is the most hashes that ever ran at once.
func (h *Hasher) Peak() int { return int(h.peak.Load()) }

// Limit is how many hashes may run at once.
func (h *Hasher) Limit() int { return cap(h.slots) }
