package automation

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// Headers of a webhook call.
const (
	HeaderEventID   = "X-Tandem-Event-Id"
	HeaderTimestamp = "X-Tandem-Timestamp"
	HeaderSignature = "X-Tandem-Signature"
)

// maxAttempts is how many times a delivery is tried before it is dead.
// An attempt counts from its claim, so calls cut off before their outcome
// was recorded (the replica died) use the attempts up too.
const maxAttempts = 8

// Delivery is one webhook call and where it stands.
type Delivery struct {
	ID             string `db:"id"`
	WorkspaceID    string `db:"workspace_id"`
	SourceID       string `db:"source_id"`
	ConversationID string `db:"conversation_id"`
	URL            string `db:"url"`
	Secret         string `db:"secret"`
	Payload        string `db:"payload"`
	Status         string `db:"status"`
	Attempts       int    `db:"attempts"`
	NextAttemptAt  int64  `db:"next_attempt_at"`
	LeaseUntil     int64  `db:"lease_until"`
	LastStatusCode int    `db:"last_status_code"`
	LastError      string `db:"last_error"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
	DeliveredAt    int64  `db:"delivered_at"`
	// Destination is the URL's origin, which the receiver's concurrency
	// limit and circuit breaker go by ("" in rows queued before it was
	// recorded: their first claim fills it in).
	Destination string `db:"destination"`
}

const deliveryColumns = `id, workspace_id, source_id, conversation_id, url, secret, payload, status, attempts, next_attempt_at,
	lease_until, last_status_code, last_error, created_at, updated_at, delivered_at, destination`

// Sign is the signature header value of a call: "sha256=" and the hex
// HMAC-SHA256, keyed with the secret, of the timestamp, a dot and the body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhookType is the type of every webhook call's body. It names the call,
// not an event of the log: the event that made the call is its trigger.
const webhookType = "automation.webhook"

// webhookBody is what a webhook call says: the conversation (no notes, no
// agents' details) and what made the call.
type webhookBody struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	WorkspaceID  string         `json:"workspace_id"`
	CreatedAt    int64          `json:"created_at"`
	Source       webhookSource  `json:"source"`
	Trigger      *webhookEvent  `json:"trigger,omitempty"`
	Conversation webhookConv    `json:"conversation"`
	Message      *webhookSpoken `json:"message,omitempty"`
}

type webhookSource struct {
	Kind string `json:"kind"` // "rule" or "custom_action"
	ID   string `json:"id"`
	Name string `json:"name"`
}

type webhookEvent struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
}

type webhookConv struct {
	ID            string                     `json:"id"`
	State         string                     `json:"state"`
	Priority      string                     `json:"priority"`
	Channel       string                     `json:"channel"`
	PageURL       string                     `json:"page_url"`
	ContactID     string                     `json:"contact_id"`
	GroupID       string                     `json:"group_id,omitempty"`
	HandoffReason conversation.HandoffReason `json:"handoff_reason,omitempty"`
}

type webhookSpoken struct {
	ID   string `json:"id"`
	Body string `json:"body"`
}

// enqueue stores a webhook call for the deliverer, once per id.
func (x *exec) enqueue(ctx context.Context, i int, a Action) error {
	if err := outbound.CheckURL(a.Value); err != nil {
		return apperr.Invalid("url", err.Error())
	}
	c, err := x.s.deps.Conversations.Get(ctx, x.conv.WorkspaceID, x.conv.ID)
	if err != nil {
		return err
	}
	id, now := x.clientID(i), store.NowMillis(x.s.now())
	body := webhookBody{ID: id, Type: webhookType, WorkspaceID: c.WorkspaceID, CreatedAt: now, Source: x.source,
		Trigger: x.trigger, Conversation: webhookConv{ID: c.ID, State: string(c.State), Priority: c.Priority, Channel: c.Channel,
			PageURL: c.PageURL, ContactID: c.ContactID, GroupID: c.GroupID, HandoffReason: c.HandoffReason}}
	if x.message != nil {
		body.Message = &webhookSpoken{ID: x.message.ID, Body: x.message.Body}
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode webhook: %w", err)
	}
	return x.s.queue(ctx, Delivery{ID: id, WorkspaceID: c.WorkspaceID, SourceID: x.source.ID, ConversationID: c.ID,
		URL: a.Value, Secret: a.Secret, Payload: string(payload), CreatedAt: now})
}

// queue stores a pending delivery, due at once, unless one with its id
// is stored already, and wakes this replica's deliverer.
func (s *Service) queue(ctx context.Context, d Delivery) error {
	_, err := s.db.ExecContext(ctx, s.db.Dialect.InsertIgnore()+` INTO webhook_deliveries (`+deliveryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, 0, '', ?, ?, 0, ?)`,
		d.ID, d.WorkspaceID, d.SourceID, d.ConversationID, d.URL, d.Secret, d.Payload, DeliveryPending, d.CreatedAt, d.CreatedAt,
		d.CreatedAt, destinationOf(d.URL))
	if err != nil {
		return fmt.Errorf("enqueue webhook: %w", err)
	}
	s.calls.wake()
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Deliveries pages through the workspace's webhook calls, newest first,
// optionally of one status.
func (s *Service) Deliveries(ctx context.Context, workspaceID, status string, size int32, token string) ([]Delivery, string, error) {
	limit := page.Size(size)
	beforeAt, beforeID := int64(1<<62-1), ""
	if _, err := page.Decode(token, &beforeAt, &beforeID); err != nil {
		return nil, "", err
	}
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE workspace_id = ?
		AND (created_at < ? OR (created_at = ? AND id < ?))`
	args := []any{workspaceID, beforeAt, beforeAt, beforeID}
	if token == "" {
		q = `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE workspace_id = ?`
		args = []any{workspaceID}
	}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	var ds []Delivery
	if err := s.db.SelectContext(ctx, &ds, q, append(args, limit+1)...); err != nil {
		return nil, "", fmt.Errorf("list webhooks: %w", err)
	}
	ds, next := page.Cut(ds, limit, func(d Delivery) []any { return []any{d.CreatedAt, d.ID} })
	return ds, next, nil
}

// Redeliver queues a delivery again, now, with a fresh set of attempts.
func (s *Service) Redeliver(ctx context.Context, actor *access.Principal, id string) (Delivery, error) {
	var d Delivery
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`+tx.Dialect.ForUpdate(), id)
		if store.ErrNoRows(err) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load webhook: %w", err)
		}
		now := store.NowMillis(s.now())
		d.Status, d.Attempts, d.NextAttemptAt, d.LeaseUntil, d.UpdatedAt = DeliveryPending, 0, now, 0, now
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = 0, next_attempt_at = ?, lease_until = 0,
			updated_at = ? WHERE id = ?`, d.Status, now, now, id); err != nil {
			return fmt.Errorf("redeliver webhook: %w", err)
		}
		payload, _ := json.Marshal(map[string]any{"data": map[string]string{"delivery_id": d.ID, "url": d.URL}})
		kind, aid := actor.Actor()
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: d.WorkspaceID, Type: events.AutomationWebhookRedelivered,
			ConversationID: d.ConversationID, ActorKind: kind, ActorID: aid, Visibility: events.Admins, Payload: payload})
	})
	return d, err
}

// DeliveryWorkspace resolves a delivery id to its workspace, for
// authorization.
func (s *Service) DeliveryWorkspace(ctx context.Context, id string) (string, error) {
	var ws string
	err := s.db.GetContext(ctx, &ws, `SELECT workspace_id FROM webhook_deliveries WHERE id = ?`, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve webhook: %w", err)
	}
	return ws, nil
}
