package routing_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestRerouteCap (issue 15, item 17): a chat whose agents let the reply
// timeout lapse goes to another agent each time, never back to the one who
// just let it lapse, and at most max_reroutes times (a routing setting,
// default 3, validated). Past the cap it stays in the queue flagged as
// needing attention, streamed to watchers, and supervisors (and only they)
// are notified once, even with two replicas routing at the same moment.
// When the only eligible agent is the one who let it lapse, it waits in the
// queue rather than going back to them. Taking, assigning or closing a
// flagged chat clears the flag.
func TestRerouteCap(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet) // only the test routes and drains
		replica := rpctest.Start(t, opts, rpctest.Quiet)
		// Every reply timeout (20 s) has lapsed by the router's clocks: each
		// Route is the next round of timeouts.
		for _, s := range []*rpctest.Server{srv, replica} {
			s.Domain().Routing.SetClock(func() time.Time { return time.Now().Add(30 * time.Second) })
		}
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect)
		admin := w.As("admin")

		got, err := c.Routing.GetRoutingSettings(admin, &tandemv1.GetRoutingSettingsRequest{WorkspaceId: w.W1.ID})
		if err != nil || got.GetSettings().GetMaxReroutes() != 3 {
			t.Fatalf("default settings %v (%v), want max_reroutes 3", got, err)
		}
		settings := func(most *int32) *tandemv1.RoutingSettings {
			t.Helper()
			resp, err := c.Routing.UpdateRoutingSettings(admin, &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
				Mode: tandemv1.RoutingMode_ROUTING_MODE_BALANCED, ReplyTimeoutSeconds: 20, MaxReroutes: most})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetSettings()
		}
		if got := settings(nil); got.GetMaxReroutes() != 3 {
			t.Fatalf("first settings without a cap: %v, want the default 3", got)
		}
		for _, bad := range []int32{-1, 21} {
			_, err := c.Routing.UpdateRoutingSettings(admin, &tandemv1.UpdateRoutingSettingsRequest{WorkspaceId: w.W1.ID,
				Mode: tandemv1.RoutingMode_ROUTING_MODE_BALANCED, MaxReroutes: proto.Int32(bad)})
			rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		}
		if got := settings(proto.Int32(2)); got.GetMaxReroutes() != 2 {
			t.Fatalf("settings %v, want max_reroutes 2", got)
		}
		if got := settings(nil); got.GetMaxReroutes() != 2 {
			t.Fatalf("an update without a cap changed it: %v", got)
		}

		tokens := w.AgentTokens(2)
		var agents []string
		for id := range tokens {
			agents = append(agents, id)
		}
		online := func(id string, on bool) {
			t.Helper()
			status := tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE
			if on {
				status = tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE
			}
			if _, err := c.Presence.SetPresence(rpcclient.WithToken(w.Ctx, tokens[id]), &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID,
				Status: status}); err != nil {
				t.Fatal(err)
			}
		}
		route := func() {
			t.Helper()
			if _, err := srv.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil {
				t.Fatal(err)
			}
		}
		// datas are the data of the conversation's events of the type, in order.
		datas := func(id string, typ events.Type) []map[string]string {
			t.Helper()
			var payloads [][]byte
			if err := srv.DB().SelectContext(w.Ctx, &payloads, `SELECT payload FROM events WHERE conversation_id = ? AND type = ?
				ORDER BY seq`, id, typ); err != nil {
				t.Fatal(err)
			}
			var out []map[string]string
			for _, p := range payloads {
				var pl conversation.Payload
				if err := json.Unmarshal(p, &pl); err != nil {
					t.Fatal(err)
				}
				out = append(out, pl.Data)
			}
			return out
		}
		// assignees lists the agents the router gave the conversation, in order.
		assignees := func(id string) []string {
			var out []string
			for _, d := range datas(id, events.ConversationAssigned) {
				if d["how"] == "auto" {
					out = append(out, d["assignee_id"])
				}
			}
			return out
		}
		// flags counts the times routing gave up on the conversation.
		flags := func(id string) int {
			n := 0
			for _, d := range datas(id, events.ConversationUnassigned) {
				if d[conversation.DataNeedsAttention] == "true" {
					n++
				}
			}
			return n
		}
		view := func(id string) *tandemv1.Conversation {
			t.Helper()
			resp, err := c.Conversation.GetConversation(w.As("supervisor"), &tandemv1.GetConversationRequest{ConversationId: id})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetConversation()
		}
		// A supervisor watches the inbox.
		ctx, cancel := context.WithTimeout(w.As("supervisor"), time.Minute)
		defer cancel()
		stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			flagged = map[string][]bool{} // conversation -> needs_attention of each of its events
		)
		go func() {
			for stream.Receive() {
				if conv := stream.Msg().GetEvent().GetConversation(); conv != nil {
					mu.Lock()
					flagged[conv.GetId()] = append(flagged[conv.GetId()], conv.GetNeedsAttention())
					mu.Unlock()
				}
			}
		}()
		streamed := func(id string, want bool) {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				seen := flagged[id]
				mu.Unlock()
				if len(seen) > 0 && seen[len(seen)-1] == want {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the stream showed %s with needs_attention %v, want it ending %v", id, seen, want)
				}
			}
		}

		// Two agents online, the cap at 2: one agent, the other, the first
		// again, then the queue.
		online(agents[0], true)
		online(agents[1], true)
		bounced := w.Conversation(w.Visitor)
		for range 3 {
			route()
		}
		got3 := assignees(bounced.ID)
		if len(got3) != 3 || got3[0] == got3[1] || got3[1] == got3[2] || got3[0] != got3[2] {
			t.Fatalf("routed to %v: want three agents in turn, never the one who just let it lapse", got3)
		}
		if v := view(bounced.ID); v.GetNeedsAttention() || v.GetAssigneeUserId() == "" {
			t.Fatalf("before the cap: %v", v)
		}
		// The third lapse is over the cap: two replicas route at once.
		var wg sync.WaitGroup
		for _, s := range []*rpctest.Server{srv, replica, srv, replica} {
			wg.Go(func() {
				if _, err := s.Domain().Routing.Route(w.Ctx, w.W1.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		route()
		v := view(bounced.ID)
		if !v.GetNeedsAttention() || v.GetAssigneeUserId() != "" || v.GetState() != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Fatalf("past the cap: %v, want it waiting in the queue, flagged", v)
		}
		if got := assignees(bounced.ID); len(got) != 3 || flags(bounced.ID) != 1 {
			t.Fatalf("past the cap: routed to %v, flagged %d times; want 3 and once", got, flags(bounced.ID))
		}
		streamed(bounced.ID, true)
		if err := srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		var told []string
		if err := srv.DB().SelectContext(w.Ctx, &told, `SELECT user_id FROM notifications WHERE conversation_id = ? AND type = ?
			ORDER BY user_id`, bounced.ID, notify.NeedsAttention); err != nil {
			t.Fatal(err)
		}
		want := []string{w.Users["owner"].ID, w.Users["admin"].ID, w.Users["supervisor"].ID}
		slices.Sort(want)
		if !slices.Equal(told, want) {
			t.Fatalf("told %v, want the supervisors and above %v, once each", told, want)
		}
		list, err := c.Notification.ListNotifications(w.As("supervisor"), &tandemv1.ListNotificationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list.GetNotifications(), func(n *tandemv1.Notification) bool {
			return n.GetType() == tandemv1.NotificationType_NOTIFICATION_TYPE_NEEDS_ATTENTION && n.GetConversationId() == bounced.ID
		}) {
			t.Fatalf("the supervisor's notifications %v lack NEEDS_ATTENTION", list.GetNotifications())
		}
		// An agent takes it: the flag is gone, on the stream too.
		claimed, err := c.Conversation.ClaimConversation(rpcclient.WithToken(w.Ctx, tokens[agents[1]]),
			&tandemv1.ClaimConversationRequest{ConversationId: bounced.ID})
		if err != nil || claimed.GetConversation().GetNeedsAttention() {
			t.Fatalf("claimed: %v %v", claimed, err)
		}
		streamed(bounced.ID, false)

		// Only the agent who let it lapse is eligible: it waits in the queue.
		online(agents[1], false)
		alone := w.Conversation(w.Other)
		route()
		route()
		route()
		if got := assignees(alone.ID); !slices.Equal(got, []string{agents[0]}) {
			t.Fatalf("with one eligible agent routed to %v, want once to %s", got, agents[0])
		}
		if v := view(alone.ID); v.GetAssigneeUserId() != "" || v.GetNeedsAttention() {
			t.Fatalf("with one eligible agent: %v, want waiting in the queue, not flagged", v)
		}
		if err := srv.NotifyReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, srv.DB(), "notifications", "conversation_id = ? AND type = ?", alone.ID, notify.Assigned); n != 1 {
			t.Fatalf("%d assigned notifications, want 1", n)
		}
		online(agents[1], true) // someone else: it goes to them
		route()
		if got := assignees(alone.ID); !slices.Equal(got, []string{agents[0], agents[1]}) {
			t.Fatalf("with another agent back online routed to %v", got)
		}

		// No re-routes allowed: flagged at the first lapse; an assignment
		// clears it, and so does a close.
		settings(proto.Int32(0))
		for _, clear := range []func(id string) (*tandemv1.Conversation, error){
			func(id string) (*tandemv1.Conversation, error) {
				resp, err := c.Conversation.AssignConversation(w.As("supervisor"), &tandemv1.AssignConversationRequest{ConversationId: id,
					UserId: agents[0]})
				return resp.GetConversation(), err
			},
			func(id string) (*tandemv1.Conversation, error) {
				resp, err := c.Conversation.CloseConversation(w.As("supervisor"), &tandemv1.CloseConversationRequest{ConversationId: id})
				return resp.GetConversation(), err
			},
		} {
			conv := w.Conversation(w.Visitor)
			route()
			route()
			if v := view(conv.ID); !v.GetNeedsAttention() || flags(conv.ID) != 1 {
				t.Fatalf("cap 0, after one lapse: %v", v)
			}
			got, err := clear(conv.ID)
			if err != nil || got.GetNeedsAttention() || view(conv.ID).GetNeedsAttention() {
				t.Fatalf("after the clearing change: %v %v", got, err)
			}
		}
	})
}
