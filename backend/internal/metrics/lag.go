package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
)

// lag reads how many events each reactor has yet to handle: the sum, over
// its cursors, of the workspace's log head past the cursor. A reactor has
// cursors only where it has work (gated reactors drop theirs where their
// feature is off), so a reactor with nothing to do lags by 0.
//
// Reading every cursor at each scrape cost seconds at 100k workspaces, so
// a scrape reads only the cursors that can lag: those that lagged at the
// previous scrape, and those of the workspaces with events since (less a
// margin), through the events' created_at index. A cursor never moves
// back, so one that lags now either lagged then or has new events to
// handle. Its cost follows the events and the backlog, not the
// workspaces; every cursor is read at the first scrape and once in a
// while after, in case a log head moved without an event (none does).
type lag struct {
	db *sql.DB

	mu      sync.Mutex // one scrape's read at a time: each builds on the last
	full    time.Time  // when every cursor was last read
	since   time.Time  // when the previous scrape's read began
	lagging []string   // the workspaces with a lagging cursor then
}

const (
	// lagMargin is how far before the previous scrape a scrape looks for
	// events: an event's created_at is taken inside its transaction, which
	// commits (and becomes visible) a little later.
	lagMargin = 30 * time.Second
	// lagFullEvery is how often a scrape reads every cursor anyway.
	lagFullEvery = time.Hour
)

// read returns the lag of each reactor named and of any other with a
// lagging cursor.
func (l *lag) read(ctx context.Context, reactors []string) (map[string]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := time.Now()
	const cols = `SELECT c.name, c.workspace_id, w.last_seq - c.seq FROM reactor_cursors c JOIN workspaces w ON w.id = c.workspace_id`
	var rows []lagRow
	var err error
	full := l.full.IsZero() || start.Sub(l.full) >= lagFullEvery
	if full {
		rows, err = l.query(ctx, cols+` WHERE w.last_seq > c.seq`)
	} else {
		rows, err = l.query(ctx, cols+` WHERE c.workspace_id IN (SELECT e.workspace_id FROM events e WHERE e.created_at >= ?)`,
			l.since.Add(-lagMargin).UnixMilli())
		for ids := l.lagging; len(ids) > 0 && err == nil; {
			chunk := ids[:min(len(ids), 500)]
			ids = ids[len(chunk):]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			var more []lagRow
			more, err = l.query(ctx, cols+` WHERE c.workspace_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
			rows = append(rows, more...)
		}
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(reactors))
	for _, name := range reactors {
		out[name] = 0
	}
	type key struct{ reactor, workspace string }
	seen := map[key]bool{} // a workspace may be read twice: new events, and lagging before
	lagging := map[string]bool{}
	for _, r := range rows {
		if k := (key{r.reactor, r.workspace}); !seen[k] && r.behind > 0 {
			seen[k] = true
			out[r.reactor] += r.behind
			lagging[r.workspace] = true
		}
	}
	l.lagging = l.lagging[:0]
	for ws := range lagging {
		l.lagging = append(l.lagging, ws)
	}
	l.since = start
	if full {
		l.full = start
	}
	return out, nil
}

type lagRow struct {
	reactor, workspace string
	behind             int64
}

func (l *lag) query(ctx context.Context, q string, args ...any) ([]lagRow, error) {
	rs, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read reactor lag: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var out []lagRow
	for rs.Next() {
		var r lagRow
		if err := rs.Scan(&r.reactor, &r.workspace, &r.behind); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
