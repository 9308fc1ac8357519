package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Directory answers who belongs where: the workspace package's membership
// and groups, which ownership changes must respect.
type Directory interface {
	Role(ctx context.Context, workspaceID, userID string) (access.Role, error)
	GroupWorkspace(ctx context.Context, groupID string) (string, error)
	// Tag returns the workspace and name of a tag.
	Tag(ctx context.Context, tagID string) (workspaceID, name string, err error)
	// Online reports whether the member is online in the workspace now.
	Online(ctx context.Context, workspaceID, userID string) (bool, error)
}

// Errors of ownership changes.
var (
	ErrNotMember   = apperr.Invalid("user_id", "is not a member of this workspace")
	ErrNotGroup    = apperr.Invalid("group_id", "is not a group of this workspace")
	ErrPeopleOnly  = apperr.New(apperr.FailedPrecondition, "only a signed-in person can own a conversation")
	ErrNotAssigned = apperr.New(apperr.FailedPrecondition, "this conversation has no owner")
	// ErrClaimClosed refuses a claim of a closed conversation, whoever
	// owned it last.
	ErrClaimClosed = apperr.New(apperr.FailedPrecondition, "this conversation is closed: reopen it to claim it")
	// ErrNotYours refuses an agent who would change or end a colleague's
	// ownership of a conversation.
	ErrNotYours = apperr.New(apperr.PermissionDenied, "another member owns this conversation: only supervisors and above can change or end it")
)

// mayChangeOwner is the one ownership rule, for every operation that changes
// or ends who owns conv (assign, transfer, unassign, snooze, close, reopen,
// take over): agents act on unowned conversations and their own; supervisors
// and above (people or API keys) on anyone's. role is the caller's role in
// conv's workspace. Visitors reach only their own conversations (authz), and
// the server's own actors (AI agent, rules, SLA clocks) act for the workspace:
// the rule binds neither.
func mayChangeOwner(p *access.Principal, role access.Role, conv *Conversation) error {
	if p.Kind != access.KindUser && p.Kind != access.KindAPIKey {
		return nil
	}
	if conv.AssigneeID == "" || role.AtLeast(access.RoleSupervisor) ||
		(p.Kind == access.KindUser && conv.AssigneeID == p.UserID) {
		return nil
	}
	return ErrNotYours
}

// roleOf is the caller's role in the workspace for the ownership rule: the
// authorized call's scope when it has one (read by the authz interceptor
// from the database this very call), else the API key's role or the
// member's current role. It is read before any transaction starts.
func (s *Service) roleOf(ctx context.Context, p *access.Principal, workspaceID string) (access.Role, error) {
	if sc := access.ScopeFrom(ctx); sc != nil && sc.WorkspaceID == workspaceID {
		return sc.Role, nil
	}
	switch p.Kind {
	case access.KindAPIKey:
		return p.Role, nil
	case access.KindUser:
		r, err := s.dir.Role(ctx, workspaceID, p.UserID)
		if apperr.Is(err, apperr.NotFound) {
			return "", nil
		}
		return r, err
	}
	return "", nil
}

// changeOwned is change for operations that change or end the ownership of
// the conversation: it applies mayChangeOwner to the locked row first.
func (s *Service) changeOwned(ctx context.Context, p *access.Principal, workspaceID, id string, change func(tx *store.Tx, conv *Conversation, actor Actor) error) (Conversation, error) {
	role, err := s.roleOf(ctx, p, workspaceID)
	if err != nil {
		return Conversation{}, err
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if err := mayChangeOwner(p, role, conv); err != nil {
			return err
		}
		return change(tx, conv, actor)
	})
}

func before(c *Conversation) *Before {
	return &Before{State: c.State, AssigneeID: c.AssigneeID, GroupID: c.GroupID, Priority: c.Priority,
		TagIDs: append([]string(nil), c.TagIDs...)}
}

// own makes the user the owner of conv, which becomes active, in one event
// the customer sees as a person joining. (Names are looked up before the
// transaction: nothing inside one may wait for another pool connection.)
func (s *Service) own(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, userID, userName, how string) error {
	if conv.State == StateClosed {
		return apperr.New(apperr.FailedPrecondition, "this conversation is closed: reopen it first")
	}
	if conv.State != StateActive && !CanMove(conv.State, StateActive) {
		return errIllegal(conv.State, StateActive)
	}
	var extra map[string]string
	if conv.State == StateBot { // a person takes it from the AI agent
		if err := s.recordHandoff(ctx, tx, conv, Handoff{Reason: HandoffAgentTakeover, Detail: userName}); err != nil {
			return err
		}
		extra = map[string]string{DataHandoff: string(HandoffAgentTakeover)}
	}
	prev := before(conv)
	conv.AssigneeID, conv.State = userID, StateActive
	conv.SnoozedUntil, conv.StateBeforeSnooze = 0, ""
	conv.AssignedAt, conv.RoutedAt = store.NowMillis(s.now()), 0
	if how == "auto" {
		conv.RoutedAt, conv.LastRoutedTo = conv.AssignedAt, userID
	} else {
		conv.Reroutes = 0 // a person chose its owner: the router's count starts again
	}
	data := map[string]string{"assignee_id": userID, "assignee_name": userName, "how": how, "from": string(prev.State)}
	return s.record(ctx, tx, conv, prev, events.ConversationAssigned, events.Public, actor,
		activity(conv, actor, "agent_joined", data, events.Public), withData(data, extra))
}

