package events_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestCursorFromBeforeARestore (STR-03): a database restored from a backup
// brings back its epoch, so a cursor issued after the backup passes every
// check of the cursor itself; once new writes pass its seq, the log holds
// other events under it. Resuming there would skip and repeat events
// silently: the stream must answer RESYNC_REQUIRED instead. A cursor the
// restored log still holds resumes as usual, and so does one made before
// the log had any event.
func TestCursorFromBeforeARestore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newCrashLab(t, db)
		cursors, err := events.LoadCursors(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		start := cursors.Make(l.ws, "u:agent", events.Position{})
		var evs []events.Event
		for range 5 {
			evs = append(evs, l.append(l.acked, "test.before"))
		}
		held := cursors.Make(l.ws, "u:agent", events.At(evs[1])) // in the backup
		lost := cursors.Make(l.ws, "u:agent", events.At(evs[3])) // after it

		// The restore: the log as the backup had it, after evs[1].
		storetest.MustExec(t, db, `DELETE FROM events WHERE workspace_id = ? AND seq > ?`, l.ws, evs[1].Seq)
		storetest.MustExec(t, db, `UPDATE workspaces SET last_seq = ? WHERE id = ?`, evs[1].Seq, l.ws)
		for range 4 { // new writes take the lost events' seqs, and more
			l.append(l.acked, "test.after")
		}

		resume := func(cursor string) ([]int64, error) {
			pos, err := cursors.Parse(cursor, l.ws, "u:agent")
			if err != nil {
				return nil, err
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var got []int64
			err = l.f.Follow(ctx, l.ws, "", pos, events.Sink{
				Event: func(ev events.Event) error {
					if got = append(got, ev.Seq); ev.Seq == evs[1].Seq+4 {
						cancel() // caught up
					}
					return nil
				},
				Ephemeral: func(events.Ephemeral) error { return nil },
				Heartbeat: func(events.Position) error { return nil },
			})
			if ctx.Err() != nil {
				err = nil
			}
			return got, err
		}
		var ae *apperr.Error
		if got, err := resume(lost); !apperr.Is(err, apperr.FailedPrecondition) || !asDetail(err, &ae, events.ResyncRequired) {
			t.Fatalf("a cursor past the restored log, overtaken by new writes: events %v, err %v; want RESYNC_REQUIRED", got, err)
		}
		want := []int64{evs[1].Seq + 1, evs[1].Seq + 2, evs[1].Seq + 3, evs[1].Seq + 4}
		if got, err := resume(held); err != nil || !slices.Equal(got, want) {
			t.Fatalf("a cursor the restored log holds: events %v, err %v; want %v", got, err, want)
		}
		if got, err := resume(start); err != nil || len(got) != 6 {
			t.Fatalf("a cursor from before the first event: events %v, err %v; want all 6", got, err)
		}
	})
}

func asDetail(err error, ae **apperr.Error, detail string) bool {
	return errors.As(err, ae) && (*ae).Detail == detail
}
