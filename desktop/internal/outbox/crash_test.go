package outbox_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// TestKilledMidFlush kills (SIGKILL) an app process while it writes and
// sends replies, every third with a 256 KiB file: at a random moment, in
// the middle of an upload, and just after the server stored an upload. A
// fresh process then finishes. Every reply the killed processes
// acknowledged as queued reaches the server exactly once, in compose order,
// with its client id; each file arrives with its reply, byte for byte, and
// the server keeps no second copy of any.
func TestKilledMidFlush(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	e := setup(t, nil)
	conv := e.srv.StartConversation(t, "Kim", "Hello?").Conversation.GetId()
	base := t.TempDir()
	dir := filepath.Join(base, "outbox")
	seed := rand.Uint64()
	t.Logf("attachment seed %d", seed)
	before := storedFiles(t, e)
	acked := map[string]int{} // client id -> compose number
	next := 0
	// Where each round's child stops in its first file upload to be
	// killed there: "" kills at a random moment instead; "body" half way
	// through sending the file (the server gets a cut-off upload);
	// "answer" once the server has stored the file and answered, before
	// the app learns the file's id (the retry must not store it again).
	for round, stall := range []string{"", "body", "answer"} {
		child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		child.Env = append(os.Environ(), "OUTBOX_CHILD_DIR="+dir, "OUTBOX_CHILD_URL="+e.srv.URL, "OUTBOX_CHILD_TOKEN="+e.agent.Token,
			"OUTBOX_CHILD_USER="+e.id.UserID, "OUTBOX_CHILD_CONV="+conv, "OUTBOX_CHILD_FROM="+strconv.Itoa(next), "OUTBOX_CHILD_N=15",
			"OUTBOX_CHILD_PICKED="+filepath.Join(base, "picked"), "OUTBOX_CHILD_SEED="+strconv.FormatUint(seed, 10),
			"OUTBOX_CHILD_STALL="+stall)
		stalled := runChild(t, child, stall == "", acked)
		if stall != "" && !stalled {
			t.Errorf("round %d: the child never reached the stop in an upload (%s)", round, stall)
		}
		next += 15
		t.Logf("round %d: %d replies acknowledged so far", round, len(acked))
	}

	// The next start of the app sends what is left.
	o, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	e.runUntil(t, o, o.Via(e.client))

	seen := map[string]bool{}
	sent := map[string]bool{} // file ids the messages name
	last := -1
	for _, m := range e.texts(t, conv) {
		if seen[m.GetClientId()] {
			t.Fatalf("client id %s stored twice", m.GetClientId())
		}
		seen[m.GetClientId()] = true
		n, err := strconv.Atoi(strings.TrimPrefix(m.GetBody(), "reply "))
		if err != nil {
			t.Fatalf("unexpected message %q", m.GetBody())
		}
		if n <= last {
			t.Fatalf("reply %d arrived after reply %d: compose order broken", n, last)
		}
		last = n
		checkAttachment(t, e, m, n, seed, sent)
	}
	for id, n := range acked {
		if !seen[id] {
			t.Errorf("acknowledged reply %d (%s) never reached the server", n, id)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no round acknowledged anything: the kill came too early every time")
	}
	checkNoStrayFiles(t, e, before, sent, dir)
}

// runChild reads the child's lines until it exits, noting the replies it
// acknowledged, and kills it: at a random moment after it started when
// random is set, else as it says it stopped in an upload (which it
// reports).
func runChild(t *testing.T, child *exec.Cmd, random bool, acked map[string]int) (stalled bool) {
	t.Helper()
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var kill <-chan time.Time
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = child.Wait()
				return stalled
			}
			switch {
			case l == "started" && random:
				kill = time.After(time.Duration(20+rand.IntN(300)) * time.Millisecond)
			case l == "stalled":
				stalled = true
				_ = child.Process.Kill()
			}
			var id string
			var n int
			if _, err := fmt.Sscanf(l, "queued %d %s", &n, &id); err == nil {
				acked[id] = n
			}
		case <-kill:
			_ = child.Process.Kill()
			kill = nil
		}
	}
}

