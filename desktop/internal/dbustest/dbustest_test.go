package dbustest

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestNotifyAndClick calls the server as Wails' Linux notifier does
// (org.freedesktop.Notifications.Notify) and sees the click signal.
func TestNotifyAndClick(t *testing.T) {
	addr := StartBus(t)
	s := Serve(t, addr)
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AddMatchSignal(dbus.WithMatchInterface(iface), dbus.WithMatchMember("ActionInvoked")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 1)
	c.Signal(signals)
	var id uint32
	call := c.Object(name, path).Call(iface+".Notify", 0, "tandem", uint32(0), "", "Title", "Body", []string{"default", "Default"},
		map[string]dbus.Variant{"x-user-data": dbus.MakeVariant(`{"conversation_id":"c1"}`)}, int32(-1))
	if err := call.Store(&id); err != nil {
		t.Fatal(err)
	}
	n := s.Wait(t, time.Second, func(n Notification) bool { return n.Summary == "Title" })
	if n.ID != id || n.Body != "Body" || n.Hints["x-user-data"].Value() != `{"conversation_id":"c1"}` {
		t.Fatalf("recorded %+v", n)
	}
	s.Click(t, id)
	select {
	case sig := <-signals:
		if sig.Body[0] != id || sig.Body[1] != "default" {
			t.Fatalf("signal %v", sig.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ActionInvoked signal")
	}
}
