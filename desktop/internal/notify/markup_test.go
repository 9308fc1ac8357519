package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tandem-inbox/tandem/desktop/internal/dbustest"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
)

// TestMarkup: a body escaped for a markup-reading server carries no tag or
// entity of its own, and reads as the same text.
func TestMarkup(t *testing.T) {
	for in, want := range map[string]string{
		`plain words`:                          `plain words`,
		`<a href="https://evil.example">x</a>`: `&lt;a href="https://evil.example"&gt;x&lt;/a&gt;`,
		`<img src=http://evil.example/p.png>`:  `&lt;img src=http://evil.example/p.png&gt;`,
		`Tom & Jerry &amp; co <b>`:             `Tom &amp; Jerry &amp;amp; co &lt;b&gt;`,
	} {
		if got := notify.Markup(in); got != want {
			t.Errorf("Markup(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBodyMarkup asks the session's notification server, on a private
// bus, whether it reads markup in bodies: no server, a basic one and one
// that says "body-markup" (as GNOME Shell and KDE Plasma do). Then a
// customer's message with markup, escaped as the app escapes it for such a
// server, reaches the server as text that shows the customer's words.
func TestBodyMarkup(t *testing.T) {
	bus := dbustest.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	ctx := context.Background()
	if notify.BodyMarkup(ctx) {
		t.Error("BodyMarkup is true with no notification server on the bus")
	}
	s := dbustest.Serve(t, bus)
	if notify.BodyMarkup(ctx) {
		t.Error("BodyMarkup is true for a server that does not read markup")
	}
	s.Advertise("actions", "body", "body-markup", "body-hyperlinks", "body-images")
	if !notify.BodyMarkup(ctx) {
		t.Fatal("BodyMarkup is false for a server that reads markup")
	}

	words := `Click <a href="https://evil.example">here</a> <img src="https://evil.example/t.png"> & win`
	c, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").Call("org.freedesktop.Notifications.Notify", 0,
		"tandem", uint32(0), "", "New message", notify.Markup(words), []string{}, map[string]dbus.Variant{}, int32(-1)).Err; err != nil {
		t.Fatal(err)
	}
	n := s.Wait(t, 5*time.Second, func(n dbustest.Notification) bool { return n.Summary == "New message" })
	if want := `Click &lt;a href="https://evil.example"&gt;here&lt;/a&gt; &lt;img src="https://evil.example/t.png"&gt; &amp; win`; n.Body != want {
		t.Errorf("the server got the body %q, want %q", n.Body, want)
	}
}
