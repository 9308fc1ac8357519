//go:build !linux

package server

import (
	"net"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not offered: a
// half-open HTTP/1.1 stream is then found when TCP gives up.
func setUserTimeout(*net.TCPConn, time.Duration) {}
