// Package profile keeps what the app remembers between runs, besides the
// token (kept by package credential) and the outbox: the last server and
// account and the chosen workspace (notification preferences are the
// server's, per workspace). It is one
// small JSON file in the app's configuration directory, private to the user
// and replaced atomically.
package profile

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

// Profile is the remembered state.
type Profile struct {
	// Server, Email, UserID and UserName name the last signed-in account.
	Server   string `json:"server,omitempty"`
	Email    string `json:"email,omitempty"`
	UserID   string `json:"user_id,omitempty"`
	UserName string `json:"user_name,omitempty"`
	// SignedIn is false after an explicit sign-out or an ended session.
	SignedIn bool `json:"signed_in,omitempty"`
	// WorkspaceID is the last workspace shown.
	WorkspaceID string `json:"workspace_id,omitempty"`
}

// Store reads and writes the profile file.
type Store struct {
	mu   sync.Mutex
	path string
}

// NewStore returns the store of the profile in dir.
func NewStore(dir string) *Store { return &Store{path: filepath.Join(dir, "profile.json")} }

// Load returns the profile, empty when none was saved.
func (s *Store) Load() (Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *Store) load() (Profile, error) {
	var p Profile
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Profile{}, fmt.Errorf("profile %s is damaged: %w", s.path, err)
	}
	return p, nil
}

// Update applies change to the stored profile and saves it.
func (s *Store) Update(change func(*Profile)) (Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.load()
	if err != nil {
		p = Profile{} // a damaged profile is replaced, not fatal
	}
	change(&p)
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return p, err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return p, err
	}
	return p, durable.WriteFile(s.path, b, 0o600)
}
