package events_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// crashLab is a workspace whose log a test can append to as a writer whose
// commit has returned (acked: it wakes the hub, as every writer does) or as
// one that only became visible (seen: the hub's poller finds it before any
// acknowledgement), and whose followers' flushes (see events.flusher) the
// test can hold up, on MariaDB, with a lock on the row they update.
type crashLab struct {
	t           *testing.T
	db          *store.DB
	ws          string
	acked, seen *events.Log
	f           *events.Follower
	sent        atomic.Int64 // the seq a stream sent last
}

func newCrashLab(t *testing.T, db *store.DB) *crashLab {
	ctx, cancel := context.WithCancel(context.Background())
	hub := events.NewHub(db, 10*time.Millisecond)
	done := make(chan struct{})
	go func() { defer close(done); _ = hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	log := events.NewLog(db, hub, nil)
	return &crashLab{t: t, db: db, ws: newWorkspace(t, db), acked: log, seen: events.NewLog(db, nil, nil),
		f: events.NewFollower(log, hub, time.Hour, nil, slog.New(slog.DiscardHandler))}
}

func (l *crashLab) append(log *events.Log, typ events.Type) events.Event {
	l.t.Helper()
	ev := events.Event{WorkspaceID: l.ws, Type: typ, ActorKind: events.ActorSystem}
	if err := l.db.InTx(context.Background(), func(tx *store.Tx) error { return log.Append(context.Background(), tx, &ev) }); err != nil {
		l.t.Fatal(err)
	}
	return ev
}

// follow streams the workspace's events from after into the returned channel.
func (l *crashLab) follow(after int64) <-chan events.Event {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan events.Event, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.f.Follow(ctx, l.ws, "", events.Position{Seq: after}, events.Sink{
			Event: func(ev events.Event) error {
				out <- ev
				l.sent.Store(ev.Seq)
				return nil
			},
			Ephemeral: func(events.Ephemeral) error { return nil },
			Heartbeat: func(events.Position) error { return nil },
		}); err != nil && ctx.Err() == nil {
			l.t.Errorf("follow: %v", err)
		}
	}()
	l.t.Cleanup(func() { cancel(); <-done })
	return out
}

// holdFlushes locks the row followers' flushes update, until release.
func (l *crashLab) holdFlushes() (release func()) {
	l.t.Helper()
	tx, err := l.db.BeginTxx(context.Background(), nil)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := tx.ExecContext(context.Background(), `SELECT n FROM log_flushes WHERE id = 1 FOR UPDATE`); err != nil {
		l.t.Fatal(err)
	}
	release = func() { _ = tx.Rollback() }
	l.t.Cleanup(release)
	return release
}

// awaitFlush returns true once a flush waits for the held row, false if
// done (a reader that passed on what it read without a flush) closes first.
func (l *crashLab) awaitFlush(done <-chan struct{}) bool {
	l.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if storetest.Count(l.t, l.db, "information_schema.PROCESSLIST", "db = DATABASE() AND info LIKE 'UPDATE log_flushes%'") > 0 {
			return true
		}
		select {
		case <-done:
			return false
		default:
		}
	}
	l.t.Fatal("no follower flushed the log")
	return false
}

// crash does to the log what a database crash does to a commit that was
// visible but not yet durable: the event and its seq are gone.
func (l *crashLab) crash(ev events.Event) {
	storetest.MustExec(l.t, l.db, `DELETE FROM events WHERE workspace_id = ? AND seq = ?`, l.ws, ev.Seq)
	storetest.MustExec(l.t, l.db, `UPDATE workspaces SET last_seq = ? WHERE id = ?`, ev.Seq-1, l.ws)
}

