// Package storetest runs a test on every database Tandem supports: embedded
// SQLite always, MySQL/MariaDB whenever TANDEM_TEST_MYSQL_DSN names a server
// (CI always sets it). Each test gets a database of its own at the current
// schema, copied from one migrated once per set of migrations.
//
// Tables read: events (what tests wait for).
//
// Fixtures written: workspaces, events (AddWorkspace: many workspaces with
// a log of long ago, faster than any service would make them).
package storetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// EnvMySQL names the environment variable holding the MySQL test DSN, in the
// go-sql-driver form (root@tcp(127.0.0.1:3306)/test) or as mysql://root@127.0.0.1:3306/test.
const EnvMySQL = "TANDEM_TEST_MYSQL_DSN"

// Missing skips a test for want of something it runs on (a MySQL server,
// nats-server, node), saying which, unless CI runs it: CI installs
// everything, so there a missing part fails the test instead of letting it
// pass having tested nothing.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must provide it)", why)
	}
	t.Skip(why)
}

// NeedMySQL is Missing when no MySQL test database is configured.
func NeedMySQL(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		Missing(t, EnvMySQL+" is not set: this test needs MySQL")
	}
}

// Dialects lists the databases the tests run on here.
func Dialects() []string {
	if os.Getenv(EnvMySQL) != "" {
		return []string{"sqlite", "mysql"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest on every database, each with a fresh store.
// The subtests run in parallel with each other and with the package's other
// parallel tests: each has a database of its own.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, d))
		})
	}
}

// EachURL runs fn on every database with the options a server process would
// be given to open a fresh, empty database of that dialect. As with Each,
// the subtests run in parallel.
func EachURL(t *testing.T, fn func(t *testing.T, opts store.Options)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, Options(t, d))
		})
	}
}

// New opens a fresh migrated database of the dialect, closed at cleanup.
func New(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), Options(t, dialect))
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Options returns store options naming a fresh database at the current
// schema: for SQLite a temporary directory holding a copy of the migrated
// template, on the MySQL test server a new database (dropped at cleanup)
// made from the migrated template database there. Both templates were
// migrated from an empty database by store.Open.
func Options(t testing.TB, dialect string) store.Options {
	t.Helper()
	if dialect != "sqlite" {
		return mysqlOptions(t)
	}
	dir := t.TempDir()
	if err := copySQLiteTemplate(dir); err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	return store.Options{DataDir: dir}
}

// MustExec runs a statement or fails the test. It runs in a transaction
// retried as the server's own are (store.DB.InTx), since a test's write may
// race the server's background work into a deadlock on MySQL.
func MustExec(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ExecContext(context.Background(), query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Count returns SELECT COUNT(*) FROM table [WHERE where].
func Count(t testing.TB, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.GetContext(context.Background(), &n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// sqliteTemplate is the content of a migrated SQLite database that every
// test binary built with the same migrations shares, kept in the temporary
// directory under their digest: made once, read once per binary, then
// written out for each test, which saves the migrations' half a second of
// CPU per database. (The migrations from an empty database still run for the
// template, and in every test that starts tandemd on an empty data
// directory.)
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) { //nolint:gochecknoglobals // made once per test binary, read-only after
	path := filepath.Join(os.TempDir(), "tandem-test-"+store.MigrationsDigest()+".db")
	if _, err := os.Stat(path); err != nil {
		if err := makeSQLiteTemplate(path); err != nil {
			return nil, err
		}
	}
	return os.ReadFile(path) //nolint:gosec // the template this package made
})

// makeSQLiteTemplate migrates an empty SQLite database and renames it to
// path.
func makeSQLiteTemplate(path string) error {
	dir, err := os.MkdirTemp("", "tandem-test-template-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	// The last connection's close checkpoints the WAL into the file and
	// removes it, so the file alone is the database.
	if _, err := os.Stat(filepath.Join(dir, store.SQLiteFile+"-wal")); err == nil {
		return errors.New("the WAL outlived the last connection")
	}
	// Renamed into place whole: a binary racing this one to make it reads
	// either file, both complete.
	return os.Rename(filepath.Join(dir, store.SQLiteFile), path)
}

func copySQLiteTemplate(dir string) error {
	b, err := sqliteTemplate()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, store.SQLiteFile), b, 0o600) //nolint:gosec // the test's own temporary directory
}
