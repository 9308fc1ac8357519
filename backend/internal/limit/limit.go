// Package limit keeps Tandem's rate limits: token buckets (sign-in
// attempts per client address, widget calls per visitor session, new
// widget sessions per address, uploads per uploader) and doubling
// backoffs (sign-in attempts per account and client).
//
// One replica alone keeps them in memory. Replicas on one database share
// them through it, so that N replicas allow one budget, not N: each take
// is one conditional UPDATE on the bucket's row (two or three statements
// for a new key), and a refusal is remembered locally until it runs out,
// so a flood costs the database nothing once refused. If the database
// fails, the limit is kept in memory meanwhile: never looser than a single
// replica's.
//
// Tables owned: rate_limits.
package limit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// A Rule is a token bucket: up to Burst calls at once, then one more
// every Every. A zero Every or Burst turns the rule off.
type Rule struct {
	// Name keeps the buckets of different rules apart ("login-client").
	Name  string
	Every time.Duration
	Burst int
}

// PerSecond is the rule allowing rate calls a second, burst at once.
func PerSecond(name string, rate float64, burst int) Rule {
	if rate <= 0 {
		return Rule{Name: name}
	}
	return Rule{Name: name, Every: time.Duration(float64(time.Second) / rate), Burst: burst}
}

// Off reports whether the rule limits nothing.
func (r Rule) Off() bool { return r.Every <= 0 || r.Burst <= 0 }

// A Backoff lets Free attempts through, then makes each later one wait
// twice as long after the one before, from Base up to Max; a success
// (Clear) starts it afresh, and so does a quiet spell of twice Max.
type Backoff struct {
	Name      string
	Free      int
	Base, Max time.Duration
}

// Limits takes tokens and attempts, in memory or in the shared database.
type Limits struct {
	db     *store.DB // nil: this process alone
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	mem     map[string]*state    // the buckets kept here: all of them without a database, or while it fails
	refused map[string]time.Time // shared buckets known to refuse until then
	marks   map[string]time.Time // marks written here (all of them without a database), until when
	dbDown  bool                 // the last shared take failed (logged once, not per call)
}

// maxKeys bounds the memory a flood of distinct keys can take, in each map.
const maxKeys = 200_000

