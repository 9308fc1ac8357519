// Package push sends members' notifications to their browsers and phones
// by Web Push (RFC 8030), encrypted for each subscription (RFC 8291) and
// signed with the server's VAPID key (RFC 8292). A member's browser
// subscribes with the server's public key and hands over its
// PushSubscription (SubscribePush); the push reactor then sends each
// notification.created of that member to every subscription they have in
// that workspace. A push is a wake-up: the notification stays in the
// member's inbox whether or not it arrives, so a failed send is logged and
// never retried.
//
// Tables owned: push_subscriptions.
// Events emitted: none. The push reactor reacts to notification.created
// (sends it) and member.removed (forgets the member's subscriptions there).
// RPCs served: NotificationService's GetPushConfig, SubscribePush and
// UnsubscribePush (through notify's handler, which embeds Handler).
package push

import "time"

// ReactorName names the push reactor (its cursors).
const ReactorName = "push"

// MaxPerMember caps a member's subscriptions in one workspace: a browser
// profile each, and a person has few.
const MaxPerMember = 20

const (
	// ttl is how long a push service keeps a message for a device that is
	// offline: after a day a notification is old news in the inbox.
	ttl = 24 * time.Hour
	// sendTimeout bounds one send, connection included.
	sendTimeout = 5 * time.Second
	// parallel bounds the sends to one member's subscriptions at once.
	parallel = 4
)

// Subscription is one browser's push subscription for a member in a
// workspace.
type Subscription struct {
	ID            string `db:"id"`
	WorkspaceID   string `db:"workspace_id"`
	UserID        string `db:"user_id"`
	Endpoint      string `db:"endpoint"`
	P256dh        string `db:"p256dh"`
	Auth          string `db:"auth"`
	UserAgent     string `db:"user_agent"`
	CreatedAt     int64  `db:"created_at"`
	UpdatedAt     int64  `db:"updated_at"`
	LastSuccessAt int64  `db:"last_success_at"`
	Failures      int    `db:"failures"`
}

// Message is the JSON a push carries (decrypted by the browser and given
// to the service worker's push event).
type Message struct {
	NotificationID string `json:"notification_id"`
	WorkspaceID    string `json:"workspace_id"`
	ConversationID string `json:"conversation_id"`
	Type           string `json:"type"`
	Title          string `json:"title"`
	Body           string `json:"body"`
}
