package server

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
)

// knowledgeReadMaxBytes is the largest request the knowledge service reads:
// documents are uploaded whole, up to 8 MiB of content per request.
const knowledgeReadMaxBytes = 10 << 20

// readLimit is the largest request message the RPCs at path read (the
// handlers' connect.WithReadMaxBytes).
func readLimit(path string, maxRequestBytes int) int64 {
	if strings.HasPrefix(path, "/"+tandemv1connect.KnowledgeServiceName+"/") {
		return knowledgeReadMaxBytes
	}
	return int64(maxRequestBytes)
}

// withTooLarge answers a Connect unary call that declares a body over its
// RPC's limit with HTTP 413 Content Too Large, before reading it.
//
// A request message over the limit is ResourceExhausted in every protocol
// (connect-go refuses it so, before any of Tandem's code runs, as gRPC
// does): gRPC and gRPC-web clients read that code from the trailers, and
// Connect clients from the JSON body, which this keeps. But Connect's HTTP
// mapping of ResourceExhausted is 429 Too Many Requests, which tells a
// browser, a proxy or a generic HTTP client to slow down and retry; for a
// body that is simply too large, 413 says what is true: retrying it
// unchanged cannot help. Bodies that do not declare their length (chunked)
// are left to connect-go's own check, and answer 429.
func withTooLarge(next http.Handler, maxRequestBytes int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ContentLength <= 0 || !connectUnary(r) {
			next.ServeHTTP(w, r)
			return
		}
		limit := readLimit(r.URL.Path, maxRequestBytes)
		if enc := r.Header.Get("Content-Encoding"); (enc != "" && enc != "identity") || r.ContentLength <= limit {
			// A compressed body's limit is on what it inflates to.
			next.ServeHTTP(w, r)
			return
		}
		body, _ := json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{connect.CodeResourceExhausted.String(),
			fmt.Sprintf("the request is %s, more than the %s this call takes", naming.Count(r.ContentLength, "byte"), naming.Count(limit, "byte"))})
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("Connection", "close") // the body is not read
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = w.Write(body)
	})
}

// connectUnary reports whether the request is a Connect unary call (its
// content type application/json or application/proto; streams and gRPC
// have their own).
func connectUnary(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/tandem.v1.") {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || mt == "application/proto")
}
