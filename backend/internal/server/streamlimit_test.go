package server_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityStreamCaps (issue 14, item 8): a visitor, a member and a
// client address each hold at most their configured number of streams at
// once; one more is refused with ResourceExhausted, and a slot is free
// again as soon as a stream ends.
func TestSecurityStreamCaps(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, func(c *config.Config) {
			c.MaxStreamsPerVisitor, c.MaxStreamsPerMember, c.MaxStreamsPerAddress = 2, 3, 7
		}))
		c := w.Srv.Clients(rpcclient.GRPC)
		conv := w.Conversation(w.Visitor)
		visitorCtx := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		// open opens a stream and reads its first message: nil while the
		// stream stays open (until the test ends or close is called).
		type opener func(ctx context.Context) (closeIt func(), first error)
		widget := func(ctx context.Context) (func(), error) {
			ctx, cancel := context.WithCancel(ctx)
			s, err := c.Widget.Watch(ctx, &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
			if err == nil && !s.Receive() {
				err = s.Err()
			}
			t.Cleanup(cancel)
			return cancel, err
		}
		member := func(ctx context.Context) (func(), error) {
			ctx, cancel := context.WithCancel(ctx)
			s, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
			if err == nil && !s.Receive() {
				err = s.Err()
			}
			t.Cleanup(cancel)
			return cancel, err
		}
		fill := func(name string, open opener, ctx context.Context, n int) []func() {
			var closes []func()
			for i := range n {
				cl, err := open(ctx)
				if err != nil {
					t.Fatalf("%s stream %d: %v", name, i+1, err)
				}
				closes = append(closes, cl)
			}
			return closes
		}
		refused := func(name string, open opener, ctx context.Context) {
			t.Helper()
			cl, err := open(ctx)
			defer cl()
			if connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Fatalf("%s beyond its cap: %v, want ResourceExhausted", name, err)
			}
		}
		// reopens shows a slot freed: a stream opens again soon after one ended.
		reopens := func(name string, open opener, ctx context.Context) func() {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				cl, err := open(ctx)
				if err == nil {
					return cl
				}
				cl()
				if connect.CodeOf(err) != connect.CodeResourceExhausted || time.Now().After(deadline) {
					t.Fatalf("%s after closing one: %v", name, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}

		visitor := fill("visitor", widget, visitorCtx, 2)
		refused("visitor", widget, visitorCtx)
		visitor[0]()
		visitor[0] = reopens("visitor", widget, visitorCtx)

		agent := w.As("agent")
		fill("member", member, agent, 3)
		refused("member", member, agent)
		// Another member has slots of their own, up to the address's cap:
		// 2 + 3 + 2 = 7 streams from 127.0.0.1.
		admin := w.As("admin")
		adminStreams := fill("another member", member, admin, 2)
		refused("the address", member, admin)
		adminStreams[1]()
		reopens("the address", member, admin)
	})
}
