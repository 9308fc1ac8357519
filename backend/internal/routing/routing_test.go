package routing_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestRoutingFairness routes 300 waiting conversations to 5 agents with
// capacities 1 to 5, one of them offline: nobody exceeds their capacity, the
// offline agent gets none, and (balanced) the load is as even as capacities
// allow. As agents free up they get the next ones, most urgent first; a chat
// whose agent does not reply in time goes to someone else.
func TestRoutingFairness(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		tokens := w.AgentTokens(5)
		var ids []string
		for id := range tokens {
			ids = append(ids, id)
		}
		capacity := map[string]int{}
		for i, id := range ids {
			ctx := rpcclient.WithToken(w.Ctx, tokens[id])
			capacity[id] = i + 1
			if _, err := c.Presence.SetAgentSettings(ctx, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, MaxChats: int32(i + 1)}); err != nil {
				t.Fatal(err)
			}
			status := tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE
			if i == 4 {
				status = tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE
			}
			if _, err := c.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: status}); err != nil {
				t.Fatal(err)
			}
		}
		offline := ids[4]
		if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
			Mode: tandemv1.RoutingMode_ROUTING_MODE_BALANCED}); err != nil {
			t.Fatal(err)
		}

		// Fewer chats than capacity: balanced keeps loads within one of each
		// other (as capacities allow).
		for range 6 {
			w.Conversation(w.Visitor)
		}
		if n, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil || n != 6 {
			t.Fatalf("routed %d of 6 (%v)", n, err)
		}
		open, err := w.Srv.Domain().Conversations.OpenChats(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		low, high := 99, 0
		for id, cap := range capacity {
			if id == offline {
				continue
			}
			if open[id] < cap { // agents not at capacity must be within one of each other
				low = min(low, open[id])
			}
			high = max(high, open[id])
		}
		if open[offline] != 0 || high-low > 1 {
			t.Fatalf("unbalanced: %v (capacities %v)", open, capacity)
		}

		for range 300 {
			w.Conversation(w.Visitor)
		}
		urgent := w.Conversation(w.Other) // the newest, but urgent: served first
		if _, err := c.Conversation.SetPriority(w.As("owner"), &tandemv1.SetPriorityRequest{ConversationId: urgent.ID, Priority: tandemv1.Priority_PRIORITY_URGENT}); err != nil {
			t.Fatal(err)
		}
		n, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1+2+3+4-6 {
			t.Fatalf("routed %d, want the rest of the online capacity, 4", n)
		}
		open, err = w.Srv.Domain().Conversations.OpenChats(w.Ctx, w.W1.ID)
		if err != nil {
			t.Fatal(err)
		}
		for id, cap := range capacity {
			want := cap
			if id == offline {
				want = 0
			}
			if open[id] != want {
				t.Errorf("agent with capacity %d has %d chats, want %d", cap, open[id], want)
			}
		}
		got, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, urgent.ID)
		if err != nil || got.AssigneeID == "" {
			t.Fatalf("the urgent conversation was not served first: %+v %v", got, err)
		}
		if again, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil || again != 0 {
			t.Fatalf("a second pass with everyone full routed %d (%v)", again, err)
		}

		// The agent with capacity 1 answers and closes their chat: they get the next.
		solo := ids[0]
		mine, err := c.Conversation.ListConversations(rpcclient.WithToken(w.Ctx, tokens[solo]), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
			Filter: &tandemv1.ConversationFilter{Assignee: tandemv1.ConversationFilter_ASSIGNEE_ME}})
		if err != nil || len(mine.GetConversations()) != 1 {
			t.Fatalf("solo's chats: %v %v", mine, err)
		}
		first := mine.GetConversations()[0].GetId()
		soloCtx := rpcclient.WithToken(w.Ctx, tokens[solo])
		if _, err := c.Conversation.SendMessage(soloCtx, &tandemv1.SendMessageRequest{ConversationId: first, ClientId: uuid.NewString(), Body: "Hello!"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.CloseConversation(soloCtx, &tandemv1.CloseConversationRequest{ConversationId: first}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil || n != 1 {
			t.Fatalf("after a close, routed %d (%v), want 1", n, err)
		}
		open, _ = w.Srv.Domain().Conversations.OpenChats(w.Ctx, w.W1.ID)
		if open[solo] != 1 {
			t.Fatalf("the freed agent has %d chats", open[solo])
		}

		// Nobody replies for over a second: every unanswered chat goes back to
		// the queue (the agent who let it lapse goes last in line for it) and
		// is routed again, within capacity.
		if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
			Mode: tandemv1.RoutingMode_ROUTING_MODE_BALANCED, ReplyTimeoutSeconds: 1}); err != nil {
			t.Fatal(err)
		}
		before, _ := w.Srv.Domain().Conversations.Queue(w.Ctx, w.W1.ID, 500)
		time.Sleep(1100 * time.Millisecond)
		if _, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		after, _ := w.Srv.Domain().Conversations.Queue(w.Ctx, w.W1.ID, 500)
		if len(after) != len(before) {
			t.Fatalf("queue %d before the timeouts, %d after: lapsed chats were not all re-routed", len(before), len(after))
		}
		lapsed := storetest.Count(t, w.Srv.DB(), "messages", "workspace_id = ? AND activity = 'unassigned' AND activity_data LIKE '%reply_timeout%'", w.W1.ID)
		if lapsed != 10 {
			t.Fatalf("%d chats lapsed, want the 10 unanswered ones", lapsed)
		}
		again := storetest.Count(t, w.Srv.DB(), "conversations", "workspace_id = ? AND routed_at > 0 AND assignee_id = last_routed_to AND state = 'active'", w.W1.ID)
		if again != 10 {
			t.Fatalf("%d chats re-routed", again)
		}
		open, _ = w.Srv.Domain().Conversations.OpenChats(w.Ctx, w.W1.ID)
		for id, cap := range capacity {
			if id != offline && open[id] > cap {
				t.Errorf("agent over capacity after re-routing: %d > %d", open[id], cap)
			}
		}
	})
}

