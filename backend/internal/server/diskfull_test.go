package server_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestDiskFull (ABUSE-02) runs the embedded store and the local files on a
// real disk that fills: a 48 MiB tmpfs, taken up by another file until
// little is left. With the upload reserve off (so that nothing refuses
// before the disk does), an upload larger than what is left fails with a
// clear answer and leaves no partial file or row; messages are written
// until the database itself finds the disk full, and each refused one is
// ResourceExhausted, never a crash or a half-written message; reads go on.
// Once the space is back, writes succeed, the database passes its
// integrity check, and every acknowledged message is there exactly once.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		storetest.Missing(t, "mounting a tmpfs to fill needs root")
	}
	if out, err := exec.CommandContext(t.Context(), "mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir).CombinedOutput(); err != nil {
		storetest.Missing(t, "mount a tmpfs: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() }) //nolint:noctx // cleanup after the test's context ended
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := rpctest.Start(t, store.Options{DataDir: data}, func(c *config.Config) { c.DiskReserve = 0; c.Reactors = false })
	w := &world{rpctest.WorldOn(t, srv)}
	c := srv.Clients(rpcclient.Connect)
	agent := w.As("agent")
	conv := w.Conversation(w.Visitor)

	// Another file takes all but 512 KiB of the disk.
	filler := filepath.Join(dir, "filler")
	fill(t, filler, free(t, dir)-512<<10)

	// An upload of 2 MiB does not fit: refused, nothing of it kept.
	files := func() int { return storetest.Count(t, srv.DB(), "files", "") }
	before, blobs := files(), blobFiles(t, data)
	body := bytes.Repeat([]byte("a line of a long log file\n"), 2<<20/26)
	if status := upload(t, srv.URL, w.VisitorToken, conv.ID, body); status != http.StatusTooManyRequests { // resource_exhausted
		t.Fatalf("a 2 MiB upload on a full disk: status %d, want 429 (resource_exhausted: try again later)", status)
	}
	if got := files(); got != before {
		t.Fatalf("the refused upload left %d file rows", got-before)
	}
	if got := blobFiles(t, data); got != blobs {
		t.Fatalf("the refused upload left files on disk: %d, was %d", got, blobs)
	}

	// Messages until the database finds the disk full.
	var acked []string
	refused := 0
	for i := 0; refused < 3 && i < 5000; i++ {
		id := uuid.NewString()
		_, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: id,
			Body: strings.Repeat("disk ", 800)})
		switch {
		case err == nil:
			acked = append(acked, id)
		case connect.CodeOf(err) == connect.CodeResourceExhausted:
			refused++
		default:
			t.Fatalf("message %d on a full disk: %v, want OK or ResourceExhausted", i, err)
		}
	}
	if refused == 0 {
		t.Fatalf("%d messages fitted on a 512 KiB disk", len(acked))
	}
	// Reads go on.
	if _, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: conv.ID}); err != nil {
		t.Fatalf("a read on a full disk: %v", err)
	}

	// The space comes back: writes succeed, nothing was lost or doubled,
	// the database is whole.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: id, Body: "back"}); err != nil {
		t.Fatalf("a message once the disk has room: %v", err)
	}
	acked = append(acked, id)
	for _, id := range acked {
		if n := storetest.Count(t, srv.DB(), "messages", "client_id = ?", id); n != 1 {
			t.Errorf("acknowledged message %s stored %d times", id, n)
		}
	}
	var check string
	if err := srv.DB().GetContext(t.Context(), &check, `PRAGMA integrity_check`); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
	if status := upload(t, srv.URL, w.VisitorToken, conv.ID, body); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("a 2 MiB upload once the disk has room: status %d", status)
	}
	t.Logf("%d messages acknowledged, %d refused on the full disk", len(acked)-1, refused)
}

// free is the space left on dir's disk, in bytes.
func free(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize //nolint:gosec // block counts of a small tmpfs
}

// fill writes n bytes to a new file at path.
func fill(t *testing.T, path string, n int64) {
	t.Helper()
	f, err := os.Create(path) //nolint:gosec // the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := io.CopyN(f, zeros{}, n); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// blobFiles counts the regular files under dir but the database's own.
func blobFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.Contains(d.Name(), ".db") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// upload posts body as a file of the conversation and returns the status.
func upload(t *testing.T, srv, token, conversationID string, body []byte) int {
	t.Helper()
	q := url.Values{"conversation_id": {conversationID}, "client_id": {uuid.NewString()}, "name": {"a.txt"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv+"/files?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Logf("upload: %d %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}
