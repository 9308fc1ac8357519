package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// httpClient returns a client for the protocol that keeps up to conns
// connections: HTTP/1.1 for Connect and gRPC-web (one connection per call
// in flight, like many browsers), cleartext HTTP/2 for gRPC (streams
// multiplexed, a new connection when one is full).
func httpClient(p rpcclient.Protocol, conns int) *http.Client {
	protocols := new(http.Protocols)
	if p == rpcclient.GRPC {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: protocols, MaxIdleConns: conns, MaxIdleConnsPerHost: conns}}
}

func conversationClient(url string, p rpcclient.Protocol, conns int) tandemv1connect.ConversationServiceClient {
	return tandemv1connect.NewConversationServiceClient(httpClient(p, conns), url, rpcclient.ClientOptions(p)...)
}

func widgetClients(url string, p rpcclient.Protocol, conns int) rpcclient.Clients {
	return rpcclient.Clients{Widget: tandemv1connect.NewWidgetServiceClient(httpClient(p, conns), url, rpcclient.ClientOptions(p)...)}
}

// visitors opens n widget visitors in the workspace, each with a
// conversation, one after another: concurrent first sessions in one
// workspace deadlock in MySQL (see docs/BENCHMARKS.md) and would fail the
// setup rather than measure anything.
func visitors(ctx context.Context, url string, ws rpcclient.Workspace, n int) ([]*rpcclient.Visitor, error) {
	c := widgetClients(url, rpcclient.Connect, 1)
	out := make([]*rpcclient.Visitor, n)
	for i := range out {
		v, err := rpcclient.NewVisitor(ctx, c, ws.PublicKey, fmt.Sprintf("Visitor %d", i))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// watchDeliveries opens n agent Watch streams of the workspace on client,
// each feeding the messages it receives to the delivery current holds (none
// while it holds nil), and waits until all are open. closeAll ends them.
func watchDeliveries(ctx context.Context, client tandemv1connect.ConversationServiceClient, token, workspaceID string, n int,
	current *atomic.Pointer[delivery],
) (streams []*rpcclient.Stream, closeAll func(), err error) {
	streams = make([]*rpcclient.Stream, n)
	for k := range streams {
		streams[k] = rpcclient.OpenStream(ctx, client, token, workspaceID, "", func(m *tandemv1.WatchResponse, at time.Time) {
			if d := current.Load(); d != nil && m.GetEvent().GetType() == string(events.MessageCreated) {
				d.receive(0, k, m.GetEvent().GetMessage().GetBody(), m.GetEvent().GetSeq(), at)
			}
		})
	}
	closeAll = func() {
		for _, st := range streams {
			st.Close()
		}
	}
	for _, st := range streams {
		<-st.Ready()
		if err := st.Err(); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("open watch: %w", err)
		}
	}
	return streams, closeAll, nil
}

// shop makes a workspace named name on the replica at url, with 20
// visitors in conversations and widget clients to write as them.
func shop(ctx context.Context, owner *rpcclient.Owner, url, name string) (rpcclient.Workspace, []*rpcclient.Visitor, rpcclient.Clients, error) {
	ws, err := owner.CreateWorkspace(ctx, name)
	if err != nil {
		return ws, nil, rpcclient.Clients{}, err
	}
	vs, err := visitors(ctx, url, ws, 20)
	return ws, vs, widgetClients(url, rpcclient.Connect, 64), err
}