// TestRoutingLoop turns the server's own routing loop on and sees a waiting
// chat go to the one online agent without anyone calling Route.
func TestRoutingLoop(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) { c.RoutingInterval = 50 * time.Millisecond })
	w := rpctest.WorldOn(t, srv)
	c := srv.Clients(rpcclient.Connect)
	if _, err := c.Presence.SetPresence(w.As("agent"), &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID, Mode: tandemv1.RoutingMode_ROUTING_MODE_ROUND_ROBIN}); err != nil {
		t.Fatal(err)
	}
	conv := w.Conversation(w.Visitor)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AssigneeID == w.Users["agent"].ID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not routed after 5s: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRoutingSkillsAndGroupLimits routes by needed skills (an agent must
// have all of them) and by a group's cap on each member's chats.
func TestRoutingSkillsAndGroupLimits(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		tokens := w.AgentTokens(2)
		var german, english string
		for id, token := range tokens {
			ctx := rpcclient.WithToken(w.Ctx, token)
			skills := []string{"en", "billing"}
			if german == "" {
				german, skills = id, []string{"de", "en"}
			} else {
				english = id
			}
			if _, err := c.Presence.SetAgentSettings(ctx, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, MaxChats: 10, Skills: skills}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Presence.SetPresence(ctx, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID,
				Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Routing.UpdateRoutingSettings(w.As("admin"), &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
			Mode: tandemv1.RoutingMode_ROUTING_MODE_BALANCED}); err != nil {
			t.Fatal(err)
		}
		needs := func(skills ...string) string {
			conv := w.Conversation(w.Visitor)
			resp, err := c.Conversation.SetRequiredSkills(w.As("agent"), &tandemv1.SetRequiredSkillsRequest{ConversationId: conv.ID, Skills: skills})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.GetConversation().GetRequiredSkills(); len(got) != len(skills) {
				t.Fatalf("required skills = %v, want %v", got, skills)
			}
			return conv.ID
		}
		assignee := func(id string) string {
			got, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			return got.AssigneeID
		}
		de, billing, nobody := needs("de"), needs("billing", "en"), needs("de", "billing")
		if _, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		if assignee(de) != german || assignee(billing) != english || assignee(nobody) != "" {
			t.Fatalf("de -> %s, billing -> %s, de+billing -> %q; want %s, %s and nobody",
				assignee(de), assignee(billing), assignee(nobody), german, english)
		}
		_, err := c.Conversation.SetRequiredSkills(w.As("agent"), &tandemv1.SetRequiredSkillsRequest{ConversationId: de, Skills: []string{"Not A Skill"}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)

		// A group whose members take at most 2 chats when routed its own.
		g, err := c.Workspace.CreateGroup(w.As("admin"), &tandemv1.CreateGroupRequest{WorkspaceId: w.W1.ID, Name: "VIP", MaxChatsPerAgent: 2})
		if err != nil || g.GetGroup().GetMaxChatsPerAgent() != 2 {
			t.Fatalf("create group: %v %v", g, err)
		}
		for id := range tokens {
			if _, err := c.Workspace.AddGroupMember(w.As("admin"), &tandemv1.AddGroupMemberRequest{GroupId: g.GetGroup().GetId(), UserId: id}); err != nil {
				t.Fatal(err)
			}
		}
		var vip []string
		for range 5 {
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.TransferConversation(w.As("supervisor"), &tandemv1.TransferConversationRequest{
				ConversationId: conv.ID, To: &tandemv1.TransferConversationRequest_GroupId{GroupId: g.GetGroup().GetId()}}); err != nil {
				t.Fatal(err)
			}
			vip = append(vip, conv.ID)
		}
		if _, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		// Each agent already holds one chat: one more each fits under the cap.
		routed := 0
		for _, id := range vip {
			if assignee(id) != "" {
				routed++
			}
		}
		if routed != 2 {
			t.Fatalf("%d VIP chats routed, want 2 (cap 2, each agent holding 1)", routed)
		}
		if _, err := c.Workspace.UpdateGroup(w.As("admin"), &tandemv1.UpdateGroupRequest{GroupId: g.GetGroup().GetId(),
			MaxChatsPerAgent: proto.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.Srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil || n != 3 {
			t.Fatalf("after lifting the cap routed %d, want 3 (%v)", n, err)
		}
	})
}
