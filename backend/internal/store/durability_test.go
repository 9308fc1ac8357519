package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestDurabilityProblems: the settings that lose acknowledged commits in a
// crash are named, the durable ones are not. (faulttest's
// TestDatabaseRowLock starts tandemd on a MariaDB set to lose them and
// finds the warning in its log.)
func TestDurabilityProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    store.Durability
		want []string
	}{
		{store.Durability{FlushLogAtCommit: 1}, nil},
		{store.Durability{FlushLogAtCommit: 1, BinaryLog: true, SyncBinlog: 1}, nil},
		{store.Durability{FlushLogAtCommit: 1, SyncBinlog: 0}, nil}, // no binary log to lose
		{store.Durability{FlushLogAtCommit: 2}, []string{"innodb_flush_log_at_trx_commit=2"}},
		{store.Durability{FlushLogAtCommit: 0, BinaryLog: true, SyncBinlog: 1}, []string{"innodb_flush_log_at_trx_commit=0"}},
		{store.Durability{FlushLogAtCommit: 1, BinaryLog: true, SyncBinlog: 0}, []string{"sync_binlog=0"}},
		{store.Durability{FlushLogAtCommit: 2, BinaryLog: true, SyncBinlog: 100}, []string{"innodb_flush_log_at_trx_commit=2", "sync_binlog=100"}},
	} {
		got := tc.d.Problems()
		if len(got) != len(tc.want) {
			t.Errorf("%+v: problems %q, want %d naming %q", tc.d, got, len(tc.want), tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(got[i], w+":") {
				t.Errorf("%+v: problem %q, want it to name %s", tc.d, got[i], w)
			}
		}
	}
}

// TestDurabilityRead: on MySQL, Open reads the server's settings and warns
// exactly when they lose acknowledged commits; on SQLite (synchronous FULL,
// see openSQLite) it reads nothing.
func TestDurabilityRead(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		var logs bytes.Buffer
		opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		db, err := store.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		warned := strings.Count(logs.String(), "database is not durable")
		if db.Dialect.Name() != "mysql" {
			if warned != 0 || strings.Contains(logs.String(), "durability") {
				t.Errorf("SQLite logged durability lines:\n%s", logs.String())
			}
			return
		}
		d, err := store.ReadDurability(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		var flush, syncBinlog int
		if err := db.QueryRowContext(context.Background(), `SELECT @@innodb_flush_log_at_trx_commit, @@sync_binlog`).Scan(&flush, &syncBinlog); err != nil {
			t.Fatal(err)
		}
		if d.FlushLogAtCommit != flush || d.SyncBinlog != syncBinlog {
			t.Errorf("read %+v, the server says flush %d, sync_binlog %d", d, flush, syncBinlog)
		}
		if warned != len(d.Problems()) {
			t.Errorf("%d warnings for %+v (problems %q):\n%s", warned, d, d.Problems(), logs.String())
		}
		t.Logf("server durability: %+v", d)
	})
}
