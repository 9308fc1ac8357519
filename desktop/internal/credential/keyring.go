package credential

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"

	"github.com/zalando/go-keyring"
)

// OSKeyring returns the system keychain, or nil when the system has none
// the app can reach. On Linux that is the Secret Service on the session
// D-Bus; without a session bus there is none (and no bus is auto-launched).
func OSKeyring() Keyring {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			if dir := os.Getenv("XDG_RUNTIME_DIR"); dir == "" || !exists(filepath.Join(dir, "bus")) {
				return nil
			}
		}
	}
	return osKeyring{}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// osKeyring adapts go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, account string) (string, error) {
	s, err := keyring.Get(service, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoToken
	}
	return s, err
}

func (osKeyring) Set(service, account, secret string) error {
	return keyring.Set(service, account, secret)
}

func (osKeyring) Delete(service, account string) error {
	err := keyring.Delete(service, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNoToken
	}
	return err
}
