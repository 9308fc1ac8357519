package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Deps are the service's collaborators: the other domains it reads and
// acts through. Settings go in Options (see server/wire.go).
type Deps struct {
	// Accounts names users and API keys in the history.
	Accounts *account.Service
	// Contacts names customers in the history.
	Contacts *contact.Service
	// Directory answers who belongs where (the workspace, tag and presence
	// packages).
	Directory Directory
	// Attacher binds uploaded files to messages; nil refuses attachments.
	Attacher Attacher
	// BotEnabled reports whether the workspace's AI agent takes new
	// conversations (they start in the bot state); nil means never.
	BotEnabled func(ctx context.Context, workspaceID string) (bool, error)
}

// Options tune the service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxOpenPerVisitor caps a visitor's conversations that are not
	// closed: starting one more is ResourceExhausted. 0 means no cap.
	MaxOpenPerVisitor int
}

// Attacher binds a principal's uploaded, unsent files of a conversation to
// a message, inside the message's transaction.
type Attacher interface {
	Attach(ctx context.Context, tx *store.Tx, conversationID, uploaderKind, uploaderID, messageID string, fileIDs []string) ([]Attachment, error)
}

// Service runs conversations: every method is one transaction that changes
// rows and appends the events saying so.
type Service struct {
	db       *store.DB
	log      *events.Log
	hub      *events.Hub
	accounts *account.Service
	contacts *contact.Service
	dir      Directory
	attacher Attacher
	// botEnabled: see Deps.BotEnabled.
	botEnabled func(ctx context.Context, workspaceID string) (bool, error)
	maxOpen    int
	now        func() time.Time
}

// NewService returns the conversation service of the log (and of the hub,
// which carries typing indicators).
func NewService(db *store.DB, log *events.Log, hub *events.Hub, deps Deps, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, log: log, hub: hub, accounts: deps.Accounts, contacts: deps.Contacts, dir: deps.Directory, now: opts.Now,
		attacher: deps.Attacher, botEnabled: deps.BotEnabled, maxOpen: opts.MaxOpenPerVisitor}
}

// Actor is who acts, as the history names them.
type Actor struct {
	EventKind  string // events.Actor*
	AuthorKind string // Author*
	ID         string
	Name       string
	// UserID is the signed-in user behind the actor, if any (for read markers).
	UserID string
}

// ActorOf names a principal for the history.
func (s *Service) ActorOf(ctx context.Context, p *access.Principal) (Actor, error) {
	switch p.Kind {
	case access.KindUser:
		u, err := s.accounts.User(ctx, p.UserID)
		if err != nil {
			return Actor{}, err
		}
		return Actor{EventKind: events.ActorUser, AuthorKind: AuthorAgent, ID: u.ID, Name: u.DisplayName, UserID: u.ID}, nil
	case access.KindAPIKey:
		k, err := s.accounts.APIKey(ctx, p.APIKeyID)
		if err != nil {
			return Actor{}, err
		}
		return Actor{EventKind: events.ActorAPIKey, AuthorKind: AuthorAgent, ID: k.ID, Name: k.Name}, nil
	case access.KindVisitor:
		c, err := s.contacts.Get(ctx, p.WorkspaceID, p.VisitorID)
		if err != nil {
			return Actor{}, err
		}
		return Actor{EventKind: events.ActorVisitor, AuthorKind: AuthorCustomer, ID: c.ID, Name: c.DisplayName()}, nil
	case access.KindBot:
		return Actor{EventKind: events.ActorBot, AuthorKind: AuthorBot, ID: "bot", Name: p.Name}, nil
	case access.KindRule:
		return Actor{EventKind: events.ActorRule, AuthorKind: AuthorSystem, ID: p.RuleID, Name: p.Name}, nil
	case access.KindSystem:
		return Actor{EventKind: events.ActorSystem, AuthorKind: AuthorSystem, Name: p.Name}, nil
	}
	return Actor{}, errors.New("unknown principal kind")
}

