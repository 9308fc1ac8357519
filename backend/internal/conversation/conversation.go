// Package conversation owns conversations and their history: customer and
// agent messages, internal notes and activity records, read markers, and
// the state machine (bot, pending, active, snoozed, closed), whose
// transitions only this package makes. It serves ConversationService and,
// with the contact package, WidgetService, and streams both sides' events.
//
// Tables owned: conversations, messages, conversation_reads.
// Events emitted: conversation.created, conversation.state_changed,
// conversation.read, message.created, note.created (and typing, which is
// ephemeral and never stored).
package conversation

import (
	"slices"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// State is where a conversation stands.
type State string

// States.
const (
	StateBot     State = "bot"
	StatePending State = "pending"
	StateActive  State = "active"
	StateSnoozed State = "snoozed"
	StateClosed  State = "closed"
)

// transitions lists the legal state changes; anything else is refused with
// FailedPrecondition.
var transitions = map[State][]State{
	StateBot:     {StatePending, StateActive, StateClosed},
	StatePending: {StateActive, StateSnoozed, StateClosed},
	StateActive:  {StatePending, StateSnoozed, StateClosed},
	StateSnoozed: {StatePending, StateActive, StateClosed},
	StateClosed:  {StatePending, StateActive},
}

// CanMove reports whether the state machine allows from -> to.
func CanMove(from, to State) bool { return slices.Contains(transitions[from], to) }

// Conversation is one customer conversation.
type Conversation struct {
	ID                 string        `db:"id" json:"id"`
	WorkspaceID        string        `db:"workspace_id" json:"workspace_id"`
	ContactID          string        `db:"contact_id" json:"contact_id"`
	ClientID           string        `db:"client_id" json:"client_id"`
	State              State         `db:"state" json:"state"`
	AssigneeID         string        `db:"assignee_id" json:"assignee_id"`
	GroupID            string        `db:"group_id" json:"group_id"`
	Priority           string        `db:"priority" json:"priority"`
	Channel            string        `db:"channel" json:"channel"`
	PageURL            string        `db:"page_url" json:"page_url"`
	CustomFields       store.JSONMap `db:"custom_fields" json:"custom_fields,omitempty"`
	LastMessagePreview string        `db:"last_message_preview" json:"last_message_preview"`
	LastMessageAt      int64         `db:"last_message_at" json:"last_message_at"`
	LastActivityAt     int64         `db:"last_activity_at" json:"last_activity_at"`
	LastSeq            int64         `db:"last_seq" json:"last_seq"`
	SnoozedUntil       int64         `db:"snoozed_until" json:"snoozed_until"`
	StateBeforeSnooze  State         `db:"state_before_snooze" json:"state_before_snooze"`
	ClosedAt           int64         `db:"closed_at" json:"closed_at"`
	AssignedAt         int64         `db:"assigned_at" json:"assigned_at"`
	RoutedAt           int64         `db:"routed_at" json:"routed_at"`
	LastRoutedTo       string        `db:"last_routed_to" json:"last_routed_to"`
	CreatedAt          int64         `db:"created_at" json:"created_at"`
	UpdatedAt          int64         `db:"updated_at" json:"updated_at"`

	// Unread is per reader: set by List for its caller.
	Unread bool `db:"unread" json:"-"`
	// TagIDs are the tags on the conversation (from conversation_tags).
	TagIDs []string `db:"-" json:"tag_ids,omitempty"`
	// ParticipantIDs are agents who joined besides the owner.
	ParticipantIDs []string `db:"-" json:"participant_ids,omitempty"`
}

// takesPart reports whether the user owns or has joined the conversation.
func (c *Conversation) takesPart(userID string) bool {
	return c.AssigneeID == userID || slices.Contains(c.ParticipantIDs, userID)
}

// Message kinds.
const (
	KindText     = "text"
	KindNote     = "note"
	KindActivity = "activity"
)

// Author kinds.
const (
	AuthorCustomer = "customer"
	AuthorAgent    = "agent"
	AuthorBot      = "bot"
	AuthorSystem   = "system"
)

// Message is one history item: a message, a note or an activity record.
type Message struct {
	ID             string        `db:"id" json:"id"`
	WorkspaceID    string        `db:"workspace_id" json:"workspace_id"`
	ConversationID string        `db:"conversation_id" json:"conversation_id"`
	Seq            int64         `db:"seq" json:"seq"`
	Kind           string        `db:"kind" json:"kind"`
	Visibility     string        `db:"visibility" json:"visibility"`
	AuthorKind     string        `db:"author_kind" json:"author_kind"`
	AuthorID       string        `db:"author_id" json:"author_id"`
	AuthorName     string        `db:"author_name" json:"author_name"`
	Body           string        `db:"body" json:"body"`
	Activity       string        `db:"activity" json:"activity,omitempty"`
	ActivityData   store.JSONMap `db:"activity_data" json:"activity_data,omitempty"`
	ClientID       string        `db:"client_id" json:"client_id"`
	CreatedAt      int64         `db:"created_at" json:"created_at"`
}

// Before is what a conversation event's conversation was before the change,
// in the fields streams filter on, so that a watcher also hears of a
// conversation leaving its view.
type Before struct {
	State      State    `json:"state"`
	AssigneeID string   `json:"assignee_id"`
	GroupID    string   `json:"group_id"`
	Priority   string   `json:"priority"`
	TagIDs     []string `json:"tag_ids,omitempty"`
}

// Payload is the JSON of the events this package appends.
type Payload struct {
	Conversation *Conversation     `json:"conversation,omitempty"`
	Message      *Message          `json:"message,omitempty"`
	Before       *Before           `json:"before,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
	// UserID names the member a membership or mention event is about.
	UserID string `json:"user_id,omitempty"`
	// APIKeyID names the key an api_key event is about.
	APIKeyID string `json:"api_key_id,omitempty"`
}

// preview is the start of a message for inbox lists, cut on a rune boundary.
func preview(body string) string {
	const max = 255
	if len(body) <= max {
		return body
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut]
}
