package credential

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ring is an in-memory keychain that can be switched off.
type ring struct {
	down bool
	m    map[string]string
}

var errNoBus = errors.New("org.freedesktop.secrets was not provided by any .service files")

func (r *ring) Get(service, account string) (string, error) {
	if r.down {
		return "", errNoBus
	}
	s, ok := r.m[service+"/"+account]
	if !ok {
		return "", ErrNoToken
	}
	return s, nil
}

func (r *ring) Set(service, account, secret string) error {
	if r.down {
		return errNoBus
	}
	r.m[service+"/"+account] = secret
	return nil
}

func (r *ring) Delete(service, account string) error {
	if r.down {
		return errNoBus
	}
	delete(r.m, service+"/"+account)
	return nil
}

func TestKeychainWhenAvailable(t *testing.T) {
	dir := t.TempDir()
	r := &ring{m: map[string]string{}}
	s := NewStore(r, dir, slog.New(slog.DiscardHandler))
	where, err := s.Save("http://a u1", "tok-1")
	if err != nil || where != InKeychain {
		t.Fatalf("Save = %v, %v; want keychain", where, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokens.json")); err == nil {
		t.Fatal("a token file was written although the keychain works")
	}
	if got, err := s.Load("http://a u1"); err != nil || got != "tok-1" {
		t.Fatalf("Load = %q, %v", got, err)
	}
	if err := s.Delete("http://a u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("http://a u1"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Load after Delete = %v, want ErrNoToken", err)
	}
}

func TestFileFallback(t *testing.T) {
	for name, r := range map[string]Keyring{"no keychain": nil, "keychain down": &ring{down: true}} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cfg")
			s := NewStore(r, dir, slog.New(slog.DiscardHandler))
			where, err := s.Save("http://a u1", "tok-1")
			if err != nil || where != InFile {
				t.Fatalf("Save = %v, %v; want file", where, err)
			}
			path := filepath.Join(dir, "tokens.json")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
			}
			if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
				t.Errorf("token dir mode %v, want 0700", d.Mode().Perm())
			}
			if _, err := s.Save("http://b u2", "tok-2"); err != nil {
				t.Fatal(err)
			}
			// Another run of the app finds both.
			again := NewStore(r, dir, slog.New(slog.DiscardHandler))
			for acct, want := range map[string]string{"http://a u1": "tok-1", "http://b u2": "tok-2"} {
				if got, err := again.Load(acct); err != nil || got != want {
					t.Errorf("Load(%s) = %q, %v; want %q", acct, got, err, want)
				}
			}
			if err := again.Delete("http://a u1"); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), "tok-1") {
				t.Error("deleted token still in the file")
			}
		})
	}
}

func TestWidenedFileIsNarrowed(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(nil, dir, slog.New(slog.DiscardHandler))
	if _, err := s.Save("acct", "tok"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tokens.json")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("acct"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after load %v, want 0600", st.Mode().Perm())
	}
}

func TestMovesFromFileToKeychain(t *testing.T) {
	dir := t.TempDir()
	r := &ring{down: true, m: map[string]string{}}
	s := NewStore(r, dir, slog.New(slog.DiscardHandler))
	if _, err := s.Save("acct", "old"); err != nil {
		t.Fatal(err)
	}
	r.down = false // the keychain is back for the next sign-in
	if where, err := s.Save("acct", "new"); err != nil || where != InKeychain {
		t.Fatalf("Save = %v, %v", where, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if strings.Contains(string(b), "old") {
		t.Fatal("the old token stayed in the file after moving to the keychain")
	}
}

func TestOSKeyringNeedsASessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session bus is how Linux reaches its keychain")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if OSKeyring() != nil {
		t.Fatal("OSKeyring without a session bus is not nil: it would try to auto-launch one")
	}
}
