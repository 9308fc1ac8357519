package account

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter holds one token bucket per key (an email or an IP), forgetting
// keys idle for long enough that their bucket would be full again.
type limiter struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxKeys bounds the memory a flood of distinct keys can take.
const maxKeys = 100_000

func newLimiter(every time.Duration, burst int) *limiter {
	return &limiter{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket at now, reporting whether there was one.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxKeys {
			l.prune(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

func (l *limiter) prune(now time.Time) {
	full := l.every * time.Duration(l.burst)
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxKeys { // all recent: start over rather than grow
		clear(l.buckets)
	}
}

// backoff slows repeated credential attempts on one key (an account and a
// client together): the first few are free, each later one must wait twice
// as long after the previous as the one before, up to a cap; a success
// clears the key. An attacker hammering an account from one client slows
// only that pair: the owner signing in from elsewhere is not locked out.
type backoff struct {
	free      int
	base, max time.Duration

	mu    sync.Mutex
	pairs map[string]*pair
}

type pair struct {
	attempts int
	next     time.Time // no attempt before this
	seen     time.Time
}

func newBackoff(free int, base, longest time.Duration) *backoff {
	return &backoff{free: free, base: base, max: longest, pairs: map[string]*pair{}}
}

// begin records an attempt on key at now, or returns how long to wait
// before one is allowed.
func (b *backoff) begin(key string, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pairs[key]
	if p == nil {
		if len(b.pairs) >= maxKeys {
			b.prune(now)
		}
		p = &pair{}
		b.pairs[key] = p
	}
	if now.Before(p.next) {
		return p.next.Sub(now), false
	}
	if now.Sub(p.seen) > 2*b.max { // quiet for long: start afresh
		p.attempts = 0
	}
	p.seen = now
	p.attempts++
	if over := p.attempts - b.free; over >= 0 {
		wait := b.max
		if over < 30 && b.base<<over < b.max {
			wait = b.base << over
		}
		p.next = now.Add(wait)
	}
	return 0, true
}

// succeeded clears key: the right credential ends the backoff.
func (b *backoff) succeeded(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pairs, key)
}

// prune forgets keys idle for twice the longest wait.
func (b *backoff) prune(now time.Time) {
	for k, p := range b.pairs {
		if now.Sub(p.seen) > 2*b.max {
			delete(b.pairs, k)
		}
	}
	if len(b.pairs) >= maxKeys {
		clear(b.pairs)
	}
}