// record appends the event of a change to conv (and the history item it
// adds, if any) and saves conv: the last steps of every mutating transaction.
func (s *Service) record(ctx context.Context, tx *store.Tx, conv *Conversation, before *Before, typ events.Type, vis events.Visibility, actor Actor, msg *Message, data map[string]string) error {
	settleRouting(conv)
	now := store.NowMillis(s.now())
	conv.UpdatedAt = now
	if typ != events.ConversationSLAUpdated { // the clocks' bookkeeping is not activity: it does not reorder inboxes
		conv.LastActivityAt = now
	}
	ev := &events.Event{WorkspaceID: conv.WorkspaceID, Type: typ, ConversationID: conv.ID,
		ActorKind: actor.EventKind, ActorID: actor.ID, Visibility: vis}
	err := s.log.AppendWith(ctx, tx, ev, func(seq int64) ([]byte, error) {
		if msg != nil {
			msg.Seq, msg.CreatedAt = seq, now
			conv.LastSeq = seq
			if msg.Kind == KindText {
				conv.LastMessagePreview, conv.LastMessageAt = preview(msg.Body), now
				if msg.AuthorKind == AuthorCustomer {
					conv.LastCustomerPreview, conv.LastCustomerAt = preview(msg.Body), now
				}
			}
		}
		return json.Marshal(Payload{Conversation: conv, Message: msg, Before: before, Data: data})
	})
	if err != nil {
		return err
	}
	if msg != nil {
		if err := insertMessage(ctx, tx, msg); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if actor.UserID != "" { // your own words are not unread to you
			if err := setRead(ctx, tx, conv, actor.UserID, msg.Seq, now); err != nil {
				return fmt.Errorf("mark read: %w", err)
			}
		}
	}
	if err := saveConversation(ctx, tx, conv); err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	return nil
}

// settleRouting bounds what routing remembers of a waiting conversation to
// the wait: once someone owns it (a person or the router) it needs no
// attention and nobody's lapse is held against it; once it closes, its
// re-routes count from none again.
func settleRouting(conv *Conversation) {
	if conv.AssigneeID != "" || conv.State == StateClosed {
		conv.NeedsAttention, conv.LapsedBy = false, ""
	}
	if conv.State == StateClosed {
		conv.Reroutes = 0
	}
}

// activity builds the history record of a change.
func activity(conv *Conversation, actor Actor, what string, data map[string]string, vis events.Visibility) *Message {
	return &Message{ID: uuid.NewString(), WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, Kind: KindActivity,
		Visibility: string(vis), AuthorKind: actor.AuthorKind, AuthorID: actor.ID, AuthorName: actor.Name,
		Activity: what, ActivityData: data, ClientID: uuid.NewString()}
}

// move changes conv's state (the caller checked CanMove) and records it.
func (s *Service) move(ctx context.Context, tx *store.Tx, conv *Conversation, to State, actor Actor, reason string) error {
	return s.moveWith(ctx, tx, conv, to, actor, reason, nil)
}

// moveWith is move with more details for the event's data (not for the
// history's record of it).
func (s *Service) moveWith(ctx context.Context, tx *store.Tx, conv *Conversation, to State, actor Actor, reason string, extra map[string]string) error {
	return s.moveFrom(ctx, tx, conv, before(conv), to, actor, reason, extra)
}

// moveFrom is moveWith for a caller that changed conv (its owner) before the
// move: prev is conv as it was before the whole change, what the event's
// Before must say so that a watcher whose view the conversation leaves
// hears of it.
func (s *Service) moveFrom(ctx context.Context, tx *store.Tx, conv *Conversation, prev *Before, to State, actor Actor, reason string, extra map[string]string) error {
	from := conv.State
	conv.State = to
	switch to {
	case StateClosed:
		conv.ClosedAt, conv.ClosedFrom = store.NowMillis(s.now()), from
		conv.SnoozedUntil, conv.StateBeforeSnooze = 0, ""
	case StateSnoozed:
		conv.StateBeforeSnooze = from
	default:
		conv.SnoozedUntil, conv.StateBeforeSnooze = 0, ""
		if from == StateClosed {
			conv.ClosedAt = 0
		}
	}
	data := map[string]string{"from": string(from), "to": string(to)}
	if reason != "" {
		data["reason"] = reason
	}
	if conv.AssigneeID != "" {
		data["assignee_id"] = conv.AssigneeID
	}
	vis := events.Public
	if from == StateSpam || to == StateSpam { // the customer is not told
		vis = events.Agents
	}
	return s.record(ctx, tx, conv, prev, events.ConversationStateChanged, vis, actor,
		activity(conv, actor, activityStateChanged, data, vis), withData(data, extra))
}

