package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ForeignKey is one column pair of a foreign key: Table.Column refers to
// Parent.ParentColumn.
type ForeignKey struct {
	Table, Column, Parent, ParentColumn string
}

// Mismatch is a count of rows whose workspace differs from that of the row
// they refer to, through the foreign keys of Path (one, or two when the
// first parent has no workspace_id of its own).
type Mismatch struct {
	Path []ForeignKey
	Rows int
}

func (m Mismatch) String() string {
	var b strings.Builder
	for i, fk := range m.Path {
		if i > 0 {
			b.WriteString(" -> ")
		}
		fmt.Fprintf(&b, "%s.%s -> %s.%s", fk.Table, fk.Column, fk.Parent, fk.ParentColumn)
	}
	return fmt.Sprintf("%s: %d row(s) whose workspace_id differs from the referenced row's", b.String(), m.Rows)
}

// CheckTenancy fails the test for every row that belongs to one workspace and
// refers, by a foreign key, to a row of another: the invariant that keeps a
// tenant's data from reaching another through a smuggled id (ISO-02). Every
// foreign key the schema declares from a table with a workspace_id column to
// a table with one is checked, and so are the references known by their
// column's name only (namedRefs); a key to a table without a workspace_id
// (users today) is followed one hop further, to each workspace-bearing table
// that parent refers to (none in today's schema).
func CheckTenancy(t testing.TB, db *store.DB) {
	t.Helper()
	ms, err := TenancyMismatches(context.Background(), db)
	if err != nil {
		t.Fatalf("tenancy check: %v", err)
	}
	for _, m := range ms {
		t.Errorf("tenancy: %s", m)
	}
}

// TenancyMismatches is what CheckTenancy reports, for tests that expect a
// mismatch.
func TenancyMismatches(ctx context.Context, db *store.DB) ([]Mismatch, error) {
	keys, withWS, err := schemaKeys(ctx, db)
	if err != nil {
		return nil, err
	}
	byTable := map[string][]ForeignKey{}
	for _, k := range keys {
		byTable[k.Table] = append(byTable[k.Table], k)
	}
	var out []Mismatch
	for _, k := range keys {
		if !withWS[k.Table] {
			continue
		}
		if withWS[k.Parent] {
			n, err := countMismatches(ctx, db, []ForeignKey{k})
			if err != nil {
				return nil, err
			}
			if n > 0 {
				out = append(out, Mismatch{Path: []ForeignKey{k}, Rows: n})
			}
			continue
		}
		// A parent without a workspace (a join table, say): what it refers
		// to must still be of the child's workspace.
		for _, k2 := range byTable[k.Parent] {
			if !withWS[k2.Parent] {
				continue
			}
			path := []ForeignKey{k, k2}
			n, err := countMismatches(ctx, db, path)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				out = append(out, Mismatch{Path: path, Rows: n})
			}
		}
	}
	return out, nil
}

