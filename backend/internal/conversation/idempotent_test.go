package conversation_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// eventTypes lists the types of the conversation's events, in log order.
func (w *world) eventTypes(conversationID string) []events.Type {
	w.T.Helper()
	var types []events.Type
	if err := w.Srv.DB().SelectContext(w.Ctx, &types, `SELECT type FROM events WHERE conversation_id = ? ORDER BY seq`, conversationID); err != nil {
		w.T.Fatal(err)
	}
	return types
}

// appended runs fn and returns the types of the events it appended to the
// conversation.
func (w *world) appended(conversationID string, fn func()) []events.Type {
	w.T.Helper()
	before := len(w.eventTypes(conversationID))
	fn()
	return w.eventTypes(conversationID)[before:]
}

// repeatable is one state change as a client sends it, and what its first
// call appends to the log.
type repeatable struct {
	name string
	// setup brings a fresh conversation of the visitor to where the change
	// applies.
	setup func(t *testing.T, id string)
	send  func(id string) (proto.Message, error)
	want  []events.Type
}

// repeatables are every state change of ConversationService (and the
// widget's close), each sent by a caller allowed to make it.
func (w *world) repeatables() []repeatable {
	c := w.Srv.Clients(rpcclient.Connect)
	svc := w.Srv.Domain().Conversations
	agent, supervisor := w.As("agent"), w.As("supervisor")
	visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
	agentID := w.Users["agent"].ID
	tag, group := w.Tag(w.W1), w.Group(w.W1).ID
	until := time.Now().Add(time.Hour).UnixMilli()
	ok := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	claimed := func(t *testing.T, id string) { // the agent owns it
		_, err := svc.Claim(w.Ctx, w.Principal("agent"), w.W1.ID, id)
		ok(t, err)
	}
	return []repeatable{
		{"close", nil, func(id string) (proto.Message, error) {
			return c.Conversation.CloseConversation(agent, &tandemv1.CloseConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationStateChanged}},
		{"widget close", nil, func(id string) (proto.Message, error) {
			return c.Widget.CloseConversation(visitor, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationStateChanged}},
		{"reopen", func(t *testing.T, id string) {
			_, err := svc.Close(w.Ctx, w.Principal("agent"), w.W1.ID, id)
			ok(t, err)
		}, func(id string) (proto.Message, error) {
			return c.Conversation.ReopenConversation(agent, &tandemv1.ReopenConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationStateChanged}},
		{"snooze", nil, func(id string) (proto.Message, error) {
			return c.Conversation.SnoozeConversation(agent, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: until})
		}, []events.Type{events.ConversationStateChanged}},
		{"claim", nil, func(id string) (proto.Message, error) {
			return c.Conversation.ClaimConversation(agent, &tandemv1.ClaimConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationAssigned}},
		{"assign", nil, func(id string) (proto.Message, error) {
			return c.Conversation.AssignConversation(supervisor, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: agentID})
		}, []events.Type{events.ConversationAssigned}},
		{"take over", nil, func(id string) (proto.Message, error) {
			return c.Conversation.TakeOverConversation(agent, &tandemv1.TakeOverConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationAssigned}},
		{"unassign", claimed, func(id string) (proto.Message, error) {
			return c.Conversation.UnassignConversation(agent, &tandemv1.UnassignConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationUnassigned}},
		{"transfer to an agent, with a note", nil, func(id string) (proto.Message, error) {
			return c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: id,
				To: &tandemv1.TransferConversationRequest_UserId{UserId: agentID}, Note: "yours now"})
		}, []events.Type{events.NoteCreated, events.ConversationAssigned}},
		{"transfer to a group, with a note", claimed, func(id string) (proto.Message, error) {
			return c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: id,
				To: &tandemv1.TransferConversationRequest_GroupId{GroupId: group}, Note: "billing decides"})
		}, []events.Type{events.NoteCreated, events.ConversationTransferred}},
		{"tag", nil, func(id string) (proto.Message, error) {
			return c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: id, TagId: tag})
		}, []events.Type{events.ConversationTagged}},
		{"untag", func(t *testing.T, id string) {
			_, err := svc.Tag(w.Ctx, w.Principal("agent"), w.W1.ID, id, tag)
			ok(t, err)
		}, func(id string) (proto.Message, error) {
			return c.Conversation.UntagConversation(agent, &tandemv1.UntagConversationRequest{ConversationId: id, TagId: tag})
		}, []events.Type{events.ConversationUntagged}},
		{"set priority", nil, func(id string) (proto.Message, error) {
			return c.Conversation.SetPriority(agent, &tandemv1.SetPriorityRequest{ConversationId: id, Priority: tandemv1.Priority_PRIORITY_URGENT})
		}, []events.Type{events.ConversationPriorityChanged}},
		{"set required skills", nil, func(id string) (proto.Message, error) {
			return c.Conversation.SetRequiredSkills(agent, &tandemv1.SetRequiredSkillsRequest{ConversationId: id, Skills: []string{"german", "billing"}})
		}, []events.Type{events.ConversationSkillsChanged}},
		{"join", claimed, func(id string) (proto.Message, error) {
			return c.Conversation.JoinConversation(supervisor, &tandemv1.JoinConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationJoined}},
		{"leave", func(t *testing.T, id string) {
			claimed(t, id)
			_, err := svc.Join(w.Ctx, w.Principal("supervisor"), w.W1.ID, id)
			ok(t, err)
		}, func(id string) (proto.Message, error) {
			return c.Conversation.LeaveConversation(supervisor, &tandemv1.LeaveConversationRequest{ConversationId: id})
		}, []events.Type{events.ConversationLeft}},
	}
}