// withData returns data with extra's entries added (data itself when there
// are none).
func withData(data, extra map[string]string) map[string]string {
	if len(extra) == 0 {
		return data
	}
	out := maps.Clone(data)
	maps.Copy(out, extra)
	return out
}

// lock loads a conversation of the workspace (with its tags) for update.
func (s *Service) lock(ctx context.Context, tx *store.Tx, workspaceID, id string) (Conversation, error) {
	c, err := getConversation(ctx, tx, id, tx.Dialect.ForUpdate())
	if store.ErrNoRows(err) || (err == nil && c.WorkspaceID != workspaceID) {
		return Conversation{}, apperr.ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("load conversation: %w", err)
	}
	// Locking reads as well: a transaction that read before it waited for
	// the lock would otherwise see the tags and participants of its first
	// read (MySQL's repeatable read), not what the holder before it left,
	// and its event would carry those.
	if err := loadRelations(ctx, tx, []*Conversation{&c}, tx.Dialect.ForUpdate()); err != nil {
		return Conversation{}, err
	}
	return c, nil
}

// Start opens a conversation for a visitor, with its first message if body
// is set. A retry with the same client id returns the original.
func (s *Service) Start(ctx context.Context, p *access.Principal, clientID, pageURL string, fields map[string]string, body string) (Conversation, *Message, error) {
	return s.StartChat(ctx, p, Chat{ClientID: clientID, PageURL: pageURL, Fields: fields, Body: body})
}

// Chat is a visitor's new chat from the widget.
type Chat struct {
	ClientID, PageURL, Body string
	Fields                  map[string]string
	// GroupID is the department the customer chose ("" for none).
	GroupID string
	// Spam, when set, says why the chat starts in quarantine (StateSpam):
	// it came during a flood. Its customer is not told.
	Spam string
}

// StartChat is Start with everything a widget's new chat may carry.
func (s *Service) StartChat(ctx context.Context, p *access.Principal, c Chat) (Conversation, *Message, error) {
	return s.start(ctx, p, c.ClientID, c.Body, c.GroupID, startOptions{channel: ChannelWeb, pageURL: c.PageURL, fields: c.Fields, spam: c.Spam})
}

// StartEmail opens an email conversation for the contact p acts for, with
// the mail's subject and words, in the inbox's group ("" for none). It is
// not capped like the widget's chats (a customer may write about several
// things). The AI agent takes it, when it is on, only if the inbox lets it
// (aiAnswers); otherwise it waits for the team. A retry with the same
// client id returns the original and stores nothing.
func (s *Service) StartEmail(ctx context.Context, p *access.Principal, clientID, subject, body, groupID string, aiAnswers bool) (Conversation, *Message, error) {
	return s.start(ctx, p, clientID, body, groupID, startOptions{channel: ChannelEmail, subject: subject, uncapped: true, noBot: !aiAnswers})
}

// startOptions are what differs between the channels' starts.
type startOptions struct {
	channel, pageURL, subject string
	fields                    map[string]string
	// uncapped skips MaxOpenPerVisitor; noBot starts pending even when
	// the AI agent is on.
	uncapped, noBot bool
	// spam, when set, starts it in quarantine, for this reason.
	spam string
}

