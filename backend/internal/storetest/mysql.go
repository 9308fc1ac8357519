package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// readyTable marks a template database whose migrations all ran; it is not
// copied.
const readyTable = "tandem_template_ready"

// mysqlSchema is what a fresh test database is made of: the tables of a
// migrated database and the rows the migrations put in them.
type mysqlSchema struct {
	template string   // the template database
	creates  []string // SHOW CREATE TABLE of each table
	seeded   []string // the tables that hold rows
}

// mysqlTemplate is the schema of the template database on the test server
// that every test binary built with the same migrations shares, named by
// their digest: migrated once, read once per binary, then copied table by
// table for each test. Copying the tables takes a fraction of what running
// the migrations' ALTERs on every test database did, in the server and in
// goose's parser.
var mysqlTemplate = sync.OnceValues(func() (*mysqlSchema, error) { //nolint:gochecknoglobals // made once per test binary, read-only after
	ctx := context.Background()
	cfg, err := mysqlConfig()
	if err != nil {
		return nil, err
	}
	name := "tandem_tpl_" + store.MigrationsDigest()[:16]
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer func() { _ = admin.Close() }()
	if err := makeMySQLTemplate(ctx, admin, cfg, name); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	s := &mysqlSchema{template: name}
	var tables []string
	if err := selectStrings(ctx, admin, &tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> ? ORDER BY table_name`, name, readyTable); err != nil {
		return nil, err
	}
	for _, table := range tables {
		var ignored, create string
		if err := admin.QueryRowContext(ctx, "SHOW CREATE TABLE "+name+"."+table).Scan(&ignored, &create); err != nil {
			return nil, err
		}
		s.creates = append(s.creates, create)
		var seeded bool
		if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+name+"."+table+")").Scan(&seeded); err != nil {
			return nil, err
		}
		if seeded {
			s.seeded = append(s.seeded, table)
		}
	}
	return s, nil
})

// makeMySQLTemplate migrates the template database unless a binary did
// already; binaries racing to make it take turns under a named lock.
func makeMySQLTemplate(ctx context.Context, admin *sql.DB, cfg *mysql.Config, name string) error {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	var locked sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 300)", name).Scan(&locked); err != nil {
		return err
	}
	if locked.Int64 != 1 {
		return fmt.Errorf("lock %s: not granted", name)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name) }()
	var ready int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = ? AND table_name = ?`, name, readyTable).Scan(&ready); err != nil {
		return err
	}
	if ready == 1 {
		return nil
	}
	// A template without the mark is one a killed binary left half made.
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	own := cfg.Clone()
	own.DBName = name
	db, err := store.Open(ctx, store.Options{URL: own.FormatDSN()})
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "CREATE TABLE "+name+"."+readyTable+" (id INT PRIMARY KEY)")
	return err
}

// mysqlOptions makes a database for the test on the MySQL test server,
// dropped at cleanup, with the template's tables and rows.
func mysqlOptions(t testing.TB) store.Options {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Skipf("%s is not set", EnvMySQL)
	}
	schema, err := mysqlTemplate()
	if err != nil {
		t.Fatalf("mysql template: %v", err)
	}
	cfg, err := mysqlConfig()
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tandem_t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	defer func() { _ = admin.Close() }()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return
		}
		defer func() { _ = a.Close() }()
		_, _ = a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
	})
	own := cfg.Clone()
	own.DBName = name
	if err := copyTemplate(ctx, own, schema); err != nil {
		t.Fatalf("copy the template into %s: %v", name, err)
	}
	return store.Options{URL: own.FormatDSN()}
}

// copyTemplate makes the template's tables in the database cfg names, with
// their rows, without checking foreign keys: the tables are made in name
// order, not in the order they refer to each other, and the rows are the
// template's, which were checked.
func copyTemplate(ctx context.Context, cfg *mysql.Config, s *mysqlSchema) error {
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	for _, create := range s.creates {
		if _, err := conn.ExecContext(ctx, create); err != nil {
			return err
		}
	}
	for _, table := range s.seeded {
		if _, err := conn.ExecContext(ctx, "INSERT INTO "+table+" SELECT * FROM "+s.template+"."+table); err != nil { //nolint:gosec // names read from information_schema
			return err
		}
	}
	return nil
}

func mysqlConfig() (*mysql.Config, error) {
	cfg, err := store.MySQLConfig(os.Getenv(EnvMySQL))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMySQL, err)
	}
	return cfg, nil
}

func selectStrings(ctx context.Context, db *sql.DB, out *[]string, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}
