package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

func TestMigrationVersionsMatch(t *testing.T) {
	t.Parallel()
	sqlite, err := store.MigrationVersions("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	mysql, err := store.MigrationVersions("mysql")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqlite) == 0 {
		t.Fatal("no migrations")
	}
	if diff := cmp.Diff(sqlite, mysql); diff != "" {
		t.Fatalf("migration versions differ between dialects (-sqlite +mysql):\n%s", diff)
	}
}

// schema returns table -> sorted column names of a migrated database.
func schema(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	var rows []struct {
		Table  string `db:"t"`
		Column string `db:"c"`
	}
	var err error
	if db.Dialect.Name() == "sqlite" {
		err = db.SelectContext(ctx, &rows, `SELECT m.name AS t, p.name AS c FROM sqlite_master m
			JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	} else {
		err = db.SelectContext(ctx, &rows, `SELECT table_name AS t, column_name AS c FROM information_schema.columns
			WHERE table_schema = DATABASE()`)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		if strings.HasPrefix(r.Table, "goose_") {
			continue
		}
		out[r.Table] = append(out[r.Table], r.Column)
	}
	for _, cols := range out {
		slices.Sort(cols)
	}
	return out
}

// TestSchemaParity migrates every database and checks that both dialects end
// with the same tables and columns.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	schemas := map[string]map[string][]string{}
	for _, d := range storetest.Dialects() {
		schemas[d] = schema(t, storetest.New(t, d))
		if len(schemas[d]) == 0 {
			t.Fatalf("%s: no tables after migration", d)
		}
	}
	if len(schemas) < 2 {
		storetest.Missing(t, fmt.Sprintf("only %v here: set %s to compare with MySQL", storetest.Dialects(), storetest.EnvMySQL))
	}
	if diff := cmp.Diff(schemas["sqlite"], schemas["mysql"]); diff != "" {
		t.Fatalf("schemas differ (-sqlite +mysql):\n%s", diff)
	}
}

// TestMigrateTwice re-opens a migrated database: nothing to apply, no error.
func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		for range 2 {
			db, err := store.Open(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			_ = db.Close()
		}
	})
}

func TestInTx(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func(tx *store.Tx, id string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
				VALUES (?, ?, 'n', 'h', 0, 0)`, id, id+"@x.test")
			return err
		}
		t.Run("rollback on error, no after-commit hook", func(t *testing.T) {
			ran := false
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				tx.AfterCommit(func() { ran = true })
				if err := insert(tx, "00000000-0000-0000-0000-000000000001"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			if ran {
				t.Fatal("after-commit hook ran for a rolled-back transaction")
			}
			if n := storetest.Count(t, db, "users", ""); n != 0 {
				t.Fatalf("%d users after rollback", n)
			}
		})
		t.Run("commit runs hooks", func(t *testing.T) {
			ran := false
			err := db.InTx(ctx, func(tx *store.Tx) error {
				tx.AfterCommit(func() { ran = true })
				return insert(tx, "00000000-0000-0000-0000-000000000002")
			})
			if err != nil || !ran {
				t.Fatalf("err = %v, hook ran = %v", err, ran)
			}
		})
		t.Run("unique violation is recognised", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *store.Tx) error { return insert(tx, "00000000-0000-0000-0000-000000000002") })
			if !db.Dialect.IsUniqueViolation(err) {
				t.Fatalf("err = %v, not recognised as a unique violation", err)
			}
		})
	})
}

func TestMySQLConfig(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"mysql://u:p@db.example:3307/tandem?tls=false", "u:p@tcp(db.example:3307)/tandem"} {
		cfg, err := store.MySQLConfig(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if cfg.User != "u" || cfg.Passwd != "p" || cfg.Addr != "db.example:3307" || cfg.DBName != "tandem" {
			t.Errorf("%s: parsed %+v", in, cfg)
		}
		if cfg.Collation != "utf8mb4_bin" || cfg.Params["time_zone"] != "'+00:00'" || !strings.Contains(cfg.Params["sql_mode"], "STRICT_ALL_TABLES") {
			t.Errorf("%s: settings not applied: %+v", in, cfg)
		}
	}
	if _, err := store.MySQLConfig("mysql://u@host/"); err == nil {
		t.Error("a URL without a database name was accepted")
	}
}
