package push

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// React is the push reactor's handler: it sends each new notification to
// its member's subscriptions in the workspace, and forgets a removed
// member's subscriptions there. Only database errors are returned (the
// reactor retries the event): a push that fails is logged and dropped, as
// the notification waits in the inbox anyway. A retried event may push
// again; the Topic header lets the push service replace the undelivered
// copy.
func (s *Service) React(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case events.NotificationCreated:
		var pl struct {
			UserID string            `json:"user_id"`
			Data   map[string]string `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &pl); err != nil || pl.UserID == "" {
			// Retrying cannot mend it: skip rather than stall the workspace.
			s.logger.ErrorContext(ctx, "push: unreadable notification event", "workspace_id", ev.WorkspaceID, "seq", ev.Seq, "err", err)
			return nil
		}
		return s.send(ctx, ev, pl.UserID, Message{NotificationID: pl.Data["notification_id"], WorkspaceID: ev.WorkspaceID,
			ConversationID: pl.Data["conversation_id"], Type: pl.Data["type"], Title: pl.Data["title"], Body: pl.Data["body"]})
	case events.MemberRemoved:
		var pl struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(ev.Payload, &pl); err != nil || pl.UserID == "" {
			s.logger.ErrorContext(ctx, "push: unreadable member event", "workspace_id", ev.WorkspaceID, "seq", ev.Seq, "err", err)
			return nil
		}
		return deleteMember(ctx, s.db, ev.WorkspaceID, pl.UserID, nil)
	}
	return nil
}

// outcome is what one send found out about its subscription.
type outcome int

const (
	delivered outcome = iota
	gone              // the push service no longer knows it (404, 410)
	failed            // anything else: kept, to be tried with the next notification
)

// send pushes msg to each of the member's subscriptions in the workspace,
// a few at a time, then records what each send found.
func (s *Service) send(ctx context.Context, ev events.Event, userID string, msg Message) error {
	subs, err := memberSubscriptions(ctx, s.db, ev.WorkspaceID, userID)
	if err != nil || len(subs) == 0 {
		return err
	}
	// A notification older than the TTL (the reactors were down) is old
	// news: nobody's phone should light up for it now.
	left := ttl - s.now().Sub(time.UnixMilli(ev.CreatedAt))
	if left < time.Second {
		return nil
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	opts := &webpush.Options{HTTPClient: s.client, Subscriber: s.subscriber, VAPIDPublicKey: s.vapid.public,
		VAPIDPrivateKey: s.vapid.private, TTL: int(left / time.Second), Urgency: urgency(msg.Type), Topic: topic(msg.NotificationID)}
	results := make([]outcome, len(subs))
	var g errgroup.Group
	g.SetLimit(parallel)
	for i, sub := range subs {
		g.Go(func() error {
			// Each send its own copy: webpush-go pads the message by
			// appending to it, in place where its capacity allows.
			results[i] = s.sendOne(ctx, sub, bytes.Clone(body), opts)
			return nil
		})
	}
	_ = g.Wait() // sends return no error
	var sent, expired, broken []string
	for i, sub := range subs {
		switch results[i] {
		case delivered:
			sent = append(sent, sub.ID)
		case gone:
			expired = append(expired, sub.ID)
		case failed:
			broken = append(broken, sub.ID)
		}
	}
	return record(ctx, s.db, store.NowMillis(s.now()), expired, sent, broken)
}

// sendOne sends one push, within sendTimeout, and says how it went.
func (s *Service) sendOne(ctx context.Context, sub Subscription, body []byte, opts *webpush.Options) outcome {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	log := s.logger.With("workspace_id", sub.WorkspaceID, "subscription_id", sub.ID, "push_host", host(sub.Endpoint))
	resp, err := webpush.SendNotificationWithContext(ctx, body, &webpush.Subscription{Endpoint: sub.Endpoint,
		Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}}, opts)
	if err != nil {
		// A *url.Error's text quotes the endpoint: log only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		log.WarnContext(ctx, "push not sent", "reason", outbound.Describe(err), "err", err)
		return failed
	}
	// The status is the answer; the body is read, within the client's size
	// limit and deadline, only so that the connection can serve the next
	// push (one too long or still trickling is cut off).
	_ = outbound.Drain(resp)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return delivered
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		log.InfoContext(ctx, "push subscription expired: deleted", "status", resp.StatusCode)
		return gone
	}
	log.WarnContext(ctx, "push refused", "status", resp.StatusCode)
	return failed
}

// urgency asks push services to wake a device on low battery for what a
// person must act on now: a customer waiting for one.
func urgency(typ string) webpush.Urgency {
	switch typ {
	case notify.Handoff, notify.NewConversation:
		return webpush.UrgencyHigh
	}
	return webpush.UrgencyNormal
}

// topic is the Topic header for a notification: a push service keeps one
// undelivered message per topic, so a send repeated after a retry replaces
// the first. A topic is at most 32 characters of base64url: the UUID's hex.
func topic(notificationID string) string {
	id, err := uuid.Parse(notificationID)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(id[:])
}

// host is the push service's host, for logs: an endpoint's path is a
// capability (whoever has it may push to the browser) and is never logged.
func host(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Host
}
