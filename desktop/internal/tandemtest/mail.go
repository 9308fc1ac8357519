package tandemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Mailpit is a private Mailpit (the repository's .bin/mailpit, which the
// test environment builds): the SMTP server an inbox sends replies
// through, read back through its API. It stops when the test ends.
type Mailpit struct {
	SMTP, API string
}

// Mail is a mail Mailpit received.
type Mail struct {
	ID        string
	MessageID string
	Subject   string
	Text      string
	To        []struct{ Address string }
	Headers   map[string][]string
}

// StartMailpit runs Mailpit on free ports and waits until it answers.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := tool(t, "mailpit", ".bin/mailpit")
	addrs := freeAddrs(t, 2)
	mp := &Mailpit{SMTP: addrs[0], API: addrs[1]}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--smtp", mp.SMTP, "--listen", mp.API, "--database", filepath.Join(t.TempDir(), "mailpit.db"), //nolint:gosec // the pinned mailpit, on the test's ports
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check", "--quiet")
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var list struct{}
		if mp.get("/api/v1/messages", &list) == nil {
			return mp
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start")
		}
	}
}

// Messages returns what Mailpit received, newest first, with headers.
func (mp *Mailpit) Messages(t testing.TB) []Mail {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	if err := mp.get("/api/v1/messages", &list); err != nil {
		t.Fatal(err)
	}
	var out []Mail
	for _, m := range list.Messages {
		var got Mail
		if err := mp.get("/api/v1/message/"+m.ID, &got); err != nil {
			t.Fatal(err)
		}
		if err := mp.get("/api/v1/message/"+m.ID+"/headers", &got.Headers); err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

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

// Swaks mails a plain message with Debian's swaks to the SMTP server at
// addr, with extra header lines ("In-Reply-To: <id>").
func Swaks(t testing.TB, addr, from, to, subject, body string, headers ...string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", host, "--port", port, "--from", from, "--to", to, "--header", "Subject: " + subject, "--body", body}
	for _, h := range headers {
		args = append(args, "--header", h)
	}
	if out, err := exec.Command(tool(t, "swaks", ""), args...).CombinedOutput(); err != nil { //nolint:gosec // swaks with the test's message
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

// FreeAddr is a free loopback address.
func FreeAddr(t testing.TB) string { return freeAddrs(t, 1)[0] }

// tool finds a program on PATH or, with inRepo, in the repository above the
// test; missing, it skips the test, or fails it under CI (whose setup
// installs it).
func tool(t testing.TB, name, inRepo string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if inRepo != "" {
		for dir, _ := os.Getwd(); ; dir = filepath.Dir(dir) {
			if p := filepath.Join(dir, inRepo); fileExists(p) {
				return p
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (.ci/setup installs it)", name)
	}
	t.Skipf("%s is not installed (make test-env installs it)", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
