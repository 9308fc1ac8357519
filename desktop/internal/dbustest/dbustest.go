// Package dbustest gives tests a private D-Bus session bus (a dbus-daemon
// process) and a notification server on it that records every Notify call
// and can "click" a notification, as a desktop's notification daemon would.
package dbustest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%DIR%</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// StartBus runs a session bus with no activatable services (so no keyring
// or notification daemon appears by itself) until the test ends, and
// returns its address for DBUS_SESSION_BUS_ADDRESS.
func StartBus(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dbus-daemon is not installed (CI installs it)")
		}
		t.Skip("dbus-daemon is not installed (apt install dbus-daemon)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "session.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(busConfig, "%DIR%", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not start")
		return ""
	}
}

// Notification is one Notify call.
type Notification struct {
	ID      uint32
	App     string
	Summary string
	Body    string
	Actions []string
	Hints   map[string]dbus.Variant
}

// Server is a fake org.freedesktop.Notifications.
type Server struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  []Notification
	next uint32
	caps []string // nil: the default
}

const (
	name  = "org.freedesktop.Notifications"
	path  = dbus.ObjectPath("/org/freedesktop/Notifications")
	iface = "org.freedesktop.Notifications"
)

// Serve owns org.freedesktop.Notifications on the bus at addr.
func Serve(t testing.TB, addr string) *Server {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	s := &Server{conn: conn}
	if err := conn.Export(methods{s}, path, iface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v (reply %v)", name, err, reply)
	}
	return s
}

// methods are the D-Bus methods of the server (exported for godbus only).
type methods struct{ s *Server }

// Notify records a notification and returns its id.
func (m methods) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	m.s.next++
	m.s.got = append(m.s.got, Notification{ID: m.s.next, App: app, Summary: summary, Body: body, Actions: actions, Hints: hints})
	return m.s.next, nil
}

// CloseNotification accepts any id.
func (m methods) CloseNotification(id uint32) *dbus.Error { return nil }

// GetCapabilities says what the server supports: a basic daemon's
// ("actions", "body") unless Advertise said otherwise.
func (m methods) GetCapabilities() ([]string, *dbus.Error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	if m.s.caps == nil {
		return []string{"actions", "body"}, nil
	}
	return m.s.caps, nil
}

// Advertise sets the capabilities the server reports ("body-markup", as
// GNOME Shell and KDE Plasma do, say).
func (s *Server) Advertise(caps ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caps = caps
}

// GetServerInformation names the fake.
func (m methods) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "tandem-test", "tandem", "1", "1.2", nil
}

// All returns the notifications so far.
func (s *Server) All() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.got...)
}

// Wait returns the first notification match accepts, failing the test
// after timeout.
func (s *Server) Wait(t testing.TB, timeout time.Duration, match func(Notification) bool) Notification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, n := range s.All() {
			if match(n) {
				return n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no matching notification within %v; got %+v", timeout, s.All())
	return Notification{}
}

// Click emits ActionInvoked for the notification's default action, as a
// daemon does when the person clicks it.
func (s *Server) Click(t testing.TB, id uint32) {
	t.Helper()
	if err := s.conn.Emit(path, iface+".ActionInvoked", id, "default"); err != nil {
		t.Fatal(err)
	}
}
