// Package notify turns what happens in a workspace into each member's
// notifications: new conversations in their groups (and conversations
// transferred to them), assignments, handoffs from the AI agent, mentions,
// whispers to them, customer messages in conversations they own or joined,
// SLA warnings and breaches, and CSAT ratings. Unassigned conversations
// notify their group (everyone when they have none); assigned ones notify
// only their owner. Members turn types off per workspace.
//
// Tables owned: notifications, notification_prefs.
// Events emitted: notification.created (visible to its member alone, so
// their Watch stream carries it).
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Types of notifications.
const (
	NewConversation = "new_conversation"
	Assigned        = "assigned"
	Handoff         = "handoff"
	Mention         = "mention"
	NewMessage      = "new_message"
	SLAWarning      = "sla_warning"
	SLABreach       = "sla_breach"
	CSAT            = "csat"
	Whisper         = "whisper"
	// NeedsAttention tells supervisors that routing gave up on a
	// conversation (too many reply timeouts): it waits for a person.
	NeedsAttention = "needs_attention"
)

// Types lists every type.
var Types = []string{NewConversation, Assigned, Handoff, Mention, NewMessage, SLAWarning, SLABreach, CSAT, Whisper, //nolint:gochecknoglobals // read-only table
	NeedsAttention}

// ReactorName names the notify reactor (its cursors).
const ReactorName = "notify"

// Notification is one member's notification.
type Notification struct {
	ID             string `db:"id" json:"id"`
	WorkspaceID    string `db:"workspace_id" json:"workspace_id"`
	UserID         string `db:"user_id" json:"user_id"`
	Type           string `db:"type" json:"type"`
	ConversationID string `db:"conversation_id" json:"conversation_id"`
	Title          string `db:"title" json:"title"`
	Body           string `db:"body" json:"body"`
	EventID        string `db:"event_id" json:"-"`
	CreatedAt      int64  `db:"created_at" json:"created_at"`
	ReadAt         int64  `db:"read_at" json:"read_at"`
}

// Deps are the collaborators the service needs: who is in a workspace and
// its groups (the workspace package). Deps holds collaborators, never
// settings (see server/wire.go).
type Deps struct {
	GroupMembers func(ctx context.Context, groupID string) ([]string, error)
	Members      func(ctx context.Context, workspaceID string) ([]string, error)
	// Supervisors lists the members who are supervisors or above.
	Supervisors func(ctx context.Context, workspaceID string) ([]string, error)
}

// Service keeps notifications.
type Service struct {
	db     *store.DB
	log    *events.Log
	deps   Deps
	logger *slog.Logger
	now    func() time.Time
}

// NewService returns the notification service.
func NewService(db *store.DB, log *events.Log, deps Deps, logger *slog.Logger) *Service {
	return &Service{db: db, log: log, deps: deps, logger: logger, now: time.Now}
}

// React is the notify reactor's handler: it works out who hears of the event
// and notifies them, once each (a retry finds the notification there).
func (s *Service) React(ctx context.Context, ev events.Event) error {
	var pl conversation.Payload
	switch ev.Type {
	case events.ConversationCreated, events.ConversationHandoff, events.ConversationAssigned, events.ConversationTransferred, events.MemberMentioned,
		events.MessageCreated, events.NoteCreated, events.CSATReceived, events.SLAWarning, events.SLABreach, events.ConversationUnassigned,
		events.ConversationStateChanged:
		if err := json.Unmarshal(ev.Payload, &pl); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
	default:
		return nil
	}
	conv := pl.Conversation
	var (
		to          []string
		typ         string
		title, body string
		err         error
	)
	switch ev.Type {
	case events.ConversationCreated:
		if conv == nil || conv.State == conversation.StateBot || conv.State == conversation.StateSpam {
			return nil // the AI agent has it (its handoff notifies), or it is held as spam
		}
		typ, title, body = NewConversation, "New conversation", shorten(customerWords(conv))
		to, err = s.audience(ctx, conv)
	case events.ConversationStateChanged:
		// Released from quarantine: news to its team as a new one.
		if conv == nil || pl.Data["from"] != string(conversation.StateSpam) || conv.AssigneeID != "" {
			return nil
		}
		typ, title, body = NewConversation, "Conversation released from spam", shorten(customerWords(conv))
		to, err = s.audience(ctx, conv)
	case events.ConversationTransferred:
		// To a group's queue: its members hear of it as of a new
		// conversation there (a transfer to a person is an assignment).
		if conv == nil || conv.AssigneeID != "" {
			return nil
		}
		typ, title, body = NewConversation, "Conversation transferred to your group", shorten(customerWords(conv))
		if pl.Message != nil && pl.Message.AuthorName != "" {
			title = pl.Message.AuthorName + " transferred a conversation to your group"
		}
		to, err = s.audience(ctx, conv)
	case events.ConversationHandoff:
		typ, title, body = Handoff, "A customer needs a person", reasonText(conversation.HandoffReason(pl.Data["reason"]), pl.Data["detail"])
		to, err = s.audience(ctx, conv)
	case events.ConversationAssigned:
		typ, title, body = Assigned, "Conversation assigned to you", conv.LastMessagePreview
		to = []string{pl.Data["assignee_id"]}
	case events.MemberMentioned:
		typ, title = Mention, "You were mentioned"
		if pl.Message != nil {
			title, body = pl.Message.AuthorName+" mentioned you", pl.Message.Body
		}
		to = []string{pl.UserID}
	case events.NoteCreated:
		// A whisper notifies the member it is addressed to, who alone
		// (with its author and supervisors) may read it.
		if pl.Message == nil || ev.Visibility != conversation.Whisper {
			return nil
		}
		typ, title, body = Whisper, pl.Message.AuthorName+" whispered to you", pl.Message.Body
		to = []string{pl.Message.Addressee()}
	case events.MessageCreated:
		if pl.Message == nil || pl.Message.AuthorKind != conversation.AuthorCustomer || conv == nil || conv.AssigneeID == "" {
			return nil
		}
		typ, title, body = NewMessage, "New message from "+pl.Message.AuthorName, pl.Message.Body
		to = append([]string{conv.AssigneeID}, conv.ParticipantIDs...)
	case events.CSATReceived:
		typ, title, body = CSAT, "Rated "+pl.Data["rating"]+"/5", pl.Data["comment"]
		if conv != nil && conv.AssigneeID != "" {
			to = []string{conv.AssigneeID}
		}
	case events.ConversationUnassigned:
		if pl.Data[conversation.DataNeedsAttention] != "true" {
			return nil
		}
		typ, title = NeedsAttention, "A conversation needs attention"
		body = fmt.Sprintf("Nobody replied in time the %s times it was assigned: it waits in the queue for someone to take it.", pl.Data["reroutes"])
		to, err = s.deps.Supervisors(ctx, ev.WorkspaceID)
	case events.SLAWarning, events.SLABreach:
		typ, title, body = SLAWarning, "SLA deadline close", pl.Data["target"]
		if ev.Type == events.SLABreach {
			typ, title = SLABreach, "SLA deadline missed"
		}
		to, err = s.audience(ctx, conv)
	}
	if err != nil {
		return err
	}
	// Nobody hears of what they did themselves.
	if ev.ActorKind == events.ActorUser {
		to = slices.DeleteFunc(to, func(u string) bool { return u == ev.ActorID })
	}
	convID := ev.ConversationID
	return s.notify(ctx, ev, to, typ, convID, title, clip(body, 500))
}

