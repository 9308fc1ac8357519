package push_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPushSubscribeRefuses: SubscribePush refuses, as InvalidArgument
// naming the field, an endpoint that is not https (http only on loopback)
// or is at an address pushes may not reach, and keys that are not a P-256
// point (p256dh) or a 16-byte secret (auth).
func TestPushSubscribeRefuses(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		b := newBrowser(t)
		offCurve := append([]byte{4}, bytes.Repeat([]byte{1}, 64)...)
		compressed := b.key.PublicKey().Bytes()[:33]
		compressed[0] = 2
		good := &tandemv1.SubscribePushRequest{WorkspaceId: w.W1.ID, Endpoint: "https://push.example.test/v1/abc", P256Dh: b.p256dh(), Auth: b.authKey()}
		for _, tc := range []struct {
			name, field string
			edit        func(r *tandemv1.SubscribePushRequest)
		}{
			{"http off loopback", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "http://push.example.test/v1/abc" }},
			{"another scheme", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "ftp://push.example.test/v1/abc" }},
			{"credentials", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "https://u:p@push.example.test/v1/abc" }},
			{"private address", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "https://10.1.2.3/v1/abc" }},
			{"metadata address", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "https://169.254.169.254/latest" }},
			{"loopback not allowed", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "http://127.0.0.2:9/v1/abc" }},
			{"not a URL", "endpoint", func(r *tandemv1.SubscribePushRequest) { r.Endpoint = "push service" }},
			{"p256dh not base64url", "p256dh", func(r *tandemv1.SubscribePushRequest) { r.P256Dh = "not+base64/" + r.P256Dh[11:] }},
			{"p256dh too short", "p256dh", func(r *tandemv1.SubscribePushRequest) { r.P256Dh = b64(compressed) }},
			{"p256dh off the curve", "p256dh", func(r *tandemv1.SubscribePushRequest) { r.P256Dh = b64(offCurve) }},
			{"auth 15 bytes", "auth", func(r *tandemv1.SubscribePushRequest) { r.Auth = b64(b.auth[:15]) }},
			{"auth 17 bytes", "auth", func(r *tandemv1.SubscribePushRequest) { r.Auth = b64(append(b.auth, 0)) }},
		} {
			req := &tandemv1.SubscribePushRequest{WorkspaceId: good.WorkspaceId, Endpoint: good.Endpoint, P256Dh: good.P256Dh, Auth: good.Auth}
			tc.edit(req)
			_, err := c.Notification.SubscribePush(w.As("agent"), req)
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%s: %v, want InvalidArgument naming %s", tc.name, err, tc.field)
			}
		}
		if len(subscriptions(t, w, "agent")) != 0 {
			t.Error("a refused subscription was stored")
		}
		// The same, padded as base64url may be, is taken (and stored unpadded).
		good.P256Dh += "="
		good.Auth += "=="
		if _, err := c.Notification.SubscribePush(w.As("agent"), good); err != nil {
			t.Fatal(err)
		}
		if s := subscriptions(t, w, "agent")["abc"]; s.P256dh != b.p256dh() || s.Auth != b.authKey() {
			t.Errorf("stored keys %q %q, want %q %q", s.P256dh, s.Auth, b.p256dh(), b.authKey())
		}
	})
}

// TestPushSubscriptions: re-subscribing an endpoint updates its keys; the
// same endpoint subscribed by another user moves to them; a member has at
// most 20 subscriptions; only the member unsubscribes theirs (a colleague or
// another workspace's member changes nothing), and unsubscribing twice is
// fine; removing a member forgets theirs.
func TestPushSubscriptions(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		ps := newPushService(t)
		first := newBrowser(t)
		first.subscribe(t, w, "agent", ps.endpoint("laptop"))
		again := newBrowser(t)
		again.subscribe(t, w, "agent", ps.endpoint("laptop"))
		subs := subscriptions(t, w, "agent")
		if len(subs) != 1 || subs["laptop"].P256dh != again.p256dh() || subs["laptop"].Auth != again.authKey() {
			t.Fatalf("after re-subscribing: %+v, want one subscription with the new keys", subs)
		}

		// Another person signs in on that browser.
		again.subscribe(t, w, "supervisor", ps.endpoint("laptop"))
		if _, ok := subscriptions(t, w, "agent")["laptop"]; ok {
			t.Error("the endpoint stayed the agent's after the supervisor subscribed it")
		}
		if _, ok := subscriptions(t, w, "supervisor")["laptop"]; !ok {
			t.Error("the endpoint is not the supervisor's")
		}

		// The cap: 20 per member; re-subscribing one of them still works.
		for i := range push.MaxPerMember {
			newBrowser(t).subscribe(t, w, "agent", ps.endpoint(fmt.Sprint("device", i)))
		}
		b := newBrowser(t)
		_, err := c.Notification.SubscribePush(w.As("agent"), &tandemv1.SubscribePushRequest{WorkspaceId: w.W1.ID,
			Endpoint: ps.endpoint("one-too-many"), P256Dh: b.p256dh(), Auth: b.authKey()})
		rpctest.WantCode(t, err, connect.CodeResourceExhausted)
		b.subscribe(t, w, "agent", ps.endpoint("device3"))
		if n := len(subscriptions(t, w, "agent")); n != push.MaxPerMember {
			t.Fatalf("%d subscriptions, want %d", n, push.MaxPerMember)
		}

		// Only the agent unsubscribes the agent's endpoint.
		unsubscribe := func(name, workspaceID, endpoint string) error {
			_, err := c.Notification.UnsubscribePush(w.As(name), &tandemv1.UnsubscribePushRequest{WorkspaceId: workspaceID, Endpoint: endpoint})
			return err
		}
		rpctest.WantCode(t, unsubscribe("w2owner", w.W2.ID, ps.endpoint("device1")), 0)
		rpctest.WantCode(t, unsubscribe("w2owner", w.W1.ID, ps.endpoint("device1")), connect.CodeNotFound)
		rpctest.WantCode(t, unsubscribe("owner", w.W1.ID, ps.endpoint("device1")), 0)
		if _, ok := subscriptions(t, w, "agent")["device1"]; !ok {
			t.Fatal("someone else's unsubscribe removed the agent's subscription")
		}
		rpctest.WantCode(t, unsubscribe("agent", w.W1.ID, ps.endpoint("device1")), 0)
		rpctest.WantCode(t, unsubscribe("agent", w.W1.ID, ps.endpoint("device1")), 0)
		if _, ok := subscriptions(t, w, "agent")["device1"]; ok {
			t.Fatal("the agent's unsubscribe left the subscription")
		}

		// A member removed from the workspace gets no more pushes there.
		if err := w.Srv.Domain().Workspaces.RemoveMember(w.Ctx, w.Principal("owner"), w.OwnerScope(w.W1), w.Users["agent"].ID); err != nil {
			t.Fatal(err)
		}
		react(t, w)
		if subs := subscriptions(t, w, "agent"); len(subs) != 0 {
			t.Errorf("a removed member keeps %d subscriptions", len(subs))
		}
		if _, ok := subscriptions(t, w, "supervisor")["laptop"]; !ok {
			t.Error("removing the agent removed the supervisor's subscription")
		}
	})
}
