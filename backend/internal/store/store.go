// Package store opens Tandem's database, runs its migrations and its
// transactions. One schema serves two dialects: embedded SQLite (the zero-setup
// default, one node) and MySQL/MariaDB (production, many replicas). What differs
// between them lives in Dialect; domain packages never branch on a driver.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Querier is what a domain's SQL runs on: the pool or a transaction.
type Querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// DB is the database pool with its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// writers queues write transactions on SQLite, which runs one at a time
	// anyway: waiting here, rather than in BEGIN IMMEDIATE's busy loop, keeps
	// waiting writers from holding pool connections that readers (and the
	// writer in front of them) need, and serves them in turn. Nil on MySQL.
	writers *sync.Mutex
	// tenants bounds one workspace's write transactions in flight on this
	// replica (tenant.go).
	tenants *tenantGate
}

// Tx is a transaction with its dialect.
type Tx struct {
	*sqlx.Tx
	Dialect     Dialect
	afterCommit []func()
}

// AfterCommit registers fn to run once the transaction has committed (and
// never if it rolls back). The event log uses it to wake subscribers.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// maxAttempts bounds the retries of a transaction that failed on a deadlock or
// a busy lock; the work in it is re-run from the start. InnoDB picks a victim
// among rivals inserting into the same indexes (the messages of one workspace
// under the lock on its row), and a busy workspace with several writers and
// the reactors can lose five rounds in a row on a loaded machine (a CI run's
// TestResumeUnderDisconnects did); the backoff grows to maxBackoff, so ten
// attempts give up after about two seconds.
const (
	maxAttempts = 10
	maxBackoff  = 250 * time.Millisecond
)

// InTx runs fn in one transaction and commits it. It retries fn, from a fresh
// transaction, when the database reports a deadlock or lock timeout, so fn must
// not keep state outside the transaction between attempts.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	leave, err := db.tenants.enter(ctx)
	if err != nil {
		return fmt.Errorf("waiting for the workspace's turn to write: %w", err)
	}
	defer leave()
	for attempt := 1; ; attempt++ {
		err = db.inTx(ctx, fn)
		if err == nil || attempt == maxAttempts || !db.Dialect.IsRetryable(err) {
			return err
		}
		backoff := min(time.Duration(attempt*attempt)*5*time.Millisecond, maxBackoff)
		backoff += rand.N(backoff) //nolint:gosec // jitter, so that retried rivals do not collide again: not a secret
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
	}
}

func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if db.writers != nil {
		db.writers.Lock()
		defer db.writers.Unlock()
	}
	sqlTx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, Dialect: db.Dialect}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = db.commit(ctx, sqlTx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// commit commits tx. The MySQL driver's COMMIT does not watch the context
// (its statements do): on a stalled network it waits out the driver's read
// timeout (30 s), far past a call's deadline, and the call with it
// (faulttest's TestDatabaseBlackhole saw one take as long as the stall). So
// on MySQL the commit is waited for only until ctx ends; its outcome is then
// unknown, as when a connection drops mid-commit, and the client's
// idempotent retry settles it. The commit goes on in a goroutine that the
// driver's read timeout bounds, and its connection returns to the pool
// when it ends. SQLite commits to a local file, under db.writers.
func (db *DB) commit(ctx context.Context, tx *sqlx.Tx) error {
	if db.writers != nil || ctx.Done() == nil {
		return tx.Commit()
	}
	done := make(chan error, 1)
	go func() { done <- tx.Commit() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // both at once: the commit's own answer
			return err
		default:
		}
		return fmt.Errorf("outcome unknown: %w", ctx.Err())
	}
}

// NowMillis is the storage form of a time: UTC unix milliseconds.
func NowMillis(t time.Time) int64 { return t.UTC().UnixMilli() }

// ErrNoRows reports whether err is sql.ErrNoRows.
func ErrNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
