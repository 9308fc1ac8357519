package store

import (
	"context"
	"fmt"
	"log/slog"
)

// Durability is what a MySQL server says about keeping a commit it has
// acknowledged. Tandem answers a client once its commit returns, and the
// client forgets what it sent (the outbox entry, the visitor's retry): an
// acknowledged write must survive a crash of the server.
type Durability struct {
	// FlushLogAtCommit is innodb_flush_log_at_trx_commit: 1 writes and
	// syncs the redo log at each commit; 0 and 2 lose up to a second of
	// acknowledged commits in a crash (2 only of the machine, 0 of
	// mysqld).
	FlushLogAtCommit int `db:"flush"`
	// BinaryLog is log_bin: whether the server keeps a binary log
	// (replicas, point-in-time recovery).
	BinaryLog bool `db:"log_bin"`
	// SyncBinlog is sync_binlog: 1 syncs the binary log at each commit.
	// With a binary log and another value, a crash can lose commits that
	// replicas (or a failover target) then never receive.
	SyncBinlog int `db:"sync_binlog"`
}

// Problems lists, in words for an operator, each way the settings lose
// acknowledged commits; none when they are durable.
func (d Durability) Problems() []string {
	var out []string
	if d.FlushLogAtCommit != 1 {
		out = append(out, fmt.Sprintf("innodb_flush_log_at_trx_commit=%d: a crash loses up to a second of acknowledged writes (set it to 1)", d.FlushLogAtCommit))
	}
	if d.BinaryLog && d.SyncBinlog != 1 {
		out = append(out, fmt.Sprintf("sync_binlog=%d: the binary log is on, and a crash loses commits that replicas never receive (set it to 1)", d.SyncBinlog))
	}
	return out
}

// ReadDurability reads the server's durability settings (MySQL only).
func ReadDurability(ctx context.Context, q Querier) (Durability, error) {
	var d Durability
	err := q.GetContext(ctx, &d, `SELECT @@innodb_flush_log_at_trx_commit AS flush, @@log_bin AS log_bin, @@sync_binlog AS sync_binlog`)
	if err != nil {
		return d, fmt.Errorf("read durability settings: %w", err)
	}
	return d, nil
}

// checkDurability warns, once at startup, when the MySQL server may lose
// commits it acknowledged. It does not refuse to start: a test or a
// throw-away server may trade durability for speed on purpose.
func checkDurability(ctx context.Context, db *DB, logger *slog.Logger) {
	if logger == nil || db.Dialect.Name() != "mysql" {
		return
	}
	d, err := ReadDurability(ctx, db)
	if err != nil {
		logger.WarnContext(ctx, "database durability unknown", "error", err)
		return
	}
	for _, p := range d.Problems() {
		logger.WarnContext(ctx, "database is not durable: acknowledged writes may be lost", "setting", p)
	}
}
