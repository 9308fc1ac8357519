// Package notify turns the server's notifications into native ones. The
// server decides who hears of what, under each member's preferences
// (NotificationService): new conversations in their queues, conversations
// assigned to them, handoffs from the AI agent, mentions, customer messages
// in conversations they own or joined, SLA warnings and breaches, CSAT
// ratings. Each arrives as a notification.created event on the member's
// own Watch stream, so the app shows it live and, after a reconnect, resumes
// from its cursor without showing one twice.
package notify

import (
	"strings"
	"unicode/utf8"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// Kind is a type of notification, as the server names it ("handoff").
type Kind string

// Notification is one native notification.
type Notification struct {
	// ID is the server's notification id: clicking marks it read.
	ID             string `json:"id"`
	Kind           Kind   `json:"kind"`
	ConversationID string `json:"conversation_id"`
	Title          string `json:"title"`
	Body           string `json:"body"`
}

// EventType is the stream event that carries a notification.
const EventType = "notification.created"

// FromEvent returns the notification an event carries, if it carries one.
func FromEvent(ev *tandemv1.Event) (Notification, bool) {
	if ev.GetType() != EventType {
		return Notification{}, false
	}
	d := ev.GetData()
	n := Notification{ID: d["notification_id"], Kind: Kind(d["type"]), ConversationID: d["conversation_id"],
		Title: oneLine(d["title"]), Body: clip(d["body"])}
	if n.ID == "" || n.Title == "" {
		return Notification{}, false
	}
	return n, true
}

// KindOf names a NotificationType as the server's events do.
func KindOf(t tandemv1.NotificationType) Kind {
	return Kind(strings.ToLower(strings.TrimPrefix(t.String(), "NOTIFICATION_TYPE_")))
}

// TypeOf is the inverse of KindOf (UNSPECIFIED for an unknown kind).
func TypeOf(k Kind) tandemv1.NotificationType {
	v, ok := tandemv1.NotificationType_value["NOTIFICATION_TYPE_"+strings.ToUpper(string(k))]
	if !ok {
		return tandemv1.NotificationType_NOTIFICATION_TYPE_UNSPECIFIED
	}
	return tandemv1.NotificationType(v)
}

// clip makes a body fit a notification: one line, at most 160 characters.
func clip(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= 160 {
		return s
	}
	r := []rune(s)
	return string(r[:159]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
