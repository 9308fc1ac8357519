package faulttest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
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
	active := func() float64 {
		v, err := fleet.Metric(t.Context(), r.MetricsURL, "tandem_rpc_streams_active")
		if err != nil && strings.Contains(err.Error(), "not exported") {
			return 0 // before the first stream
		}
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
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
