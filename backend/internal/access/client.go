package access

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"connectrpc.com/connect"
)

// TrustedProxies are the address ranges of the reverse proxies in front of
// tandemd: only a connection from one of them may name the client with
// X-Forwarded-For. Limits and logs key on the address this yields.
type TrustedProxies []netip.Prefix

func (t TrustedProxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the address of the client behind the request: the
// connection's peer, or, when the peer is a trusted proxy, the right-most
// X-Forwarded-For entry that is not itself a trusted proxy (entries further
// left were written by the client and prove nothing).
func (t TrustedProxies) ClientAddr(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || len(t) == 0 || !t.trusted(addr) {
		return peer
	}
	client := addr
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: keep the last hop a trusted proxy vouched for
		}
		client = hop.Unmap()
		if !t.trusted(client) {
			break
		}
	}
	return client.String()
}

type clientKey struct{}

// Middleware puts the client address of each request in its context, for
// ClientIP.
func (t TrustedProxies) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientKey{}, t.ClientAddr(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ClientIP is the address of the caller: what TrustedProxies.Middleware
// found, else the connection's peer. Every limit and log keyed on a client
// uses it.
func ClientIP(ctx context.Context) string {
	if a, ok := ctx.Value(clientKey{}).(string); ok {
		return a
	}
	info, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return ""
	}
	addr := info.Peer().Addr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

type callerKey struct{}

// RecordCaller returns a context in which WithPrincipal also records the
// principal, and the function reading it back: the edge of a call logs who
// made it although authentication happens further in.
func RecordCaller(ctx context.Context) (context.Context, func() *Principal) {
	slot := new(atomic.Pointer[Principal])
	return context.WithValue(ctx, callerKey{}, slot), slot.Load
}

// Describe names a principal for logs: "user:<id>", "api_key:<id>",
// "visitor:<id>" or "anonymous".
func Describe(p *Principal) string {
	if p == nil {
		return "anonymous"
	}
	kind, id := p.Actor()
	if id == "" {
		return kind
	}
	return kind + ":" + id
}
