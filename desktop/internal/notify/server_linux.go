package notify

import (
	"context"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"
)

// BodyMarkup reports whether the session's notification server reads
// markup in a notification's body (GNOME Shell and KDE Plasma do), so that
// bodies must be escaped (Markup). It asks the server; no bus, no server or
// no answer within a second is no, and the body then goes as it is.
func BodyMarkup(ctx context.Context) bool {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var caps []string
	call := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").
		CallWithContext(ctx, "org.freedesktop.Notifications.GetCapabilities", 0)
	if call.Store(&caps) != nil {
		return false
	}
	return slices.Contains(caps, "body-markup")
}
