// Package handlertest serves one service's handler to its generated client
// in a domain package's tests: over real HTTP, behind the validation
// interceptor, every call made as a given principal in a given scope.
// Authentication and authorization are the server package's to test.
package handlertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"connectrpc.com/validate"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Mount is a generated NewXServiceHandler with its handler bound.
type Mount func(opts ...connect.HandlerOption) (string, http.Handler)

// Serve serves the handler until the test ends, every call made as who
// is when it arrives, and returns its URL and the HTTP client to build the
// generated client with.
func Serve(t testing.TB, who *Caller, mount Mount) (string, *http.Client) {
	t.Helper()
	// The server's validator stops at a request's first violation; so does
	// this one, so that a test sees the error a client would.
	validator, err := protovalidate.New(protovalidate.WithFailFast())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(mount(connect.WithInterceptors(who, validate.NewInterceptor(validate.WithValidator(validator)))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, srv.Client()
}

// Caller stands in for authentication and authorization: the principal
// and scope the calls are made as (a test may change them between calls).
type Caller struct {
	P     *access.Principal
	Scope *access.Scope
}

// WrapUnary calls as the Caller, and maps an error to its Connect code as
// the server's error interceptor does.
func (c *Caller) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		resp, err := next(access.WithScope(access.WithPrincipal(ctx, c.P), c.Scope), req)
		if err != nil {
			ce, _ := apperr.ToConnect(err)
			return nil, ce
		}
		return resp, nil
	}
}

// WrapStreamingClient leaves client streams as they are.
func (c *Caller) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler leaves streaming handlers as they are: the handler
// tests call unary RPCs only.
func (c *Caller) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
