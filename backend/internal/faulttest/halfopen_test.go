package faulttest_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// TestHalfOpenStreamsFound (STR-01): a stream whose client is gone
// without a reset (a phone off the network, a NAT that forgot the
// connection; here a proxy that holds every byte) is found by the server
// and ended, its resources given back, within about two heartbeats (the
// HTTP/2 ping after 5 s of silence, unanswered for 5 s), not when TCP
// gives up many minutes later. Healthy streams, whose clients answer the
// pings, stay open meanwhile.
func TestHalfOpenStreamsFound(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	c := startCluster(t, "", 1, map[string]string{"TANDEM_HEARTBEAT": "2s"})
	r := c.replicas[0]
	proxy, err := faulttest.StartProxy(t.Context(), r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	active := func() float64 { return streamsOpen(t, r) }
	watch := func(url string) <-chan error {
		ended := make(chan error, 1)
		ctx, cancel := context.WithCancel(rpcclient.WithToken(t.Context(), c.owner.Token))
		t.Cleanup(cancel)
		go func() {
			stream, err := rpcclient.New(url, rpcclient.GRPC).Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: c.ws.ID})
			if err == nil {
				for stream.Receive() { //nolint:revive // heartbeats only: read until the stream ends
				}
				err = stream.Err()
			}
			ended <- err
		}()
		return ended
	}
	healthy := watch(r.URL)
	cutOff := watch("http://" + proxy.Addr())
	waitFor(t, 10*time.Second, "both streams open", func() bool { return active() == 2 })

	// Twelve seconds of silence from both clients: pings are sent and
	// answered, nothing ends.
	time.Sleep(12 * time.Second)
	if n := active(); n != 2 {
		t.Fatalf("%v streams open after 12 s of healthy silence, want 2: pings ended a live connection", n)
	}
	proxy.Blackhole()
	gone := time.Now()
	waitFor(t, 25*time.Second, "the half-open stream ended by the server", func() bool { return active() == 1 })
	took := time.Since(gone)
	t.Logf("the half-open stream ended %v after its client went silent", took.Round(100*time.Millisecond))
	if took > 15*time.Second {
		t.Errorf("the half-open stream held %v, want within about two heartbeats of the ping (10 s)", took)
	}
	select {
	case err := <-healthy:
		t.Errorf("the healthy stream ended: %v", err)
	default:
	}
	proxy.Cut()
	if err := <-cutOff; err == nil {
		t.Error("the cut-off client's stream ended without an error")
	}
}

// streamsOpen is how many streams the replica holds open.
func streamsOpen(t *testing.T, r *fleet.Tandemd) float64 {
	t.Helper()
	v, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_rpc_streams_active")
	if err != nil && strings.Contains(err.Error(), "not exported") {
		return 0 // before the first stream
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitFor polls ok until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHalfOpenHTTP1StreamsFound (STR-01): a stream over HTTP/1.1, which
// has no ping, whose client is gone without a reset is found by the
// server within about two heartbeats too: its client runs on a host of its
// own (a network namespace) whose cable the test pulls, so the heartbeats
// the server writes go unacknowledged, and the connection's user timeout
// (TCP_USER_TIMEOUT: the 5 s of halfOpenAfter plus three 1 s send
// timeouts here) ends it, not TCP giving up many minutes later. A healthy HTTP/1.1 stream beside it, whose heartbeats are
// acknowledged, stays open through the same silence.
func TestHalfOpenHTTP1StreamsFound(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	h := newHost(t)
	c := startClusterAt(t, "", []string{h.freeAddr()}, map[string]string{"TANDEM_HEARTBEAT": "2s", "TANDEM_STREAM_SEND_TIMEOUT": "1s"})
	r := c.replicas[0]
	active := func() float64 { return streamsOpen(t, r) }

	// The client on the other host: curl, over HTTP/1.1, asking for the
	// workspace's stream in Connect's JSON envelope.
	req, err := json.Marshal(map[string]string{"workspaceId": c.ws.ID})
	if err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(t.TempDir(), "watch")
	envelope := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(len(req))), req...) //nolint:gosec // a few bytes of JSON
	if err := os.WriteFile(body, envelope, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	curl := h.command(ctx, "curl", "-sSN", "--http1.1", "-X", "POST", "-H", "Content-Type: application/connect+json",
		"-H", "Connect-Protocol-Version: 1", "-H", "Authorization: Bearer "+c.owner.Token, "--data-binary", "@"+body,
		r.URL+"/tandem.v1.ConversationService/Watch")
	out, err := curl.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	curl.Stderr = &stderr
	if err := curl.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel() // curl waits on a connection that will never end
		_ = curl.Wait()
	}()
	first := make([]byte, 5)
	if _, err := io.ReadFull(out, first); err != nil {
		t.Fatalf("the other host's stream sent nothing: %v (%s)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	healthy := rpcclient.OpenStream(t.Context(), tandemv1connect.NewConversationServiceClient(smallBufferClient(), r.URL,
		rpcclient.ClientOptions(rpcclient.Connect)...), c.owner.Token, c.ws.ID, "", nil)
	defer healthy.Close()
	<-healthy.Ready()
	waitFor(t, 10*time.Second, "both streams open", func() bool { return active() == 2 })

	// Ten seconds of silence from both clients, longer than the user
	// timeout: acknowledged heartbeats end nothing.
	time.Sleep(10 * time.Second)
	if n := active(); n != 2 {
		t.Fatalf("%v streams open after 10 s of healthy silence, want 2: the user timeout ended a live connection", n)
	}
	h.unplug()
	gone := time.Now()
	waitFor(t, 30*time.Second, "the half-open HTTP/1.1 stream ended by the server", func() bool { return active() == 1 })
	took := time.Since(gone)
	t.Logf("the half-open HTTP/1.1 stream ended %v after its host was unplugged", took.Round(100*time.Millisecond))
	if took > 20*time.Second {
		t.Errorf("the half-open stream held %v, want within about a heartbeat and the user timeout (10 s)", took)
	}
	select {
	case <-healthy.Done():
		t.Errorf("the healthy HTTP/1.1 stream ended: %v", healthy.Err())
	default:
	}
}
