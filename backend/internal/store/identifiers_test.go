package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityIdentifiersCompareExactly (issue 14, item 14): on both
// dialects "alice " and "alice" are two identifiers: a unique key holds
// both, and equality finds only the one asked for. (MariaDB's utf8mb4_bin
// padded trailing spaces, so a signed external_id "alice " resolved to
// alice's contact.)
func TestSecurityIdentifiersCompareExactly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := "00000000-0000-4000-8000-000000000001"
		storetest.MustExec(t, db, `INSERT INTO workspaces (id, name, public_key, widget_secret, created_at, updated_at)
			VALUES (?, 'W', 'pk_exact', 'secret', 0, 0)`, ws)
		for i, c := range []struct{ table, column, insert string }{
			{"users", "email", `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'u', 'x', 0, 0)`},
			{"contacts", "external_id", `INSERT INTO contacts (id, workspace_id, external_id, name, email, attributes, created_at, updated_at, last_seen_at)
				VALUES (?, '` + ws + `', ?, 'c', '', '{}', 0, 0, 0)`},
			{"workspaces", "public_key", `INSERT INTO workspaces (id, name, public_key, widget_secret, created_at, updated_at) VALUES (?, 'W', ?, 's', 0, 0)`},
		} {
			ids := []string{}
			for j, v := range []string{"alice", "alice "} {
				id := fmt.Sprintf("00000000-0000-4000-8000-1%02d%09d", i, j)
				if _, err := db.ExecContext(ctx, c.insert, id, v); err != nil {
					t.Fatalf("%s.%s %q next to %q: %v", c.table, c.column, v, "alice", err)
				}
				ids = append(ids, id)
			}
			for j, v := range []string{"alice", "alice "} {
				var got []string
				if err := db.SelectContext(ctx, &got, `SELECT id FROM `+c.table+` WHERE `+c.column+` = ?`, v); err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0] != ids[j] {
					t.Errorf("%s.%s = %q finds %v, want only %s", c.table, c.column, v, got, ids[j])
				}
			}
		}
		if db.Dialect.Name() == "sqlite" {
			return
		}
		// On MySQL every string column of a unique key, and every identifier
		// looked up by equality, has a NO PAD collation; only UUIDs made in
		// Go (CHAR(36) ids) may keep a padding one.
		var rows []struct {
			Table     string `db:"t"`
			Column    string `db:"c"`
			Type      string `db:"ty"`
			Collation string `db:"co"`
		}
		if err := db.SelectContext(ctx, &rows, `SELECT DISTINCT c.table_name AS t, c.column_name AS c, c.column_type AS ty,
			c.collation_name AS co FROM information_schema.columns c
			LEFT JOIN information_schema.statistics s ON s.table_schema = c.table_schema AND s.table_name = c.table_name
				AND s.column_name = c.column_name AND s.non_unique = 0
			WHERE c.table_schema = DATABASE() AND c.data_type IN ('varchar', 'char') AND c.table_name NOT LIKE 'goose%'
				AND (s.column_name IS NOT NULL OR (c.table_name, c.column_name) IN (('contacts', 'email'), ('invites', 'email')))`); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Fatal("no unique string columns found")
		}
		for _, r := range rows {
			uuid := r.Type == "char(36)" && (r.Column == "id" || strings.HasSuffix(r.Column, "_id")) && r.Column != "client_id"
			noPad := strings.Contains(r.Collation, "nopad") || strings.Contains(r.Collation, "0900")
			if !uuid && !noPad {
				t.Errorf("%s.%s (%s) compares with %s, which pads trailing spaces", r.Table, r.Column, r.Type, r.Collation)
			}
		}
	})
}
