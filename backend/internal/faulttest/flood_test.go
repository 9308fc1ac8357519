package faulttest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestVisitorFloodRateLimited has one widget visitor fire fifty sends at
// once while another visitor chats at a human pace: the flood gets
// ResourceExhausted (with Retry-After) beyond its budget, and the other
// visitor is never refused nor held up. A flood of new sessions from one
// client IP is limited the same way. The workspace's agent, from the same
// address, is never refused meanwhile: it lists the inbox, takes over the
// calm visitor's conversation and replies, during both floods (RATE-01's
// "agents unaffected": the widget's budgets are the widget's alone).
func TestVisitorFloodRateLimited(t *testing.T) {
	t.Parallel()
	const (
		perSecond = 1
		burst     = 5
	)
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, func(c *config.Config) {
			c.WidgetRate, c.WidgetBurst = perSecond, burst
			c.WidgetSessionsPerMinute, c.WidgetSessionBurst = 60*perSecond, burst
		})
		ctx := context.Background()
		owner, _, err := srv.Domain().Accounts.EnsureUser(ctx, "flood-owner@example.test", "Owner", ownerPassword)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := srv.Domain().Workspaces.Create(ctx, &access.Principal{Kind: access.KindUser, UserID: owner.ID}, "Flooded")
		if err != nil {
			t.Fatal(err)
		}
		client := srv.Clients(rpcclient.Connect)
		flooder, err := rpcclient.NewVisitor(ctx, client, ws.PublicKey, "Flooder")
		if err != nil {
			t.Fatal(err)
		}
		calm, err := rpcclient.NewVisitor(ctx, client, ws.PublicKey, "Calm")
		if err != nil {
			t.Fatal(err)
		}

		agent, err := rpcclient.Login(ctx, srv.URL, "flood-owner@example.test", ownerPassword)
		if err != nil {
			t.Fatal(err)
		}
		asAgent := rpcclient.WithToken(ctx, agent.Token)
		// serve is the agent's work between the calm visitor's sends.
		serve := func(when string, i int) {
			if _, err := client.Conversation.ListConversations(asAgent, &tandemv1.ListConversationsRequest{WorkspaceId: ws.ID}); err != nil {
				t.Errorf("%s: the agent's inbox was refused: %v", when, err)
			}
			if i == 0 {
				if _, err := client.Conversation.TakeOverConversation(asAgent, &tandemv1.TakeOverConversationRequest{ConversationId: calm.ConversationID}); err != nil {
					t.Errorf("%s: the agent's take-over was refused: %v", when, err)
				}
			}
			if _, err := client.Conversation.SendMessage(asAgent, &tandemv1.SendMessageRequest{ConversationId: calm.ConversationID,
				ClientId: uuid.NewString(), Body: fmt.Sprintf("On it (%d).", i)}); err != nil {
				t.Errorf("%s: the agent's reply was refused: %v", when, err)
			}
		}

		var ok, limited atomic.Int64
		var other atomic.Value
		start := time.Now()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for range 5 {
					_, err := flooder.Send(ctx, client, uuid.NewString(), "buy now")
					var ce *connect.Error
					switch {
					case err == nil:
						ok.Add(1)
					case errors.As(err, &ce) && ce.Code() == connect.CodeResourceExhausted && ce.Meta().Get("Retry-After") != "":
						limited.Add(1)
					default:
						other.Store(err)
					}
				}
			})
		}
		// The calm visitor stays within its budget: four sends, 300 ms apart.
		var slowest time.Duration
		for i := range 4 {
			sent := time.Now()
			if _, err := calm.Send(ctx, client, uuid.NewString(), "where is my order?"); err != nil {
				t.Errorf("the calm visitor was refused during the flood: %v", err)
			}
			slowest = max(slowest, time.Since(sent))
			serve("during the send flood", i)
			time.Sleep(300 * time.Millisecond)
		}
		wg.Wait()
		took := time.Since(start)
		if err := other.Load(); err != nil {
			t.Errorf("the flood got another error than ResourceExhausted with Retry-After: %v", err)
		}
		budget := int64(burst + perSecond*took.Seconds() + 1)
		t.Logf("flood of 50 sends: %d accepted (budget %d over %v), %d refused; the calm visitor's slowest send %v",
			ok.Load(), budget, took.Round(time.Millisecond), limited.Load(), slowest)
		if limited.Load() == 0 || ok.Load() > budget {
			t.Errorf("%d of 50 flood sends accepted over %v, budget %d: not limited", ok.Load(), took, budget)
		}
		if slowest > time.Second {
			t.Errorf("the calm visitor waited %v for a send during the flood", slowest)
		}

		// New sessions from one IP: the burst passes, then ResourceExhausted.
		refused := 0
		for range 3 * burst {
			_, err := client.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: ws.PublicKey})
			if connect.CodeOf(err) == connect.CodeResourceExhausted {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if refused == 0 {
			t.Errorf("%d sessions started at once from one IP, none refused", 3*burst)
		}
		serve("after the session flood", 4)
		// The visitors already in session are not affected.
		if _, err := calm.Send(ctx, client, uuid.NewString(), "still there?"); err != nil {
			t.Errorf("the calm visitor was refused after the session flood: %v", err)
		}
	})
}
