package rpctest

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// Fixtures that need more than the API: many members, fingerprints, tokens.

// QuickMember adds a new user to ws straight through SQL: fixtures need many
// members, and password hashing each one would only slow the test down.
func (w *World) QuickMember(ws workspace.Workspace, role access.Role) string {
	w.T.Helper()
	id := uuid.NewString()
	db := w.Srv.DB()
	storetest.MustExec(w.T, db, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
		VALUES (?, ?, 'quick', 'x', 0, 0)`, id, id+"@example.test")
	storetest.MustExec(w.T, db, `INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, 0)`, ws.ID, id, role)
	return id
}

// Digest is a fingerprint of what the queries read of a workspace: each
// takes the workspace's id as its one argument.
func (w *World) Digest(workspaceID string, queries ...string) string {
	w.T.Helper()
	var b strings.Builder
	for _, q := range queries {
		rows, err := w.Srv.DB().QueryxContext(w.Ctx, q, workspaceID)
		if err != nil {
			w.T.Fatal(err)
		}
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				w.T.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", cols)
		}
		if err := rows.Err(); err != nil {
			w.T.Fatal(err)
		}
		_ = rows.Close()
	}
	return b.String()
}

// AgentTokens adds n agents to W1 and returns a session token of each, by user id.
func (w *World) AgentTokens(n int) map[string]string {
	w.T.Helper()
	out := map[string]string{}
	for range n {
		id := w.QuickMember(w.W1, access.RoleAgent)
		u, err := w.Srv.Domain().Accounts.User(w.Ctx, id)
		if err != nil {
			w.T.Fatal(err)
		}
		issued, err := w.Srv.Domain().Accounts.NewSession(w.Ctx, u)
		if err != nil {
			w.T.Fatal(err)
		}
		out[id] = issued.Token
	}
	return out
}

// Notified drains the notify reactor and returns, per member name, the
// types of their notifications about the conversation.
func (w *World) Notified(conversationID string, names ...string) map[string][]string {
	w.T.Helper()
	if err := w.Srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
		w.T.Fatal(err)
	}
	out := map[string][]string{}
	for _, name := range names {
		var types []string
		if err := w.Srv.DB().SelectContext(w.Ctx, &types, `SELECT type FROM notifications WHERE user_id = ? AND conversation_id = ?
			ORDER BY created_at, type`, w.Users[name].ID, conversationID); err != nil {
			w.T.Fatal(err)
		}
		out[name] = types
	}
	return out
}
