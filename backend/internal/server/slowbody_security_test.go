package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// trickle sends a request whose body comes one byte at a time, every
// 500 ms, over a raw TCP connection, and returns how long the server took
// to end the connection (or 0 if it was still open after 20 s).
func trickle(t *testing.T, srvURL, path, contentType string) time.Duration {
	t.Helper()
	conn, err := new(net.Dialer).DialContext(t.Context(), "tcp", strings.TrimPrefix(srvURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: tandem.test\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\n",
		path, contentType); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
			if _, err := conn.Write([]byte("{")); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		return 0
	}
	return time.Since(start)
}

// TestSecuritySlowBodyCutOff: a client trickling a request body (the probe
// sent a byte every 5 s and was still connected after 75 s) is cut off
// once the body's deadline passes, on unary calls and on uploads, while
// streams, whose requests stay open, keep working past it.
func TestSecuritySlowBodyCutOff(t *testing.T) {
	t.Parallel()
	defaults, err := config.Load(t.Context(), nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if defaults.BodyTimeout <= 0 || defaults.BodyTimeout > time.Minute {
		t.Errorf("default body timeout %v", defaults.BodyTimeout)
	}
	// The transport is the same on either database: SQLite only.
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) {
		c.BodyTimeout = 300 * time.Millisecond // unary calls 300 ms, 10 MiB uploads 3 s
		c.Heartbeat = 400 * time.Millisecond
	})
	w := worldOn(t, srv)
	for _, tc := range []struct {
		path, contentType string
		within            time.Duration
	}{
		{"/tandem.v1.WidgetService/StartSession", "application/json", 5 * time.Second},
		{"/tandem.v1.AuthService/Login", "application/proto", 5 * time.Second},
		{"/files?conversation_id=x", "text/plain", 10 * time.Second},
	} {
		took := trickle(t, srv.URL, tc.path, tc.contentType)
		if took == 0 || took > tc.within {
			t.Errorf("%s: a trickled body held the connection %v (0: still open after 20 s), want it cut within %v",
				tc.path, took, tc.within)
		}
	}

	// Streams outlive the body deadline many times over, on HTTP/1.1 and HTTP/2.
	conv := w.Conversation(w.Visitor)
	for _, p := range []rpcclient.Protocol{rpcclient.Connect, rpcclient.GRPC} {
		ctx, cancel := context.WithTimeout(rpcclient.WithToken(w.Ctx, w.VisitorToken), 10*time.Second)
		stream, err := srv.Clients(p).Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		start, beats := time.Now(), 0
		for beats < 5 && stream.Receive() {
			if stream.Msg().GetHeartbeat() {
				beats++
			}
		}
		if beats < 5 || time.Since(start) < time.Second {
			t.Errorf("%s: the stream ended after %d heartbeats in %v: %v", p, beats, time.Since(start), stream.Err())
		}
		_ = stream.Close()
		cancel()
	}
	// And unary calls that send their body promptly are served.
	if _, err := srv.Clients(rpcclient.Connect).Widget.ListMyConversations(rpcclient.WithToken(w.Ctx, w.VisitorToken),
		&tandemv1.ListMyConversationsRequest{}); err != nil {
		t.Errorf("a prompt unary call: %v", err)
	}
}
