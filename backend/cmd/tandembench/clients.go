package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
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
