package limit

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// takeShared takes a token from bucket b's row. The common case, a known
// bucket with a token, is one UPDATE whose condition is the bucket's rule,
// so two replicas taking the last token at once cannot both get it; a new
// bucket is inserted holding its first token. A refusal reads the row back
// for the wait.
func (l *Limits) takeShared(ctx context.Context, r Rule, b string, now time.Time) (bool, time.Duration, error) {
	us := micros(now)
	t := max(r.Every.Microseconds(), 1)
	limit := us + t*int64(r.Burst-1) // the latest tat that still has a token
	take := func() (bool, error) {
		// The new tat is max(tat, now) + t, spelled for both databases;
		// expires_at first, as MySQL's later assignments see earlier ones.
		res, err := l.db.ExecContext(ctx, `UPDATE rate_limits
			SET expires_at = CASE WHEN tat > ? THEN tat ELSE ? END + ?, tat = CASE WHEN tat > ? THEN tat ELSE ? END + ?
			WHERE bucket = ? AND tat <= ?`, us, us, t, us, us, t, b, limit)
		return changed(res, err)
	}
	ok, err := take()
	if err != nil || ok {
		return ok, 0, err
	}
	inserted, err := changed(l.db.ExecContext(ctx, l.db.Dialect.InsertIgnore()+
		` INTO rate_limits (bucket, tat, attempts, seen, expires_at) VALUES (?, ?, 0, 0, ?)`, b, us+t, us+t))
	if err != nil || inserted {
		return inserted, 0, err
	}
	// The row was there: refused, or made by another replica just now.
	if ok, err := take(); err != nil || ok {
		return ok, 0, err
	}
	var tat int64
	if err := l.db.GetContext(ctx, &tat, `SELECT tat FROM rate_limits WHERE bucket = ?`, b); err != nil {
		return false, 0, err
	}
	return false, max(time.Duration(tat-limit)*time.Microsecond, time.Millisecond), nil
}

// maxSwaps bounds the rounds of a backoff's compare-and-swap: each lost
// round means another replica counted an attempt on the same key in
// between, so a handful is plenty.
const maxSwaps = 20

// beginShared counts an attempt on bucket b's row: read it, step it, and
// write it back only if no other replica changed it in between (else
// again), so concurrent attempts are each counted once.
func (l *Limits) beginShared(ctx context.Context, bo Backoff, b string, now time.Time) (bool, time.Duration, error) {
	us := micros(now)
	for range maxSwaps {
		var s state
		err := l.db.GetContext(ctx, &s, `SELECT tat, attempts, seen, expires_at FROM rate_limits WHERE bucket = ?`, b)
		if store.ErrNoRows(err) { // a first attempt, or cleared just now
			_, err = l.db.ExecContext(ctx, l.db.Dialect.InsertIgnore()+
				` INTO rate_limits (bucket, tat, attempts, seen, expires_at) VALUES (?, 0, 0, 0, 0)`, b)
			if err == nil {
				continue
			}
		}
		if err != nil {
			return false, 0, err
		}
		next, ok, wait := step(s, us, bo)
		if !ok {
			return false, wait, nil
		}
		swapped, err := changed(l.db.ExecContext(ctx, `UPDATE rate_limits SET tat = ?, attempts = ?, seen = ?, expires_at = ?
			WHERE bucket = ? AND tat = ? AND attempts = ? AND seen = ?`,
			next.TAT, next.Attempts, next.Seen, next.Expires, b, s.TAT, s.Attempts, s.Seen))
		if err != nil || swapped {
			return swapped, 0, err
		}
	}
	return false, 0, fmt.Errorf("rate limit %s: %d rounds lost to other attempts", bo.Name, maxSwaps)
}

// changed reports whether an INSERT or UPDATE changed a row.
func changed(res interface{ RowsAffected() (int64, error) }, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
