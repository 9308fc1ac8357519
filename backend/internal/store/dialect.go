package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect holds the few things that differ between SQLite and MySQL.
type Dialect interface {
	// Name is "sqlite" or "mysql".
	Name() string
	// ForUpdate is appended to a SELECT that locks the rows it reads inside a
	// transaction ("" on SQLite, where a write transaction locks the database).
	ForUpdate() string
	// SkipLocked is appended to a SELECT that claims due work rows, skipping
	// those another transaction holds.
	SkipLocked() string
	// InsertIgnore is the INSERT verb that silently skips a duplicate key.
	InsertIgnore() string
	// IsUniqueViolation reports a duplicate-key error.
	IsUniqueViolation(err error) bool
	// IsForeignKeyViolation reports a row referring to one that is not
	// there (deleted by a transaction that committed first).
	IsForeignKeyViolation(err error) bool
	// IsRetryable reports a deadlock or lock timeout after which the whole
	// transaction may be run again.
	IsRetryable(err error) bool
	// VisibleBeforeDurable reports that other transactions can read a commit
	// before it is durable. InnoDB makes a commit visible, releases its locks,
	// and only then flushes its redo log; without a synced binary log to
	// recover it from, a crash in between loses a commit that others already
	// read, and the next commit reuses its keys (the event log's seq). SQLite
	// syncs its WAL before it publishes a commit.
	VisibleBeforeDurable() bool
	// Shared reports a database server that several tandemd replicas use at
	// once (MySQL), rather than a file that one process opens (SQLite): what
	// must hold across replicas, such as rate limits, is kept in it.
	Shared() bool
}

type sqliteDialect struct{}

func (sqliteDialect) Name() string         { return "sqlite" }
func (sqliteDialect) ForUpdate() string    { return "" }
func (sqliteDialect) SkipLocked() string   { return "" }
func (sqliteDialect) InsertIgnore() string { return "INSERT OR IGNORE" }

func (sqliteDialect) VisibleBeforeDurable() bool { return false }
func (sqliteDialect) Shared() bool               { return false }

func (sqliteDialect) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (sqliteDialect) IsForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func (sqliteDialect) IsRetryable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

type mysqlDialect struct{}

func (mysqlDialect) Name() string         { return "mysql" }
func (mysqlDialect) ForUpdate() string    { return " FOR UPDATE" }
func (mysqlDialect) SkipLocked() string   { return " FOR UPDATE SKIP LOCKED" }
func (mysqlDialect) InsertIgnore() string { return "INSERT IGNORE" }

func (mysqlDialect) VisibleBeforeDurable() bool { return true }
func (mysqlDialect) Shared() bool               { return true }

// MySQL error numbers.
const (
	erDupEntry        = 1062
	erNoReferencedRow = 1452
	erLockDeadlock    = 1213
)

func (mysqlDialect) IsUniqueViolation(err error) bool {
	var e *mysql.MySQLError
	return errors.As(err, &e) && e.Number == erDupEntry
}

func (mysqlDialect) IsForeignKeyViolation(err error) bool {
	var e *mysql.MySQLError
	return errors.As(err, &e) && e.Number == erNoReferencedRow
}

// IsRetryable: a deadlock's victim runs again at once. A lock wait that
// timed out is not: a lock held past the wait (Options.LockWait) is held
// by something long, a console or a stuck transaction, and waiting again
// would hold the connection to the call's deadline; the call fails
// Unavailable and its client retries.
func (mysqlDialect) IsRetryable(err error) bool {
	var e *mysql.MySQLError
	if errors.As(err, &e) {
		return e.Number == erLockDeadlock
	}
	// A connection lost mid-transaction is not retried here: the outcome of
	// its commit is unknown, and the client's idempotent retry settles it.
	return false
}

// Placeholders returns "?, ?, ?" for n arguments.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Prefixed qualifies a comma-separated column list with a table alias:
// Prefixed("c.", "id, name") is "c.id, c.name".
func Prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// LikeEscape makes user text match literally in a LIKE pattern used with
// ESCAPE '!': its own % and _ stop being wildcards.
func LikeEscape(text string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(text)
}

// Truncate cuts s to fit a column of n bytes, on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// inBatch bounds the ids of one FoundIn query.
const inBatch = 500

// FoundIn runs query over ids in batches and returns the ids it found: the
// query selects one id column, takes args first and ends with "IN (%s)",
// which becomes the batch's placeholders.
func FoundIn(ctx context.Context, q Querier, query string, ids []string, args ...any) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += inBatch {
		batch := ids[start:min(start+inBatch, len(ids))]
		all := append(slices.Clip(args), make([]any, 0, len(batch))...)
		for _, id := range batch {
			all = append(all, id)
		}
		var got []string
		if err := q.SelectContext(ctx, &got, fmt.Sprintf(query, Placeholders(len(batch))), all...); err != nil {
			return nil, err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	return found, nil
}
