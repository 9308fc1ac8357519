package conversation

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// visible reports whether the principal, with its current role, may see an
// event at all.
func visible(ev *events.Event, pl *Payload, role access.Role, p *access.Principal) bool {
	switch ev.Visibility {
	case events.Public, events.Agents:
		return true
	case events.Admins:
		return role.AtLeast(access.RoleAdmin)
	case events.Self:
		return ev.ActorKind == events.ActorUser && ev.ActorID == p.UserID && p.Kind == access.KindUser
	case events.Direct:
		return p.Kind == access.KindUser && pl.UserID == p.UserID
	case Whisper:
		return pl.Message != nil && ReaderOf(p, role).mayRead(pl.Message.AuthorID, pl.Message.Addressee())
	}
	return false
}

// watch streams a workspace's events to an agent or integration, entitled
// by their role now (not when the stream opened): a removal from the
// workspace, or a revoked key, ends the stream when its event arrives.
func (h *Handler) watch(ctx context.Context, req *tandemv1.WatchRequest, stream *connect.ServerStream[tandemv1.WatchResponse]) error {
	p, scope := access.PrincipalFrom(ctx), access.ScopeFrom(ctx)
	ws, key := scope.WorkspaceID, principalKey(p)
	after, err := h.deps.Follower.Start(ctx, h.deps.Cursors, req.GetCursor(), ws, key)
	if err != nil {
		return err
	}
	ctx, release := h.deps.Guard(ctx, p, ws)
	defer release()
	role := scope.Role
	filter := FilterFromProto(req.GetFilter())
	sink := events.Sink{
		Event: func(ev events.Event) error {
			ce, err := h.events.get(ctx, h, &ev)
			if err != nil {
				return err
			}
			pl := &ce.pl // shared with the other streams: read only
			switch ev.Type {
			case events.MemberRemoved:
				if pl.UserID == p.UserID {
					return account.ErrNoLongerMember
				}
			case events.MemberRoleChanged:
				if pl.UserID == p.UserID {
					if role, err = h.currentRole(ctx, p, ws); err != nil {
						return err
					}
				}
			case events.APIKeyRevoked:
				if p.Kind == access.KindAPIKey && pl.APIKeyID == p.APIKeyID {
					return apperr.New(apperr.Unauthenticated, "this API key was revoked")
				}
			}
			out := ce.out
			if !visible(&ev, pl, role, p) {
				if ev.Visibility != Whisper || pl.Conversation == nil {
					return nil
				}
				// A whisper they may not read still moved its conversation
				// (its last item and activity), as their lists show it:
				// they hear of that change, never of the whisper or who
				// wrote it.
				out = &tandemv1.Event{Id: ev.ID, Seq: ev.Seq, Type: string(events.ConversationChanged), ConversationId: ev.ConversationID,
					CreateTimeMs: ev.CreatedAt, Conversation: ce.out.GetConversation()}
			}
			if pl.Conversation != nil && !inView(filter, pl, p.UserID) {
				return nil
			}
			return stream.Send(&tandemv1.WatchResponse{Event: out, Cursor: h.deps.Cursors.Make(ws, key, events.At(ev))})
		},
		Ephemeral: func(e events.Ephemeral) error {
			if e.Visibility == events.Admins && !role.AtLeast(access.RoleAdmin) {
				return nil
			}
			if e.ActorKind == events.ActorUser && e.ActorID == p.UserID {
				return nil // your own typing
			}
			return stream.Send(&tandemv1.WatchResponse{Event: &tandemv1.Event{Type: string(e.Type), ConversationId: e.ConversationID,
				CreateTimeMs: e.CreatedAt, ActorKind: AuthorToProto(e.ActorKind), ActorId: e.ActorID, Typing: e.Typing,
				Data: map[string]string{"actor_name": e.ActorName}}})
		},
		Heartbeat: func(pos events.Position) error {
			if p.Kind == access.KindUser && h.deps.Seen != nil {
				// Best effort: a missed mark only risks an early "offline".
				_ = h.deps.Seen(ctx, ws, p.UserID)
			}
			return stream.Send(&tandemv1.WatchResponse{Heartbeat: true, Cursor: h.deps.Cursors.Make(ws, key, pos)})
		},
	}
	err = h.deps.Follower.Follow(ctx, ws, "", after, sink)
	if cause := context.Cause(ctx); errors.Is(err, context.Canceled) && !errors.Is(cause, context.Canceled) {
		return cause // the guard's reason
	}
	return err
}

// currentRole reads the principal's role in the workspace now.
func (h *Handler) currentRole(ctx context.Context, p *access.Principal, ws string) (access.Role, error) {
	role, err := h.deps.Roles(ctx, ws, p.UserID)
	if apperr.Is(err, apperr.NotFound) {
		return "", account.ErrNoLongerMember
	}
	if err != nil {
		return "", err
	}
	if p.Kind == access.KindAPIKey && p.Role.Rank() < role.Rank() {
		role = p.Role
	}
	return role, nil
}

// inView reports whether a conversation event concerns the watcher's view:
// the conversation is in the filter now, or was before the change (so the
// watcher learns it left).
func inView(f Filter, pl *Payload, me string) bool {
	if f.Matches(pl.Conversation, me) {
		return true
	}
	if pl.Before == nil {
		return false
	}
	was := *pl.Conversation
	was.State, was.AssigneeID, was.GroupID, was.Priority = pl.Before.State, pl.Before.AssigneeID, pl.Before.GroupID, pl.Before.Priority
	if pl.Before.TagIDs != nil || pl.Conversation.TagIDs != nil {
		was.TagIDs = pl.Before.TagIDs
	}
	return f.Matches(&was, me)
}

func (h *Handler) eventToProto(ctx context.Context, ev *events.Event, pl *Payload, contacts map[string]*tandemv1.Contact) (*tandemv1.Event, error) {
	out := &tandemv1.Event{Id: ev.ID, Seq: ev.Seq, Type: string(ev.Type), ConversationId: ev.ConversationID, CreateTimeMs: ev.CreatedAt,
		ActorKind: AuthorToProto(ev.ActorKind), ActorId: ev.ActorID, Data: pl.Data}
	if pl.Conversation != nil {
		out.Conversation = ToProto(pl.Conversation, nil)
		ct, ok := contacts[pl.Conversation.ContactID]
		if !ok {
			c, err := h.contacts.Get(ctx, ev.WorkspaceID, pl.Conversation.ContactID)
			if err != nil {
				return nil, err
			}
			ct = contact.ToProto(&c)
			contacts[c.ID] = ct
		}
		out.Conversation.Contact = ct
	}
	if pl.Message != nil {
		out.Message = MessageToProto(pl.Message)
	}
	if pl.UserID != "" {
		if out.Data == nil {
			out.Data = map[string]string{}
		}
		out.Data["user_id"] = pl.UserID
	}
	return out, nil
}
