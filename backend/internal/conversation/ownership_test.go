package conversation_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestConcurrentClaim has 20 agents claim one conversation at the same
// moment, over all three protocols, several times: exactly one wins, the
// rest are told who did, the database holds the winner and one event.
func TestConcurrentClaim(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		agents := w.AgentTokens(20)
		for round := range 3 {
			conv := w.Conversation(w.Visitor)
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []string
				losses  []error
				start   = make(chan struct{})
			)
			i := 0
			for id, token := range agents {
				c := w.Srv.Clients(rpcclient.Protocols()[i%3])
				i++
				wg.Go(func() {
					<-start
					_, err := c.Conversation.ClaimConversation(rpcclient.WithToken(w.Ctx, token), &tandemv1.ClaimConversationRequest{ConversationId: conv.ID})
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						winners = append(winners, id)
					} else {
						losses = append(losses, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d winners", round, len(winners))
			}
			winner, err := w.Srv.Domain().Accounts.User(w.Ctx, winners[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range losses {
				if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), winner.DisplayName) {
					t.Fatalf("round %d: loser got %v, want FailedPrecondition naming %q", round, err, winner.DisplayName)
				}
			}
			got, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, conv.ID)
			if err != nil || got.AssigneeID != winners[0] || got.State != "active" {
				t.Fatalf("round %d: stored %+v %v", round, got, err)
			}
			if n := storetest.Count(t, w.Srv.DB(), "events", "conversation_id = ? AND type = ?", conv.ID, events.ConversationAssigned); n != 1 {
				t.Fatalf("round %d: %d assigned events", round, n)
			}
			// The winner claiming again changes nothing.
			if _, err := w.Srv.Clients(rpcclient.Connect).Conversation.ClaimConversation(rpcclient.WithToken(w.Ctx, agents[winners[0]]),
				&tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
			if n := storetest.Count(t, w.Srv.DB(), "events", "conversation_id = ? AND type = ?", conv.ID, events.ConversationAssigned); n != 1 {
				t.Fatalf("round %d: a repeated claim added an event", round)
			}
		}
	})
}

// TestOwnership walks take-over, transfer with a note, unassign and
// priority, and the customer's view of a person joining.
func TestOwnership(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent, supervisor := w.As("agent"), w.As("supervisor")
		conv := w.Conversation(w.Visitor)

		ctx, cancel := context.WithTimeout(w.Ctx, 20*time.Second)
		defer cancel()
		customer, err := c.Widget.Watch(rpcclient.WithToken(ctx, w.VisitorToken), &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}

		resp, err := c.Conversation.TakeOverConversation(agent, &tandemv1.TakeOverConversationRequest{ConversationId: conv.ID})
		if err != nil || resp.GetConversation().GetAssigneeUserId() != w.Users["agent"].ID {
			t.Fatalf("agent takes over from the queue: %v %v", resp, err)
		}
		for customer.Receive() {
			ev := customer.Msg().GetEvent()
			if ev.GetMessage().GetActivity() == "agent_joined" {
				if ev.GetMessage().GetAuthorName() != "agent" || ev.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE {
					t.Fatalf("join as the customer sees it: %v", ev)
				}
				break
			}
		}
		_, err = c.Conversation.TakeOverConversation(w.As("admin"), &tandemv1.TakeOverConversationRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatalf("admin takes over from an agent: %v", err)
		}
		_, err = c.Conversation.TakeOverConversation(agent, &tandemv1.TakeOverConversationRequest{ConversationId: conv.ID})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)

		// Transfer to a group, with a note for the group.
		billing := w.Group(w.W1)
		tr, err := c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
			To: &tandemv1.TransferConversationRequest_GroupId{GroupId: billing.ID}, Note: "Refund over $200: billing decides"})
		if err != nil {
			t.Fatal(err)
		}
		if cv := tr.GetConversation(); cv.GetAssigneeUserId() != "" || cv.GetGroupId() != billing.ID || cv.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Fatalf("after transfer to a group: %v", cv)
		}
		hist, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for _, m := range hist.GetHistory() {
			if m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE && m.GetBody() == "Refund over $200: billing decides" {
				notes++
			}
		}
		if notes != 1 {
			t.Fatalf("the transfer note is not in the history: %v", hist.GetHistory())
		}
		public, err := c.Widget.ListMessages(rpcclient.WithToken(w.Ctx, w.VisitorToken), &tandemv1.ListMessagesRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range public.GetMessages() {
			if strings.Contains(m.GetBody(), "billing decides") || m.GetActivity() == "transferred" {
				t.Fatalf("the customer sees the transfer: %v", m)
			}
		}

		// Transfer to an agent; foreign members and groups are refused.
		_, err = c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
			To: &tandemv1.TransferConversationRequest_UserId{UserId: w.Users["w2owner"].ID}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, err = c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
			To: &tandemv1.TransferConversationRequest_GroupId{GroupId: w.Group(w.W2).ID}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, err = c.Conversation.AssignConversation(supervisor, &tandemv1.AssignConversationRequest{ConversationId: conv.ID, UserId: w.Users["removed"].ID})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		tr, err = c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: conv.ID,
			To: &tandemv1.TransferConversationRequest_UserId{UserId: w.Users["agent"].ID}})
		if err != nil || tr.GetConversation().GetAssigneeUserId() != w.Users["agent"].ID || tr.GetConversation().GetGroupId() != billing.ID {
			t.Fatalf("transfer to an agent: %v %v", tr, err)
		}

		un, err := c.Conversation.UnassignConversation(agent, &tandemv1.UnassignConversationRequest{ConversationId: conv.ID})
		if err != nil || un.GetConversation().GetAssigneeUserId() != "" || un.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Fatalf("unassign: %v %v", un, err)
		}
		// Again (a retry whose answer was lost): it waits in the queue already.
		if again, err := c.Conversation.UnassignConversation(agent, &tandemv1.UnassignConversationRequest{ConversationId: conv.ID}); err != nil ||
			again.GetConversation().GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Fatalf("unassign again: %v %v", again, err)
		}

		pr, err := c.Conversation.SetPriority(agent, &tandemv1.SetPriorityRequest{ConversationId: conv.ID, Priority: tandemv1.Priority_PRIORITY_URGENT})
		if err != nil || pr.GetConversation().GetPriority() != tandemv1.Priority_PRIORITY_URGENT {
			t.Fatalf("priority: %v %v", pr, err)
		}
		urgent, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
			Filter: &tandemv1.ConversationFilter{Priorities: []tandemv1.Priority{tandemv1.Priority_PRIORITY_URGENT}, GroupId: billing.ID}})
		if err != nil || len(urgent.GetConversations()) != 1 || urgent.GetConversations()[0].GetId() != conv.ID {
			t.Fatalf("urgent in billing: %v %v", urgent.GetConversations(), err)
		}

		// Closed conversations cannot be claimed until reopened.
		closed := w.Conversation(w.Visitor)
		if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: closed.ID}); err != nil {
			t.Fatal(err)
		}
		_, err = c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: closed.ID})
		rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	})
}