func (s *Service) start(ctx context.Context, p *access.Principal, clientID, body, groupID string, o startOptions) (Conversation, *Message, error) {
	pageURL, fields := o.pageURL, o.fields
	actor, err := s.ActorOf(ctx, p)
	if err != nil {
		return Conversation{}, nil, err
	}
	if groupID != "" {
		if ws, err := s.dir.GroupWorkspace(ctx, groupID); apperr.Is(err, apperr.NotFound) || (err == nil && ws != p.WorkspaceID) {
			return Conversation{}, nil, ErrNotGroup
		} else if err != nil {
			return Conversation{}, nil, err
		}
	}
	if existing, err := conversationByClientID(ctx, s.db, p.WorkspaceID, clientID); err == nil {
		if existing.ContactID != p.VisitorID {
			return Conversation{}, nil, ErrClientIDReused
		}
		return existing, nil, nil
	}
	state := StatePending
	var createdData map[string]string
	if o.spam != "" {
		state, createdData = StateSpam, map[string]string{"reason": o.spam}
	} else if s.botEnabled != nil && !o.noBot {
		if on, err := s.botEnabled(ctx, p.WorkspaceID); err != nil {
			return Conversation{}, nil, err
		} else if on {
			state = StateBot
		}
	}
	now := store.NowMillis(s.now())
	conv := Conversation{ID: uuid.NewString(), WorkspaceID: p.WorkspaceID, ContactID: p.VisitorID, ClientID: clientID,
		State: state, GroupID: groupID, Priority: "none", Channel: o.channel, PageURL: pageURL, CustomFields: fields,
		Subject: o.subject, LastActivityAt: now, CreatedAt: now, UpdatedAt: now}
	var first *Message
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if s.maxOpen > 0 && !o.uncapped {
			// Locked on MySQL, so that concurrent starts see each other.
			n, err := openOfContact(ctx, tx, p.VisitorID, tx.Dialect.ForUpdate())
			if err != nil {
				return fmt.Errorf("count open conversations: %w", err)
			}
			if n >= s.maxOpen {
				return apperr.Newf(apperr.ResourceExhausted,
					"you have %s, the most allowed: continue in one of them, or close one first", naming.Count(n, "open conversation"))
			}
		}
		c := conv
		if body != "" {
			// The first words are part of the conversation as it starts:
			// who hears of it then (a new-conversation notification) reads
			// them there.
			c.LastMessagePreview, c.LastMessageAt = preview(body), now
			c.LastCustomerPreview, c.LastCustomerAt = preview(body), now
		}
		if err := insertConversation(ctx, tx, &c); err != nil {
			return err
		}
		if err := s.record(ctx, tx, &c, nil, events.ConversationCreated, events.Public, actor, nil, createdData); err != nil {
			return err
		}
		if body != "" {
			first = &Message{ID: uuid.NewString(), WorkspaceID: c.WorkspaceID, ConversationID: c.ID, Kind: KindText,
				Visibility: string(events.Public), AuthorKind: actor.AuthorKind, AuthorID: actor.ID, AuthorName: actor.Name,
				Body: body, ClientID: firstMessageID(clientID)}
			if err := s.record(ctx, tx, &c, nil, events.MessageCreated, events.Public, actor, first, nil); err != nil {
				return err
			}
		}
		conv = c
		return nil
	})
	if err != nil && s.db.Dialect.IsUniqueViolation(err) { // a concurrent retry won
		if existing, err := conversationByClientID(ctx, s.db, p.WorkspaceID, clientID); err == nil && existing.ContactID == p.VisitorID {
			return existing, nil, nil
		}
		return Conversation{}, nil, ErrClientIDReused
	}
	return conv, first, err
}

// errDuplicate stops a transaction that found its work already done.
var errDuplicate = errors.New("already done")

// Post adds a message or note by the principal. A retry with the same
// client id returns the original and stores nothing; the same id with other
// content is refused.
//
// A customer writing to a snoozed conversation wakes it; to a closed one,
// reopens it into the queue. An agent cannot write to a closed conversation,
// nor to one another agent owns unless they joined it; an agent's reply to an
// unowned bot or pending conversation makes them its owner.
func (s *Service) Post(ctx context.Context, p *access.Principal, workspaceID, conversationID, clientID, body, kind string) (Message, Conversation, error) {
	return s.post(ctx, p, workspaceID, conversationID, clientID, body, kind, nil, nil)
}

