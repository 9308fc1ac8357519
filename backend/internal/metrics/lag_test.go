package metrics_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tandem-inbox/tandem/backend/internal/metrics"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// addWorkspaces makes n workspaces by SQL, each with three events of long
// ago and the cursors of reactors "a" and "b" at its head.
func addWorkspaces(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := storetest.AddWorkspace(t, db, 3)
		ids[i] = id
		storetest.MustExec(t, db, `INSERT INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until) VALUES ('a', ?, 3, '', 0), ('b', ?, 3, '', 0)`, id, id)
	}
	return ids
}

// appendEvents adds n events to the workspace's log, created now.
func appendEvents(t *testing.T, db *store.DB, workspaceID string, n int) {
	t.Helper()
	for range n {
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			var seq int64
			if err := tx.GetContext(context.Background(), &seq, `SELECT last_seq + 1 FROM workspaces WHERE id = ?`, workspaceID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO events (workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at)
				VALUES (?, ?, ?, 'test.new', '', 'system', '', 'agents', '{}', ?)`, workspaceID, seq, uuid.NewString(), time.Now().UnixMilli()); err != nil {
				return err
			}
			_, err := tx.ExecContext(context.Background(), `UPDATE workspaces SET last_seq = ? WHERE id = ?`, seq, workspaceID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestReactorLag scrapes tandem_reactor_lag_events while reactors fall
// behind and catch up: it reads exactly the events past their cursors, a
// backlog older than the previous scrape included, and what a scrape
// costs does not grow with the idle workspaces (30, then 300).
func TestReactorLag(t *testing.T) {
	// Not parallel: it counts the statements of single passes, and on a
	// loaded machine a pass lasts long enough for timed background work on
	// the same database to land inside the count.
	storetest.EachCounted(t, func(t *testing.T, db *store.DB, c *storetest.Counter) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.NewState(db.DB.DB, "a", "b", "c"))
		scrape := func(want string) int64 {
			t.Helper()
			before := c.N()
			expected := "# HELP tandem_reactor_lag_events Events the server's reactions (AI agent, rules, notifications, SLA, metrics) have yet to handle.\n" +
				"# TYPE tandem_reactor_lag_events gauge\n" + want
			if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), "tandem_reactor_lag_events"); err != nil {
				t.Error(err)
			}
			return c.N() - before
		}
		lags := func(a, b, c int) string {
			return "tandem_reactor_lag_events{reactor=\"a\"} " + strconv.Itoa(a) + "\n" +
				"tandem_reactor_lag_events{reactor=\"b\"} " + strconv.Itoa(b) + "\n" +
				"tandem_reactor_lag_events{reactor=\"c\"} " + strconv.Itoa(c) + "\n"
		}
		ws := addWorkspaces(t, db, 30)
		scrape(lags(0, 0, 0)) // the first reads every cursor
		few := scrape(lags(0, 0, 0))
		ws = append(ws, addWorkspaces(t, db, 270)...)
		if many := scrape(lags(0, 0, 0)); many != few {
			t.Errorf("a scrape ran %d statements with 30 idle workspaces, %d with 300", few, many)
		}

		appendEvents(t, db, ws[5], 4)
		appendEvents(t, db, ws[200], 2)
		scrape(lags(6, 6, 0))
		// Time passes (the events are older than any scrape's margin); a
		// handles ws[5]'s events: the backlog left is still read.
		storetest.MustExec(t, db, `UPDATE events SET created_at = 0`)
		storetest.MustExec(t, db, `UPDATE reactor_cursors SET seq = 7 WHERE name = 'a' AND workspace_id = ?`, ws[5])
		scrape(lags(2, 6, 0))
		scrape(lags(2, 6, 0))
		// b drops its cursor in ws[5] (its feature went off there) and
		// catches up in ws[200]; a catches up too.
		storetest.MustExec(t, db, `DELETE FROM reactor_cursors WHERE name = 'b' AND workspace_id = ?`, ws[5])
		storetest.MustExec(t, db, `UPDATE reactor_cursors SET seq = 5 WHERE workspace_id = ?`, ws[200])
		scrape(lags(0, 0, 0))
		if n := scrape(lags(0, 0, 0)); n != few {
			t.Errorf("a scrape ran %d statements once caught up, %d before", n, few)
		}
	})
}
