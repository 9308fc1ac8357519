package conversation_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// The operations of the snapshot test: what visitors and members may do to
// conversations through the API, each picked by weight.
var operations = []operation{
	// Visitors, through the widget API.
	{"visitor starts a conversation", 4, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		v := s.visitors[rng.IntN(len(s.visitors))]
		req := &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), PageUrl: "https://shop.example/"}
		if rng.IntN(3) > 0 {
			req.Body = "hello " + uuid.NewString()[:8]
		}
		if rng.IntN(4) == 0 {
			req.GroupId = s.groups[rng.IntN(len(s.groups))]
		}
		resp, err := api.Widget.StartConversation(rpcclient.WithToken(s.t.Context(), v.token), req)
		if err == nil {
			s.mu.Lock()
			if id := resp.GetConversation().GetId(); !slices.Contains(s.convs, id) {
				s.convs, v.convs = append(s.convs, id), append(v.convs, id)
			}
			s.mu.Unlock()
		}
		return err
	}},
	{"visitor writes", 8, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, id, err := s.visitorConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: id, ClientId: uuid.NewString(),
			Body: "question " + uuid.NewString()[:8]})
		return err
	}},
	{"visitor closes", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, id, err := s.visitorConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Widget.CloseConversation(ctx, &tandemv1.WidgetServiceCloseConversationRequest{ConversationId: id})
		return err
	}},
	{"visitor rates", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, id, err := s.visitorConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Widget.RateConversation(ctx, &tandemv1.RateConversationRequest{ConversationId: id, Rating: int32(1 + rng.IntN(5)),
			Comment: "thanks"})
		return err
	}},
	{"visitor asks for a person", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, id, err := s.visitorConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Widget.RequestHuman(ctx, &tandemv1.RequestHumanRequest{ConversationId: id})
		return err
	}},

	// Members, through the agents' API.
	{"reply", 6, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: id, ClientId: uuid.NewString(),
			Body: "answer " + uuid.NewString()[:8]})
		return err
	}},
	{"note", 3, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, m, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		req := &tandemv1.AddNoteRequest{ConversationId: id, ClientId: uuid.NewString(), Body: "note " + uuid.NewString()[:8]}
		switch {
		case m.role.AtLeast(access.RoleSupervisor) && rng.IntN(3) == 0:
			req.Whisper = true // to the owner, if any
		case rng.IntN(3) == 0:
			req.MentionUserIds = []string{s.members[rng.IntN(len(s.members))].id}
		}
		_, err = api.Conversation.AddNote(ctx, req)
		return err
	}},
	{"mark read", 3, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		var seq int64 // everything so far; or, at times, a position long read (the marker never goes back)
		if rng.IntN(4) == 0 {
			seq = 1
		}
		_, err = api.Conversation.MarkRead(ctx, &tandemv1.MarkReadRequest{ConversationId: id, Seq: seq})
		return err
	}},
	{"claim", 3, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.ClaimConversation(ctx, &tandemv1.ClaimConversationRequest{ConversationId: id})
		return err
	}},
	{"take over", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.TakeOverConversation(ctx, &tandemv1.TakeOverConversationRequest{ConversationId: id})
		return err
	}},
	{"assign", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		to := s.members[rng.IntN(len(s.members))].id
		_, err = api.Conversation.AssignConversation(ctx, &tandemv1.AssignConversationRequest{ConversationId: id, UserId: to})
		return err
	}},
	{"unassign", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.UnassignConversation(ctx, &tandemv1.UnassignConversationRequest{ConversationId: id})
		return err
	}},
	{"transfer", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		req := &tandemv1.TransferConversationRequest{ConversationId: id}
		if rng.IntN(2) == 0 {
			req.To = &tandemv1.TransferConversationRequest_UserId{UserId: s.members[rng.IntN(len(s.members))].id}
		} else {
			req.To = &tandemv1.TransferConversationRequest_GroupId{GroupId: s.groups[rng.IntN(len(s.groups))]}
		}
		if rng.IntN(2) == 0 {
			req.Note = "over to you"
		}
		_, err = api.Conversation.TransferConversation(ctx, req)
		return err
	}},
	{"snooze", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		until := time.Now().Add(time.Hour)
		if rng.IntN(2) == 0 {
			until = time.Now().Add(2 * time.Second) // wakes during the run (the wake job looks every 5 s)
		}
		_, err = api.Conversation.SnoozeConversation(ctx, &tandemv1.SnoozeConversationRequest{ConversationId: id, UntilTimeMs: until.UnixMilli()})
		return err
	}},
	{"close", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.CloseConversation(ctx, &tandemv1.CloseConversationRequest{ConversationId: id})
		return err
	}},
	{"reopen", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.ReopenConversation(ctx, &tandemv1.ReopenConversationRequest{ConversationId: id})
		return err
	}},
	{"set priority", 2, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		p := tandemv1.Priority(1 + rng.IntN(5))
		_, err = api.Conversation.SetPriority(ctx, &tandemv1.SetPriorityRequest{ConversationId: id, Priority: p})
		return err
	}},
	{"set skills", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		var skills []string
		for _, sk := range []string{"billing", "de", "en"} {
			if rng.IntN(2) == 0 {
				skills = append(skills, sk)
			}
		}
		_, err = api.Conversation.SetRequiredSkills(ctx, &tandemv1.SetRequiredSkillsRequest{ConversationId: id, Skills: skills})
		return err
	}},
	// A tag deleted meanwhile is no tag of the workspace: InvalidArgument.
	{"tag", 3, withInvalid, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		s.tagging.RLock()
		defer s.tagging.RUnlock()
		_, err = api.Conversation.TagConversation(ctx, &tandemv1.TagConversationRequest{ConversationId: id, TagId: s.anyTag(rng)})
		return err
	}},
	{"untag", 2, withInvalid, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		s.tagging.RLock()
		defer s.tagging.RUnlock()
		_, err = api.Conversation.UntagConversation(ctx, &tandemv1.UntagConversationRequest{ConversationId: id, TagId: s.anyTag(rng)})
		return err
	}},
	{"join", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.JoinConversation(ctx, &tandemv1.JoinConversationRequest{ConversationId: id})
		return err
	}},
	{"leave", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx, _, id, err := s.memberConversation(rng)
		if err != nil {
			return err
		}
		_, err = api.Conversation.LeaveConversation(ctx, &tandemv1.LeaveConversationRequest{ConversationId: id})
		return err
	}},
	// An admin adds a tag, or deletes one (and so takes it off every
	// conversation), keeping at least two.
	{"create or delete a tag", 1, refusals, func(s *snapshotRun, rng *rand.Rand, api rpcclient.Clients) error {
		ctx := s.as("admin")
		gone := ""
		s.mu.Lock()
		if len(s.tags) > 2 && rng.IntN(2) == 0 {
			i := rng.IntN(len(s.tags))
			gone = s.tags[i]
			s.tags = slices.Delete(s.tags, i, i+1)
		}
		s.mu.Unlock()
		if gone != "" {
			s.tagging.Lock()
			defer s.tagging.Unlock()
			_, err := api.Tag.DeleteTag(ctx, &tandemv1.DeleteTagRequest{TagId: gone})
			return err
		}
		resp, err := api.Tag.CreateTag(ctx, &tandemv1.CreateTagRequest{WorkspaceId: s.w.W1.ID, Name: "tag " + uuid.NewString()[:8]})
		if err == nil {
			s.mu.Lock()
			s.tags = append(s.tags, resp.GetTag().GetId())
			s.mu.Unlock()
		}
		return err
	}},
}

