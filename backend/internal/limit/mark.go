package limit

import (
	"context"
	"strings"
	"time"
)

// A Mark names a key under a rule's name that misbehaved ("flood-address",
// an address): a caller refused by a limit, whose other doings may then be
// treated with suspicion (a flood's new conversations held as spam).
type Mark struct {
	Rule, Key string
}

// Mark notes m for d from now: Marked reports it, on every replica, until
// then. A mark this replica wrote that still has more than half of d to
// run is not written again, so a flood of refusals costs the database one
// write per key every d/2.
func (l *Limits) Mark(ctx context.Context, m Mark, d time.Duration) {
	now := l.now()
	b, until := bucket(m.Rule, m.Key), now.Add(d)
	l.mu.Lock()
	if known, ok := l.marks[b]; ok && known.Sub(now) > d/2 {
		l.mu.Unlock()
		return
	}
	if len(l.marks) >= maxKeys {
		l.pruneLocked(now)
	}
	l.marks[b] = until
	l.mu.Unlock()
	if l.db == nil {
		return
	}
	us := micros(until)
	extended, err := changed(l.db.ExecContext(ctx, `UPDATE rate_limits SET expires_at = ? WHERE bucket = ? AND expires_at < ?`, us, b, us))
	if err == nil && !extended { // new, or marked for longer already
		_, err = l.db.ExecContext(ctx, l.db.Dialect.InsertIgnore()+
			` INTO rate_limits (bucket, tat, attempts, seen, expires_at) VALUES (?, 0, 0, 0, ?)`, b, us)
	}
	l.sharedResult(m.Rule, err)
}

// Marked reports whether any of marks stands now: on any replica, when
// the limits are shared.
func (l *Limits) Marked(ctx context.Context, marks ...Mark) (bool, error) {
	now := l.now()
	names := make([]any, 0, len(marks)+1)
	l.mu.Lock()
	for _, m := range marks {
		b := bucket(m.Rule, m.Key)
		if until, ok := l.marks[b]; ok && now.Before(until) {
			l.mu.Unlock()
			return true, nil
		}
		names = append(names, b)
	}
	l.mu.Unlock()
	if l.db == nil || len(names) == 0 {
		return false, nil
	}
	var n int
	err := l.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM rate_limits WHERE bucket IN (?`+strings.Repeat(", ?", len(names)-1)+`) AND expires_at > ?`,
		append(names, micros(now))...)
	return n > 0, err
}