// PostFiles is Post for a message that carries the principal's uploaded
// files (and maybe no text).
func (s *Service) PostFiles(ctx context.Context, p *access.Principal, workspaceID, conversationID, clientID, body string, fileIDs []string) (Message, Conversation, error) {
	if len(fileIDs) == 0 {
		return s.Post(ctx, p, workspaceID, conversationID, clientID, body, KindText)
	}
	if s.attacher == nil {
		return Message{}, Conversation{}, apperr.Invalid("file_ids", "this server does not take files")
	}
	kind, id := p.Actor()
	attach := func(ctx context.Context, tx *store.Tx, conv *Conversation, _ Actor, msg *Message) error {
		as, err := s.attacher.Attach(ctx, tx, conv.ID, kind, id, msg.ID, fileIDs)
		msg.Meta.Attachments = as
		return err
	}
	return s.post(ctx, p, workspaceID, conversationID, clientID, body, KindText, attach, nil)
}

// postHook runs inside a post's transaction: before the message is
// recorded (to adjust it), or after (to append more events).
type postHook func(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, msg *Message) error

func (s *Service) post(ctx context.Context, p *access.Principal, workspaceID, conversationID, clientID, body, kind string, before, after postHook) (Message, Conversation, error) {
	actor, err := s.ActorOf(ctx, p)
	if err != nil {
		return Message{}, Conversation{}, err
	}
	vis := events.Public
	typ := events.MessageCreated
	if kind == KindNote {
		vis, typ = events.Agents, events.NoteCreated
	}
	// Whether a closed conversation's last owner is online decides where a
	// customer's new message sends it; presence is read before the
	// transaction, which must not wait on other connections.
	var returnTo string
	if actor.AuthorKind == AuthorCustomer && kind == KindText {
		if prev, err := getConversation(ctx, s.db, conversationID, ""); err == nil && prev.State == StateClosed && prev.AssigneeID != "" {
			if online, err := s.dir.Online(ctx, workspaceID, prev.AssigneeID); err == nil && online {
				returnTo = prev.AssigneeID
			}
		}
	}
	var (
		msg  Message
		conv Conversation
	)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if existing, err := messageByClientID(ctx, tx, workspaceID, clientID); err == nil {
			msg = existing
			return errDuplicate
		} else if !store.ErrNoRows(err) {
			return fmt.Errorf("find message: %w", err)
		}
		if conv, err = s.lock(ctx, tx, workspaceID, conversationID); err != nil {
			return err
		}
		if kind == KindText {
			if err := s.beforeText(ctx, tx, &conv, actor, returnTo); err != nil {
				return err
			}
		}
		msg = Message{ID: uuid.NewString(), WorkspaceID: workspaceID, ConversationID: conv.ID, Kind: kind,
			Visibility: string(vis), AuthorKind: actor.AuthorKind, AuthorID: actor.ID, AuthorName: actor.Name,
			Body: body, ClientID: clientID}
		if before != nil {
			if err := before(ctx, tx, &conv, actor, &msg); err != nil {
				return err
			}
		}
		// A hook may narrow who sees the message (a whisper): its event
		// is seen by the same.
		if err := s.record(ctx, tx, &conv, nil, typ, events.Visibility(msg.Visibility), actor, &msg, nil); err != nil {
			return err
		}
		if after != nil {
			return after(ctx, tx, &conv, actor, &msg)
		}
		return nil
	})
	if err != nil && s.db.Dialect.IsUniqueViolation(err) { // a concurrent retry won the insert
		if msg, err = messageByClientID(ctx, s.db, workspaceID, clientID); err == nil {
			err = errDuplicate
		}
	}
	if errors.Is(err, errDuplicate) {
		if msg.ConversationID != conversationID || msg.Body != body || msg.Kind != kind || msg.AuthorID != actor.ID {
			return Message{}, Conversation{}, ErrClientIDReused
		}
		conv, err = s.Get(ctx, workspaceID, conversationID)
		return msg, conv, err
	}
	return msg, conv, err
}

