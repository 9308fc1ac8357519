package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/demo"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// roundTripText is what every text column is given: 4-byte emoji with
// joiners and a skin tone, combining marks, a direction override,
// zero-width characters, a BOM, NUL, a tab, and trailing spaces, which
// PAD SPACE collations ignore when comparing but must keep.
const roundTripText = "a\x00b👩🏽‍💻Z̤͔ͧ\u202Ex\u202C\u200b\ufeffé\tend  "

// TestEveryColumnRoundTrip (INP-02) stores a hard valid text in every text
// column of every table that holds a row once a world has used every
// procedure and the demo data is in, on both databases, and reads it back byte for byte: no column
// is in a character set short of 4-byte UTF-8 (strict mode refuses such a
// write), none truncates, drops or folds. On MySQL every text column of
// every table, rows or not, must be utf8mb4 with the binary collation. A column whose constraint
// refuses the text (a foreign key, a check on its format, a unique key)
// is counted, not failed; anything else that refuses it fails. Each
// write is rolled back.
func TestEveryColumnRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, widgetUnlimited)
		w := worldOn(t, srv)
		populate(t, w, srv)
		if _, err := demo.Seed(t.Context(), srv.Domain().Demo(), demo.Banner{}, io.Discard); err != nil {
			t.Fatal(err)
		}
		db := srv.DB()
		ctx := w.Ctx
		cols := textColumns(t, db)
		var tried, kept, refused int
		var empty []string
		for _, table := range slices.Sorted(maps.Keys(cols)) {
			tc := cols[table]
			if len(tc.key) == 0 {
				continue
			}
			key := make([]any, len(tc.key))
			ptrs := make([]any, len(key))
			for i := range key {
				ptrs[i] = &key[i]
			}
			//nolint:gosec // table and column names from the schema itself
			err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT 1", strings.Join(tc.key, ", "), table)).Scan(ptrs...)
			if err != nil {
				empty = append(empty, table)
				continue
			}
			where := strings.Join(tc.key, " = ? AND ") + " = ?"
			for _, col := range tc.text {
				value := roundTripText
				if col.fixed {
					value = strings.TrimRight(value, " ")
				}
				if col.maxChars > 0 && utf8.RuneCountInString(value) > col.maxChars {
					value = string([]rune(value)[:col.maxChars])
				}
				tried++
				got, err := writeAndRead(ctx, db, table, col.name, where, key, value)
				switch {
				case refusedByConstraint(err):
					refused++
				case err != nil:
					t.Errorf("%s.%s: %v", table, col.name, err)
				case got != value:
					t.Errorf("%s.%s: stored %q, read back %q", table, col.name, value, got)
				default:
					kept++
				}
			}
		}
		t.Logf("%d tables with text columns; %d text columns tried in %d tables with rows: %d kept the text byte for byte, %d refused it by a constraint; no row in %s",
			len(cols), tried, len(cols)-len(empty), kept, refused, strings.Join(empty, ", "))
		if kept < 100 {
			t.Errorf("only %d columns were written: the world no longer fills the tables", kept)
		}
	})
}

// writeAndRead writes value into one row's column and reads it back, in a
// transaction it rolls back.
func writeAndRead(ctx context.Context, db *store.DB, table, col, where string, key []any, value string) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = tx.Rollback() }()
	//nolint:gosec // table and column names from the schema itself
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s", table, col, where), append([]any{value}, key...)...); err != nil {
		return "", err
	}
	var got []byte
	//nolint:gosec // table and column names from the schema itself
	err = tx.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s", col, table, where), key...).Scan(&got)
	return string(got), err
}

// refusedByConstraint tells a constraint's refusal (a foreign key, a
// check, a unique key) from the database failing to store the text.
func refusedByConstraint(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1062, 1451, 1452, 3819, 4025: // duplicate, foreign key (both ways), check (MySQL, MariaDB)
			return true
		}
		return false
	}
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}

