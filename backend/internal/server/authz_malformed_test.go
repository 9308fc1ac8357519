package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// malformedIDs are targets no id can be: not a UUID, a path, SQL, a UUID
// with a bad digit, padded or cut short, a NUL inside.
var malformedIDs = []string{
	"not-a-uuid",
	"../../etc/passwd",
	"' OR '1'='1' --",
	"00000000-0000-0000-0000-00000000000g",
	" 6f1c2a4e-8d3b-4b7a-9c2e-1f0a3b5c7d9e",
	"6f1c2a4e-8d3b-4b7a-9c2e",
	"6f1c2a4e-8d3b-4b7a-9c2e-1f0a3b5c7d9\x00",
}

// TestAuthorizationMalformedTargets is the matrix's fourth target (ISO-01):
// every unary procedure that names its target by an id field, called by
// every matrix caller with that field malformed, over Connect's JSON.
// Anonymous and disabled callers are Unauthenticated before the request is
// read; everyone else gets InvalidArgument, never NotFound,
// PermissionDenied or OK: a malformed id reaches no lookup. Nothing of
// either workspace changes, and no answer names W2.
func TestAuthorizationMalformedTargets(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) { c.Reactors = false }))
		w.disableAgent("disabled")
		tokens := map[string]string{}
		for _, c := range callers {
			switch {
			case c.anon:
			case c.visitor:
				tokens[c.name] = w.VisitorToken
			case !c.user && !c.disabled:
				tokens[c.name] = w.Keys[string(c.role)]
			default:
				tokens[c.name] = w.Token(c.name)
			}
		}
		before := w.Digest(w.W1.ID, authzDigest()...) + w.Digest(w.W2.ID, authzDigest()...)
		n := 0
		for proc, md := range procedures(t) {
			rule := access.RuleOf(md)
			if rule == nil || rule.GetIdField() == "" || md.IsStreamingServer() || md.IsStreamingClient() {
				continue
			}
			field := md.Input().Fields().ByName(protoreflect.Name(rule.GetIdField()))
			if field == nil {
				t.Fatalf("%s: id field %q is not a field of %s", proc, rule.GetIdField(), md.Input().FullName())
			}
			for i, c := range callers {
				bad := malformedIDs[(n+i)%len(malformedIDs)]
				body, err := json.Marshal(map[string]string{field.JSONName(): bad})
				if err != nil {
					t.Fatal(err)
				}
				code, msg := postConnect(t, w.Srv.URL+proc, string(body), tokens[c.name])
				want := connect.CodeInvalidArgument
				if (c.anon || c.disabled) && rule.GetAccess() != tandemv1.Access_ACCESS_PUBLIC {
					want = connect.CodeUnauthenticated
				}
				if code != want {
					t.Errorf("%s as %s with %s = %q: %v (%s), want %v", proc, c.name, field.Name(), bad, code, msg, want)
				}
				if strings.Contains(msg, w.W2.ID) || strings.Contains(msg, w.W2.Name) {
					t.Errorf("%s as %s: the answer names the other workspace: %s", proc, c.name, msg)
				}
			}
			n++
		}
		if n < 50 {
			t.Fatalf("only %d procedures name their target by an id field", n)
		}
		if after := w.Digest(w.W1.ID, authzDigest()...) + w.Digest(w.W2.ID, authzDigest()...); after != before {
			t.Error("calls with malformed targets changed a workspace")
		}
		t.Logf("%d procedures x %d callers", n, len(callers))
	})
}

// postConnect makes a unary Connect call with a JSON body and returns the
// answer's code (0 for OK) and its message.
func postConnect(t *testing.T, url, body, token string) (connect.Code, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return 0, ""
	}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: status %d, body %q", url, resp.StatusCode, raw)
	}
	var code connect.Code
	if err := code.UnmarshalText([]byte(e.Code)); err != nil {
		t.Fatalf("%s: code %q", url, e.Code)
	}
	return code, e.Message
}
