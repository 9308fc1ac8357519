package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Reset deletes what earlier demo runs left in the embedded store's data
// directory, so that the next Seed starts afresh: the SQLite database (with
// its WAL and shared-memory files) and, when filesDir is not empty, the
// uploaded files. It returns the paths it deleted; other files in dataDir
// are left alone.
func Reset(dataDir, filesDir string) ([]string, error) {
	if dataDir == "" {
		return nil, errors.New("demo reset: no data directory")
	}
	db := filepath.Join(dataDir, store.SQLiteFile)
	paths := []string{db, db + "-wal", db + "-shm", db + "-journal"}
	if filesDir != "" {
		paths = append(paths, filesDir)
	}
	var deleted []string
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return deleted, fmt.Errorf("demo reset: %w", err)
		}
		deleted = append(deleted, p)
	}
	return deleted, nil
}
