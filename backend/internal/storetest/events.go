package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// EventRow is one row of the event log, as tests compare them.
type EventRow struct {
	Key        string            `db:"k"`
	Workspace  string            `db:"workspace_id"`
	Type       events.Type       `db:"type"`
	ActorKind  string            `db:"actor_kind"`
	ActorID    string            `db:"actor_id"`
	Visibility events.Visibility `db:"visibility"`
	Payload    string            `db:"payload"`
}

// Events reads the whole event log, by workspace and seq.
func Events(t testing.TB, db *store.DB) []EventRow {
	t.Helper()
	var rows []EventRow
	if err := db.SelectContext(context.Background(), &rows, `SELECT id AS k, workspace_id, type, actor_kind, actor_id, visibility, payload
		FROM events ORDER BY workspace_id, seq`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Appends runs fn, which must succeed, and returns the one event it
// appended, which must be of the type (no type: it must append none).
func Appends(t testing.TB, db *store.DB, typ events.Type, fn func() error) EventRow {
	t.Helper()
	before := map[string]bool{}
	for _, r := range Events(t, db) {
		before[r.Key] = true
	}
	if err := fn(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	var added []EventRow
	for _, r := range Events(t, db) {
		if !before[r.Key] {
			added = append(added, r)
		}
	}
	switch {
	case typ == "" && len(added) == 0:
		return EventRow{}
	case typ != "" && len(added) == 1 && added[0].Type == typ:
		return added[0]
	}
	t.Fatalf("appended %+v, want one %q event", added, typ)
	return EventRow{}
}

// AddWorkspace inserts a workspace by SQL, for tests that need many of them
// fast, whose log holds n events of long ago (seqs 1 to n, created at 0),
// and returns its id.
func AddWorkspace(t testing.TB, db *store.DB, n int) string {
	t.Helper()
	id := uuid.NewString()
	MustExec(t, db, `INSERT INTO workspaces (id, name, public_key, widget_secret, last_seq, created_at, updated_at)
		VALUES (?, 'w', ?, 's', ?, 0, 0)`, id, "pk_"+id, n)
	for seq := 1; seq <= n; seq++ {
		MustExec(t, db, `INSERT INTO events (workspace_id, seq, id, type, conversation_id, actor_kind, actor_id, visibility, payload, created_at)
			VALUES (?, ?, ?, 'test.old', '', 'system', '', 'agents', '{}', 0)`, id, seq, uuid.NewString())
	}
	return id
}
