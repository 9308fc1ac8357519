package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// rawAnswer is what a raw call came back with.
type rawAnswer struct {
	status     int
	code       string // the Connect error code, "" for none
	retryAfter string
}

func (a rawAnswer) refused() bool { return a.code == "resource_exhausted" }

// rawCall calls procedure md on srv over the Connect protocol by hand,
// with an empty request message, as token ("" for none), by one of the
// routes a client may take: "json" and "proto" POST, or "get" (Connect
// GET, for procedures without side effects). A server stream is read for
// a moment: a refusal ends it at once.
func rawCall(t *testing.T, srv string, md protoreflect.MethodDescriptor, token, route string) rawAnswer {
	t.Helper()
	procedure := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var req *http.Request
	var err error
	switch {
	case md.IsStreamingServer():
		ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond) // an accepted stream stays open
		defer cancel()
		frame := binary.BigEndian.AppendUint32([]byte{0}, 2)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, srv+procedure, bytes.NewReader(append(frame, "{}"...)))
		if err == nil {
			req.Header.Set("Content-Type", "application/connect+json")
		}
	case route == "get":
		q := url.Values{"connect": {"v1"}, "encoding": {"json"}, "message": {"{}"}}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, srv+procedure+"?"+q.Encode(), nil)
	case route == "proto":
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, srv+procedure, nil)
		if err == nil {
			req.Header.Set("Content-Type", "application/proto")
		}
	default:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, srv+procedure, strings.NewReader("{}"))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s by %s: %v", procedure, route, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body) // a stream's read ends with the timeout
	a := rawAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if i := bytes.Index(body, []byte(`"code":"`)); i >= 0 {
		rest := body[i+len(`"code":"`):]
		a.code = string(rest[:max(bytes.IndexByte(rest, '"'), 0)])
	}
	if md.IsStreamingServer() && a.retryAfter == "" { // an error ending a stream carries its metadata in the last frame
		if i := bytes.Index(bytes.ToLower(body), []byte(`"retry-after":["`)); i >= 0 {
			rest := body[i+len(`"retry-after":["`):]
			a.retryAfter = string(rest[:max(bytes.IndexByte(rest, '"'), 0)])
		}
	}
	return a
}

// ruleOf is the procedure's authorization rule.
func ruleOf(md protoreflect.MethodDescriptor) *tandemv1.AuthzRule {
	rule, _ := proto.GetExtension(md.Options(), tandemv1.E_Authz).(*tandemv1.AuthzRule)
	return rule
}

// routes are the ways the test reaches a procedure: every POST codec, and
// Connect GET where the procedure allows it. They draw from one bucket.
func routes(md protoreflect.MethodDescriptor) []string {
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	if opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS {
		return []string{"json", "proto", "get"}
	}
	return []string{"json", "proto"}
}

// TestWidgetWriteBudget: within a visitor session's widget budget, the
// calls that store what agents see (a message, a new conversation, a
// request for a human, a rating, a transcript, a custom action, the
// visitor's details, a close) draw from a smaller budget of their own:
// past it, each is refused ResourceExhausted with Retry-After, while the
// session's reads, typing and read marks go on, and another session of
// the same workspace writes. A flood's messages are what swamp agents.
func TestWidgetWriteBudget(t *testing.T) {
	t.Parallel()
	const writeBurst = 3
	writes := map[string]bool{"StartConversation": true, "SendMessage": true, "CloseConversation": true, "RateConversation": true,
		"RequestHuman": true, "UpdateVisitor": true, "EmailTranscript": true, "PressCustomAction": true}
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), rpctest.Quiet, func(c *config.Config) {
		c.WidgetRate, c.WidgetBurst = 20, 100
		c.WidgetWriteRate, c.WidgetWriteBurst = 0.001, writeBurst
	})
	w := worldOn(t, srv)
	procs := procedures(t)
	found := 0
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		md := procs[name]
		if ruleOf(md).GetAccess() != tandemv1.Access_ACCESS_VISITOR {
			continue
		}
		_, token := w.NewVisitor(w.W1) // a session of its own
		write := writes[string(md.Name())]
		if write {
			found++
		}
		for i := range writeBurst + 2 {
			a := rawCall(t, srv.URL, md, token, "json")
			switch {
			case write && i < writeBurst && a.refused():
				t.Errorf("%s: write %d of %d refused", name, i+1, writeBurst)
			case write && i >= writeBurst && (!a.refused() || a.retryAfter == ""):
				t.Errorf("%s: write %d, past the budget of %d: %+v, want resource_exhausted with Retry-After", name, i+1, writeBurst, a)
			case !write && a.refused():
				t.Errorf("%s: call %d refused: it stores nothing agents see, and draws from the session's budget only", name, i+1)
			}
		}
	}
	if found != len(writes) {
		t.Fatalf("found %d of the %d writes among the visitor procedures", found, len(writes))
	}

	// A session past its writes still reads; another one writes.
	v, token := w.NewVisitor(w.W1)
	conv := w.Conversation(v)
	c := srv.Clients(rpcclient.Connect)
	ctx := rpcclient.WithToken(w.Ctx, token)
	for i := range writeBurst + 1 {
		_, err := c.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: fmt.Sprint("hello ", i)})
		if i < writeBurst && err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if i == writeBurst && connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("message %d, past the budget: %v, want ResourceExhausted", i+1, err)
		}
	}
	if _, err := c.Widget.ListMessages(ctx, &tandemv1.ListMessagesRequest{ConversationId: conv.ID}); err != nil {
		t.Errorf("reading after the writes ran out: %v", err)
	}
	other, otherToken := w.NewVisitor(w.W1)
	if _, err := c.Widget.SendMessage(rpcclient.WithToken(w.Ctx, otherToken), &tandemv1.WidgetServiceSendMessageRequest{
		ConversationId: w.Conversation(other).ID, ClientId: uuid.NewString(), Body: "hello"}); err != nil {
		t.Errorf("another session's message: %v", err)
	}
}

