package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDB is a private, throw-away mariadbd with its own data directory and
// port, durable at commit (innodb_flush_log_at_trx_commit=1), that a test may
// kill and start again. It never touches a machine's shared server.
type MariaDB struct {
	*Process
	Addr string
	bin  string
	dir  string
	opts MariaDBOptions
}

// StartMariaDB initializes a data directory under dir and starts mariadbd on
// a free loopback port. It returns an error wrapping ErrMissing when
// MariaDB's server binaries are not installed.
func StartMariaDB(ctx context.Context, dir string) (*MariaDB, error) {
	return StartMariaDBWith(ctx, dir, MariaDBOptions{})
}

// MariaDBOptions place and tune a private mariadbd.
type MariaDBOptions struct {
	// Netns and IP put it in a network namespace (made with ip netns), on
	// IP, port 3306: a database on a machine of its own, whose link a test
	// can make lossy. It needs root and iproute2.
	Netns, IP string
	// Args are more options for mariadbd (--log-bin among them turns the
	// binary log on: it is off otherwise).
	Args []string
}

// StartMariaDBWith is StartMariaDB as the options say.
func StartMariaDBWith(ctx context.Context, dir string, o MariaDBOptions) (*MariaDB, error) {
	bin, err := lookBin("mariadbd", "/usr/sbin/mariadbd")
	if err != nil {
		return nil, err
	}
	install, err := lookBin("mariadb-install-db", "/usr/bin/mariadb-install-db")
	if err != nil {
		return nil, err
	}
	// Temporary tables go to a directory of this server's own: in a
	// shared /tmp, one test's cleanup or another server's names can take
	// them away mid-install ("Error on delete of '/tmp/#sql-temptable...").
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, install, "--no-defaults", "--user="+currentUser(), "--datadir="+data, //nolint:gosec // mariadb-install-db found on PATH, into the test's own directory
		"--tmpdir="+filepath.Join(dir, "tmp"), "--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	addr := net.JoinHostPort(o.IP, "3306")
	if o.Netns == "" {
		if addr, err = FreeAddr(ctx); err != nil {
			return nil, err
		}
	}
	m := &MariaDB{Addr: addr, bin: bin, dir: dir, opts: o}
	return m, m.Start(ctx)
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// Start runs mariadbd (again, after a kill: InnoDB recovers from its log)
// and waits until it accepts queries.
func (m *MariaDB) Start(ctx context.Context) error {
	if m.Process != nil && !m.Exited() {
		return nil
	}
	host, port, _ := net.SplitHostPort(m.Addr)
	bin, args := m.bin, []string{"--no-defaults", "--user=" + currentUser(), "--datadir=" + filepath.Join(m.dir, "data"),
		"--socket=" + filepath.Join(m.dir, "mysqld.sock"), "--pid-file=" + filepath.Join(m.dir, "mysqld.pid"), "--tmpdir=" + filepath.Join(m.dir, "tmp"),
		"--port=" + port, "--bind-address=" + host, "--skip-name-resolve",
		"--innodb-flush-log-at-trx-commit=1", "--innodb-buffer-pool-size=64M", "--max-connections=200"}
	if !slices.ContainsFunc(m.opts.Args, func(a string) bool { return strings.HasPrefix(a, "--log-bin") }) {
		args = append(args, "--skip-log-bin")
	}
	args = append(args, m.opts.Args...)
	if m.opts.Netns != "" {
		// Clients come from the other end of the link, not from
		// localhost, where mariadb-install-db lets root in.
		initFile := filepath.Join(m.dir, "remote-root.sql")
		if err := os.WriteFile(initFile, []byte("CREATE USER IF NOT EXISTS root@'%';\nGRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;\n"), 0o600); err != nil {
			return err
		}
		// ip netns exec joins the namespace and execs mariadbd: the
		// process is mariadbd itself, as a kill expects.
		bin, args = "ip", append([]string{"netns", "exec", m.opts.Netns, m.bin}, append(args, "--init-file="+initFile)...)
	}
	p, err := StartProcess("mariadbd "+m.Addr, bin, args, nil)
	if err != nil {
		return err
	}
	m.Process = p
	if err := p.waitUntil(ctx, 60*time.Second, m.answers); err != nil {
		p.Kill()
		return err
	}
	return nil
}

func (m *MariaDB) answers(ctx context.Context) bool {
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		return false
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// DSN is the go-sql-driver DSN of database name on this server (as root).
func (m *MariaDB) DSN(name string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", m.Addr, name
	cfg.Timeout = 2 * time.Second
	return cfg.FormatDSN()
}