// audience is who hears of a conversation: its owner when it has one, else
// its group's members, else every member of the workspace.
func (s *Service) audience(ctx context.Context, conv *conversation.Conversation) ([]string, error) {
	switch {
	case conv == nil:
		return nil, nil
	case conv.AssigneeID != "":
		return []string{conv.AssigneeID}, nil
	case conv.GroupID != "":
		return s.deps.GroupMembers(ctx, conv.GroupID)
	}
	return s.deps.Members(ctx, conv.WorkspaceID)
}

// notify stores the notification for each member who has the type on, with
// its notification.created event, skipping those who have it already.
func (s *Service) notify(ctx context.Context, ev events.Event, to []string, typ, convID, title, body string) error {
	slices.Sort(to)
	to = slices.Compact(to)
	for _, userID := range to {
		if userID == "" {
			continue
		}
		on, err := s.enabled(ctx, ev.WorkspaceID, userID, typ)
		if err != nil {
			return err
		}
		if !on {
			continue
		}
		n := Notification{ID: uuid.NewString(), WorkspaceID: ev.WorkspaceID, UserID: userID, Type: typ, ConversationID: convID,
			Title: clip(title, 200), Body: body, EventID: ev.ID, CreatedAt: store.NowMillis(s.now())}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			var n0 int
			if err := tx.GetContext(ctx, &n0, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND event_id = ? AND type = ?`,
				userID, ev.ID, typ); err != nil || n0 > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, workspace_id, user_id, type, conversation_id, title, body,
				event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.WorkspaceID, n.UserID, n.Type, n.ConversationID,
				n.Title, n.Body, n.EventID, n.CreatedAt); err != nil {
				return fmt.Errorf("insert notification: %w", err)
			}
			payload, _ := json.Marshal(map[string]any{"user_id": userID, "data": map[string]string{
				"notification_id": n.ID, "type": typ, "conversation_id": convID, "title": n.Title, "body": n.Body}})
			return s.log.Append(ctx, tx, &events.Event{WorkspaceID: ev.WorkspaceID, Type: events.NotificationCreated,
				ActorKind: events.ActorSystem, Visibility: events.Direct, Payload: payload})
		})
		if err != nil && !s.db.Dialect.IsUniqueViolation(err) {
			return err
		}
	}
	return nil
}

func reasonText(reason conversation.HandoffReason, detail string) string {
	switch reason {
	case conversation.HandoffEscalationIntent:
		if intent := strings.TrimPrefix(detail, "intent: "); intent != "" && intent != detail && intent != "model" {
			return "The customer's message needs a person (" + intent + ")."
		}
		return "The customer's message needs a person."
	case conversation.HandoffCustomerRequest:
		return "The customer asked for a person."
	case conversation.HandoffKeywordRule, conversation.HandoffAttributeRule:
		return "A rule sent it to the team."
	case conversation.HandoffLowConfidence:
		return "The AI agent was not sure of the answer."
	case conversation.HandoffBotError:
		return "The AI agent could not answer."
	case conversation.HandoffRepeated:
		return "The customer asked the same thing again."
	case conversation.HandoffAIBudget:
		return "The AI agent's token budget is spent."
	}
	return strings.ReplaceAll(string(reason), "_", " ")
}

// customerWords is what the customer said last, for a notification about
// their conversation (the latest message of anyone's when they said
// nothing yet).
func customerWords(conv *conversation.Conversation) string {
	if conv.LastCustomerPreview != "" {
		return conv.LastCustomerPreview
	}
	return conv.LastMessagePreview
}

// shortLen is how many characters a notification quotes of a customer.
const shortLen = 120

// shorten quotes words at a glance: one line, at most shortLen
// characters, cut at a word where it can be, with an ellipsis when cut.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= shortLen {
		return s
	}
	cut := string(r[:shortLen-1])
	if i := strings.LastIndexByte(cut, ' '); i > shortLen/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
