package push_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPushHostileService (HOOK-01): a push service that answers 201 and
// then a body that never ends is cut at the client's body limit, and one
// that trickles its body a byte at a time is cut at the send's deadline
// (5 s): neither holds the reactor for long, and each push counts as
// delivered by its 201, as does a well-behaved push service's beside them.
func TestPushHostileService(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		ps := newPushService(t)
		names := []string{"ok", "endless", "trickle"}
		for _, name := range names {
			newBrowser(t).subscribe(t, w, "agent", ps.endpoint(name))
		}
		w.Conversation(w.Visitor)
		start := time.Now()
		react(t, w)
		if took := time.Since(start); took > 15*time.Second { // a generous liveness bound; the deadline is 5 s
			t.Errorf("the reactors took %v", took)
		}
		subs := subscriptions(t, w, "agent")
		for _, name := range names {
			if n := len(ps.pushes(name)); n != 1 {
				t.Errorf("%s got %d pushes, want 1", name, n)
			}
			s, kept := subs[name]
			switch {
			case !kept:
				t.Errorf("%s: the subscription was deleted", name)
			case s.LastSuccessAt == 0 || s.Failures != 0:
				t.Errorf("%s: last success %d, failures %d; want a success (the 201 is the answer)", name, s.LastSuccessAt, s.Failures)
			}
		}
	})
}

// TestPushSubscribePorts (HOOK-01): an endpoint on the port of a mail,
// database or other non-web service is refused, as InvalidArgument naming
// the endpoint; a push service on another port is taken.
func TestPushSubscribePorts(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		b := newBrowser(t)
		for _, endpoint := range []string{"https://push.example.test:25/v1/a", "https://push.example.test:6379/v1/a",
			"https://93.184.215.14:3306/v1/a", "https://[2606:4700::1111]:5432/v1/a", "https://push.example.test:99999/v1/a"} {
			_, err := c.Notification.SubscribePush(w.As("agent"), &tandemv1.SubscribePushRequest{WorkspaceId: w.W1.ID,
				Endpoint: endpoint, P256Dh: b.p256dh(), Auth: b.authKey()})
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "endpoint") {
				t.Errorf("%s: %v, want InvalidArgument naming the endpoint", endpoint, err)
			}
		}
		if n := len(subscriptions(t, w, "agent")); n != 0 {
			t.Fatalf("%d subscriptions stored", n)
		}
		for _, endpoint := range []string{"https://push.example.test/v1/a", "https://push.example.test:8443/v1/b", "https://93.184.215.14:9443/v1/c"} {
			b.subscribe(t, w, "agent", endpoint)
		}
		if n := len(subscriptions(t, w, "agent")); n != 3 {
			t.Fatalf("%d subscriptions stored, want 3", n)
		}
	})
}
