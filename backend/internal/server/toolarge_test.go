package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// answer is an HTTP answer as a browser's page reads it: the status, the
// CORS header that lets it read the answer at all, and the Connect error.
type answer struct {
	status      int
	allowOrigin string
	code, msg   string
}

// post sends body as a page of origin would (fetch sends Content-Length);
// a chunked body declares none.
func post(t *testing.T, u, contentType, token, origin string, body []byte, chunked bool) answer {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length: sent chunked
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Code, Message string }
	_ = json.Unmarshal(raw, &e)
	return answer{status: resp.StatusCode, allowOrigin: resp.Header.Get("Access-Control-Allow-Origin"), code: e.Code, msg: e.Message}
}

// TestUploadTooLarge413 (issue 15 item 19): a file over the 10 MiB limit
// answers 413 Content Too Large, not 429 (which clients take as "slow
// down and retry"), whether its length is declared or it is sent
// chunked, with a body that says why in the Connect shape (code
// invalid_argument: retrying it cannot help), readable by the widget's
// page across origins. Rate limits keep 429 (TestSecurityUploadLimits).
//
// The RPC path: a Connect call that declares a body over the request limit
// answers 413 too, keeping the code every protocol gives an over-limit
// message (resource_exhausted; gRPC sends it in its trailers: TestBadInput);
// one sent chunked is left to connect-go, whose HTTP mapping of that code
// is 429.
func TestUploadTooLarge413(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		const origin = "https://shop.example"
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) { c.CORSOrigins = []string{origin} }))
		conv := w.Conversation(w.Visitor)
		big := bytes.Repeat([]byte("a"), files.MaxSize+1)
		for _, chunked := range []bool{false, true} {
			q := url.Values{"conversation_id": {conv.ID}, "client_id": {uuid.NewString()}, "name": {"big.txt"}}
			got := post(t, w.Srv.URL+"/files?"+q.Encode(), "application/octet-stream", w.VisitorToken, origin, big, chunked)
			if got.status != http.StatusRequestEntityTooLarge || got.allowOrigin != origin || got.code != "invalid_argument" ||
				!strings.Contains(got.msg, "larger than the 10 MiB") {
				t.Errorf("upload of 10 MiB + 1 (chunked %v) = %+v, want 413 saying the file is larger than the limit", chunked, got)
			}
		}
		if n := storetest.Count(t, w.Srv.DB(), "files", "conversation_id = ?", conv.ID); n != 0 {
			t.Errorf("%d files stored", n)
		}

		// An RPC over the request limit (1 MiB in tests' config too).
		call := w.Srv.URL + "/tandem.v1.WorkspaceService/CreateGroup"
		body, _ := json.Marshal(map[string]string{"workspaceId": w.W1.ID, "name": "g", "description": strings.Repeat("x", 2<<20)})
		got := post(t, call, "application/json", w.Token("owner"), origin, body, false)
		if got.status != http.StatusRequestEntityTooLarge || got.allowOrigin != origin || got.code != "resource_exhausted" ||
			!strings.Contains(got.msg, "more than the 1048576 bytes this call takes") {
			t.Errorf("Connect call over the limit = %+v, want 413 resource_exhausted", got)
		}
		if got := post(t, call, "application/json", w.Token("owner"), origin, body, true); got.status != http.StatusTooManyRequests ||
			got.code != "resource_exhausted" {
			t.Errorf("chunked Connect call over the limit = %+v, want connect-go's own 429", got)
		}
		// Under the limit, the same call is served.
		small, _ := json.Marshal(map[string]string{"workspaceId": w.W1.ID, "name": rpctest.Unique("g "), "description": "small"})
		if got := post(t, call, "application/json", w.Token("owner"), origin, small, false); got.status != http.StatusOK {
			t.Errorf("Connect call under the limit = %+v", got)
		}
	})
}
