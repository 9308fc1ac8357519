package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// bombSize is what each compressed request inflates to: 256 times the
// request limit (1 MiB in tests' config, as in production's default).
const bombSize = 256 << 20

// concurrentBombs is how many are sent at once.
const concurrentBombs = 24

// heapPerBomb is how much the server's heap may grow for each bomb in
// flight: connect-go inflates a body only up to the read limit (1 MiB), into
// a buffer that doubles, beside the compressed bytes and gzip's window. So
// the whole run's budget is 8 MiB a request (twice what it takes), whatever the bombs inflate to
// (256 MiB each here), where holding them would take 6 GiB.
const heapPerBomb = 8 << 20

// gzipBomb is bombSize bytes of JSON whitespace, gzipped (about 250 KiB):
// a gzip stream may be several members one after the other, so one
// compressed MiB of spaces is repeated rather than compressing 256 MiB.
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	member := func(b []byte) []byte {
		var out bytes.Buffer
		z, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := z.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	spaces := member(bytes.Repeat([]byte(" "), 1<<20))
	bomb := member([]byte("{"))
	for range bombSize >> 20 {
		bomb = append(bomb, spaces...)
	}
	return append(bomb, member([]byte("}"))...)
}

// envelope frames a compressed message as Connect streaming and gRPC do:
// flag 1 (compressed), the length, the bytes.
func envelope(msg []byte) []byte {
	out := make([]byte, 5+len(msg))
	out[0] = 1
	binary.BigEndian.PutUint32(out[1:5], uint32(len(msg))) //nolint:gosec // a test's few hundred KiB
	copy(out[5:], msg)
	return out
}

// peakHeap samples the heap until stop is closed and returns its highest value.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestCompressedBombs (INP-01, FILE-03): requests whose gzip bodies inflate
// to 256 MiB, over every protocol (Connect unary and streaming, gRPC,
// gRPC-web), 24 of them at once, are refused with ResourceExhausted, before
// any write and without inflating them past the read limit: the server's
// heap grows at most 8 MiB a request in flight (192 MiB; holding them would
// take 6 GiB), and its goroutines return to where they were. There is no
// server-wide cap on request bytes in flight: a fixed heap budget for any
// number of concurrent requests (INP-01's "64 MiB for 100") would need one. The limit holds on what a body inflates to, not what it
// declares: withTooLarge lets compressed bodies through to connect-go's
// read limit.
//
// Not parallel: the heap it measures is the test process's, which the
// package's parallel tests would share (a top-level test that does not call
// t.Parallel runs before them, alone).
func TestCompressedBombs(t *testing.T) {
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), rpctest.Quiet)
	w := worldOn(t, srv)
	conv := w.Conversation(w.Visitor)
	bomb := gzipBomb(t)
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	grpcClient := &http.Client{Transport: &http.Transport{Protocols: h2c}}

	type call struct {
		name    string
		client  *http.Client
		path    string
		headers map[string]string
		body    []byte
		// refused reports whether the answer is ResourceExhausted in the protocol's way.
		refused func(*http.Response, []byte) bool
	}
	connectCode := func(resp *http.Response, body []byte) bool {
		return resp.StatusCode == http.StatusTooManyRequests && strings.Contains(string(body), `"resource_exhausted"`)
	}
	grpcStatus := func(resp *http.Response, body []byte) bool {
		status := resp.Trailer.Get("Grpc-Status") + resp.Header.Get("Grpc-Status")
		return status == "8" || strings.Contains(string(body), "grpc-status:8")
	}
	calls := []call{
		{"connect unary", http.DefaultClient, "/tandem.v1.ConversationService/SendMessage",
			map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb, connectCode},
		{"connect stream", http.DefaultClient, "/tandem.v1.ConversationService/Watch",
			map[string]string{"Content-Type": "application/connect+json", "Connect-Content-Encoding": "gzip"}, envelope(bomb),
			func(_ *http.Response, body []byte) bool {
				return strings.Contains(string(body), `"resource_exhausted"`)
			}},
		{"grpc", grpcClient, "/tandem.v1.ConversationService/SendMessage",
			map[string]string{"Content-Type": "application/grpc+json", "Grpc-Encoding": "gzip", "Te": "trailers"}, envelope(bomb), grpcStatus},
		{"grpc-web", http.DefaultClient, "/tandem.v1.ConversationService/SendMessage",
			map[string]string{"Content-Type": "application/grpc-web+json", "Grpc-Encoding": "gzip"}, envelope(bomb), grpcStatus},
	}
	send := func(ctx context.Context, c call) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+c.path, bytes.NewReader(c.body))
		if err != nil {
			return err
		}
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("Authorization", "Bearer "+w.Token("owner"))
		resp, err := c.client.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return err
		}
		if !c.refused(resp, body) {
			return fmt.Errorf("%s: answered %d %v %q, want ResourceExhausted", c.name, resp.StatusCode, resp.Trailer, body)
		}
		return nil
	}

	// Each protocol once, alone.
	for _, c := range calls {
		if err := send(t.Context(), c); err != nil {
			t.Error(err)
		}
	}
	before := storetest.Count(t, srv.DB(), "messages", "conversation_id = ?", conv.ID)

	// All at once, measured.
	http.DefaultClient.CloseIdleConnections()
	grpcClient.CloseIdleConnections()
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := peakHeap(stop)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range concurrentBombs {
		c := calls[i%len(calls)]
		wg.Go(func() {
			if err := send(t.Context(), c); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(stop)
	grown := int64(<-peak) - int64(base.HeapInuse) //nolint:gosec // heap sizes fit
	t.Logf("%d bombs of %d MiB (%d KiB each on the wire): heap grew %d MiB at most", concurrentBombs, bombSize>>20, len(bomb)>>10, grown>>20)
	if budget := int64(concurrentBombs * heapPerBomb); grown > budget {
		t.Errorf("heap grew %d MiB while refusing the bombs, budget %d MiB", grown>>20, budget>>20)
	}
	if after := storetest.Count(t, srv.DB(), "messages", "conversation_id = ?", conv.ID); after != before {
		t.Errorf("%d messages written by refused requests", after-before)
	}
	// The handlers' goroutines end with their requests (idle client
	// connections closed, the server's go with them).
	http.DefaultClient.CloseIdleConnections()
	grpcClient.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		t.Errorf("%d goroutines after the bombs, %d before", n, goroutines)
	}
}