// beforeText applies what a text message does to the conversation's state.
// returnTo is the closed conversation's last owner when they are online.
func (s *Service) beforeText(ctx context.Context, tx *store.Tx, conv *Conversation, actor Actor, returnTo string) error {
	if actor.AuthorKind == AuthorCustomer {
		switch conv.State {
		case StateClosed:
			// Back to its last owner if they are online, else to the queue.
			if returnTo != "" && conv.AssigneeID == returnTo {
				return s.move(ctx, tx, conv, StateActive, actor, "customer_message")
			}
			prev := before(conv)
			conv.AssigneeID = ""
			return s.moveFrom(ctx, tx, conv, prev, StatePending, actor, "customer_message", nil)
		case StateSnoozed:
			to := conv.StateBeforeSnooze
			if to == "" {
				to = StatePending
			}
			return s.move(ctx, tx, conv, to, actor, "customer_message")
		}
		return nil
	}
	switch conv.State {
	case StateClosed:
		return apperr.New(apperr.FailedPrecondition, "this conversation is closed: reopen it to reply")
	case StateSpam:
		return apperr.New(apperr.FailedPrecondition, "this conversation is held as spam: release it to reply")
	}
	if actor.UserID != "" && conv.AssigneeID != "" && !conv.takesPart(actor.UserID) {
		return apperr.New(apperr.FailedPrecondition, "another agent owns this conversation: join it or take it over to reply")
	}
	if actor.UserID != "" && actor.UserID == conv.AssigneeID {
		conv.RoutedAt, conv.Reroutes = 0, 0 // the owner answered: no reply timeout any more
	}
	switch conv.State {
	case StateBot, StatePending:
		if conv.AssigneeID == "" && actor.UserID != "" {
			var extra map[string]string
			if conv.State == StateBot {
				if err := s.recordHandoff(ctx, tx, conv, Handoff{Reason: HandoffAgentTakeover, Detail: actor.Name}); err != nil {
					return err
				}
				extra = map[string]string{DataHandoff: string(HandoffAgentTakeover)}
			}
			prev := before(conv)
			conv.AssigneeID, conv.AssignedAt, conv.Reroutes = actor.UserID, store.NowMillis(s.now()), 0
			return s.moveFrom(ctx, tx, conv, prev, StateActive, actor, "agent_reply", extra)
		}
	}
	return nil
}

// Reasons a state change records (its event's and history's "reason").
const (
	reasonClosed   = "closed"
	reasonReopened = "reopened"
	reasonSnoozed  = "snoozed"
)

// Close ends a conversation. Closing a closed conversation changes nothing
// and answers with it as it is: whoever asks, that is the end state they
// asked for, and a client that retries a close whose answer was lost must
// not be told it failed, nor make a second event (and so a second webhook
// or notification).
func (s *Service) Close(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	return s.transition(ctx, p, workspaceID, id, func(*store.Tx, *Conversation, Actor) (State, error) {
		return StateClosed, nil
	}, reasonClosed)
}

// Reopen reopens a closed conversation, owned by the agent who reopens it.
//
// The same caller's reopen again (a retry whose answer was lost) changes
// nothing and answers with the conversation as it is, as long as it stands
// as that reopen left it (see reopenedBy). Any other reopen of an open
// conversation is a different change, and still refused.
func (s *Service) Reopen(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	return s.transition(ctx, p, workspaceID, id, func(tx *store.Tx, c *Conversation, actor Actor) (State, error) {
		if c.State != StateClosed {
			again, err := reopenedBy(ctx, tx, c, actor)
			if err != nil {
				return "", err
			}
			if again {
				return c.State, nil
			}
			return "", errIllegal(c.State, StateActive)
		}
		if p.Kind == access.KindUser {
			c.AssigneeID = p.UserID
			return StateActive, nil
		}
		return StatePending, nil
	}, reasonReopened)
}

// reopenedBy reports whether conv stands as the actor's reopen left it: its
// latest state change is their reopen, and its state and owner are still
// what that reopen made them.
func reopenedBy(ctx context.Context, q store.Querier, conv *Conversation, actor Actor) (bool, error) {
	return changedBy(ctx, q, conv, actor, reasonReopened, StateClosed)
}

// changedBy reports whether conv stands as the actor's change for reason
// from the state left it: its latest state change is that one, and its
// state and owner are still what the change made them.
func changedBy(ctx context.Context, q store.Querier, conv *Conversation, actor Actor, reason string, from State) (bool, error) {
	m, err := lastStateChange(ctx, q, conv.ID)
	if store.ErrNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find the latest state change: %w", err)
	}
	d := m.ActivityData
	return m.AuthorKind == actor.AuthorKind && m.AuthorID == actor.ID && d["reason"] == reason &&
		d["from"] == string(from) && d["to"] == string(conv.State) && d["assignee_id"] == conv.AssigneeID, nil
}