// repeatTarget starts a conversation of the visitor made ready for the change.
func (w *world) repeatTarget(t *testing.T, r repeatable) string {
	t.Helper()
	id := w.Conversation(w.Visitor).ID
	if r.setup != nil {
		r.setup(t, id)
	}
	return id
}

// TestRepeatedChange (IDEM-01, issue 21 item 7): every state change sent
// twice, as a client retrying after a lost answer would, succeeds twice
// with the same answer and appends its events once: no second event, so no
// second webhook or notification. Two identical calls at once do the same.
func TestRepeatedChange(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		for _, r := range w.repeatables() {
			t.Run(r.name, func(t *testing.T) {
				id := w.repeatTarget(t, r)
				var first, again proto.Message
				if got := w.appended(id, func() {
					var err error
					if first, err = r.send(id); err != nil {
						t.Fatalf("first call: %v", err)
					}
				}); !slices.Equal(got, r.want) {
					t.Fatalf("the first call appended %v, want %v", got, r.want)
				}
				if got := w.appended(id, func() {
					var err error
					if again, err = r.send(id); err != nil {
						t.Fatalf("repeated call: %v, want the first call's answer", err)
					}
				}); len(got) > 0 {
					t.Errorf("the repeated call appended %v", got)
				}
				if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
					t.Errorf("the repeated call answered otherwise (-first +again):\n%s", diff)
				}
			})
			t.Run(r.name+" twice at once", func(t *testing.T) {
				id := w.repeatTarget(t, r)
				var (
					answers [2]proto.Message
					errs    [2]error
					wg      sync.WaitGroup
					start   = make(chan struct{})
				)
				got := w.appended(id, func() {
					for i := range answers {
						wg.Go(func() {
							<-start
							answers[i], errs[i] = r.send(id)
						})
					}
					close(start)
					wg.Wait()
				})
				if errs[0] != nil || errs[1] != nil {
					t.Fatalf("two calls at once: %v; %v", errs[0], errs[1])
				}
				if !slices.Equal(got, r.want) {
					t.Errorf("two calls at once appended %v, want %v once", got, r.want)
				}
				if diff := cmp.Diff(answers[0], answers[1], protocmp.Transform()); diff != "" {
					t.Errorf("two calls at once answered differently:\n%s", diff)
				}
			})
		}
	})
}

