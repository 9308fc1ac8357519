package faulttest

import (
	"bytes"
	"sync/atomic"
	"testing"
)

// TestProxyCountsCommands: the proxy counts the packets that open a MySQL
// command (sequence id 0), however the byte stream is cut into reads, and
// not the continuation packets of a handshake or a long payload.
func TestProxyCountsCommands(t *testing.T) {
	t.Parallel()
	packet := func(seq byte, payload []byte) []byte {
		n := len(payload)
		return append([]byte{byte(n & 0xff), byte(n >> 8 & 0xff), byte(n >> 16 & 0xff), seq}, payload...)
	}
	var stream []byte
	stream = append(stream, packet(1, bytes.Repeat([]byte{'h'}, 60))...) // handshake response
	stream = append(stream, packet(0, []byte("\x03SELECT 1"))...)
	stream = append(stream, packet(0, append([]byte{0x16}, bytes.Repeat([]byte{'q'}, 70000)...))...) // prepare, 3-byte length
	stream = append(stream, packet(1, []byte("more"))...)
	stream = append(stream, packet(0, []byte{0x0e})...) // ping
	stream = append(stream, packet(0, nil)...)          // an empty packet
	for _, size := range []int{1, 3, 4, 5, 7, 1000, len(stream)} {
		var n atomic.Int64
		c := &commandCounter{n: &n}
		for rest := stream; len(rest) > 0; {
			k := min(size, len(rest))
			c.scan(rest[:k])
			rest = rest[k:]
		}
		if n.Load() != 4 {
			t.Errorf("reads of %d bytes: %d commands counted, want 4", size, n.Load())
		}
	}
}
