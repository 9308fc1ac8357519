package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestRequestBytesInFlight (INP-01): the request bytes all calls in flight
// hold are capped server-wide (here 4 MiB; 64 MiB by default), whatever
// each call's own cap. Four clients each send 900 KiB of a call and stall:
// the server holds 3.6 MiB. Then a call of 600 KiB is refused
// ResourceExhausted over Connect, gRPC and gRPC-web, saying to retry, and
// writes nothing, while a small call is still served. When the stalled
// clients go, the gauge is back to 0 and the same call is no longer
// refused for want of room.
func TestRequestBytesInFlight(t *testing.T) {
	t.Parallel()
	// The transport is the same on either database: SQLite only.
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) { c.MaxRequestBytesInFlight = 4 << 20 })
	w := worldOn(t, srv)
	conv := w.Conversation(w.Visitor)
	inFlight := func() float64 {
		v, _ := rpctest.Find(rpctest.Scrape(t, srv), "tandem_request_bytes_in_flight", nil)
		return v
	}

	// Four calls whose bodies stall after 900 KiB each, over HTTP/2.
	hc := rpcclient.HTTPClient(rpcclient.GRPC)
	var stalls []*io.PipeWriter
	done := make(chan struct{}, 4)
	for range 4 {
		pr, pw := io.Pipe()
		stalls = append(stalls, pw)
		req, err := http.NewRequestWithContext(w.Ctx, http.MethodPost, srv.URL+"/tandem.v1.AuthService/Login", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/proto")
		go func() {
			if resp, err := hc.Do(req); err == nil {
				_ = resp.Body.Close()
			}
			done <- struct{}{}
		}()
		go func() { _, _ = pw.Write(bytes.Repeat([]byte{0x0a}, 900<<10)) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for inFlight() < 4*900<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %v bytes of the stalled calls after 10 s, want %d", inFlight(), 4*900<<10)
		}
		time.Sleep(20 * time.Millisecond)
	}

	big := strings.Repeat("a", 600<<10)
	send := func(p rpcclient.Protocol) error {
		_, err := srv.Clients(p).Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{
			ConversationId: conv.ID, ClientId: uuid.NewString(), Body: big})
		return err
	}
	for _, p := range []rpcclient.Protocol{rpcclient.Connect, rpcclient.GRPC, rpcclient.GRPCWeb} {
		err := send(p)
		if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.Contains(err.Error(), "retry") {
			t.Errorf("%s: a 600 KiB call with 400 KiB of room: %v, want ResourceExhausted saying to retry", p, err)
		}
	}
	if _, err := srv.Clients(rpcclient.GRPC).Widget.ListMyConversations(rpcclient.WithToken(w.Ctx, w.VisitorToken),
		&tandemv1.ListMyConversationsRequest{}); err != nil {
		t.Errorf("a small call while the budget has room for it: %v", err)
	}
	msgs, _, err := srv.Domain().Conversations.History(w.Ctx, conv.ID, 100, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if len(m.Body) > 1000 {
			t.Errorf("a refused call wrote a message of %d bytes", len(m.Body))
		}
	}

	// The stalled clients go: what they held is given back.
	for _, pw := range stalls {
		_ = pw.CloseWithError(context.Canceled)
	}
	for range stalls {
		<-done
	}
	deadline = time.Now().Add(10 * time.Second)
	for inFlight() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%v request bytes still counted 10 s after every call ended", inFlight())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := send(rpcclient.GRPC); connect.CodeOf(err) == connect.CodeResourceExhausted {
		t.Errorf("the 600 KiB call with the budget free: %v", err)
	}
}
