package conversation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Join adds the caller as a participant of an open conversation; the
// customer sees a person join.
func (s *Service) Join(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	if p.Kind != access.KindUser {
		return Conversation{}, ErrPeopleOnly
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if conv.takesPart(p.UserID) {
			return nil
		}
		if conv.State == StateClosed {
			return apperr.New(apperr.FailedPrecondition, "this conversation is closed: reopen it first")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO participants (conversation_id, user_id, workspace_id, created_at) VALUES (?, ?, ?, ?)`,
			conv.ID, p.UserID, workspaceID, store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("join: %w", err)
		}
		conv.ParticipantIDs = append(conv.ParticipantIDs, p.UserID)
		data := map[string]string{"user_id": p.UserID, "user_name": actor.Name, "how": "join"}
		return s.record(ctx, tx, conv, nil, events.ConversationJoined, events.Public, actor,
			activity(conv, actor, "agent_joined", data, events.Public), data)
	})
}

// Leave removes the caller from the participants; the customer sees them go.
// A caller who takes no part in it (left already: a retry whose answer was
// lost) is answered with it as it is; its owner, who never joined it, is
// refused.
func (s *Service) Leave(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	if p.Kind != access.KindUser {
		return Conversation{}, ErrPeopleOnly
	}
	return s.change(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		if !conv.takesPart(p.UserID) {
			return nil
		}
		if !slices.Contains(conv.ParticipantIDs, p.UserID) {
			return apperr.New(apperr.FailedPrecondition, "you have not joined this conversation")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM participants WHERE conversation_id = ? AND user_id = ?`, conv.ID, p.UserID); err != nil {
			return fmt.Errorf("leave: %w", err)
		}
		kept := conv.ParticipantIDs[:0]
		for _, u := range conv.ParticipantIDs {
			if u != p.UserID {
				kept = append(kept, u)
			}
		}
		conv.ParticipantIDs = kept
		data := map[string]string{"user_id": p.UserID, "user_name": actor.Name}
		return s.record(ctx, tx, conv, nil, events.ConversationLeft, events.Public, actor,
			activity(conv, actor, "agent_left", data, events.Public), data)
	})
}

// NoteOptions are the extras of an internal note.
type NoteOptions struct {
	// Mentions are members to notify.
	Mentions []string
	// Whisper addresses the note to the conversation's owner.
	Whisper bool
}

// Note adds an internal note: mentioned members each get a direct
// member.mentioned event. A whisper (supervisors and up) is addressed to the
// owner: only its author, the owner and supervisors and up may read it (see
// Whisper), so it may mention only them, and the owner hears of it by the
// whisper itself. Neither is ever shown to the customer.
func (s *Service) Note(ctx context.Context, p *access.Principal, scope *access.Scope, id, clientID, body string, opts NoteOptions) (Message, Conversation, error) {
	if opts.Whisper && !scope.Role.AtLeast(access.RoleSupervisor) {
		return Message{}, Conversation{}, apperr.New(apperr.PermissionDenied, "only supervisors can whisper")
	}
	// Roles are read before the transaction, which must not wait on other
	// connections.
	supervises := map[string]bool{}
	for _, u := range opts.Mentions {
		role, err := s.dir.Role(ctx, scope.WorkspaceID, u)
		if apperr.Is(err, apperr.NotFound) {
			return Message{}, Conversation{}, apperr.Invalid("mention_user_ids", "names someone who is not a member of this workspace")
		} else if err != nil {
			return Message{}, Conversation{}, err
		}
		supervises[u] = role.AtLeast(access.RoleSupervisor)
	}
	var mentions []string // who gets a member.mentioned event
	extra := func(_ context.Context, _ *store.Tx, conv *Conversation, actor Actor, msg *Message) error {
		mentions = opts.Mentions
		if opts.Whisper {
			if conv.AssigneeID == "" {
				return apperr.New(apperr.FailedPrecondition, "nobody owns this conversation: there is nobody to whisper to")
			}
			mentions = nil
			for _, u := range opts.Mentions {
				switch {
				case u == conv.AssigneeID || u == actor.UserID:
					// The owner hears of the whisper itself; the author wrote it.
				case supervises[u]:
					mentions = append(mentions, u)
				default:
					return apperr.Invalid("mention_user_ids", "names someone who may not read a whisper: only the owner and supervisors can")
				}
			}
			msg.Visibility, msg.WhisperTo = string(Whisper), conv.AssigneeID
			msg.ActivityData = store.JSONMap{"whisper_to": conv.AssigneeID}
		}
		if len(opts.Mentions) > 0 {
			if msg.ActivityData == nil {
				msg.ActivityData = store.JSONMap{}
			}
			b, _ := json.Marshal(opts.Mentions)
			msg.ActivityData["mentions"] = string(b)
		}
		return nil
	}
	after := func(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, msg *Message) error {
		for _, u := range mentions {
			payload, _ := json.Marshal(Payload{Message: msg, UserID: u, Data: map[string]string{"user_id": u}})
			if err := s.log.Append(ctx, tx, &events.Event{WorkspaceID: scope.WorkspaceID, Type: events.MemberMentioned,
				ConversationID: conv.ID, ActorKind: actor.EventKind, ActorID: actor.ID, Visibility: events.Direct, Payload: payload}); err != nil {
				return err
			}
		}
		return nil
	}
	return s.post(ctx, p, scope.WorkspaceID, id, clientID, body, KindNote, extra, after)
}