// change runs one change of a conversation: it names the actor, locks the
// conversation in a transaction and lets change act on it.
func (s *Service) change(ctx context.Context, p *access.Principal, workspaceID, id string, change func(tx *store.Tx, conv *Conversation, actor Actor) error) (Conversation, error) {
	actor, err := s.ActorOf(ctx, p)
	if err != nil {
		return Conversation{}, err
	}
	var conv Conversation
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if conv, err = s.lock(ctx, tx, workspaceID, id); err != nil {
			return err
		}
		return change(tx, &conv, actor)
	})
	return conv, err
}

// Claim makes the caller the owner of an unowned conversation (not a closed
// one, which must be reopened first, whoever owned it last). The row lock
// makes racing claims take turns: the first wins, the others find an owner
// and are told who.
func (s *Service) Claim(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	if p.Kind != access.KindUser {
		return Conversation{}, ErrPeopleOnly
	}
	var winner string
	conv, err := s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.State == StateClosed { // its last owner is no claim on it
			return ErrClaimClosed
		}
		switch conv.AssigneeID {
		case p.UserID:
			return nil // claimed already: no change, no event
		case "":
			return s.own(ctx, tx, conv, actor, p.UserID, actor.Name, "claim")
		}
		winner = conv.AssigneeID
		return errClaimed
	})
	if errors.Is(err, errClaimed) {
		return Conversation{}, s.claimedBy(ctx, winner)
	}
	return conv, err
}

var errClaimed = errors.New("claimed by another")

func (s *Service) claimedBy(ctx context.Context, userID string) error {
	name := "another agent"
	if u, err := s.accounts.User(ctx, userID); err == nil {
		name = u.DisplayName
	}
	return apperr.Newf(apperr.FailedPrecondition, "%s has already claimed this conversation", name).WithDetail("ALREADY_CLAIMED:" + userID)
}

// Assign gives the conversation to a member of its workspace.
func (s *Service) Assign(ctx context.Context, p *access.Principal, workspaceID, id, userID string) (Conversation, error) {
	name, err := s.memberName(ctx, workspaceID, userID)
	if err != nil {
		return Conversation{}, err
	}
	return s.changeOwned(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.AssigneeID == userID {
			return nil
		}
		return s.own(ctx, tx, conv, actor, userID, name, "assign")
	})
}

// memberName checks that the user is a member of the workspace and returns
// their display name.
func (s *Service) memberName(ctx context.Context, workspaceID, userID string) (string, error) {
	if _, err := s.dir.Role(ctx, workspaceID, userID); apperr.Is(err, apperr.NotFound) {
		return "", ErrNotMember
	} else if err != nil {
		return "", err
	}
	u, err := s.accounts.User(ctx, userID)
	return u.DisplayName, err
}

// Unassign puts an owned conversation back in its queue. One waiting in
// its queue already, with no owner, is left as it is (a retry whose answer
// was lost); any other conversation without an owner is refused.
func (s *Service) Unassign(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	return s.changeOwned(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.AssigneeID == "" {
			if queued(conv) {
				return nil
			}
			return ErrNotAssigned
		}
		return s.toQueue(ctx, tx, conv, actor, conv.GroupID, events.ConversationUnassigned, "unassigned", nil)
	})
}

// queued reports whether conv is where toQueue leaves a conversation: with
// no owner, waiting (pending, or snoozed until it wakes to wait).
func queued(conv *Conversation) bool {
	return conv.AssigneeID == "" && (conv.State == StatePending || conv.State == StateSnoozed)
}

// toQueue clears the owner and puts conv in the group's queue (pending),
// recording it for agents only.
func (s *Service) toQueue(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, groupID string, typ events.Type, what string, data map[string]string) error {
	return s.toQueueThen(ctx, tx, conv, actor, groupID, typ, what, data, nil)
}

