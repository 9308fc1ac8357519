package mailtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/client"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// Dovecot is a private Dovecot IMAP server (Debian's dovecot-imapd) on
// Addr, without TLS, its mailboxes (Maildir) and sockets in a folder of
// its own. Users sign in with a password (User adds them). It stops when
// the test ends.
type Dovecot struct {
	Addr string
	dir  string
	bin  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	stop context.CancelFunc
}

// StartDovecot runs a Dovecot for the test and waits until it greets.
func StartDovecot(t testing.TB) *Dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/dovecot"); statErr != nil {
			missing(t, "dovecot", "apt-get install dovecot-imapd", err)
		}
		bin = "/usr/sbin/dovecot"
	}
	// Dovecot's processes run as its own users where the test runs as
	// root (it refuses to run its login process as root): its folder must
	// be theirs to enter, so not under the test's private TempDir.
	dir, err := os.MkdirTemp("", "dovecot-") //nolint:usetesting // see above
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	d := &Dovecot{Addr: rpctest.FreeAddr(t), dir: dir}
	login, internal, mail := "", "", ""
	if os.Getuid() == 0 {
		login, internal, mail = "dovenull", "dovecot", "dovecot"
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		login, internal, mail = u.Username, u.Username, u.Username
	}
	mailUser, err := user.Lookup(mail)
	if err != nil {
		t.Fatalf("dovecot's user: %v", err)
	}
	uid, _ := strconv.Atoi(mailUser.Uid)
	gid, _ := strconv.Atoi(mailUser.Gid)
	for _, sub := range []string{"mail", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil { //nolint:gosec // entered by dovecot's users
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // entered by dovecot's users
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "mail"), uid, gid); err != nil && os.Getuid() == 0 {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(d.Addr)
	conf := fmt.Sprintf(`protocols = imap
listen = %[2]s
base_dir = %[1]s/run
state_dir = %[1]s/run/state
instance_name = tandem-test-%[3]s
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = %[1]s/dovecot.log
mail_location = maildir:%[1]s/mail/%%u
first_valid_uid = 1
mail_uid = %[4]s
mail_gid = %[4]s
default_internal_user = %[5]s
default_internal_group = %[5]s
default_login_user = %[6]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=%[4]s gid=%[4]s home=%[1]s/mail/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = %[2]s
    port = %[3]s
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, host, port, mail, internal, login)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil { //nolint:gosec // read by dovecot
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), nil, 0o644); err != nil { //nolint:gosec // read by dovecot
		t.Fatal(err)
	}
	d.bin = bin
	d.Start(t)
	t.Cleanup(d.Stop)
	return d
}

// Start starts Dovecot again after Stop, on the same address with the
// same mailboxes, and waits until it greets.
func (d *Dovecot) Start(t testing.TB) {
	t.Helper()
	d.mu.Lock()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, d.bin, "-F", "-c", filepath.Join(d.dir, "dovecot.conf")) //nolint:gosec // Debian's dovecot with the test's config
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		d.mu.Unlock()
		t.Fatal(err)
	}
	d.cmd, d.stop = cmd, cancel
	d.mu.Unlock()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := client.Dial(d.Addr); err == nil {
			_ = c.Logout()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
			t.Fatalf("dovecot did not start: %s\n%s", out.String(), log)
		}
	}
}

// Stop stops Dovecot (and every connection to it).
func (d *Dovecot) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	d.stop()
	_ = d.cmd.Wait()
	d.cmd = nil
	// Its processes go with the master; wait until the port is free.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(context.Background(), "tcp", d.Addr)
		if err != nil {
			return
		}
		_ = c.Close()
	}
}

// User adds a user who signs in with the password; their INBOX starts
// empty.
func (d *Dovecot) User(t testing.TB, name, password string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(d.dir, "users"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := fmt.Fprintf(f, "%s:{PLAIN}%s\n", name, password); err != nil {
		t.Fatal(err)
	}
}

// Append puts a mail into the user's mailbox over IMAP, as their mail
// server's delivery would, dated (INTERNALDATE) at.
func (d *Dovecot) Append(t testing.TB, name, password, mailbox string, at time.Time, raw []byte) {
	t.Helper()
	c, err := client.Dial(d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Logout() }()
	if err := c.Login(name, password); err != nil {
		t.Fatal(err)
	}
	if mailbox != "INBOX" {
		_ = c.Create(mailbox) // exists already after the first time
	}
	if err := c.Append(mailbox, nil, at, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
}
