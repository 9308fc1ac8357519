//go:build windowtest

package windowtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/dbustest"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// uiTimeout bounds each step the window takes. A WebKit window on a busy
// two-core machine can take many seconds per keystroke; the steps are
// checked on the server, so a slow machine only makes the test slower.
const uiTimeout = 3 * time.Minute

// TestWindow is the agent's path through the real app: sign in, find a
// conversation the AI agent handed to the team, take it over, reply, and be
// notified (natively, over D-Bus) when the AI agent escalates another one,
// then open it from the notification. Everything the app does is
// checked on the server; screenshots of each step are saved.
func TestWindow(t *testing.T) {
	bin := os.Getenv("TANDEM_DESKTOP_BIN")
	if bin == "" {
		t.Fatal("TANDEM_DESKTOP_BIN must name the built app (make -C desktop test-window builds it)")
	}
	artifacts := os.Getenv("TANDEM_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	srv := tandemtest.Start(t, nil)
	bus := dbustest.StartBus(t)
	notifications := dbustest.Serve(t, bus)
	display := startXvfb(t)
	x := x{t: t, display: display}

	// What the app does is watched as the agent, from a session of our own.
	agent := srv.Login(t, tandemtest.AgentEmail)
	owner := srv.Login(t, tandemtest.OwnerEmail)
	ctx := context.Background()
	if _, err := agent.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: srv.WorkspaceID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE}); err != nil {
		t.Fatal(err)
	}
	seen := watch(t, agent, srv.WorkspaceID)

	token := strings.ToUpper(uuid.NewString()[:8])
	handedOff := srv.StartConversation(t, "Wendy Window", "Hello, order "+token+" arrived broken.")
	handedOff.HandOff(t) // "Talk to a person": the AI agent hands it to the queue
	convID := handedOff.Conversation.GetId()

	app := launch(t, bin, display, bus, artifacts)
	win := x.window("Tandem", uiTimeout)
	t.Logf("window %s on %s", win, display)
	x.signIn(t, win, artifacts, srv.URL)
	waitFor(t, "the app to sign in (agent online)", uiTimeout, func() bool { return online(ctx, srv, owner, agent) })
	if _, err := os.Stat(filepath.Join(app.dir, "tokens.json")); err != nil {
		t.Errorf("no session token kept in the file fallback (no keychain on this bus): %v", err)
	}
	time.Sleep(2 * time.Second)
	x.keys(win, "g", "p") // the Pending view: the queue, with the new conversation
	time.Sleep(time.Second)
	x.screenshot(filepath.Join(artifacts, "inbox.png"))

	// Find it by searching for its order number, which opens the first hit.
	x.keys(win, "slash")
	x.typeText(win, token)
	x.keys(win, "Return")
	seen.wait(t, "the app to open the conversation (read marker)", func(ev *tandemv1.Event) bool {
		return ev.GetType() == "conversation.read" && ev.GetConversationId() == convID
	})
	time.Sleep(time.Second)
	x.screenshot(filepath.Join(artifacts, "conversation-opened.png"))

	// Take it over (t), write a reply (r), send it (Ctrl+Enter).
	x.keys(win, "t")
	seen.wait(t, "the take-over", func(ev *tandemv1.Event) bool {
		return ev.GetType() == "conversation.assigned" && ev.GetConversationId() == convID &&
			ev.GetConversation().GetAssigneeUserId() == agent.User.GetId() && ev.GetData()["how"] == "takeover"
	})
	reply := "Hello Wendy, I'm Alex. Sorry about order " + token + ": a replacement ships today."
	x.keys(win, "r")
	x.typeText(win, reply)
	x.keys(win, "ctrl+Return")
	waitFor(t, "the customer to receive the reply", uiTimeout, func() bool {
		for _, m := range handedOff.Messages(t) {
			if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_AGENT && m.GetBody() == reply {
				return true
			}
		}
		return false
	})
	time.Sleep(1500 * time.Millisecond)
	x.screenshot(filepath.Join(artifacts, "conversation.png"))

	// Issue 15 (items 7, 8, 11): the same conversation at 1280x800 and at a
	// phone's 390x844 (the window's minimum width is 360): the action bar
	// keeps one row ("More" holds the rest), the presence chip counts the
	// chat just taken over, the customer is named and previewed by their
	// own words. Then the Pending view at phone size, and back.
	x.resize(win, 1280, 800)
	x.screenshot(filepath.Join(artifacts, "conversation-1280x800.png"))
	x.resize(win, 390, 844)
	x.screenshot(filepath.Join(artifacts, "conversation-390x844.png"))
	x.keys(win, "Escape", "g", "p")
	time.Sleep(time.Second)
	x.resize(win, 1280, 800)
	x.keys(win, "g", "p")
	time.Sleep(time.Second)
	x.screenshot(filepath.Join(artifacts, "pending-1280x800.png"))

	// Another customer asks for a person: the AI agent escalates the
	// conversation, and the server's notification becomes a native one on
	// the session bus.
	escalated := srv.StartConversation(t, "Eddie Escalated", "My package is lost.")
	escalated.HandOff(t)
	n := notifications.Wait(t, uiTimeout, func(n dbustest.Notification) bool {
		return n.Summary == "A customer needs a person" && strings.Contains(fmt.Sprint(n.Hints["x-user-data"].Value()), escalated.Conversation.GetId())
	})
	if n.Body != "The customer asked for a person." {
		t.Errorf("notification body %q", n.Body)
	}
	t.Logf("notifications on the bus: %d", len(notifications.All()))

	// Clicking it opens that conversation in the app. Wails files a
	// notification's id only once the reply to its Notify call reaches it,
	// and drops a click on an id it has not filed: a click at the instant
	// the notification appears on the bus, faster than any person, can be
	// lost. So the test clicks again while the app has not reacted; once it
	// has, Wails forgets the id and ignores any later click.
	opened := func(ev *tandemv1.Event) bool {
		return ev.GetType() == "conversation.read" && ev.GetConversationId() == escalated.Conversation.GetId()
	}
	waitFor(t, "the app to open the escalated conversation", uiTimeout, func() bool {
		notifications.Click(t, n.ID)
		return seen.within(5*time.Second, opened)
	})
	time.Sleep(time.Second)
	x.screenshot(filepath.Join(artifacts, "notification-opened.png"))
	app.stop(t)
}