// Why a conversation is held as spam: its conversation.created's or
// conversation.state_changed's "reason".
const (
	// SpamFloodVisitor: its chat or its client address went over the
	// widget's limits.
	SpamFloodVisitor = "flood_visitor"
	// SpamFloodWebsite: its website's new chats went over theirs, and its
	// visitor was new and not signed.
	SpamFloodWebsite = "flood_website"
	// SpamMarked: a person marked it.
	SpamMarked = "marked_spam"
)

// SpamReasons lists every reason a conversation is held as spam.
func SpamReasons() []string { return []string{SpamFloodVisitor, SpamFloodWebsite, SpamMarked} }

// reasonReleased is the reason of a move out of quarantine.
const reasonReleased = "released"

// MarkSpam moves a conversation into quarantine, unowned: nothing reacts to
// it until it is released. Marking a spam conversation changes nothing.
func (s *Service) MarkSpam(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	return s.transition(ctx, p, workspaceID, id, func(_ *store.Tx, c *Conversation, _ Actor) (State, error) {
		c.AssigneeID = ""
		return StateSpam, nil
	}, SpamMarked)
}

// Release lets a conversation out of quarantine into the queue, where it is
// routed and its team notified as of a new one. The same caller's release
// again (a retry whose answer was lost) changes nothing while the
// conversation stands as that release left it.
func (s *Service) Release(ctx context.Context, p *access.Principal, workspaceID, id string) (Conversation, error) {
	return s.transition(ctx, p, workspaceID, id, func(tx *store.Tx, c *Conversation, actor Actor) (State, error) {
		if c.State != StateSpam {
			again, err := changedBy(ctx, tx, c, actor, reasonReleased, StateSpam)
			if err != nil {
				return "", err
			}
			if again {
				return c.State, nil
			}
			return "", apperr.New(apperr.FailedPrecondition, "this conversation is not held as spam")
		}
		return StatePending, nil
	}, reasonReleased)
}

// Quarantine holds a conversation as spam for reason when a flood is found
// after it started (its chat went over the widget's limits), as long as it
// waits for nobody in particular: with the AI agent or in the queue,
// unowned. It reports whether it moved it.
func (s *Service) Quarantine(ctx context.Context, workspaceID, id, reason string) (bool, error) {
	moved := false
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		conv, err := s.lock(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if (conv.State != StateBot && conv.State != StatePending) || conv.AssigneeID != "" {
			return nil
		}
		moved = true
		system := Actor{EventKind: events.ActorSystem, AuthorKind: AuthorSystem, Name: "Tandem"}
		return s.moveWith(ctx, tx, &conv, StateSpam, system, reason, nil)
	})
	return moved, err
}

// Snooze hides a pending or active conversation until the time. Snoozing
// a conversation snoozed until that very time changes nothing (a retry);
// until another time, it is refused as before.
func (s *Service) Snooze(ctx context.Context, p *access.Principal, workspaceID, id string, until time.Time) (Conversation, error) {
	if !until.After(s.now()) {
		return Conversation{}, apperr.Invalid("until_time_ms", "must be in the future")
	}
	return s.transition(ctx, p, workspaceID, id, func(_ *store.Tx, c *Conversation, _ Actor) (State, error) {
		if c.State == StateSnoozed && c.SnoozedUntil == store.NowMillis(until) {
			return StateSnoozed, nil
		}
		if c.State != StatePending && c.State != StateActive {
			return "", errIllegal(c.State, StateSnoozed)
		}
		c.SnoozedUntil = store.NowMillis(until)
		return StateSnoozed, nil
	}, reasonSnoozed)
}