// TestSecurityOwnershipRule (issue 14, item 6): an agent may not assign to
// themselves, transfer, unassign, snooze, close or reopen a colleague's
// conversation; a supervisor may; an agent still may on their own and on
// unowned ones.
func TestSecurityOwnershipRule(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		colleague := &access.Principal{Kind: access.KindUser, UserID: w.QuickMember(w.W1, access.RoleAgent)}
		agentID, group := w.Users["agent"].ID, w.Group(w.W1).ID
		until := time.Now().Add(time.Hour).UnixMilli()
		ops := map[string]func(ctx context.Context, c rpcclient.Clients, id string) error{
			"assign self": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.AssignConversation(ctx, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: agentID})
				return err
			},
			"transfer to self": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.TransferConversation(ctx, &tandemv1.TransferConversationRequest{ConversationId: id,
					To: &tandemv1.TransferConversationRequest_UserId{UserId: agentID}})
				return err
			},
			"transfer to group": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.TransferConversation(ctx, &tandemv1.TransferConversationRequest{ConversationId: id,
					To: &tandemv1.TransferConversationRequest_GroupId{GroupId: group}})
				return err
			},
			"unassign": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.UnassignConversation(ctx, &tandemv1.UnassignConversationRequest{ConversationId: id})
				return err
			},
			"snooze": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.SnoozeConversation(ctx, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: until})
				return err
			},
			"close": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.CloseConversation(ctx, &tandemv1.CloseConversationRequest{ConversationId: id})
				return err
			},
			"reopen": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.ReopenConversation(ctx, &tandemv1.ReopenConversationRequest{ConversationId: id})
				return err
			},
			"take over": func(ctx context.Context, c rpcclient.Clients, id string) error {
				_, err := c.Conversation.TakeOverConversation(ctx, &tandemv1.TakeOverConversationRequest{ConversationId: id})
				return err
			},
		}
		// held makes a conversation owned by owner (nil: unowned), closed
		// first for reopen.
		held := func(name string, owner *access.Principal) string {
			c := w.Conversation(w.Visitor)
			if owner != nil {
				if _, err := w.Srv.Domain().Conversations.Claim(w.Ctx, owner, w.W1.ID, c.ID); err != nil {
					t.Fatal(err)
				}
			}
			if name == "reopen" {
				if _, err := w.Srv.Domain().Conversations.Close(w.Ctx, w.Principal("owner"), w.W1.ID, c.ID); err != nil {
					t.Fatal(err)
				}
			}
			return c.ID
		}
		client := w.Srv.Clients(rpcclient.Protocols()[0])
		for name, op := range ops {
			id := held(name, colleague)
			if err := op(w.As("agent"), client, id); connect.CodeOf(err) != connect.CodePermissionDenied {
				t.Errorf("agent %s on a colleague's conversation: got %v, want PermissionDenied", name, err)
			}
			c, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.AssigneeID != colleague.UserID {
				t.Errorf("agent %s on a colleague's conversation: owner now %q", name, c.AssigneeID)
			}
			if err := op(w.As("supervisor"), client, held(name, colleague)); err != nil {
				t.Errorf("supervisor %s on a colleague's conversation: %v", name, err)
			}
			if err := op(w.As("agent"), client, held(name, w.Principal("agent"))); err != nil {
				t.Errorf("agent %s on their own conversation: %v", name, err)
			}
			if name != "unassign" { // an unowned conversation has nothing to unassign
				if err := op(w.As("agent"), client, held(name, nil)); err != nil {
					t.Errorf("agent %s on an unowned conversation: %v", name, err)
				}
			}
		}
	})
}