// TestEveryPublicProcedureLimited finds every procedure that a caller
// without an account can reach (ACCESS_PUBLIC or ACCESS_VISITOR in the
// protos) and drives it past its budget: each must rawAnswer
// ResourceExhausted with Retry-After within its burst, whichever codec or
// HTTP method the calls take (they draw from one bucket), and a path
// that is not the procedure's canonical one reaches no handler. A public
// procedure added without a limit fails here.
func TestEveryPublicProcedureLimited(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		const burst = 3
		srv := rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) {
			c.WidgetRate, c.WidgetBurst = 0.001, burst
			c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 0.06, burst
		})
		w := worldOn(t, srv)
		var public []protoreflect.MethodDescriptor
		visitor := 0
		procs := procedures(t)
		for _, name := range slices.Sorted(maps.Keys(procs)) {
			md := procs[name]
			switch ruleOf(md).GetAccess() {
			case tandemv1.Access_ACCESS_PUBLIC:
				public = append(public, md)
			case tandemv1.Access_ACCESS_VISITOR:
				visitor++
				_, token := w.NewVisitor(w.W1) // a session of its own: a bucket of its own
				rs := routes(md)
				for i := range burst {
					if a := rawCall(t, srv.URL, md, token, rs[i%len(rs)]); a.refused() {
						t.Errorf("%s: call %d of a burst of %d (by %s) refused", name, i+1, burst, rs[i%len(rs)])
					}
				}
				if a := rawCall(t, srv.URL, md, token, "json"); !a.refused() || a.retryAfter == "" {
					t.Errorf("%s: past the session's burst: %+v, want resource_exhausted with Retry-After", name, a)
				}
			}
		}
		if visitor < 10 || len(public) < 3 {
			t.Fatalf("found %d visitor and %d public procedures: the descriptors were not read", visitor, len(public))
		}

		// The public ones share the caller's address budgets: StartSession
		// its new-session bucket, which a visitor procedure called without
		// a token also draws from; sign-in and invitations the credential
		// limits (30 per address, 5 per account and address).
		for _, md := range public {
			name := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
			refusedAt := 0
			for i := 1; i <= 40 && refusedAt == 0; i++ {
				a := rawCall(t, srv.URL, md, "", "json")
				if a.refused() {
					refusedAt = i
					if a.retryAfter == "" {
						t.Errorf("%s refused without Retry-After", name)
					}
				}
			}
			if refusedAt == 0 {
				t.Errorf("%s: 40 calls from one address and none refused", name)
			}
		}
		widgetConfig := procs["/tandem.v1.WidgetService/GetWidgetConfig"]
		if a := rawCall(t, srv.URL, widgetConfig, "", "json"); !a.refused() {
			t.Errorf("a visitor procedure without a token, from an address past its budget: %+v", a)
		}

		// Another spelling of a procedure's path reaches no handler (a
		// redirect leads to the canonical one, limited as above).
		noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		_, token := w.NewVisitor(w.W1)
		for _, path := range []string{"/tandem.v1.WidgetService/ListMyConversations/", "/tandem.v1.widgetservice/listmyconversations",
			"/tandem.v1.WidgetService//ListMyConversations", "/TANDEM.V1.WIDGETSERVICE/LISTMYCONVERSATIONS"} {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusTemporaryRedirect {
				t.Errorf("POST %s: %d, want no handler (404 or a redirect)", path, resp.StatusCode)
			}
		}
	})
}