// running is the app process.
type running struct {
	cmd  *exec.Cmd
	dir  string
	done chan error
}

func launch(t *testing.T, bin, display, bus, artifacts string) *running {
	t.Helper()
	home := t.TempDir()
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		t.Fatal(err)
	}
	r := &running{dir: filepath.Join(home, "app"), done: make(chan error, 1)}
	log, err := os.Create(filepath.Join(artifacts, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_RUNTIME_DIR=" + run, "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"TANDEM_DESKTOP_DIR=" + r.dir, "TANDEM_DESKTOP_DEBUG=1",
		"GDK_BACKEND=x11", "NO_AT_BRIDGE=1", "WEBKIT_DISABLE_COMPOSITING_MODE=1", "LIBGL_ALWAYS_SOFTWARE=1",
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd = cmd
	go func() { r.done <- cmd.Wait(); _ = log.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
		r.done <- nil
	})
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(10 * time.Second):
		t.Log("app did not exit on SIGTERM within 10s")
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// events collects a Watch stream's events.
type events struct {
	mu  sync.Mutex
	got []*tandemv1.Event
}

func watch(t *testing.T, a *tandemtest.Agent, workspaceID string) *events {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := a.Conversations.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: workspaceID})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	e := &events{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for stream.Receive() {
			if ev := stream.Msg().GetEvent(); ev != nil {
				e.mu.Lock()
				e.got = append(e.got, ev)
				e.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return e
}

func (e *events) wait(t *testing.T, what string, match func(*tandemv1.Event) bool) {
	t.Helper()
	waitFor(t, what, uiTimeout, func() bool { return e.seen(match) })
}

// within reports whether an event matching arrives within d.
func (e *events) within(d time.Duration, match func(*tandemv1.Event) bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if e.seen(match) {
			return true
		}
	}
	return e.seen(match)
}

func (e *events) seen(match func(*tandemv1.Event) bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.got {
		if match(ev) {
			return true
		}
	}
	return false
}

// signIn waits for the app's page in the window, then signs the agent in
// through its form: server, email, password, Enter.
func (x x) signIn(t *testing.T, win, artifacts, serverURL string) {
	t.Helper()
	waitFor(t, "the page to load", uiTimeout, func() bool {
		b, _ := os.ReadFile(filepath.Join(artifacts, "app.log"))
		return strings.Contains(string(b), `msg="page loaded"`)
	})
	time.Sleep(time.Second) // the sign-in form focuses its first field
	x.keys(win, "ctrl+a")
	x.typeText(win, serverURL)
	x.keys(win, "Tab")
	x.typeText(win, tandemtest.AgentEmail)
	x.keys(win, "Tab")
	x.typeText(win, tandemtest.Password)
	x.keys(win, "Return")
}

// online says whether the owner sees the agent online in the workspace
// (the app, signed in, says so).
func online(ctx context.Context, srv *tandemtest.Server, owner, agent *tandemtest.Agent) bool {
	res, err := owner.Presence.ListAgents(ctx, &tandemv1.ListAgentsRequest{WorkspaceId: srv.WorkspaceID})
	if err != nil {
		return false
	}
	for _, a := range res.GetAgents() {
		if a.GetUserId() == agent.User.GetId() {
			return a.GetStatus() == tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE
		}
	}
	return false
}
