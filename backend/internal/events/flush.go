package events

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// flusher makes the commits a reader has seen durable before it passes them
// on.
//
// InnoDB lets other transactions read a commit before its redo log reaches
// the disk (see store.Dialect.VisibleBeforeDurable). A stream that delivered
// such an event, just before the database crashed, delivered an event the
// log then lost; the next commit took its seq, and the stream, whose cursor
// was already there, skipped that one: one event shown that never existed,
// one never shown (issue 13). So an event goes out only once it is known to
// be durable: its writer's commit returned (the wake-up it publishes says
// so, see Hub.Acked), or a later commit of the reader's own returned, which
// InnoDB can only acknowledge once its redo log is flushed past every commit
// the reader had seen. That commit is a one-row update of log_flushes,
// shared by every reader that waits at the same time (group commit), and
// needed only for events read before their writer's commit returned: in the
// moment between a commit and its flush, and when the wake-up came from the
// poller rather than the writer.
type flusher struct {
	db      *store.DB
	timeout time.Duration

	run  sync.Mutex // one round at a time
	mu   sync.Mutex
	next *round // the round that has not started yet, nil when nobody waits
}

// round is one flush shared by the readers that joined it before it started.
type round struct {
	done chan struct{}
	err  error
}

func newFlusher(db *store.DB) *flusher { return &flusher{db: db, timeout: 5 * time.Second} }

// flush returns once a commit that started after the call has returned:
// every commit visible to reads that ended before the call is durable then.
func (f *flusher) flush(ctx context.Context) error {
	if f == nil || !f.db.Dialect.VisibleBeforeDurable() {
		return nil
	}
	f.mu.Lock()
	r := f.next
	lead := r == nil
	if lead {
		r = &round{done: make(chan struct{})}
		f.next = r
	}
	f.mu.Unlock()
	if lead {
		f.lead(ctx, r)
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lead runs round r once the round before it has ended; readers that come
// after r has started wait for the next round, since r's commit may have
// been made before what they read.
func (f *flusher) lead(ctx context.Context, r *round) {
	f.run.Lock()
	defer f.run.Unlock()
	f.mu.Lock()
	f.next = nil
	f.mu.Unlock()
	// The round is its readers', not only its leader's: it outlives the
	// leader's request, bounded by its own timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
	defer cancel()
	if _, err := f.db.ExecContext(ctx, `UPDATE log_flushes SET n = n + 1 WHERE id = 1`); err != nil {
		r.err = fmt.Errorf("flush the event log: %w", err)
	}
	close(r.done)
}