// TestLimitsHoldAcrossReplicas: two replicas on one MySQL database allow
// one budget between them, not one each: a visitor session's calls, new
// widget sessions from one address, sign-in attempts from one address and
// uploads by one uploader, each spread over both replicas in turn.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	opts := storetest.Options(t, "mysql")
	edit := func(c *config.Config) {
		c.WidgetRate, c.WidgetBurst = 0.001, 4
		c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 0.06, 4
		c.UploadsPerMinute, c.UploadBurst = 0.06, 3
	}
	a, b := rpctest.Start(t, opts, rpctest.Quiet, edit), rpctest.Start(t, opts, rpctest.Quiet, edit)
	replicas := []string{a.URL, b.URL}
	w := worldOn(t, a)
	procs := procedures(t)

	allowed := func(n int, call func(replica string) rawAnswer) int {
		ok := 0
		for i := range n {
			if !call(replicas[i%2]).refused() {
				ok++
			}
		}
		return ok
	}
	_, token := w.NewVisitor(w.W1)
	list := procs["/tandem.v1.WidgetService/ListMyConversations"]
	if got := allowed(10, func(r string) rawAnswer { return rawCall(t, r, list, token, "json") }); got != 4 {
		t.Errorf("one visitor session's calls over two replicas: %d allowed, want the burst of 4", got)
	}
	start := procs["/tandem.v1.WidgetService/StartSession"]
	if got := allowed(10, func(r string) rawAnswer { return rawCall(t, r, start, "", "json") }); got != 4 {
		t.Errorf("new widget sessions from one address over two replicas: %d allowed, want the burst of 4", got)
	}
	login := procs["/tandem.v1.AuthService/Login"]
	n := 0
	began := time.Now()
	got := allowed(50, func(r string) rawAnswer {
		n++ // a new account each time: only the per-address limit applies
		return rawLogin(t, r, login, fmt.Sprintf("nobody%d@example.com", n))
	})
	// Thirty at once, and one more every 2 s the attempts took (each
	// hashes a password); per replica it would be 50.
	if refill := int(time.Since(began) / (2 * time.Second)); got < 30 || got > 30+refill {
		t.Errorf("sign-in attempts from one address over two replicas: %d allowed, want 30 and %d refilled at most", got, refill)
	}
	conv := w.Conversation(w.Visitor)
	agent := w.Token("agent")
	uploads := 0
	for i := range 6 {
		if status, _ := rawUpload(t, replicas[i%2], agent, conv.ID); status == http.StatusOK {
			uploads++
		}
	}
	if uploads != 3 {
		t.Errorf("uploads by one agent over two replicas: %d allowed, want the burst of 3", uploads)
	}
}

// rawLogin tries a wrong password for email.
func rawLogin(t *testing.T, srv string, md protoreflect.MethodDescriptor, email string) rawAnswer {
	t.Helper()
	procedure := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
	return postJSON(t, srv+procedure, fmt.Sprintf(`{"email":%q,"password":"not the password at all"}`, email), nil)
}

// postJSON calls a procedure by Connect POST with a JSON body and the
// extra headers.
func postJSON(t *testing.T, url, body string, header http.Header) rawAnswer {
	t.Helper()
	header = header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	status, h, raw := postRaw(t, url, body, header)
	a := rawAnswer{status: status, retryAfter: h.Get("Retry-After")}
	if bytes.Contains(raw, []byte(`"resource_exhausted"`)) {
		a.code = "resource_exhausted"
	}
	return a
}

// rawUpload posts a small file to the conversation as the widget and the
// app do, and returns the answer's status and body.
func rawUpload(t *testing.T, srv, token, conversationID string) (int, []byte) {
	t.Helper()
	q := url.Values{"conversation_id": {conversationID}, "client_id": {uuid.NewString()}, "name": {"a.txt"}}
	status, _, raw := postRaw(t, srv+"/files?"+q.Encode(), "hello", http.Header{"Authorization": {"Bearer " + token}})
	return status, raw
}

// postRaw sends body to url by POST with the headers, and returns the
// answer's status, headers and body.
func postRaw(t *testing.T, url, body string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(req.Header, header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// TestWorkspaceSessionBudget (RATE-01): new widget sessions from many
// addresses, each well under its own budget, meet the workspace's budget
// together; another workspace's widget is served meanwhile. The addresses
// come through a trusted proxy's X-Forwarded-For.
func TestWorkspaceSessionBudget(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet, func(c *config.Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 60, 10
			c.WorkspaceSessionsPerMinute, c.WorkspaceSessionBurst = 0.06, 5
		})
		w := worldOn(t, srv)
		start := func(publicKey string, client int) rawAnswer {
			return postJSON(t, srv.URL+"/tandem.v1.WidgetService/StartSession", fmt.Sprintf(`{"publicKey":%q,"name":"visitor"}`, publicKey),
				http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", client)}})
		}
		allowed := 0
		for i := range 12 {
			a := start(w.W1.PublicKey, 1+i) // a new address each time
			switch {
			case a.status == http.StatusOK:
				allowed++
			case !a.refused() || a.retryAfter == "":
				t.Fatalf("session %d: %+v, want OK or resource_exhausted with Retry-After", i, a)
			}
		}
		if allowed != 5 {
			t.Errorf("12 new sessions of one workspace from 12 addresses: %d allowed, want the workspace's burst of 5", allowed)
		}
		if a := start(w.W2.PublicKey, 1); a.status != http.StatusOK {
			t.Errorf("another workspace's widget while the first is over its budget: %+v", a)
		}
	})
}
