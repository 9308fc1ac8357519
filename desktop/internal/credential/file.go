package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/tandem-inbox/tandem/desktop/internal/durable"
)

// fileStore keeps tokens in one JSON file readable by the user alone,
// replaced atomically on every change.
type fileStore struct {
	mu   sync.Mutex
	path string
}

func (f *fileStore) read() (map[string]string, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		// Someone widened the permissions: narrow them before trusting it.
		if err := os.Chmod(f.path, 0o600); err != nil {
			return nil, fmt.Errorf("token file %s is readable by others and cannot be fixed: %w", f.path, err)
		}
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("token file %s is damaged: %w", f.path, err)
	}
	return m, nil
}

func (f *fileStore) write(m map[string]string) error {
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return durable.WriteFile(f.path, b, 0o600)
}

func (f *fileStore) get(account string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return "", err
	}
	t, ok := m[account]
	if !ok || t == "" {
		return "", ErrNoToken
	}
	return t, nil
}

func (f *fileStore) set(account, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[account] = token
	return f.write(m)
}

func (f *fileStore) delete(account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := m[account]; !ok {
		return nil
	}
	delete(m, account)
	return f.write(m)
}