// Options configure Limits.
type Options struct {
	// DB, when set, holds the limits for every replica on it.
	DB     *store.DB
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns the limits, kept in opts.DB if set, else in memory.
func New(opts Options) *Limits {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Limits{db: opts.DB, now: opts.Now, logger: opts.Logger, mem: map[string]*state{}, refused: map[string]time.Time{},
		marks: map[string]time.Time{}}
}

// Shared reports whether the limits are kept in the database.
func (l *Limits) Shared() bool { return l.db != nil }

// state is one bucket's row: a token bucket's theoretical arrival time
// (tat), or a backoff's next allowed attempt (tat), attempts and last
// attempt (seen); times in UTC µs.
type state struct {
	TAT      int64 `db:"tat"`
	Attempts int   `db:"attempts"`
	Seen     int64 `db:"seen"`
	// Expires is when the state holds nothing a fresh one would not.
	Expires int64 `db:"expires_at"`
}

// bucket names key's row under rule: the rule's name and a hash of the
// key, so that no address or email is stored and every name fits.
func bucket(rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return rule + ":" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// Take takes one token from key's bucket under r, or reports how long
// until there is one. An Off rule always allows.
func (l *Limits) Take(ctx context.Context, r Rule, key string) (ok bool, wait time.Duration) {
	if r.Off() {
		return true, 0
	}
	now := l.now()
	b := bucket(r.Name, key)
	if wait := l.refusedFor(b, now); wait > 0 {
		return false, wait
	}
	if l.db != nil {
		ok, wait, err := l.takeShared(ctx, r, b, now)
		l.sharedResult(r.Name, err)
		if err == nil {
			l.remember(b, now, wait)
			return ok, wait
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.memState(b, now)
	tat, ok, wait := gcra(s.TAT, micros(now), r)
	if ok {
		s.TAT, s.Expires = tat, tat
	}
	return ok, wait
}

// Begin records an attempt on key under b, or reports how long to wait
// before one is allowed.
func (l *Limits) Begin(ctx context.Context, b Backoff, key string) (ok bool, wait time.Duration) {
	now := l.now()
	name := bucket(b.Name, key)
	if wait := l.refusedFor(name, now); wait > 0 {
		return false, wait
	}
	if l.db != nil {
		ok, wait, err := l.beginShared(ctx, b, name, now)
		l.sharedResult(b.Name, err)
		if err == nil {
			l.remember(name, now, wait)
			return ok, wait
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.memState(name, now)
	next, ok, wait := step(*s, micros(now), b)
	if ok {
		*s = next
	}
	return ok, wait
}

// sharedResult logs when the database starts failing the limits and when
// it answers again: once per change, not once per call of a flood.
func (l *Limits) sharedResult(rule string, err error) {
	l.mu.Lock()
	changed := l.dbDown != (err != nil)
	l.dbDown = err != nil
	l.mu.Unlock()
	switch {
	case !changed:
	case err != nil:
		l.logger.Warn("rate limits: the database failed; limiting in this replica until it answers", "rule", rule, "err", err)
	default:
		l.logger.Info("rate limits: the database answers again; limits are shared")
	}
}

// Clear ends key's backoff under b: the right credential was given.
func (l *Limits) Clear(ctx context.Context, b Backoff, key string) {
	name := bucket(b.Name, key)
	l.mu.Lock()
	delete(l.mem, name)
	delete(l.refused, name)
	l.mu.Unlock()
	if l.db != nil {
		if _, err := l.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE bucket = ?`, name); err != nil {
			l.logger.Warn("rate limits: clearing a backoff failed", "rule", b.Name, "err", err)
		}
	}
}

// Sweep deletes the shared rows that have run out, and the memory's; it
// returns how many rows went.
func (l *Limits) Sweep(ctx context.Context) (int, error) {
	now := l.now()
	l.mu.Lock()
	l.pruneLocked(now)
	l.mu.Unlock()
	if l.db == nil {
		return 0, nil
	}
	res, err := l.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE expires_at < ?`, micros(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// refusedFor is how long bucket b is known to refuse from now (0: ask).
func (l *Limits) refusedFor(b string, now time.Time) time.Duration {
	if l.db == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.refused[b]
	if !ok {
		return 0
	}
	if !now.Before(until) {
		delete(l.refused, b)
		return 0
	}
	return until.Sub(now)
}

// remember keeps a refusal of b for wait from now (0: none).
func (l *Limits) remember(b string, now time.Time, wait time.Duration) {
	if wait <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refused) >= maxKeys {
		l.pruneLocked(now)
	}
	l.refused[b] = now.Add(wait)
}

// memState is b's state in memory, made empty if new.
func (l *Limits) memState(b string, now time.Time) *state {
	s := l.mem[b]
	if s == nil {
		if len(l.mem) >= maxKeys {
			l.pruneLocked(now)
		}
		s = &state{}
		l.mem[b] = s
	}
	return s
}

// pruneLocked forgets what has run out: buckets idle long enough to be
// full again and refusals past. A flood of fresh keys that are all still
// live starts the maps over rather than growing them.
func (l *Limits) pruneLocked(now time.Time) {
	us := micros(now)
	for k, s := range l.mem {
		if s.Expires < us {
			delete(l.mem, k)
		}
	}
	for _, m := range []map[string]time.Time{l.refused, l.marks} {
		for k, until := range m {
			if !now.Before(until) {
				delete(m, k)
			}
		}
	}
	if len(l.mem) >= maxKeys {
		clear(l.mem)
	}
	if len(l.refused) >= maxKeys {
		clear(l.refused)
	}
	if len(l.marks) >= maxKeys {
		clear(l.marks)
	}
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// gcra is the token bucket as the generic cell rate algorithm: with one
// token every T and a burst of B, a call at now is allowed when the
// bucket's theoretical arrival time is at most now + T·(B-1), and moves
// it to max(tat, now) + T. It returns the new tat, or how long to wait.
func gcra(tat, now int64, r Rule) (int64, bool, time.Duration) {
	t := max(r.Every.Microseconds(), 1)
	tau := t * int64(r.Burst-1)
	if tat > now+tau {
		return tat, false, time.Duration(tat-now-tau) * time.Microsecond
	}
	return max(tat, now) + t, true, 0
}

// step is a backoff's attempt at now from s: refused until s.TAT; else
// counted, and past the free ones it sets the next allowed attempt.
func step(s state, now int64, b Backoff) (state, bool, time.Duration) {
	if now < s.TAT {
		return s, false, time.Duration(s.TAT-now) * time.Microsecond
	}
	if now-s.Seen > 2*b.Max.Microseconds() { // quiet for long: start afresh
		s.Attempts = 0
	}
	s.Seen = now
	s.Attempts++
	if over := s.Attempts - b.Free; over >= 0 {
		wait := b.Max
		if over < 30 && b.Base<<over < b.Max {
			wait = b.Base << over
		}
		s.TAT = now + wait.Microseconds()
	}
	s.Expires = max(s.TAT, now+2*b.Max.Microseconds())
	return s, true, 0
}
