package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/emptypb"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// noStore is what every RPC answer must say to caches.
const noStore = "private, no-store"

// TestEdgeCacheControl (ISO-06): every answer of an RPC is "Cache-Control:
// private, no-store", so that no shared cache in front of tandemd stores one
// principal's answer for another: each procedure without side effects
// fetched with Connect GET (a cacheable method) by a member of W1, or W1's
// visitor for the widget's (GetWidgetConfig among them), on W1's seeded
// objects; a POST over Connect, gRPC and gRPC-web (WhoAmI); and error
// answers (a missing conversation, an anonymous call, a bad argument). The
// widget's bundle keeps its own caching.
func TestEdgeCacheControl(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := seedIsolation(t, opts)
		procs := procedures(t)
		reads := readOnly(procs)
		if len(reads) < 30 {
			t.Fatalf("only %d procedures without side effects: %v", len(reads), reads)
		}
		get := func(proc, token string, msg []byte) (*http.Response, []byte) {
			t.Helper()
			q := url.Values{"connect": {"v1"}, "encoding": {"json"}, "message": {string(msg)}}
			req, err := http.NewRequestWithContext(w.Ctx, http.MethodGet, w.Srv.URL+proc+"?"+q.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", proc, err)
			}
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, body
		}
		check := func(what string, h http.Header) {
			t.Helper()
			if got := h.Values("Cache-Control"); len(got) != 1 || got[0] != noStore {
				t.Errorf("%s: Cache-Control %q, want %q", what, got, noStore)
			}
		}

		seen := map[string]bool{}
		for _, proc := range reads {
			md := procs[proc]
			token := w.Token("owner")
			if access := ruleOf(md).GetAccess(); access == tandemv1.Access_ACCESS_VISITOR {
				token = w.VisitorToken
			}
			msg, err := protojson.Marshal(w.readRequest(proc, md))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := get(proc, token, msg)
			// Every read answers its caller: the header is on real answers,
			// not only on refusals.
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: HTTP %d %s", proc, resp.StatusCode, body)
				continue
			}
			check("GET "+proc, resp.Header)
			seen[proc] = true
		}
		for _, proc := range []string{"/tandem.v1.WidgetService/GetWidgetConfig", "/tandem.v1.AuthService/WhoAmI"} {
			if !seen[proc] {
				t.Errorf("%s was not fetched with GET", proc)
			}
		}

		// POST, over every protocol.
		for _, p := range rpcclient.Protocols() {
			c := connect.NewClient[emptypb.Empty, emptypb.Empty](rpcclient.HTTPClient(p), w.Srv.URL+"/tandem.v1.AuthService/WhoAmI", rpcclient.ClientOptions(p)...)
			resp, err := c.CallUnary(w.As("owner"), connect.NewRequest(&emptypb.Empty{}))
			if err != nil {
				t.Fatalf("WhoAmI over %s: %v", p, err)
			}
			check("POST WhoAmI over "+string(p), resp.Header())
			// An error, and its headers (gRPC's come with the trailers).
			_, err = c.CallUnary(context.Background(), connect.NewRequest(&emptypb.Empty{}))
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeUnauthenticated {
				t.Fatalf("anonymous WhoAmI over %s: %v", p, err)
			}
			check("anonymous WhoAmI over "+string(p), ce.Meta())
		}

		// Errors answered to GET: a missing object, no credential, a bad argument.
		errs := []struct {
			name, proc, token, msg string
			status                 int
		}{
			{"missing conversation", "/tandem.v1.ConversationService/GetConversation", w.Token("owner"),
				`{"conversationId":"00000000-0000-4000-8000-000000000000"}`, http.StatusNotFound},
			{"anonymous", "/tandem.v1.ConversationService/GetConversation", "",
				`{"conversationId":"` + w.conv + `"}`, http.StatusUnauthorized},
			{"bad argument", "/tandem.v1.ConversationService/GetConversation", w.Token("owner"),
				`{"conversationId":"not an id"}`, http.StatusBadRequest},
			{"visitor, anonymous", "/tandem.v1.WidgetService/GetWidgetConfig", "", `{}`, http.StatusUnauthorized},
		}
		for _, e := range errs {
			resp, body := get(e.proc, e.token, []byte(e.msg))
			if resp.StatusCode != e.status {
				t.Errorf("%s: HTTP %d %s, want %d", e.name, resp.StatusCode, body, e.status)
			}
			check("GET "+e.name, resp.Header)
		}

		// Static assets are not RPCs: their caching is their own.
		resp, err := http.Get(w.Srv.URL + "/widget.js") //nolint:noctx // a test's loopback fetch
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("/widget.js: HTTP %d, Cache-Control %q: the bundle's own caching", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	})
}