// TestLostVisibleCommit scripts issue 13's interleaving at the exact step.
// InnoDB shows a commit to other transactions before it flushes its redo
// log; if mariadbd dies in between, the commit is lost and the next one
// takes its seq. A stream that had already sent the lost event then skipped
// its successor: one message shown that never existed, one never shown
// (and the client, retrying the lost write, got its message twice). Now a
// stream sends an event read before its writer's commit returned only after
// a flush of its own proved it durable (there), and the snapshot cursor
// (Head) likewise.
//
// On SQLite a commit is synced before other connections see it
// (store.Dialect.VisibleBeforeDurable), so the crash has nothing to take
// back; there the test checks that such events flow without a flush.
func TestLostVisibleCommit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if !db.Dialect.VisibleBeforeDurable() {
			l := newCrashLab(t, db)
			got := l.follow(0)
			ev := l.append(l.seen, "test.seen")
			if e := nextEvent(t, got); e.ID != ev.ID {
				t.Fatalf("delivered %s, want %s", e.ID, ev.ID)
			}
			return
		}

		t.Run("stream", func(t *testing.T) {
			l := newCrashLab(t, db)
			first := l.append(l.acked, "test.first")
			got := l.follow(0)
			if e := nextEvent(t, got); e.ID != first.ID {
				t.Fatalf("delivered %s, want the first event", e.Type)
			}
			release := l.holdFlushes()
			lost := l.append(l.seen, "test.lost") // visible, never acknowledged
			// The poller wakes the stream, which reads it; it must not send it
			// before a flush has proved it durable.
			if !l.awaitFlush(sentPast(&l.sent, first.Seq)) {
				t.Fatalf("sent seq %d before it was known durable", l.sent.Load())
			}
			l.crash(lost)
			after := l.append(l.acked, "test.after-crash") // takes the lost event's seq
			release()
			e := nextEvent(t, got)
			if e.ID != after.ID || e.Seq != lost.Seq {
				t.Fatalf("delivered %s at seq %d, want test.after-crash at %d", e.Type, e.Seq, lost.Seq)
			}
			quietEvents(t, got)
		})

		t.Run("head", func(t *testing.T) {
			l := newCrashLab(t, db) // and no stream: Head's is the only flush
			first := l.append(l.acked, "test.first")
			release := l.holdFlushes()
			lost := l.append(l.seen, "test.lost")
			head := make(chan int64, 1)
			read := make(chan struct{})
			go func() {
				defer close(read)
				h, err := l.f.Head(context.Background(), l.ws)
				if err != nil {
					t.Error(err)
				}
				head <- h.Seq
			}()
			if !l.awaitFlush(read) {
				t.Fatalf("head %d before the newest event was known durable", <-head)
			}
			l.crash(lost)
			release()
			if h := <-head; h != first.Seq {
				t.Fatalf("head %d, want %d: a cursor at a lost event skips the next commit", h, first.Seq)
			}
		})
	})
}

// sentPast closes its channel once sent passes seq (or after a while).
func sentPast(sent *atomic.Int64, seq int64) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for deadline := time.Now().Add(15 * time.Second); sent.Load() <= seq && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return events.Event{}
	}
}

func quietEvents(t *testing.T, ch <-chan events.Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected %s at seq %d", e.Type, e.Seq)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestStreamGapResyncs breaks the log under a stream (an event missing from
// the middle that retention did not prune): rather than skip it, the stream
// logs it, counts it for tandem_stream_gaps_total and ends with a resync.
func TestStreamGapResyncs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newCrashLab(t, db)
		var evs []events.Event
		for range 5 {
			evs = append(evs, l.append(l.acked, "test.b"))
		}
		storetest.MustExec(t, db, `DELETE FROM events WHERE workspace_id = ? AND seq = ?`, l.ws, evs[2].Seq)
		var sent []int64
		err := l.f.Follow(context.Background(), l.ws, "", events.At(evs[0]), events.Sink{
			Event:     func(ev events.Event) error { sent = append(sent, ev.Seq); return nil },
			Ephemeral: func(events.Ephemeral) error { return nil },
			Heartbeat: func(events.Position) error { return nil },
		})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Detail != events.ResyncRequired {
			t.Fatalf("follow across a gap: %v, want a resync", err)
		}
		for i, seq := range sent {
			if seq != evs[1].Seq+int64(i) || seq >= evs[2].Seq {
				t.Fatalf("sent %v across the gap at %d", sent, evs[2].Seq)
			}
		}
		if g := l.f.Gaps(); g != 1 {
			t.Fatalf("gaps counted %d, want 1", g)
		}
	})
}
