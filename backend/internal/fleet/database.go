package fleet

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Database is a fresh database on a MySQL/MariaDB server, made for one run.
type Database struct {
	// URL is the go-sql-driver DSN of the database, for TANDEM_DATABASE_URL.
	URL   string
	Name  string
	admin string
}

// CreateDatabase makes a database named prefix_<random> (utf8mb4, binary
// collation) on the server that dsn points at.
func CreateDatabase(ctx context.Context, dsn, prefix string) (*Database, error) {
	cfg, err := store.MySQLConfig(dsn)
	if err != nil {
		return nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	admin := cfg.FormatDSN()
	if err := execAdmin(ctx, admin, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	own := cfg.Clone()
	own.DBName = name
	return &Database{URL: own.FormatDSN(), Name: name, admin: admin}, nil
}

// Drop removes the database.
func (d *Database) Drop(ctx context.Context) error {
	return execAdmin(ctx, d.admin, "DROP DATABASE IF EXISTS "+d.Name)
}

func execAdmin(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
