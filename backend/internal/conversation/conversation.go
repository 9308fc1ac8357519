// Package conversation owns conversations and their history: customer and
// agent messages, internal notes and activity records, read markers, and
// the state machine (bot, pending, active, snoozed, closed), whose
// transitions only this package makes. It serves ConversationService and,
// with the contact package, WidgetService, and streams both sides' events.
//
// Tables owned: conversations, messages, conversation_reads, participants,
// handoffs, conversation_tags.
// Events emitted: conversation.created, conversation.state_changed,
// conversation.read, message.created, note.created (and typing, which is
// ephemeral and never stored).
package conversation

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/events"
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
	// StateSpam holds a conversation in quarantine: started during a flood
	// or marked by a person. Nothing reacts to it (no routing, AI agent,
	// notification, SLA clock or rule) until someone releases it.
	StateSpam State = "spam"
)

// transitions lists the legal state changes; anything else is refused with
// FailedPrecondition.
var transitions = map[State][]State{ //nolint:gochecknoglobals // read-only table
	StateBot:     {StatePending, StateActive, StateClosed, StateSpam},
	StatePending: {StateActive, StateSnoozed, StateClosed, StateSpam},
	StateActive:  {StatePending, StateSnoozed, StateClosed, StateSpam},
	StateSnoozed: {StatePending, StateActive, StateClosed, StateSpam},
	StateClosed:  {StatePending, StateActive, StateSpam},
	StateSpam:    {StatePending}, // released into the queue
}

// Channels a conversation comes in by.
const (
	ChannelWeb   = "web"
	ChannelAPI   = "api"
	ChannelEmail = "email"
)

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
	// LastCustomerPreview is the customer's own latest words, for inbox
	// previews of what they asked.
	LastCustomerPreview string `db:"last_customer_preview" json:"last_customer_preview,omitempty"`
	LastCustomerAt      int64  `db:"last_customer_at" json:"last_customer_at,omitempty"`
	LastActivityAt      int64  `db:"last_activity_at" json:"last_activity_at"`
	LastSeq             int64  `db:"last_seq" json:"last_seq"`
	SnoozedUntil        int64  `db:"snoozed_until" json:"snoozed_until"`
	StateBeforeSnooze   State  `db:"state_before_snooze" json:"state_before_snooze"`
	ClosedAt            int64  `db:"closed_at" json:"closed_at"`
	AssignedAt          int64  `db:"assigned_at" json:"assigned_at"`
	RoutedAt            int64  `db:"routed_at" json:"routed_at"`
	LastRoutedTo        string `db:"last_routed_to" json:"last_routed_to"`
	CreatedAt           int64  `db:"created_at" json:"created_at"`
	UpdatedAt           int64  `db:"updated_at" json:"updated_at"`

	// Reroutes counts the times the reply timeout sent it back to the
	// queue since a person last took it or answered it, or it closed.
	Reroutes int `db:"reroutes" json:"reroutes,omitempty"`
	// LapsedBy is the agent whose reply timeout just sent it back to the
	// queue: routing never gives it to them again while it waits.
	LapsedBy string `db:"lapsed_by" json:"lapsed_by,omitempty"`
	// NeedsAttention is set when routing gave up on it (too many
	// re-routes): it waits in the queue for a person, not for the router.
	NeedsAttention bool `db:"needs_attention" json:"needs_attention,omitempty"`
	// Subject is an email conversation's subject (its first mail's); ""
	// for other channels.
	Subject string `db:"subject" json:"subject,omitempty"`

	// ClosedFrom is the state it was closed from (bot: the AI agent
	// resolved it).
	ClosedFrom State `db:"closed_from" json:"closed_from,omitempty"`
	// HandoffReason is why it last left the AI agent.
	HandoffReason HandoffReason `db:"handoff_reason" json:"handoff_reason,omitempty"`
	// SkillsText lists the skills an agent needs for it, comma-separated.
	SkillsText string `db:"skills" json:"skills,omitempty"`
	// CSAT is the customer's rating after close (0 until rated).
	CSATRating  int    `db:"csat_rating" json:"csat_rating,omitempty"`
	CSATComment string `db:"csat_comment" json:"csat_comment,omitempty"`
	CSATAt      int64  `db:"csat_at" json:"csat_at,omitempty"`
	// SLA is its service-level clocks and outcomes.
	SLA

	// Unread is per reader: set by List for its caller.
	Unread bool `db:"unread" json:"-"`
	// TagIDs are the tags on the conversation (from conversation_tags).
	TagIDs []string `db:"-" json:"tag_ids,omitempty"`
	// ParticipantIDs are agents who joined besides the owner.
	ParticipantIDs []string `db:"-" json:"participant_ids,omitempty"`
}

// SLA is a conversation's service-level clocks: deadlines as UTC unix ms
// (0 when not running) and outcomes per target ("", "met", "missed").
type SLA struct {
	PolicyID         string `db:"sla_policy_id" json:"sla_policy_id,omitempty"`
	FirstResponseDue int64  `db:"first_response_due" json:"first_response_due,omitempty"`
	NextResponseDue  int64  `db:"next_response_due" json:"next_response_due,omitempty"`
	ResolutionDue    int64  `db:"resolution_due" json:"resolution_due,omitempty"`
	FirstResponse    string `db:"sla_first_response" json:"sla_first_response,omitempty"`
	NextResponse     string `db:"sla_next_response" json:"sla_next_response,omitempty"`
	Resolution       string `db:"sla_resolution" json:"sla_resolution,omitempty"`
	// FirstResponseAt is when an agent first answered.
	FirstResponseAt int64 `db:"first_response_at" json:"first_response_at,omitempty"`
}

