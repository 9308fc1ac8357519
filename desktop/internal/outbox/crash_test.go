package outbox_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// TestKilledMidFlush kills (SIGKILL) an app process at random moments while
// it writes and sends replies, then lets a fresh process finish. Every
// reply the killed process acknowledged as queued reaches the server
// exactly once, in compose order, with its client id.
func TestKilledMidFlush(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	e := setup(t, nil)
	conv := e.srv.StartConversation(t, "Kim", "Hello?").Conversation.GetId()
	dir := t.TempDir()
	acked := map[string]int{} // client id -> compose number
	next := 0
	for round := range 3 {
		child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		child.Env = append(os.Environ(), "OUTBOX_CHILD_DIR="+dir, "OUTBOX_CHILD_URL="+e.srv.URL, "OUTBOX_CHILD_TOKEN="+e.agent.Token,
			"OUTBOX_CHILD_USER="+e.id.UserID, "OUTBOX_CHILD_CONV="+conv, "OUTBOX_CHILD_FROM="+strconv.Itoa(next), "OUTBOX_CHILD_N=15")
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
		// The kill comes at a random moment after the child has started.
		var kill <-chan time.Time
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if l == "started" {
					kill = time.After(time.Duration(20+rand.IntN(300)) * time.Millisecond)
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
		_ = child.Wait()
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
	}
	for id, n := range acked {
		if !seen[id] {
			t.Errorf("acknowledged reply %d (%s) never reached the server", n, id)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no round acknowledged anything: the kill came too early every time")
	}
}

// TestCrashChild is the killed process of TestKilledMidFlush.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("OUTBOX_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestKilledMidFlush")
	}
	from, _ := strconv.Atoi(os.Getenv("OUTBOX_CHILD_FROM"))
	n, _ := strconv.Atoi(os.Getenv("OUTBOX_CHILD_N"))
	token := os.Getenv("OUTBOX_CHILD_TOKEN")
	c, err := apiclient.New(os.Getenv("OUTBOX_CHILD_URL"), apiclient.Options{Token: func() string { return token }})
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
		it, err := o.Enqueue(outbox.Draft{Identity: id, ConversationID: os.Getenv("OUTBOX_CHILD_CONV"), Kind: outbox.Reply, Body: fmt.Sprintf("reply %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("queued %d %s\n", i, it.ClientID) // the app would now show "queued"
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
}
