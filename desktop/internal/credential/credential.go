// Package credential keeps session tokens: in the OS keychain (Secret
// Service on Linux, Keychain on macOS, Credential Manager on Windows), or,
// where no keychain answers, in a file only the user can read (0600 in a
// 0700 directory). Tokens never go anywhere else: not in logs, not in the
// profile, not to the frontend.
package credential

import (
	"errors"
	"fmt"
	"log/slog"
)

// Service is the keychain service name the app's tokens live under.
const Service = "Tandem Desktop"

// ErrNoToken means no token is stored for the account.
var ErrNoToken = errors.New("no stored token")

// Keyring is an OS keychain. Get returns ErrNoToken when it holds nothing
// for the account.
type Keyring interface {
	Get(service, account string) (string, error)
	Set(service, account, secret string) error
	Delete(service, account string) error
}

// Store keeps tokens in a keychain, falling back to a file.
type Store struct {
	ring Keyring // nil: no keychain on this system
	file *fileStore
	log  *slog.Logger
}

// NewStore returns a store over ring (nil for none) and a fallback file in
// dir.
func NewStore(ring Keyring, dir string, log *slog.Logger) *Store {
	return &Store{ring: ring, file: &fileStore{path: dir + "/tokens.json"}, log: log}
}

// Where tells where a token was saved.
type Where string

// Places a token can be kept.
const (
	InKeychain Where = "keychain"
	InFile     Where = "file"
)

// Save stores the account's token, in the keychain if one answers.
func (s *Store) Save(account, token string) (Where, error) {
	if s.ring != nil {
		err := s.ring.Set(Service, account, token)
		if err == nil {
			// A token left in the file by an earlier keychain outage would
			// outlive this one: remove it.
			if err := s.file.delete(account); err != nil {
				s.log.Warn("remove token file entry", "err", err)
			}
			return InKeychain, nil
		}
		s.log.Info("keychain unavailable, keeping the token in a private file", "err", err)
	}
	if err := s.file.set(account, token); err != nil {
		return "", fmt.Errorf("save token: %w", err)
	}
	return InFile, nil
}

// Load returns the account's token, or ErrNoToken.
func (s *Store) Load(account string) (string, error) {
	if s.ring != nil {
		t, err := s.ring.Get(Service, account)
		if err == nil && t != "" {
			return t, nil
		}
		if err != nil && !errors.Is(err, ErrNoToken) {
			s.log.Info("keychain unavailable, looking in the token file", "err", err)
		}
	}
	return s.file.get(account)
}

// Delete forgets the account's token everywhere it may be.
func (s *Store) Delete(account string) error {
	var errs []error
	if s.ring != nil {
		if err := s.ring.Delete(Service, account); err != nil && !errors.Is(err, ErrNoToken) {
			s.log.Info("keychain delete", "err", err)
		}
	}
	if err := s.file.delete(account); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
