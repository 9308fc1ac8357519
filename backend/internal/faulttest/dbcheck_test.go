package faulttest_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// checkExactlyOnce reads the database behind the servers and fails unless
// every acknowledged message is stored once, under the id the client was
// given, with one message.created event each, and no other customer
// message was stored.
func checkExactlyOnce(t *testing.T, dbURL, workspaceID string, l *ledger) {
	t.Helper()
	db := openDB(t, dbURL)
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT id, client_id, body FROM messages
		WHERE workspace_id = ? AND kind = 'text' AND author_kind = 'customer'`, workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	stored := map[string][]string{} // body -> ids
	clientIDs := map[string]int{}
	for rows.Next() {
		var id, clientID, body string
		if err := rows.Scan(&id, &clientID, &body); err != nil {
			t.Fatal(err)
		}
		stored[body] = append(stored[body], id)
		clientIDs[clientID]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for body, id := range l.acked {
		switch ids := stored[body]; {
		case len(ids) == 0:
			t.Errorf("acknowledged message %s (id %s) is not in the database", body, id)
		case len(ids) > 1:
			t.Errorf("message %s is stored %d times: %v", body, len(ids), ids)
		case ids[0] != id:
			t.Errorf("message %s is stored as %s but the client was told %s", body, ids[0], id)
		}
	}
	for body, ids := range stored {
		if _, ok := l.acked[body]; !ok {
			t.Errorf("message %s (%v) is stored but was never acknowledged", body, ids)
		}
	}
	for cid, n := range clientIDs {
		if n > 1 {
			t.Errorf("client id %s is stored %d times", cid, n)
		}
	}
	var created int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events
		WHERE workspace_id = ? AND type = ? AND actor_kind = 'visitor'`, workspaceID, events.MessageCreated).Scan(&created); err != nil {
		t.Fatal(err)
	}
	if created != len(stored) {
		t.Errorf("%d %s events for %d messages", created, events.MessageCreated, len(stored))
	}
}

// openDB opens the database behind the servers (a TANDEM_DATABASE_URL),
// closed when the test ends.
func openDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	cfg, err := store.MySQLConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
