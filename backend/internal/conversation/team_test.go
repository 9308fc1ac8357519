package conversation_test

import (
	"context"
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

// TestTeamwork: a supervisor joins an agent's chat and replies beside them
// (the customer sees the join, the leave and both replies, attributed); an
// agent who has not joined cannot reply; a whisper goes to the owner only;
// a mention reaches the mentioned member's stream and nobody else's.
func TestTeamwork(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPCWeb)
		agent, sup, admin := w.As("agent"), w.As("supervisor"), w.As("admin")
		conv := w.Conversation(w.Visitor)
		if _, err := c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(w.Ctx, 20*time.Second)
		defer cancel()
		customer, err := c.Widget.Watch(rpcclient.WithToken(ctx, w.VisitorToken), &tandemv1.WidgetServiceWatchRequest{ConversationId: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		adminStream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("admin")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		agentStream, err := c.Conversation.Watch(rpcclient.WithToken(ctx, w.Token("agent")), &tandemv1.WatchRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}

		_, err = c.Conversation.SendMessage(admin, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "butting in"})
		rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
		_, err = c.Conversation.JoinConversation(agent, &tandemv1.JoinConversationRequest{ConversationId: conv.ID})
		rpctest.WantCode(t, err, connect.CodePermissionDenied) // agents do not join; supervisors do
		joined, err := c.Conversation.JoinConversation(sup, &tandemv1.JoinConversationRequest{ConversationId: conv.ID})
		if err != nil || len(joined.GetConversation().GetParticipantUserIds()) != 1 {
			t.Fatalf("join: %v %v", joined, err)
		}
		for _, step := range []struct {
			ctx  context.Context
			body string
		}{{sup, "Hi, I'm the supervisor"}, {agent, "And I'm still here"}} {
			if _, err := c.Conversation.SendMessage(step.ctx, &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: step.body}); err != nil {
				t.Fatal(err)
			}
		}
		whisper, err := c.Conversation.AddNote(sup, &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "offer 10% off", Whisper: true})
		if err != nil || whisper.GetNote().GetActivityData()["whisper_to"] != w.Users["agent"].ID {
			t.Fatalf("whisper: %v %v", whisper, err)
		}
		_, err = c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "psst", Whisper: true})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		_, err = c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(), Body: "@nobody", MentionUserIds: []string{w.Users["w2owner"].ID}})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		if _, err := c.Conversation.AddNote(agent, &tandemv1.AddNoteRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
			Body: "@admin can you approve?", MentionUserIds: []string{w.Users["admin"].ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Conversation.LeaveConversation(sup, &tandemv1.LeaveConversationRequest{ConversationId: conv.ID}); err != nil {
			t.Fatal(err)
		}

		// The customer: joined, two attributed replies, left; no whisper, no note.
		var seen []string
		for customer.Receive() && len(seen) < 4 {
			ev := customer.Msg().GetEvent()
			m := ev.GetMessage()
			switch {
			case m == nil:
			case m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE:
				t.Fatalf("customer saw a note: %v", m)
			case m.GetActivity() == "agent_joined" || m.GetActivity() == "agent_left":
				seen = append(seen, m.GetActivity()+":"+m.GetAuthorName())
			case m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_TEXT:
				seen = append(seen, m.GetAuthorName()+":"+m.GetBody())
			}
		}
		want := []string{"agent_joined:supervisor", "supervisor:Hi, I'm the supervisor", "agent:And I'm still here", "agent_left:supervisor"}
		for i := range want {
			if i >= len(seen) || seen[i] != want[i] {
				t.Fatalf("customer saw %v, want %v", seen, want)
			}
		}

		// The mention reaches the admin's stream, not the agent's.
		mentioned := func(s interface {
			Receive() bool
			Msg() *tandemv1.WatchResponse
		}, until string) bool {
			for s.Receive() {
				ev := s.Msg().GetEvent()
				if ev.GetType() == string(events.MemberMentioned) {
					return true
				}
				if ev.GetType() == string(events.ConversationLeft) && until == "left" {
					return false
				}
			}
			return false
		}
		if !mentioned(adminStream, "") {
			t.Fatal("the mentioned admin got no member.mentioned event")
		}
		if mentioned(agentStream, "left") {
			t.Fatal("the agent's stream carried a mention of someone else")
		}
	})
}