// toQueueThen is toQueue with more to change of the queued conversation
// (then, when set) in the same record.
func (s *Service) toQueueThen(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, groupID string, typ events.Type, what string,
	data map[string]string, then func(c *Conversation)) error {
	if conv.State == StateClosed {
		return apperr.New(apperr.FailedPrecondition, "this conversation is closed: reopen it first")
	}
	prev := before(conv)
	if data == nil {
		data = map[string]string{}
	}
	data["from_assignee_id"], data["group_id"] = prev.AssigneeID, groupID
	conv.AssigneeID, conv.GroupID, conv.RoutedAt = "", groupID, 0
	if conv.State != StateSnoozed {
		conv.State = StatePending
	}
	if then != nil {
		then(conv)
	}
	return s.record(ctx, tx, conv, prev, typ, events.Agents, actor, activity(conv, actor, what, data, events.Agents), data)
}

// Transfer hands the conversation to an agent, or to a group's queue, with an
// optional internal note for the receiving side.
//
// A transfer to where the conversation is already (the agent owns it, or it
// waits in the group's queue with no owner) moves nothing, so it writes
// nothing, not even its note: that is what a retry whose answer was lost
// finds, and its note was written with the first transfer.
func (s *Service) Transfer(ctx context.Context, p *access.Principal, workspaceID, id, userID, groupID, note string) (Conversation, error) {
	var name string
	switch {
	case userID != "":
		var err error
		if name, err = s.memberName(ctx, workspaceID, userID); err != nil {
			return Conversation{}, err
		}
	case groupID != "":
		if ws, err := s.dir.GroupWorkspace(ctx, groupID); apperr.Is(err, apperr.NotFound) || (err == nil && ws != workspaceID) {
			return Conversation{}, ErrNotGroup
		} else if err != nil {
			return Conversation{}, err
		}
	default:
		return Conversation{}, apperr.Invalid("to", "name a user_id or a group_id")
	}
	return s.changeOwned(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if (userID != "" && conv.AssigneeID == userID) || (userID == "" && conv.GroupID == groupID && queued(conv)) {
			return nil
		}
		if note != "" {
			n := &Message{ID: uuid.NewString(), WorkspaceID: workspaceID, ConversationID: conv.ID, Kind: KindNote,
				Visibility: string(events.Agents), AuthorKind: actor.AuthorKind, AuthorID: actor.ID, AuthorName: actor.Name,
				Body: note, ClientID: uuid.NewString()}
			if err := s.record(ctx, tx, conv, nil, events.NoteCreated, events.Agents, actor, n, map[string]string{"transfer": "true"}); err != nil {
				return err
			}
		}
		if userID != "" {
			return s.own(ctx, tx, conv, actor, userID, name, "transfer")
		}
		return s.toQueue(ctx, tx, conv, actor, groupID, events.ConversationTransferred, "transferred", nil)
	})
}

// TakeOver makes the caller the owner: of a conversation the AI agent or the
// queue holds, for any agent; of another agent's, for supervisors and up.
func (s *Service) TakeOver(ctx context.Context, p *access.Principal, scope *access.Scope, id string) (Conversation, error) {
	if p.Kind != access.KindUser {
		return Conversation{}, ErrPeopleOnly
	}
	return s.change(ctx, p, scope.WorkspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.AssigneeID == p.UserID {
			return nil
		}
		if err := mayChangeOwner(p, scope.Role, conv); err != nil {
			return err
		}
		return s.own(ctx, tx, conv, actor, p.UserID, actor.Name, "takeover")
	})
}

// SetPriority sets the conversation's priority.
func (s *Service) SetPriority(ctx context.Context, p *access.Principal, workspaceID, id, priority string) (Conversation, error) {
	if _, ok := priorityToProto[priority]; !ok {
		return Conversation{}, apperr.Invalid("priority", fmt.Sprintf("%q is not a priority", priority))
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.Priority == priority {
			return nil
		}
		prev := before(conv)
		conv.Priority = priority
		data := map[string]string{"from": prev.Priority, "to": priority}
		return s.record(ctx, tx, conv, prev, events.ConversationPriorityChanged, events.Agents, actor,
			activity(conv, actor, "priority_changed", data, events.Agents), data)
	})
}

// SetSkills sets the skills an agent needs to be routed the conversation.
func (s *Service) SetSkills(ctx context.Context, p *access.Principal, workspaceID, id string, skills []string) (Conversation, error) {
	skills = slices.Clone(skills)
	slices.Sort(skills)
	text := strings.Join(slices.Compact(skills), ",")
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.SkillsText == text {
			return nil
		}
		prev := before(conv)
		data := map[string]string{"from": conv.SkillsText, "to": text}
		conv.SkillsText = text
		return s.record(ctx, tx, conv, prev, events.ConversationSkillsChanged, events.Agents, actor,
			activity(conv, actor, "skills_changed", data, events.Agents), data)
	})
}
