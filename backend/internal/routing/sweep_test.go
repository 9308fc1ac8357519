package routing_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/routing"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// addRouted makes n workspaces by SQL with routing on (a 60 s reply
// timeout) and a contact each, none with a conversation waiting.
func addRouted(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := storetest.AddWorkspace(t, db, 1)
		ids[i] = id
		storetest.MustExec(t, db, `INSERT INTO routing_settings (workspace_id, mode, reply_timeout_seconds, max_reroutes, updated_at)
			VALUES (?, 'balanced', 60, 3, 0)`, id)
		storetest.MustExec(t, db, `INSERT INTO contacts (id, workspace_id, external_id, name, email, attributes, created_at, updated_at, last_seen_at)
			VALUES (?, ?, NULL, 'c', '', '{}', 0, 0, 0)`, contactOf(id), id)
		// An owned chat, as most workspaces have: not routing's work.
		addConversation(t, db, id, "active", "u1", 0)
	}
	return ids
}

// addConversation adds a conversation in the state, owned by assignee
// (none: ""), routed to them at routedAt (0: not routed).
func addConversation(t *testing.T, db *store.DB, workspaceID, state, assignee string, routedAt int64) string {
	t.Helper()
	id := uuid.NewString()
	storetest.MustExec(t, db, `INSERT INTO conversations (id, workspace_id, contact_id, client_id, state, assignee_id, channel, page_url,
		custom_fields, last_activity_at, created_at, updated_at, routed_at) VALUES (?, ?, ?, ?, ?, ?, 'web', '', '{}', 0, 0, 0, ?)`,
		id, workspaceID, contactOf(workspaceID), id, state, assignee, routedAt)
	return id
}

// contactOf is the id of the workspace's one contact.
func contactOf(workspaceID string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(workspaceID)).String()
}

// TestRoutingWorkIsFound checks which workspaces a routing pass visits and
// what finding them costs: two statements a pass with 30 workspaces whose
// routing is on and with 300, none of them visited while nothing waits; a
// waiting queue visited once, then again only when its log moves (or after
// a long while); a routed chat visited once its reply timeout has run out;
// and only the workspaces of the shards this replica holds.
func TestRoutingWorkIsFound(t *testing.T) {
	// Not parallel: it counts the statements of single passes, and on a
	// loaded machine a pass lasts long enough for timed background work on
	// the same database to land inside the count.
	storetest.EachCounted(t, func(t *testing.T, db *store.DB, c *storetest.Counter) {
		ctx := context.Background()
		sweep := routing.NewSweep(db, nil)
		now := time.Now()
		pass := func(want ...string) int64 {
			t.Helper()
			before := c.N()
			got, err := sweep.Due(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("due %v, want %v", got, want)
			}
			return c.N() - before
		}
		few := addRouted(t, db, 30)
		idleFew := pass()
		many := append(few, addRouted(t, db, 270)...)
		if idleMany := pass(); idleFew != 2 || idleMany != 2 {
			t.Errorf("an idle pass ran %d statements with 30 workspaces, %d with 300: want 2 and 2", idleFew, idleMany)
		}

		waiting := many[7]
		addConversation(t, db, waiting, "pending", "", 0)
		pass(waiting)
		pass()                                                                                           // nothing changed there
		storetest.MustExec(t, db, `UPDATE workspaces SET last_seq = last_seq + 1 WHERE id = ?`, waiting) // an agent came online, say
		pass(waiting)
		pass()
		now = now.Add(31 * time.Second)
		pass(waiting) // the safety net

		// A conversation routing gave up on waits for a person, and one
		// in a workspace whose routing is off is not routing's either.
		storetest.MustExec(t, db, `UPDATE conversations SET needs_attention = 1 WHERE workspace_id = ?`, waiting)
		off := many[8]
		storetest.MustExec(t, db, `UPDATE routing_settings SET mode = 'off' WHERE workspace_id = ?`, off)
		addConversation(t, db, off, "pending", "", 0)
		pass()

		// Routed 50 s ago against a 60 s timeout: due in 10 s.
		lapsing := many[9]
		addConversation(t, db, lapsing, "active", "u1", store.NowMillis(now.Add(-50*time.Second)))
		pass()
		now = now.Add(11 * time.Second)
		pass(lapsing)

		// With shards, only this replica's: one replica holds them all, a
		// second (never run) none.
		logger := slog.New(slog.DiscardHandler)
		held := events.NewShards(db, "routing-test", logger, events.ShardOptions{})
		none := events.NewShards(db, "routing-test", logger, events.ShardOptions{})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = held.Run(runCtx) }()
		defer func() { stop(); <-done }()
		for deadline := time.Now().Add(10 * time.Second); len(held.Held()) < events.DefaultShards; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the replica holds %d shards after 10 s", len(held.Held()))
			}
		}
		sweep = routing.NewSweep(db, none)
		pass()
		sweep = routing.NewSweep(db, held)
		pass(lapsing)
	})
}