// tableColumns are a table's primary key and its text columns outside it.
type tableColumns struct {
	key  []string
	text []textColumn
}

type textColumn struct {
	name     string
	maxChars int  // 0: no limit below a MiB
	fixed    bool // CHAR(n), which pads and so drops trailing spaces: Tandem keeps only ids and hashes there
}

// textColumns reads the schema: every table of tandemd's with text
// columns, but goose's.
func textColumns(t *testing.T, db *store.DB) map[string]*tableColumns {
	t.Helper()
	out := map[string]*tableColumns{}
	get := func(table string) *tableColumns {
		if out[table] == nil {
			out[table] = &tableColumns{}
		}
		return out[table]
	}
	type col struct {
		Table, Name, Type string
		MaxChars          int64
		Key               bool
		Collation         string // MySQL's, of a text column
	}
	var all []col
	if db.Dialect.Name() == "mysql" {
		if err := db.SelectContext(t.Context(), &all, `SELECT TABLE_NAME AS `+"`table`"+`, COLUMN_NAME AS name, DATA_TYPE AS type,
			COALESCE(CHARACTER_MAXIMUM_LENGTH, 0) AS maxchars, COLUMN_KEY = 'PRI' AS `+"`key`"+`, COALESCE(COLLATION_NAME, '') AS collation
			FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`); err != nil {
			t.Fatal(err)
		}
	} else {
		var tables []string
		if err := db.SelectContext(t.Context(), &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			var cs []struct {
				Name, Type string
				PK         int
			}
			if err := db.SelectContext(t.Context(), &cs, `SELECT name, type, pk FROM pragma_table_info(?)`, table); err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				all = append(all, col{Table: table, Name: c.Name, Type: strings.ToLower(c.Type), Key: c.PK > 0})
			}
		}
	}
	for _, c := range all {
		if strings.HasPrefix(c.Table, "goose_") {
			continue
		}
		switch {
		case c.Key:
			get(c.Table).key = append(get(c.Table).key, c.Name)
		case strings.Contains(c.Type, "char") || strings.Contains(c.Type, "text") || strings.Contains(c.Type, "clob"):
			// In the tables no row reached as well: a column stores any
			// UTF-8 byte for byte when its character set is utf8mb4 and
			// its collation binary (utf8mb4_bin), under strict mode.
			// (NO PAD as well: identifiers and addresses compare exactly.)
			if db.Dialect.Name() == "mysql" && c.Collation != "utf8mb4_bin" && c.Collation != "utf8mb4_nopad_bin" {
				t.Errorf("%s.%s: collation %q, want utf8mb4_bin or utf8mb4_nopad_bin", c.Table, c.Name, c.Collation)
			}
			maxChars := int(c.MaxChars)
			if maxChars > 1<<20 {
				maxChars = 0
			}
			fixed := c.Type == "char" || strings.HasPrefix(c.Type, "char(")
			get(c.Table).text = append(get(c.Table).text, textColumn{name: c.Name, maxChars: maxChars, fixed: fixed})
		}
	}
	for table, tc := range out {
		if len(tc.text) == 0 {
			delete(out, table)
		}
	}
	return out
}

// populate sends every procedure's request, filled with real ids and
// plausible values, once: the tables get the rows the API writes.
func populate(t *testing.T, w *world, srv *rpctest.Server) {
	t.Helper()
	procs := procedures(t)
	f := &requestFiller{w: w}
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		md := procs[name]
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
		if err != nil {
			t.Fatal(err)
		}
		f.ids = map[string]string{}
		m := mt.New()
		f.fill(m, 0)
		b, err := proto.Marshal(m.Interface())
		if err != nil {
			t.Fatal(err)
		}
		token := w.Token("owner")
		if ruleOf(md).GetAccess() == tandemv1.Access_ACCESS_VISITOR {
			token = w.VisitorToken
		}
		_ = sendRaw(w.Ctx, srv.URL, md, token, b)
	}
}