// countMismatches counts the rows of the path's first table whose
// workspace_id differs from that of the row at the end of the path. Empty
// references (NULL, or the empty string some tables store for "none") join
// nothing and are not counted.
func countMismatches(ctx context.Context, db *store.DB, path []ForeignKey) (int, error) {
	q := "SELECT COUNT(*) FROM " + path[0].Table + " c"
	prev := "c"
	for i, fk := range path {
		alias := fmt.Sprintf("p%d", i)
		q += fmt.Sprintf(" JOIN %s %s ON %s.%s = %s.%s", fk.Parent, alias, alias, fk.ParentColumn, prev, fk.Column)
		prev = alias
	}
	q += fmt.Sprintf(" WHERE c.workspace_id <> %s.workspace_id", prev)
	var n int
	if err := db.GetContext(ctx, &n, q); err != nil { //nolint:gosec // names read from the database's own catalog
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	return n, nil
}

// schemaKeys reads the references to check (see references) and which
// tables have a workspace_id column, from the database's own catalog.
func schemaKeys(ctx context.Context, db *store.DB) ([]ForeignKey, map[string]bool, error) {
	var declared []ForeignKey
	var constraint []string
	cols := map[string][]string{}
	if db.Dialect.Name() == "mysql" {
		var cs []struct {
			Table  string `db:"table_name"`
			Column string `db:"column_name"`
		}
		if err := db.SelectContext(ctx, &cs, `SELECT table_name AS table_name, column_name AS column_name
			FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`); err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			cols[c.Table] = append(cols[c.Table], c.Column)
		}
		var rows []struct {
			Name         string `db:"constraint_name"`
			Table        string `db:"table_name"`
			Column       string `db:"column_name"`
			Parent       string `db:"referenced_table_name"`
			ParentColumn string `db:"referenced_column_name"`
		}
		if err := db.SelectContext(ctx, &rows, `SELECT k.constraint_name AS constraint_name, k.table_name AS table_name,
				k.column_name AS column_name, k.referenced_table_name AS referenced_table_name,
				k.referenced_column_name AS referenced_column_name
			FROM information_schema.key_column_usage k
			JOIN information_schema.referential_constraints r
				ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
			WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
			ORDER BY k.table_name, k.constraint_name, k.ordinal_position`); err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			declared = append(declared, ForeignKey{Table: r.Table, Column: r.Column, Parent: r.Parent, ParentColumn: r.ParentColumn})
			constraint = append(constraint, r.Table+"/"+r.Name)
		}
	} else {
		var tables []string
		if err := db.SelectContext(ctx, &tables, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
			return nil, nil, err
		}
		for _, table := range tables {
			var names []string
			if err := db.SelectContext(ctx, &names, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table); err != nil {
				return nil, nil, err
			}
			cols[table] = names
			var rows []struct {
				ID     int    `db:"id"`
				Parent string `db:"table"`
				Column string `db:"from"`
				// To is NULL when the key names the parent's primary key
				// implicitly.
				ParentColumn sql.NullString `db:"to"`
			}
			if err := db.SelectContext(ctx, &rows, `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table); err != nil {
				return nil, nil, err
			}
			for _, r := range rows {
				to := r.ParentColumn.String
				if !r.ParentColumn.Valid {
					to = "id"
				}
				declared = append(declared, ForeignKey{Table: table, Column: r.Column, Parent: r.Parent, ParentColumn: to})
				constraint = append(constraint, fmt.Sprintf("%s/%d", table, r.ID))
			}
		}
	}
	withWS := map[string]bool{}
	for t, cs := range cols {
		withWS[t] = slices.Contains(cs, "workspace_id")
	}
	return references(declared, constraint, cols), withWS, nil
}

// namedRefs are the references the schema does not declare as foreign keys
// (most of it does not: rows are written by one owning package each), found
// by column name: a column so named, in a table with a workspace_id, holds
// the id of a row of the table. A value matching no row (an empty string for
// "none", a Message-ID header in email tables) joins nothing and counts
// nothing. References to users are not among them: a user belongs to no
// workspace, and membership may end after the row was written.
var namedRefs = map[string]string{ //nolint:gochecknoglobals // read-only table
	"conversation_id":    "conversations",
	"contact_id":         "contacts",
	"group_id":           "agent_groups",
	"tag_id":             "tags",
	"rule_id":            "automation_rules",
	"document_id":        "knowledge_documents",
	"inbox_id":           "email_inboxes",
	"message_id":         "messages",
	"last_message_id":    "messages",
	"sla_policy_id":      "sla_policies",
	"canned_response_id": "canned_responses",
	"custom_action_id":   "custom_actions",
	"file_id":            "files",
}

// references are the foreign keys worth checking: the declared ones, less
// those whose key includes workspace_id (the database itself keeps those
// within one workspace, and the other columns alone would join rows of
// other workspaces), plus namedRefs for the columns the schema has.
func references(declared []ForeignKey, constraint []string, cols map[string][]string) []ForeignKey {
	withWSKey := map[string]bool{}
	for i, k := range declared {
		if k.Column == "workspace_id" {
			withWSKey[constraint[i]] = true
		}
	}
	var out []ForeignKey
	seen := map[[2]string]bool{}
	for i, k := range declared {
		seen[[2]string{k.Table, k.Column}] = true
		if !withWSKey[constraint[i]] {
			out = append(out, k)
		}
	}
	tables := make([]string, 0, len(cols))
	for t := range cols {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		for _, c := range cols[t] {
			parent, ok := namedRefs[c]
			if !ok || seen[[2]string{t, c}] || !slices.Contains(cols[t], "workspace_id") || !slices.Contains(cols[parent], "id") {
				continue
			}
			out = append(out, ForeignKey{Table: t, Column: c, Parent: parent, ParentColumn: "id"})
		}
	}
	return out
}
