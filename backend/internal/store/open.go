package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// SQLiteFile is the embedded database's file in its data directory.
const SQLiteFile = "tandem.db"

// Options says which database to open.
type Options struct {
	// URL names a MySQL/MariaDB database ("mysql://user:pass@host:3306/db" or a
	// go-sql-driver DSN "user:pass@tcp(host:3306)/db"). Empty means embedded
	// SQLite in DataDir.
	URL string
	// DataDir holds the SQLite database when URL is empty.
	DataDir string
	// MaxOpenConns caps the pool (MySQL); 0 means 32.
	MaxOpenConns int
	Logger       *slog.Logger
	// WrapConnector, if set, wraps the driver's connector: a caller may
	// observe every statement (the tests count them).
	WrapConnector func(driver.Connector) driver.Connector
	// LockWait bounds how long a statement waits for a row lock on MySQL
	// (innodb_lock_wait_timeout, whole seconds, at least 1); zero keeps
	// the server's (50 s by default). Set it under the calls' deadline: a
	// call that ends first has the driver close its connection, and
	// MySQL's thread goes on waiting for the lock, one more for each
	// attempt, toward max_connections.
	LockWait time.Duration
}

// Open opens the database and applies every pending migration. On MySQL the
// migrations run under a lock, so replicas starting together are safe.
func Open(ctx context.Context, opts Options) (*DB, error) {
	var (
		db  *DB
		err error
	)
	if opts.URL == "" {
		db, err = openSQLite(opts.DataDir, opts.WrapConnector)
	} else {
		db, err = openMySQL(opts, opts.WrapConnector)
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.Dialect.Name(), err)
	}
	if err := migrate(ctx, db, opts.Logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	checkDurability(ctx, db, opts.Logger)
	return db, nil
}

func openSQLite(dir string, wrap func(driver.Connector) driver.Connector) (*DB, error) {
	if dir == "" {
		return nil, errors.New("store: a data directory is needed for the embedded database")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, SQLiteFile)
	// WAL lets readers run beside the one writer; synchronous(FULL) makes an
	// acknowledged commit durable; _txlock=immediate takes the write lock at
	// BEGIN, so two transactions never deadlock upgrading a read lock.
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	sdb, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if wrap != nil {
		drv := sdb.Driver()
		_ = sdb.Close() // nothing was connected yet
		sdb = sqlx.NewDb(sql.OpenDB(wrap(dsnConnector{dsn: dsn, driver: drv})), "sqlite")
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	return &DB{DB: sdb, Dialect: sqliteDialect{}, writers: &sync.Mutex{}}, nil
}

// MySQLConfig parses a database URL into a driver config with Tandem's
// settings: utf8mb4 with binary collation, UTC, strict SQL mode.
func MySQLConfig(rawURL string) (*mysql.Config, error) {
	var cfg *mysql.Config
	if strings.HasPrefix(rawURL, "mysql://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		cfg = mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		for k, v := range u.Query() {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = v[0]
		}
	} else {
		var err error
		if cfg, err = mysql.ParseDSN(rawURL); err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
	}
	if cfg.DBName == "" {
		return nil, errors.New("database URL: no database name")
	}
	cfg.Collation = "utf8mb4_bin"
	cfg.Loc = time.UTC
	cfg.ParseTime = true // goose's migration lock table scans DATETIME; our own times are BIGINT ms
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'"
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg, nil
}

func openMySQL(opts Options, wrap func(driver.Connector) driver.Connector) (*DB, error) {
	cfg, err := MySQLConfig(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.LockWait > 0 {
		cfg.Params["innodb_lock_wait_timeout"] = strconv.Itoa(max(1, int(opts.LockWait/time.Second)))
	}
	maxOpen := opts.MaxOpenConns
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql connector: %w", err)
	}
	if maxOpen <= 0 {
		maxOpen = 32
	}
	c := connector
	if wrap != nil {
		c = wrap(c)
	}
	sdb := sqlx.NewDb(sql.OpenDB(c), "mysql")
	sdb.SetMaxOpenConns(maxOpen)
	sdb.SetMaxIdleConns(maxOpen)
	// Well below MySQL's default wait_timeout (8 h) and any proxy's idle cut.
	sdb.SetConnMaxLifetime(5 * time.Minute)
	sdb.SetConnMaxIdleTime(time.Minute)
	return &DB{DB: sdb, Dialect: mysqlDialect{}, tenants: newTenantGate(maxOpen / 4)}, nil
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	dsn    string
	driver driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.driver }

func migrate(ctx context.Context, db *DB, logger *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations/"+db.Dialect.Name())
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.Dialect.Name() == "mysql" {
		dialect = goose.DialectMySQL
		locker, err := lock.NewMySQLTableLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	provider, err := goose.NewProvider(dialect, db.DB.DB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.Dialect.Name(), err)
	}
	if logger != nil {
		for _, r := range results {
			logger.InfoContext(ctx, "migration applied", "version", r.Source.Version, "dialect", db.Dialect.Name())
		}
	}
	return nil
}

// MigrationsDigest is a hash of every migration shipped, for both dialects:
// databases migrated by builds with the same digest have the same schema
// (the tests keep a migrated template database under it).
func MigrationsDigest() string {
	h := sha256.New()
	err := fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		if err != nil {
			return err
		}
		_, _ = fmt.Fprintf(h, "%s %d\n", path, len(b)) // a hash never fails to write
		h.Write(b)
		return nil
	})
	if err != nil {
		panic("store: the embedded migrations cannot be read: " + err.Error())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// MigrationVersions lists the migration versions shipped for a dialect.
func MigrationVersions(dialect string) ([]string, error) {
	entries, err := migrations.ReadDir("migrations/" + dialect)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.SplitN(e.Name(), "_", 2)[0])
	}
	return names, nil
}