// transition runs one state change, under the ownership rule (each of them
// ends or changes the owner's hold): decide picks the target state from the
// locked conversation (or refuses), and the machine must allow it.
//
// A target that is the state the conversation is in already means the
// change was made before (the machine has no move from a state to itself,
// so decide names it only for a repeat it accepts): nothing is written and
// the conversation is answered as it is. The ownership rule is applied
// first, so a caller who may not make the change is refused even then.
func (s *Service) transition(ctx context.Context, p *access.Principal, workspaceID, id string,
	decide func(tx *store.Tx, c *Conversation, actor Actor) (State, error), reason string) (Conversation, error) {
	return s.changeOwned(ctx, p, workspaceID, id, func(tx *store.Tx, conv *Conversation, actor Actor) error {
		from, prev := conv.State, before(conv) // decide may change the owner (a reopen)
		to, err := decide(tx, conv, actor)
		if err != nil {
			return err
		}
		if to == from {
			return nil
		}
		if !CanMove(from, to) {
			return errIllegal(from, to)
		}
		return s.moveFrom(ctx, tx, conv, prev, to, actor, reason, nil)
	})
}

// WakeDue wakes the snoozed conversations whose time has come, each in its
// own transaction; on MySQL, replicas running it at once skip each other's
// rows. It returns how many it woke.
func (s *Service) WakeDue(ctx context.Context) (int, error) {
	now := store.NowMillis(s.now())
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM conversations WHERE state = ? AND snoozed_until <= ? LIMIT 100`,
		StateSnoozed, now); err != nil {
		return 0, fmt.Errorf("find snoozed: %w", err)
	}
	system := Actor{EventKind: events.ActorSystem, AuthorKind: AuthorSystem, Name: "Tandem"}
	woken := 0
	for _, id := range ids {
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			conv, err := getConversation(ctx, tx, id, tx.Dialect.SkipLocked())
			if store.ErrNoRows(err) {
				return nil // another replica has it
			}
			if err != nil {
				return err
			}
			if conv.State != StateSnoozed || conv.SnoozedUntil > now {
				return nil
			}
			// Its event carries the whole conversation: its tags and
			// participants too, which streams and their filters read.
			if err := loadRelations(ctx, tx, []*Conversation{&conv}, tx.Dialect.ForUpdate()); err != nil {
				return err
			}
			to := conv.StateBeforeSnooze
			if to == "" {
				to = StatePending
			}
			woken++
			return s.move(ctx, tx, &conv, to, system, "snooze_ended")
		})
		if err != nil {
			return woken, err
		}
	}
	return woken, nil
}

// MarkRead moves the user's read marker of the conversation to seq (0: its end).
func (s *Service) MarkRead(ctx context.Context, p *access.Principal, workspaceID, id string, seq int64) error {
	if p.Kind != access.KindUser {
		return nil // only people read
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		conv, err := s.lock(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if seq == 0 || seq > conv.LastSeq {
			seq = conv.LastSeq
		}
		if err := setRead(ctx, tx, &conv, p.UserID, seq, store.NowMillis(s.now())); err != nil {
			return fmt.Errorf("mark read: %w", err)
		}
		payload, _ := json.Marshal(Payload{Data: map[string]string{"seq": fmt.Sprint(seq)}, UserID: p.UserID})
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: workspaceID, Type: events.ConversationRead, ConversationID: id,
			ActorKind: events.ActorUser, ActorID: p.UserID, Visibility: events.Self, Payload: payload})
	})
}

// Typing tells the conversation's watchers that the principal is typing.
func (s *Service) Typing(ctx context.Context, p *access.Principal, workspaceID, id string, typing bool) error {
	actor, err := s.ActorOf(ctx, p)
	if err != nil {
		return err
	}
	vis := events.Public
	if actor.AuthorKind == AuthorCustomer {
		vis = events.Agents
	}
	s.hub.Publish(events.Ephemeral{WorkspaceID: workspaceID, ConversationID: id, Type: events.Typing, ActorKind: actor.EventKind,
		ActorID: actor.ID, ActorName: actor.Name, Typing: typing, Visibility: vis, CreatedAt: store.NowMillis(s.now())})
	return nil
}

// firstMessageID is the client id of a conversation's first message: derived
// from the conversation's, so a retried start finds it too.
func firstMessageID(conversationClientID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("tandem:first-message:"+conversationClientID)).String()
}
