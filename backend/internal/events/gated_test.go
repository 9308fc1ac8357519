package events_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestGatedReactor: a gated reactor reacts only where its feature made it a
// cursor. Before StartCursor and after StopCursor a drain handles nothing
// and leaves no cursor behind (so nothing lags); in between it handles the
// events after the one that turned the feature on.
func TestGatedReactor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := events.NewLog(db, nil, nil)
		ws := newWorkspace(t, db)
		var handled []int64
		r := events.NewReactor("gated", log, nil, func(_ context.Context, ev events.Event) error {
			handled = append(handled, ev.Seq)
			return nil
		}, slog.New(slog.NewTextHandler(io.Discard, nil))).Gated()
		step := func(change func(tx *store.Tx, seq int64) error) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				ev := &events.Event{WorkspaceID: ws, Type: "test.event", ActorKind: events.ActorSystem}
				if err := log.Append(ctx, tx, ev); err != nil {
					return err
				}
				if change == nil {
					return nil
				}
				return change(tx, ev.Seq)
			}); err != nil {
				t.Fatal(err)
			}
		}
		drain := func() {
			t.Helper()
			if err := r.Drain(ctx, ws); err != nil {
				t.Fatal(err)
			}
		}
		cursors := func() int {
			return storetest.Count(t, db, "reactor_cursors", "name = 'gated' AND workspace_id = ?", ws)
		}

		step(nil) // 1
		drain()
		if len(handled) != 0 || cursors() != 0 {
			t.Fatalf("off: handled %v, %d cursors", handled, cursors())
		}
		step(func(tx *store.Tx, seq int64) error { return events.StartCursor(ctx, tx, "gated", ws, seq) }) // 2: on
		step(nil)                                                                                          // 3
		drain()
		if !slices.Equal(handled, []int64{3}) {
			t.Fatalf("on: handled %v, want [3]", handled)
		}
		if seq, err := events.CursorAt(ctx, db, "gated", ws); err != nil || seq != 3 {
			t.Fatalf("cursor at %d (%v), want 3", seq, err)
		}
		step(func(tx *store.Tx, _ int64) error { return events.StopCursor(ctx, tx, "gated", ws) }) // 4: off
		step(nil)                                                                                  // 5
		drain()
		if !slices.Equal(handled, []int64{3}) || cursors() != 0 {
			t.Fatalf("off again: handled %v, %d cursors", handled, cursors())
		}
	})
}

// TestGatedCursorsMigration: migration 00025 leaves the AI agent's and the
// rules' reactors a cursor exactly where their feature is on: it drops the
// cursors a feature turned off left behind (the lag that never ended) and
// starts one, at the log's head, where a feature is on without one.
func TestGatedCursorsMigration(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		on, off, none := newWorkspace(t, db), newWorkspace(t, db), newWorkspace(t, db)
		storetest.MustExec(t, db, `UPDATE workspaces SET last_seq = 40 WHERE id = ?`, on)
		for ws, enabled := range map[string]int{on: 1, off: 0} {
			storetest.MustExec(t, db, `INSERT INTO bot_settings (workspace_id, enabled, name, greeting, instructions, confidence_threshold,
				handoff_message, offline_message, handoff_tag, updated_at) VALUES (?, ?, 'AI', '', '', 0.5, '', '', '', 0)`, ws, enabled)
			storetest.MustExec(t, db, `INSERT INTO automation_rules (id, workspace_id, name, enabled, position, trigger_kind, delay_minutes,
				conditions, actions, created_at, updated_at) VALUES (?, ?, 'r', ?, 0, 'customer_message', 0, '[]', '[]', 0, 0)`,
				uuid.NewString(), ws, enabled)
		}
		for _, ws := range []string{off, none} { // left behind by features turned off
			for _, name := range []string{"bot", "automation", "notify"} {
				storetest.MustExec(t, db, `INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until) VALUES (?, ?, 3, '', 0)`,
					name, ws)
			}
		}
		up, err := os.ReadFile(filepath.Join("..", "store", "migrations", db.Dialect.Name(), "00025_reroutes_gated_reactors.sql"))
		if err != nil {
			t.Fatal(err)
		}
		text, _, _ := strings.Cut(string(up), "-- +goose Down")
		var stmts []string
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "--") {
				stmts = append(stmts, line)
			}
		}
		for _, stmt := range strings.Split(strings.Join(stmts, "\n"), ";") {
			if strings.TrimSpace(stmt) != "" && !strings.Contains(stmt, "ALTER TABLE") && !strings.Contains(stmt, "CREATE INDEX") {
				storetest.MustExec(t, db, stmt)
			}
		}
		for _, tc := range []struct {
			name, ws string
			want     int64 // -1: no cursor
		}{
			{"bot", on, 40}, {"automation", on, 40}, {"bot", off, -1}, {"automation", off, -1}, {"bot", none, -1},
			{"automation", none, -1}, {"notify", off, 3}, {"notify", none, 3},
		} {
			got := int64(-1)
			if storetest.Count(t, db, "reactor_cursors", "name = ? AND workspace_id = ?", tc.name, tc.ws) == 1 {
				if got, err = events.CursorAt(ctx, db, tc.name, tc.ws); err != nil {
					t.Fatal(err)
				}
			}
			if got != tc.want {
				t.Errorf("%s cursor in %s: %d, want %d", tc.name, tc.ws, got, tc.want)
			}
		}
	})
}
