package faulttest_test

import (
	"database/sql"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// TestDatabaseFailover (CHAOS-01) runs tandemd on a primary mariadbd with a
// semi-synchronous replica, as a highly available pair does: a commit is
// answered only once the replica has it (AFTER_SYNC). Under the visitors'
// load the primary is SIGKILLed, and 5 s later the replica is promoted as
// an orchestrator would: it applies all it received, stops replicating and
// takes the new connections at the address tandemd knows (the proxy
// stands for a virtual IP or a DNS name that moves). tandemd is not
// restarted. Calls fail fast and retryably during the outage, none
// succeeds, and writes come back on the new primary within 30 s; every
// message tandemd acknowledged is there exactly once, none lost with the
// old primary, and the conversations agree with their messages.
func TestDatabaseFailover(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	pair := replicatedPair(t)
	f := startProxiedTo(t, pair.primary, 1, nil, nil)
	// Once tandemd has made its tables, the replica is 50 ms away, as in
	// another zone: were the primary to answer commits before the replica
	// had them, those of the last 50 ms or so would be lost when it
	// crashes (and the test fails so with asynchronous replication).
	pair.link.SetLatency(50 * time.Millisecond)
	underFault(t, f, "failing over", time.Second, pair.crash, func() {
		promote(t, pair.replica)
		f.dbURL = onServer(t, f.dbURL, pair.replica.Addr)
		f.proxy.SetTarget(pair.replica.Addr)
	})
}

// pair is a primary mariadbd and its replica, joined by a link.
type pair struct {
	primary, replica *fleet.MariaDB
	link             *faulttest.Proxy
}

// crash is the primary's machine failing: from this instant nothing more
// of it reaches the replica, not even what its kernel was still sending,
// and the process is gone.
func (p *pair) crash() {
	p.link.Blackhole()
	p.primary.Kill()
	p.link.Cut()
}

// replicatedPair starts two private mariadbds, the second replicating the
// first semi-synchronously by GTID, and waits until the primary counts its
// replica.
func replicatedPair(t *testing.T) *pair {
	t.Helper()
	p, err := fleet.StartMariaDBWith(t.Context(), t.TempDir(), fleet.MariaDBOptions{Args: []string{
		"--server-id=1", "--log-bin=binlog", "--binlog-format=ROW", "--sync-binlog=1",
		"--rpl-semi-sync-master-enabled=ON", "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
		// Never fall back to asynchronous replication while the replica
		// is slow: the test is of a pair that loses nothing.
		"--rpl-semi-sync-master-timeout=600000",
	}})
	primary := killAtEnd(t, p, err)
	r, err := fleet.StartMariaDBWith(t.Context(), t.TempDir(), fleet.MariaDBOptions{Args: []string{
		"--server-id=2", "--log-bin=binlog", "--binlog-format=ROW", "--rpl-semi-sync-slave-enabled=ON",
	}})
	replica := killAtEnd(t, r, err)
	// The replica's link: see TestDatabaseFailover.
	link, err := faulttest.StartProxy(t.Context(), primary.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(link.Close)
	host, port, err := net.SplitHostPort(link.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rdb := serverDB(t, replica)
	for _, q := range []string{
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%s, MASTER_USER='root', MASTER_USE_GTID=slave_pos", host, port),
		"START SLAVE",
	} {
		if _, err := rdb.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pdb := serverDB(t, primary)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var name string
		var clients int
		if err := pdb.QueryRowContext(t.Context(), "SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'").Scan(&name, &clients); err != nil {
			t.Fatal(err)
		}
		if clients == 1 {
			return &pair{primary: primary, replica: replica, link: link}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not connect to the primary semi-synchronously: %v", replicaStatus(t, rdb))
		}
	}
}

// promote makes the replica a primary: it applies every transaction it
// received from the dead primary, then stops replicating for good.
func promote(t *testing.T, replica *fleet.MariaDB) {
	t.Helper()
	db := serverDB(t, replica)
	if received := replicaStatus(t, db)["Gtid_IO_Pos"]; received != "" {
		var waited int
		if err := db.QueryRowContext(t.Context(), "SELECT MASTER_GTID_WAIT(?, 30)", received).Scan(&waited); err != nil {
			t.Fatal(err)
		}
		if waited != 0 {
			t.Fatalf("the replica did not apply what it received (%s) within 30 s", received)
		}
	}
	for _, q := range []string{"STOP SLAVE", "RESET SLAVE ALL"} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// replicaStatus is SHOW SLAVE STATUS, by column.
func replicaStatus(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SHOW SLAVE STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return status
	}
	values := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		status[c] = values[i].String
	}
	return status
}

// serverDB is m's server as root, with no database, closed when the test
// ends.
func serverDB(t *testing.T, m *fleet.MariaDB) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// onServer is the database URL dbURL on the server at addr.
func onServer(t *testing.T, dbURL, addr string) string {
	t.Helper()
	cfg, err := store.MySQLConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = addr
	return cfg.FormatDSN()
}
