package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestPresence sets status, capacity and skills, and lists the team with
// their workload.
func TestPresence(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent, sup := w.As("agent"), w.As("supervisor")
		if _, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, w.Srv.DB(), "events", "workspace_id = ? AND type = ?", w.W1.ID, events.PresenceChanged); n != 1 {
			t.Fatalf("%d presence events for one change", n)
		}
		if _, err := c.Presence.SetAgentSettings(agent, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, MaxChats: 2, Skills: []string{"en", "returns"}}); err != nil {
			t.Fatalf("own settings: %v", err)
		}
		_, err := c.Presence.SetAgentSettings(agent, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, UserId: w.Users["admin"].ID, MaxChats: 9})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		_, err = c.Presence.SetAgentSettings(sup, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, UserId: w.Users["w2owner"].ID, MaxChats: 9})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		_, err = c.Presence.SetAgentSettings(sup, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, MaxChats: 2, Skills: []string{"Not A Skill"}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		if _, err := c.Presence.SetAgentSettings(sup, &tandemv1.SetAgentSettingsRequest{WorkspaceId: w.W1.ID, UserId: w.Users["admin"].ID, MaxChats: 8}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
		}

		list, err := c.Presence.ListAgents(agent, &tandemv1.ListAgentsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*tandemv1.AgentStatus{}
		for _, a := range list.GetAgents() {
			byID[a.GetUserId()] = a
		}
		a := byID[w.Users["agent"].ID]
		if a.GetStatus() != tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE || a.GetMaxChats() != 2 || a.GetOpenChats() != 2 ||
			len(a.GetSkills()) != 2 || a.GetDisplayName() != "agent" {
			t.Fatalf("agent = %v", a)
		}
		if adm := byID[w.Users["admin"].ID]; adm.GetMaxChats() != 8 || adm.GetStatus() != tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE {
			t.Fatalf("admin = %v", adm)
		}
		if o := byID[w.Users["owner"].ID]; o.GetMaxChats() != 5 || o.GetOpenChats() != 0 || o.GetStatus() != tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE {
			t.Fatalf("owner (never set) = %v", o)
		}
		if _, ok := byID[w.Users["removed"].ID]; ok || len(byID) != 4 {
			t.Fatalf("listed %d agents: %v", len(byID), byID)
		}
	})
}

// TestReopenByCustomer: a customer writing to a closed conversation brings
// it back to its last owner when they are online, else to the queue.
func TestReopenByCustomer(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		reopen := func(online bool) *tandemv1.WidgetConversation {
			status := tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE
			if online {
				status = tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE
			}
			if _, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: status}); err != nil {
				t.Fatal(err)
			}
			conv := w.Conversation(w.Visitor)
			if _, err := c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: conv.ID}); err != nil {
				t.Fatal(err)
			}
			resp, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "one more question"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.Srv.Domain().Conversations.Get(w.Ctx, w.W1.ID, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if online && got.AssigneeID != w.Users["agent"].ID || !online && got.AssigneeID != "" {
				t.Errorf("online=%v: assignee after reopen = %q", online, got.AssigneeID)
			}
			return resp.GetConversation()
		}
		if st := reopen(true).GetState(); st != tandemv1.ConversationState_CONVERSATION_STATE_ACTIVE {
			t.Errorf("owner online: state %v, want active", st)
		}
		if st := reopen(false).GetState(); st != tandemv1.ConversationState_CONVERSATION_STATE_PENDING {
			t.Errorf("owner offline: state %v, want pending", st)
		}
	})
}

// TestPresenceInactivity: an online agent whose app has no stream open goes
// offline (with an event saying why) and comes back online when a stream
// opens again; one with a stream open stays online.
func TestPresenceInactivity(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		if _, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE}); err != nil {
			t.Fatal(err)
		}
		online := func() bool {
			ok, err := w.Srv.Domain().Presence.Online(w.Ctx, w.W1.ID, w.Users["agent"].ID)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		// Nothing seen after this instant yet: an expiry up to a minute ago
		// leaves the agent alone.
		if n, err := w.Srv.Domain().Presence.ExpireInactive(w.Ctx, time.Now().Add(-time.Minute)); err != nil || n != 0 || !online() {
			t.Fatalf("expired %d (%v), online %v", n, err, online())
		}
		if n, err := w.Srv.Domain().Presence.ExpireInactive(w.Ctx, time.Now().Add(time.Second)); err != nil || n != 1 || online() {
			t.Fatalf("expired %d (%v), online %v", n, err, online())
		}
		if n, err := w.Srv.Domain().Presence.ExpireInactive(w.Ctx, time.Now().Add(time.Second)); err != nil || n != 0 {
			t.Fatalf("expired again: %d (%v)", n, err)
		}
		var payload string
		if err := w.Srv.DB().GetContext(w.Ctx, &payload, `SELECT payload FROM events WHERE workspace_id = ? AND type = ?
			ORDER BY seq DESC LIMIT 1`, w.W1.ID, events.PresenceChanged); err != nil || !strings.Contains(payload, `"reason":"inactive"`) || !strings.Contains(payload, `"offline"`) {
			t.Fatalf("last presence event %s (%v)", payload, err)
		}

		// The app reconnects: its stream's first heartbeat brings the agent back.
		ctx, cancel := context.WithCancel(agent)
		defer cancel()
		stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !stream.Receive() {
			t.Fatal(stream.Err())
		}
		if !online() {
			t.Fatal("a reconnected agent is still offline")
		}
		if err := w.Srv.DB().GetContext(w.Ctx, &payload, `SELECT payload FROM events WHERE workspace_id = ? AND type = ?
			ORDER BY seq DESC LIMIT 1`, w.W1.ID, events.PresenceChanged); err != nil || !strings.Contains(payload, `"reason":"reconnected"`) {
			t.Fatalf("last presence event %s (%v)", payload, err)
		}
		// An agent who chose to go offline is never brought back by a stream.
		if _, err := c.Presence.SetPresence(agent, &tandemv1.SetPresenceRequest{WorkspaceId: w.W1.ID, Status: tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE}); err != nil {
			t.Fatal(err)
		}
		stream2, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil || !stream2.Receive() {
			t.Fatal(err, stream2.Err())
		}
		if online() {
			t.Fatal("an agent who went offline was brought online by a stream")
		}
	})
}