// withInvalid are the refusals of a call naming a tag another worker may
// have deleted.
var withInvalid = append(slices.Clone(refusals), connect.CodeInvalidArgument)

// visitorConversation picks a visitor with a conversation, and one of
// theirs.
func (s *snapshotRun) visitorConversation(rng *rand.Rand) (context.Context, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var with []*visitor
	for _, v := range s.visitors {
		if len(v.convs) > 0 {
			with = append(with, v)
		}
	}
	if len(with) == 0 {
		return nil, "", errNothingToDo
	}
	v := with[rng.IntN(len(with))]
	return rpcclient.WithToken(s.t.Context(), v.token), v.convs[rng.IntN(len(v.convs))], nil
}

// memberConversation picks a member and a conversation.
func (s *snapshotRun) memberConversation(rng *rand.Rand) (context.Context, member, string, error) {
	m := s.members[rng.IntN(len(s.members))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.convs) == 0 {
		return nil, m, "", errNothingToDo
	}
	return rpcclient.WithToken(s.t.Context(), m.token), m, s.convs[rng.IntN(len(s.convs))], nil
}

// anyTag picks one of the workspace's tags (deleted meanwhile, at times).
func (s *snapshotRun) anyTag(rng *rand.Rand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tags[rng.IntN(len(s.tags))]
}