// TestRepeatedChangeRefused: a repeat is answered OK only where the caller
// may make the change and its end state is already there. A caller who may
// not close a closed conversation is still refused (PermissionDenied,
// NotFound); a change to another end state (reopen of a conversation the
// caller did not reopen, a reopen undone since, unassigning a closed
// conversation, the owner leaving) keeps its error; and one that differs
// (another owner, another queue) is made.
func TestRepeatedChangeRefused(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := worldOn(t, rpctest.Start(t, opts, rpctest.Quiet))
		c := w.Srv.Clients(rpcclient.Connect)
		svc := w.Srv.Domain().Conversations
		agent, supervisor := w.As("agent"), w.As("supervisor")
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		closeAs := func(ctx context.Context, id string) error {
			_, err := c.Conversation.CloseConversation(ctx, &tandemv1.CloseConversationRequest{ConversationId: id})
			return err
		}
		reopenAs := func(ctx context.Context, id string) error {
			_, err := c.Conversation.ReopenConversation(ctx, &tandemv1.ReopenConversationRequest{ConversationId: id})
			return err
		}
		// refused checks that the call fails with the code and appends nothing.
		refused := func(what, id string, want connect.Code, call func() error) {
			t.Helper()
			var err error
			if got := w.appended(id, func() { err = call() }); len(got) > 0 {
				t.Errorf("%s appended %v", what, got)
			}
			if connect.CodeOf(err) != want {
				t.Errorf("%s: %v, want %v", what, err, want)
			}
		}

		// A colleague's closed conversation: an agent may not close it.
		colleague := &access.Principal{Kind: access.KindUser, UserID: w.QuickMember(w.W1, access.RoleAgent)}
		theirs := w.Conversation(w.Visitor).ID
		must(svc.Claim(w.Ctx, colleague, w.W1.ID, theirs))
		must(svc.Close(w.Ctx, colleague, w.W1.ID, theirs))
		refused("an agent closing a colleague's closed conversation", theirs, connect.CodePermissionDenied,
			func() error { return closeAs(agent, theirs) })
		// Another workspace's, and another visitor's, closed conversations.
		foreign := w.Conversation(w.W2Visitor).ID
		must(svc.Close(w.Ctx, w.Principal("w2owner"), w.W2.ID, foreign))
		refused("closing another workspace's closed conversation", foreign, connect.CodeNotFound,
			func() error { return closeAs(agent, foreign) })
		others := w.Conversation(w.Other).ID
		must(svc.Close(w.Ctx, w.Principal("agent"), w.W1.ID, others))
		refused("a visitor closing another visitor's closed conversation", others, connect.CodeNotFound, func() error {
			_, err := c.Widget.CloseConversation(rpcclient.WithToken(w.Ctx, w.VisitorToken),
				&tandemv1.WidgetServiceCloseConversationRequest{ConversationId: others})
			return err
		})

		// Reopen of the agent's conversation, never closed.
		open := w.Conversation(w.Visitor).ID
		must(svc.Claim(w.Ctx, w.Principal("agent"), w.W1.ID, open))
		refused("reopening an open conversation", open, connect.CodeFailedPrecondition, func() error { return reopenAs(agent, open) })
		// The agent reopened it: a supervisor's reopen would make it theirs.
		reopened := w.Conversation(w.Visitor).ID
		must(svc.Close(w.Ctx, w.Principal("agent"), w.W1.ID, reopened))
		must(nil, reopenAs(agent, reopened))
		refused("a supervisor reopening what an agent reopened", reopened, connect.CodeFailedPrecondition,
			func() error { return reopenAs(supervisor, reopened) })
		// The agent's reopen was undone since: it waits in the queue again.
		must(svc.Unassign(w.Ctx, w.Principal("agent"), w.W1.ID, reopened))
		refused("reopening again after an unassign", reopened, connect.CodeFailedPrecondition, func() error { return reopenAs(agent, reopened) })

		// A closed conversation without an owner has no queue to go back to.
		unowned := w.Conversation(w.Visitor).ID
		must(svc.Close(w.Ctx, w.Principal("agent"), w.W1.ID, unowned))
		refused("unassigning a closed conversation", unowned, connect.CodeFailedPrecondition, func() error {
			_, err := c.Conversation.UnassignConversation(agent, &tandemv1.UnassignConversationRequest{ConversationId: unowned})
			return err
		})
		// Its owner never joined it, so cannot leave it.
		refused("the owner leaving", open, connect.CodeFailedPrecondition, func() error {
			_, err := c.Conversation.LeaveConversation(agent, &tandemv1.LeaveConversationRequest{ConversationId: open})
			return err
		})

		// Another owner, another queue: changes, made.
		if got := w.appended(open, func() {
			must(c.Conversation.AssignConversation(supervisor, &tandemv1.AssignConversationRequest{ConversationId: open,
				UserId: w.Users["supervisor"].ID}))
		}); !slices.Equal(got, []events.Type{events.ConversationAssigned}) {
			t.Errorf("assigning to another member appended %v", got)
		}
		billing, support := w.Group(w.W1).ID, w.Group(w.W1).ID
		for _, g := range []string{billing, support} {
			if got := w.appended(open, func() {
				must(c.Conversation.TransferConversation(supervisor, &tandemv1.TransferConversationRequest{ConversationId: open,
					To: &tandemv1.TransferConversationRequest_GroupId{GroupId: g}}))
			}); !slices.Equal(got, []events.Type{events.ConversationTransferred}) {
				t.Errorf("a transfer to another group's queue appended %v", got)
			}
		}
	})
}
