package server

import (
	"net"
	"time"
)

// userTimeoutListener sets each accepted connection's user timeout: how
// long data the server sent may go unacknowledged, or wait on a client's
// full receive window, before the kernel ends the connection. A stream
// over HTTP/1.1 has no ping, and its client sends nothing once it has
// asked, so a client gone without a reset (a phone off the network, a NAT
// that forgot it) is found only when the heartbeats the server writes go
// unacknowledged: with this, within a heartbeat and the timeout; without
// it, when TCP gives up many minutes later. HTTP/2 connections get it too,
// beside their pings.
type userTimeoutListener struct {
	net.Listener
	timeout time.Duration
}

// userTimeout is the user timeout of a server whose streams send a
// heartbeat that often and cut a reader that blocks a send for the send
// timeout (aborting it at three): longer than those three, so that a live
// client that stopped reading (its window full, which the kernel times out
// too) is cut by its stream, resumably, not reset by the kernel; and never
// under halfOpenAfter, so that a slow network keeps a healthy connection.
func userTimeout(heartbeat, sendTimeout time.Duration) time.Duration {
	return halfOpenAfter(heartbeat) + 3*max(sendTimeout, 0)
}

func (l userTimeoutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		setUserTimeout(tc, l.timeout)
	}
	return c, nil
}
