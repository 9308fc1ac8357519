package server

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"connectrpc.com/connect"
)

// Each call's request message is capped (--max-request-bytes; documents
// 10 MiB), and connect-go holds a message whole before decoding it. So
// what the server holds of requests grows with the calls in flight: a
// thousand clients sending capped messages at once would make tandemd
// hold gigabytes. bodyBudget caps it for the whole server: the bytes of
// request bodies read by the calls in flight, counted as they are read and
// given back when the call ends. A call whose read would go over the
// budget is refused ResourceExhausted, which clients retry after a moment;
// the calls already reading go on. A compressed body counts as its
// route's whole limit from its first byte, as that is what it may inflate
// to.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// errBodyBudget is the refusal of a read that would go over the budget.
var errBodyBudget = connect.NewError(connect.CodeResourceExhausted,
	errors.New("the server is receiving too much at once; retry in a moment"))

// withBodyBudget counts the bodies of the RPCs under budget. A zero limit
// turns it off.
func withBodyBudget(next http.Handler, b *bodyBudget, maxRequestBytes int) http.Handler {
	if b.limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !rpcPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body := &budgetedBody{ReadCloser: r.Body, budget: b}
		if compressed(r) {
			body.reserve = readLimit(r.URL.Path, maxRequestBytes)
		}
		r.Body = body
		defer body.giveBack()
		next.ServeHTTP(w, r)
	})
}

// compressed reports whether the request's message may be compressed, in
// any of the three protocols.
func compressed(r *http.Request) bool {
	for _, h := range []string{"Content-Encoding", "Connect-Content-Encoding", "Grpc-Encoding"} {
		if v := r.Header.Get(h); v != "" && v != "identity" {
			return true
		}
	}
	return false
}

// budgetedBody takes from the budget what is read of it.
type budgetedBody struct {
	io.ReadCloser
	budget  *bodyBudget
	reserve int64 // taken whole at the first read (a compressed body)
	held    int64
	refused bool
}

func (b *budgetedBody) Read(p []byte) (int, error) {
	if b.refused {
		return 0, errBodyBudget
	}
	if b.reserve > 0 && b.held == 0 && !b.take(b.reserve) {
		return 0, errBodyBudget
	}
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.reserve == 0 && !b.take(int64(n)) {
		return 0, errBodyBudget
	}
	return n, err
}

// take takes n bytes from the budget, if they are there.
func (b *bodyBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *budgetedBody) take(n int64) bool {
	if !b.budget.take(n) {
		b.refused = true
		return false
	}
	b.held += n
	return true
}

// giveBack returns what the call held, when it ends.
func (b *budgetedBody) giveBack() {
	b.budget.used.Add(-b.held)
	b.held = 0
}