// Skills lists the skills an agent needs to be routed the conversation.
func (c *Conversation) Skills() []string {
	if c.SkillsText == "" {
		return nil
	}
	return strings.Split(c.SkillsText, ",")
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

// activityStateChanged is the activity a state change records in the
// history.
const activityStateChanged = "state_changed"

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
	Meta           Meta          `db:"meta" json:"meta,omitzero"`
	// WhisperTo is the member a whisper is addressed to (see Whisper).
	WhisperTo string `db:"whisper_to" json:"whisper_to,omitempty"`
}

// Whisper is the visibility of a whisper, on its message row and its
// note.created event: an internal note that only its author, the member it
// is addressed to (the conversation's owner when it was written) and
// supervisors and up may read. It is this package's own visibility: only
// its events carry it, and only its streams and queries read it (the
// customer's stream, which passes public events alone, never does).
const Whisper events.Visibility = "whisper"

// Addressee is the member a whisper is addressed to ("" for any other
// message). Whispers written before the whisper_to column name them in
// their activity data only.
func (m *Message) Addressee() string {
	if m.WhisperTo != "" {
		return m.WhisperTo
	}
	return m.ActivityData["whisper_to"]
}

// Reader is who reads a conversation's history, in the terms whispers are
// kept by: their author, their addressee and supervisors and up read them,
// nobody else.
type Reader struct {
	// ID is the reader's user id (an API key's id for a key).
	ID string
	// Supervises is set for supervisors and up.
	Supervises bool
}

// ReaderOf is the principal, with its role in the workspace, as a reader.
func ReaderOf(p *access.Principal, role access.Role) Reader {
	r := Reader{Supervises: role.AtLeast(access.RoleSupervisor)}
	switch p.Kind {
	case access.KindUser:
		r.ID = p.UserID
	case access.KindAPIKey:
		r.ID = p.APIKeyID
	}
	return r
}

// mayRead reports whether the reader may read a whisper by author to
// addressee.
func (r Reader) mayRead(author, addressee string) bool {
	return r.Supervises || (r.ID != "" && (r.ID == author || r.ID == addressee))
}

// Sees reports whether the reader may read the message (of a conversation
// of their workspace): anything but another's whisper.
func (r Reader) Sees(m *Message) bool {
	return events.Visibility(m.Visibility) != Whisper || r.mayRead(m.AuthorID, m.Addressee())
}

// Meta is what a message carries besides its text, stored as JSON that SQL
// never looks into.
type Meta struct {
	Attachments []Attachment `json:"attachments,omitempty"`
	// Bot is set on the AI agent's answers.
	Bot *BotAnswer `json:"bot,omitempty"`
}

// BotAnswer is what the AI agent based an answer on.
type BotAnswer struct {
	Confidence float64    `json:"confidence"`
	Citations  []Citation `json:"citations,omitempty"`
	Method     string     `json:"method"` // "llm" or "extractive"
	// WhileWaiting marks an answer given while the conversation waited for
	// a person (the workspace lets the AI agent answer meanwhile).
	WhileWaiting bool `json:"while_waiting,omitempty"`
}

// Citation is a knowledge-base passage an answer cites.
type Citation struct {
	ChunkID       string `json:"chunk_id"`
	DocumentID    string `json:"document_id"`
	DocumentTitle string `json:"document_title"`
	Heading       string `json:"heading,omitempty"`
	// URL is the document's public address (http or https), if any.
	URL string `json:"url,omitempty"`
}

// Attachment is a file sent with a message.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Value implements driver.Valuer: NULL for an empty Meta.
func (m Meta) Value() (driver.Value, error) {
	if len(m.Attachments) == 0 && m.Bot == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// Scan implements sql.Scanner.
func (m *Meta) Scan(src any) error {
	*m = Meta{}
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), m)
	case []byte:
		return json.Unmarshal(v, m)
	}
	return fmt.Errorf("Meta: cannot scan %T", src)
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

// preview is the start of a message for inbox lists.
func preview(body string) string { return store.Truncate(body, 255) }

// Outcome is how a conversation ended, for an agent looking at a customer's
// past conversations.
type Outcome string

// The outcomes.
const (
	OutcomeOpen            Outcome = "open"
	OutcomeResolvedByAI    Outcome = "resolved_by_ai"
	OutcomeResolvedByAgent Outcome = "resolved_by_agent"
	OutcomeAbandoned       Outcome = "abandoned"
)

// Outcome says how the conversation ended: still open; closed while the AI
// agent had it; closed after a person answered; or closed before anyone of
// the team answered (the customer gave up, or it was dropped).
func (c *Conversation) Outcome() Outcome {
	switch {
	case c.State != StateClosed:
		return OutcomeOpen
	case c.ClosedFrom == StateBot:
		return OutcomeResolvedByAI
	case c.FirstResponseAt > 0:
		return OutcomeResolvedByAgent
	}
	return OutcomeAbandoned
}
