package store

import (
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// SQLite's own LOWER folds ASCII letters only, MySQL's every letter: a
// search for "émile" found "Émile" on MySQL and not on SQLite. LOWER is
// replaced on SQLite by Go's, so that text search folds case alike on both
// (no index or stored value is built with LOWER). It must be registered
// before the first connection is opened.
func init() {
	if err := sqlite.RegisterDeterministicScalarFunction("lower", 1, lower); err != nil {
		panic(err)
	}
}

func lower(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		return strings.ToLower(v), nil
	case []byte:
		return strings.ToLower(string(v)), nil
	default: // NULL, and numbers LOWER would print
		return v, nil
	}
}
