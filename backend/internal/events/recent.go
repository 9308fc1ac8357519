package events

import (
	"context"
	"sync"
)

// recent keeps the newest events of each workspace this replica's streams
// follow, so that a commit's wake-up, which wakes every follower of the
// workspace at once, costs one database read instead of one per follower
// (and a resume storm one read per workspace instead of one per stream).
//
// A window only ever holds a contiguous run of a workspace's log, as read
// from the database in order, so serving a follower from it is the same as
// reading the log. It may lag the log, but never what the hub has woken
// followers for: a wake-up promises its follower that the read after it
// sees the commit it was for, and a window filled before that commit would
// break the promise (the follower, served the window's older events, would
// wait for a wake-up that already came: the rest of a burst stuck until the
// next commit). So a follower is served from the window only when it holds
// the hub's newest woken seq (Hub.Woken); otherwise it reads the database,
// and extends the window for the followers after it.
type recent struct {
	log *Log
	// durable keeps what a read may pass on (Follower.durable): a window
	// holds only durable events.
	durable func(ctx context.Context, workspaceID string, acked int64, evs []Event) ([]Event, bool, error)
	acked   func(workspaceID string) int64 // Hub.Acked
	woken   func(workspaceID string) int64 // Hub.Woken

	mu sync.Mutex
	ws map[string]*window
}

// window is one workspace's newest events.
type window struct {
	refs int        // followers of the workspace; guarded by recent.mu
	mu   sync.Mutex // one database read at a time per workspace
	evs  []Event    // contiguous seqs, ascending
}

// The window keeps at most this many events, none more than windowAge
// milliseconds older than its newest: enough for the followers a wake-up
// sets off, and for those resuming together after a replica's loss (a
// minute of a workspace's events, which they would otherwise each read from
// the database: tandembench S6), never a copy of the log.
const (
	windowEvents = 256
	windowAge    = 60_000
)

func newRecent(log *Log, hub *Hub, durable func(context.Context, string, int64, []Event) ([]Event, bool, error)) *recent {
	return &recent{log: log, acked: hub.Acked, woken: hub.Woken, durable: durable, ws: map[string]*window{}}
}

// acquire returns the workspace's window for one more follower.
func (r *recent) acquire(workspaceID string) *window {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.ws[workspaceID]
	if w == nil {
		w = &window{}
		r.ws[workspaceID] = w
	}
	w.refs++
	return w
}

// release drops a follower; the last one's leaving drops the window.
func (r *recent) release(workspaceID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.ws[workspaceID]; w != nil {
		if w.refs--; w.refs <= 0 {
			delete(r.ws, workspaceID)
		}
	}
}

// read returns up to limit durable events of the workspace with seq >
// after, from the window when it holds the next one and every event the
// hub has woken followers for, else from the database; and, like
// Follower.durable, whether to read again.
func (r *recent) read(ctx context.Context, w *window, workspaceID string, after int64, limit int) ([]Event, bool, error) {
	woken := r.woken(workspaceID) // before the lock: a wake-up during the wait is for a later read
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.evs); n > 0 && after >= w.evs[0].Seq-1 && after < w.evs[n-1].Seq && w.evs[n-1].Seq >= woken {
		i := int(after - (w.evs[0].Seq - 1))
		return append([]Event(nil), w.evs[i:min(n, i+limit)]...), false, nil
	}
	acked := r.acked(workspaceID)
	evs, err := r.log.ReadAfter(ctx, workspaceID, after, "", limit)
	if err != nil {
		return nil, false, err
	}
	evs, lost, err := r.durable(ctx, workspaceID, acked, evs)
	if err != nil {
		return nil, false, err
	}
	if len(evs) > 0 && evs[0].Seq == after+1 { // contiguous with the cursor: nothing pruned in between
		w.remember(evs)
	}
	return evs, lost, nil
}

// remember adds events read from the log (contiguous, starting at some seq
// s) to the window: appended when they continue it, replacing it when they
// start past its end.
func (w *window) remember(evs []Event) {
	if n := len(w.evs); n > 0 {
		last := w.evs[n-1].Seq
		switch {
		case evs[len(evs)-1].Seq <= last:
			return // nothing new
		case evs[0].Seq <= last+1:
			evs = evs[last+1-evs[0].Seq:]
		default:
			w.evs = w.evs[:0] // a gap: start over from these
		}
	}
	w.evs = append(w.evs, evs...)
	newest := w.evs[len(w.evs)-1].CreatedAt
	drop := max(0, len(w.evs)-windowEvents)
	for drop < len(w.evs)-1 && newest-w.evs[drop].CreatedAt > windowAge {
		drop++
	}
	if drop > 0 {
		w.evs = append([]Event(nil), w.evs[drop:]...)
	}
}