// checkAttachment checks that reply n carries its file, if it has one,
// with the content the child queued, and that no other message names the
// same file.
func checkAttachment(t *testing.T, e *env, m *tandemv1.Message, n int, seed uint64, sent map[string]bool) {
	t.Helper()
	as := m.GetAttachments()
	if !hasFile(n) {
		if len(as) != 0 {
			t.Fatalf("reply %d carries files %v, it had none", n, as)
		}
		return
	}
	if len(as) != 1 {
		t.Fatalf("reply %d carries %d files, want 1", n, len(as))
	}
	a := as[0]
	if sent[a.GetId()] {
		t.Fatalf("file %s of reply %d is also another message's", a.GetId(), n)
	}
	sent[a.GetId()] = true
	b, _, err := e.client.ReadFile(context.Background(), a.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sha256.Sum256(b), sha256.Sum256(attachment(seed, n)); got != want || a.GetName() != fileName(n) {
		t.Fatalf("reply %d: file %q of %d bytes, sha256 %x; want %q, %d bytes, sha256 %x",
			n, a.GetName(), len(b), got, fileName(n), len(attachment(seed, n)), want)
	}
}

// checkNoStrayFiles checks that the server stored exactly the files the
// messages name (an upload retried under a new client id, or not answered
// with the first copy, would leave a second one), and that the outbox
// removed its copies once their replies were delivered.
func checkNoStrayFiles(t *testing.T, e *env, before, sent map[string]bool, dir string) {
	t.Helper()
	stored := storedFiles(t, e)
	for id := range sent {
		if !stored[id] {
			t.Fatalf("file %s is not in the server's store: the test looks for files in the wrong place", id)
		}
	}
	for id := range stored {
		if !before[id] && !sent[id] {
			t.Errorf("the server stored file %s, which no message names: an upload was stored twice", id)
		}
	}
	left, _ := os.ReadDir(filepath.Join(dir, "files"))
	if len(left) != 0 {
		t.Errorf("the outbox kept %d file copies after delivering everything", len(left))
	}
}

// storedFiles returns the ids of the workspace's files in the server's
// blob store (by default the directory "files" in its data directory, one
// object per file named by its id, with a sidecar of attributes).
func storedFiles(t *testing.T, e *env) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.srv.DataDir, "files", "ws", e.srv.WorkspaceID))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, en := range entries {
		if !strings.HasSuffix(en.Name(), ".attrs") {
			ids[en.Name()] = true
		}
	}
	return ids
}

// hasFile says which replies carry a file: every third.
func hasFile(n int) bool { return n%3 == 2 }

func fileName(n int) string { return fmt.Sprintf("reply %d.pdf", n) }

// attachment is reply n's file: 256 KiB, a PDF header (the server takes
// only types it knows) then random bytes, the same from the same seed in
// the child that queues it and in the test that checks it.
func attachment(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	binary.LittleEndian.PutUint64(key[8:], uint64(n))
	b := make([]byte, 256<<10)
	k := copy(b, "%PDF-1.4\n")
	_, _ = rand.NewChaCha8(key).Read(b[k:])
	return b
}

// TestCrashChild is the killed process of TestKilledMidFlush. Like the
// app, it writes each file the agent picked beside the outbox, then queues
// the reply that carries it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("OUTBOX_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestKilledMidFlush")
	}
	from, _ := strconv.Atoi(os.Getenv("OUTBOX_CHILD_FROM"))
	n, _ := strconv.Atoi(os.Getenv("OUTBOX_CHILD_N"))
	seed, _ := strconv.ParseUint(os.Getenv("OUTBOX_CHILD_SEED"), 10, 64)
	picked := os.Getenv("OUTBOX_CHILD_PICKED")
	if err := os.MkdirAll(picked, 0o700); err != nil {
		t.Fatal(err)
	}
	token := os.Getenv("OUTBOX_CHILD_TOKEN")
	c, err := apiclient.New(os.Getenv("OUTBOX_CHILD_URL"), apiclient.Options{Token: func() string { return token },
		Transport: &staller{at: os.Getenv("OUTBOX_CHILD_STALL"), next: http.DefaultTransport}})
	if err != nil {
		t.Fatal(err)
	}
	id := outbox.Identity{Server: c.BaseURL(), UserID: os.Getenv("OUTBOX_CHILD_USER")}
	o, err := outbox.Open(dir, outbox.Options{})
	for err != nil { // the killed predecessor's lock goes with its process
		time.Sleep(10 * time.Millisecond)
		o, err = outbox.Open(dir, outbox.Options{})
	}
	go func() { _ = o.Run(context.Background(), id, o.Via(c), fast) }()
	fmt.Println("started")
	for i := from; i < from+n; i++ {
		d := outbox.Draft{Identity: id, ConversationID: os.Getenv("OUTBOX_CHILD_CONV"), Kind: outbox.Reply, Body: fmt.Sprintf("reply %d", i)}
		if hasFile(i) {
			src := filepath.Join(picked, fileName(i))
			if err := os.WriteFile(src, attachment(seed, i), 0o600); err != nil {
				t.Fatal(err)
			}
			d.Files = []outbox.File{{Source: src}}
		}
		it, err := o.Enqueue(d)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("queued %d %s\n", i, it.ClientID) // the app would now show "queued"
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
}

// staller stops the child's first file upload where at says ("body":
// half the file sent; "answer": the server's answer received, not yet
// read), prints "stalled" and waits there for the kill.
type staller struct {
	at      string
	next    http.RoundTripper
	stopped bool // only the process's one uploading goroutine reads it
}

func (s *staller) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.at == "" || s.stopped || r.Method != http.MethodPost || r.URL.Path != "/files" {
		return s.next.RoundTrip(r)
	}
	s.stopped = true
	if s.at == "body" {
		r = r.Clone(r.Context())
		r.Body = &stallingBody{r: r.Body, after: 128 << 10}
	}
	res, err := s.next.RoundTrip(r)
	if err == nil && s.at == "answer" {
		stallForever()
	}
	return res, err
}

// stallingBody passes on the first bytes of an upload, then stalls.
type stallingBody struct {
	r     io.ReadCloser
	after int
	read  int
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.read >= b.after {
		stallForever()
	}
	n, err := b.r.Read(p[:min(len(p), b.after-b.read)])
	b.read += n
	return n, err
}

func (b *stallingBody) Close() error { return b.r.Close() }

func stallForever() {
	fmt.Println("stalled")
	select {}
}
