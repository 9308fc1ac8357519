package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// tenantSeeder makes many workspaces quickly by SQL, each a copy of a
// template workspace that the services made (through tandemd's API): every
// row of every table with a workspace_id column (settings, policies, the
// reactors' cursors, the log's events, members) and the workspace row,
// under fresh ids, with its own owner (a copy of the template owner's user
// row). Copying what the services wrote, rather than writing rows by hand,
// keeps the seeded workspaces equivalent to real ones as the schema grows.
//
// Only rows with a workspace_id (or the workspace's own row) are copied:
// per-workspace state kept elsewhere would be missed, and so would a
// column derived from the workspace's id (it would keep the template's).
type tenantSeeder struct {
	db    *sql.DB
	owner tableRows // the template owner's users row
	// templates are copied in turn: seeded workspace k is a copy of
	// templates[pattern[k % len(pattern)]].
	templates []*tenantTemplate
	pattern   []int
	made      int
}

// tableRows are some rows of one table.
type tableRows struct {
	table string
	cols  []string
	rows  [][]any
}

// tenantTemplate is a workspace's rows, read once.
type tenantTemplate struct {
	workspaceID, ownerID string
	tables               []tableRows
	ids                  []string // every id column's value: replaced in each copy
}

// newTenantSeeder reads the templates (and their owner, the same user for
// all) from the database.
func newTenantSeeder(ctx context.Context, db *sql.DB, ownerID string, templateIDs []string, pattern []int) (*tenantSeeder, error) {
	s := &tenantSeeder{db: db, pattern: pattern}
	var err error
	if s.owner, err = selectRows(ctx, db, "users", "id", ownerID); err != nil {
		return nil, err
	}
	if len(s.owner.rows) != 1 {
		return nil, fmt.Errorf("template owner %s: %d user rows", ownerID, len(s.owner.rows))
	}
	tables, err := workspaceTables(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, id := range templateIDs {
		t := &tenantTemplate{workspaceID: id, ownerID: ownerID}
		ws, err := selectRows(ctx, db, "workspaces", "id", id)
		if err != nil {
			return nil, err
		}
		t.tables = append(t.tables, ws)
		for _, table := range tables {
			rows, err := selectRows(ctx, db, table, "workspace_id", id)
			if err != nil {
				return nil, err
			}
			if len(rows.rows) > 0 {
				t.tables = append(t.tables, rows)
			}
		}
		for _, tr := range t.tables[1:] {
			for c, col := range tr.cols {
				if col != "id" {
					continue
				}
				for _, r := range tr.rows {
					if v := text(r[c]); v != "" {
						t.ids = append(t.ids, v)
					}
				}
			}
		}
		s.templates = append(s.templates, t)
	}
	return s, nil
}

// workspaceTables lists the tables that have a workspace_id column.
func workspaceTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'workspace_id' ORDER BY TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		if t != "goose_db_version" {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// selectRows reads the rows of table whose column equals value.
func selectRows(ctx context.Context, db *sql.DB, table, column, value string) (tableRows, error) {
	out := tableRows{table: table}
	rows, err := db.QueryContext(ctx, "SELECT * FROM `"+table+"` WHERE `"+column+"` = ?", value) //nolint:gosec // table and column names from the tool's own list, quoted
	if err != nil {
		return out, fmt.Errorf("read %s: %w", table, err)
	}
	defer func() { _ = rows.Close() }()
	if out.cols, err = rows.Columns(); err != nil {
		return out, err
	}
	for rows.Next() {
		vals := make([]any, len(out.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, fmt.Errorf("read %s: %w", table, err)
		}
		out.rows = append(out.rows, vals)
	}
	return out, rows.Err()
}

func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}

// seed adds n workspaces, in batches.
func (s *tenantSeeder) seed(ctx context.Context, n int) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	// The copies are consistent as a whole but written table by table.
	if _, err := conn.ExecContext(ctx, `SET FOREIGN_KEY_CHECKS = 0`); err != nil {
		return err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SET FOREIGN_KEY_CHECKS = 1`) }()
	const batch = 500
	for done := 0; done < n; {
		k := min(batch, n-done)
		byTable := map[string]*tableRows{}
		var order []string
		add := func(tr tableRows, row []any) {
			b := byTable[tr.table]
			if b == nil {
				b = &tableRows{table: tr.table, cols: tr.cols}
				byTable[tr.table] = b
				order = append(order, tr.table)
			}
			b.rows = append(b.rows, row)
		}
		for range k {
			owner, ws := s.copyOf(s.templates[s.pattern[s.made%len(s.pattern)]])
			add(s.owner, owner)
			for _, tr := range ws {
				for _, r := range tr.rows {
					add(tr, r)
				}
			}
			s.made++
		}
		for _, t := range order {
			if err := insertRows(ctx, conn, byTable[t]); err != nil {
				return err
			}
		}
		done += k
	}
	return nil
}

// copyOf returns the rows of a new workspace copied from t, and its owner's
// user row.
func (s *tenantSeeder) copyOf(t *tenantTemplate) ([]any, []tableRows) {
	ws, owner := uuid.NewString(), uuid.NewString()
	swap := [][2][]byte{{[]byte(t.workspaceID), []byte(ws)}, {[]byte(t.ownerID), []byte(owner)}}
	for _, id := range t.ids {
		swap = append(swap, [2][]byte{[]byte(id), []byte(uuid.NewString())})
	}
	replace := func(v any) any {
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return v
		}
		for _, sw := range swap {
			b = bytes.ReplaceAll(b, sw[0], sw[1])
		}
		if b == nil {
			return []byte{} // empty, not NULL (ReplaceAll returns nil for an empty input)
		}
		return b
	}
	userRow := make([]any, len(s.owner.cols))
	for i, col := range s.owner.cols {
		switch col {
		case "email":
			userRow[i] = fmt.Sprintf("tenant-%d@bench.example", s.made)
		case "display_name":
			userRow[i] = fmt.Sprintf("Tenant %d", s.made)
		default:
			userRow[i] = replace(s.owner.rows[0][i])
		}
	}
	out := make([]tableRows, len(t.tables))
	for ti, tr := range t.tables {
		out[ti] = tableRows{table: tr.table, cols: tr.cols}
		for _, r := range tr.rows {
			row := make([]any, len(r))
			for i, col := range tr.cols {
				switch {
				case tr.table == "workspaces" && col == "public_key":
					row[i] = "pk_" + randomHex(16)
				case tr.table == "workspaces" && col == "widget_secret":
					row[i] = randomHex(32)
				case tr.table == "workspaces" && col == "name":
					row[i] = fmt.Sprintf("Tenant %d", s.made)
				default:
					row[i] = replace(r[i])
				}
			}
			out[ti].rows = append(out[ti].rows, row)
		}
	}
	return userRow, out
}

// insertRows writes the rows in multi-row INSERTs of bounded size.
func insertRows(ctx context.Context, conn *sql.Conn, tr *tableRows) error {
	per := max(1, 20000/len(tr.cols))
	cols := "`" + strings.Join(tr.cols, "`, `") + "`"
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(tr.cols)), ", ") + ")"
	for start := 0; start < len(tr.rows); start += per {
		rows := tr.rows[start:min(start+per, len(tr.rows))]
		args := make([]any, 0, len(rows)*len(tr.cols))
		for _, r := range rows {
			args = append(args, r...)
		}
		stmt := "INSERT INTO `" + tr.table + "` (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(rows)), ", ") //nolint:gosec // table and column names read from the schema, quoted; the values are arguments
		if _, err := conn.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("seed %s: %w", tr.table, err)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
