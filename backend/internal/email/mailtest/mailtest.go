// Package mailtest runs the real mail software the email tests use: swaks,
// which sends mail over SMTP, and a private Mailpit, the SMTP server
// replies go out to, read back through its API. A tool that is missing
// skips the test, except under CI, where .ci/setup installs both and a
// missing one fails it.
package mailtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// Swaks returns the path of Debian's swaks.
func Swaks(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("swaks")
	if err != nil {
		missing(t, "swaks", "apt-get install swaks", err)
	}
	return path
}

// Send mails a plain message with swaks to the SMTP server at addr, with
// the extra header lines given ("In-Reply-To: <id>").
func Send(ctx context.Context, t testing.TB, addr, from, to, subject, body string, headers ...string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", host, "--port", port, "--from", from, "--to", to, "--header", "Subject: " + subject, "--body", body}
	for _, h := range headers {
		args = append(args, "--header", h) // replaces a header swaks would write itself
	}
	if out, err := exec.CommandContext(ctx, Swaks(t), args...).CombinedOutput(); err != nil { //nolint:gosec // swaks with the test's own message
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

// mailpitBin finds Mailpit on PATH or in the repository's .bin.
func mailpitBin(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		p := filepath.Join(dir, ".bin", "mailpit")
		if _, statErr := os.Stat(p); statErr == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			err = fmt.Errorf("not on PATH nor in a .bin above %s", dir)
		}
		dir = parent
	}
	missing(t, "mailpit", "go install github.com/axllent/mailpit@v1.33.1", err)
	return ""
}

func missing(t testing.TB, tool, install string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (.ci/setup installs it): %v", tool, err)
	}
	t.Skipf("%s is not installed (%s): %v", tool, install, err)
}

// Mailpit is a private Mailpit: its SMTP server on SMTP (taking any sign-in,
// without TLS), its API on API. It stops when the test ends.
type Mailpit struct {
	SMTP, API string
	stop      func()
}

// StartMailpit runs Mailpit with its SMTP server on smtpAddr ("" picks a
// free port) and waits until it answers.
func StartMailpit(t testing.TB, smtpAddr string) *Mailpit {
	t.Helper()
	bin := mailpitBin(t)
	if smtpAddr == "" {
		smtpAddr = rpctest.FreeAddr(t)
	}
	mp := &Mailpit{SMTP: smtpAddr, API: rpctest.FreeAddr(t)}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--smtp", mp.SMTP, "--listen", mp.API, "--database", filepath.Join(t.TempDir(), "mailpit.db"), //nolint:gosec // the pinned mailpit in .bin, on addresses the test chose
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check", "--quiet")
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	mp.stop = sync.OnceFunc(func() {
		cancel()
		_ = cmd.Wait()
	})
	t.Cleanup(mp.stop)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := (&net.Dialer{Timeout: time.Second}).DialContext(t.Context(), "tcp", mp.SMTP); err == nil {
			_ = c.Close()
			var list struct{}
			if mp.get("/api/v1/messages", &list) == nil {
				return mp
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start")
		}
	}
}

// Stop stops Mailpit before the test ends (its SMTP server down).
func (mp *Mailpit) Stop() { mp.stop() }

func (mp *Mailpit) get(path string, out any) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+mp.API+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Arrived is a mail as Mailpit's API shows it.
type Arrived struct {
	ID        string
	MessageID string
	Subject   string
	From      struct{ Name, Address string }
	To        []struct{ Address string }
	Cc        []struct{ Address string }
	ReplyTo   []struct{ Address string }
	Text      string
	HTML      string
	Headers   map[string][]string
}

// Messages lists what Mailpit received, newest first, in full.
func (mp *Mailpit) Messages(t testing.TB) []Arrived {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	if err := mp.get("/api/v1/messages", &list); err != nil {
		t.Fatal(err)
	}
	var out []Arrived
	for _, m := range list.Messages {
		var a Arrived
		if err := mp.get("/api/v1/message/"+m.ID, &a); err != nil {
			t.Fatal(err)
		}
		if err := mp.get("/api/v1/message/"+m.ID+"/headers", &a.Headers); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}
