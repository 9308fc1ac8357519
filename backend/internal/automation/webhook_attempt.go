package automation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// maxRetryAfter caps how long a receiver's Retry-After holds a delivery
// back: a receiver asking for a day would otherwise outlast the attempts.
const maxRetryAfter = time.Hour

// errCutOff is the outcome of a delivery claimed more often than it has
// attempts: its calls kept being cut off before their outcomes were
// recorded (each replica that made one died), so it is not called again.
var errCutOff = errors.New("calls cut off before their outcome was recorded")

// outcome is what one call came to.
type outcome struct {
	code int
	// wait is how long the receiver asked to be left alone (Retry-After).
	wait time.Duration
	err  error
}

// ok reports a call the receiver took.
func (o outcome) ok() bool { return o.err == nil && o.code >= 200 && o.code < 300 }

// receiverFailed reports a call the receiver failed or refused, which its
// destination's breaker counts: not one Tandem would not make.
func (o outcome) receiverFailed() bool {
	return !o.ok() && !outbound.Refused(o.err) && !errors.Is(o.err, errCutOff)
}

// deliver makes the claimed delivery's call and records its outcome,
// unless ctx ended first: then this replica is stopping, and the lease,
// left to expire, hands the delivery to the next pass.
func (s *Service) deliver(ctx context.Context, c claimed) error {
	defer func() {
		s.calls.release(c.to)
		s.calls.wake()
	}()
	var d Delivery
	if err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, c.id); err != nil {
		return fmt.Errorf("load webhook: %w", err)
	}
	o := outcome{err: errCutOff}
	if d.Attempts <= maxAttempts {
		o = s.call(ctx, &d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.record(ctx, &d, c, o)
}

// backoff is the wait before retrying a delivery after its attempts-th
// failure: the base doubled each time, of which a random half is waited
// ("equal jitter"), so that deliveries failed together by one outage do
// not all come back at the same instant.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base << min(max(attempts-1, 0), 20)
	return d/2 + rand.N(d/2+1) //nolint:gosec // spreading retries, not a secret
}

// record stores an attempt's outcome: delivered on a 2xx; dead when the
// address is refused or the attempts are used up (an event tells admins);
// otherwise pending again after an exponential backoff, or after the
// receiver's Retry-After when that is later. The destination's breaker
// counts the outcome. An attempt whose lease was lost (an admin
// redelivered meanwhile) records nothing.
func (s *Service) record(ctx context.Context, d *Delivery, c claimed, o outcome) error {
	now := s.now()
	d.LastStatusCode, d.LeaseUntil, d.UpdatedAt, d.LastError = o.code, 0, store.NowMillis(now), ""
	switch {
	case o.ok():
		d.Status, d.DeliveredAt = DeliveryDelivered, d.UpdatedAt
	case !o.receiverFailed() || d.Attempts >= maxAttempts:
		d.Status = DeliveryDead
	default:
		d.Status = DeliveryPending
		d.NextAttemptAt = store.NowMillis(now.Add(max(backoff(s.retryBase(), d.Attempts), o.wait)))
	}
	switch {
	case errors.Is(o.err, errCutOff):
		d.LastError = "calls were cut off before their outcome was recorded, too often"
	case o.err != nil:
		// Tenants' admins read last_error: the words, never the resolved
		// addresses the cause carries (operators get those in the log).
		d.LastError = outbound.Describe(o.err)
		s.logger.DebugContext(ctx, "webhook call failed", "delivery_id", d.ID, "err", o.err)
	case d.Status != DeliveryDelivered:
		d.LastError = fmt.Sprintf("the receiver answered %d", o.code)
	}
	if o.receiverFailed() {
		if err := s.knowDestination(ctx, c.to, now); err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_until = 0,
			last_status_code = ?, last_error = ?, updated_at = ?, delivered_at = ? WHERE id = ? AND lease_until = ?`,
			d.Status, d.NextAttemptAt, d.LastStatusCode, d.LastError, d.UpdatedAt, d.DeliveredAt, d.ID, c.lease)
		if err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		switch {
		case o.ok():
			err = closeBreaker(ctx, tx, c.to, now)
		case o.receiverFailed():
			err = s.countFailure(ctx, tx, c, now)
		}
		if err != nil || d.Status != DeliveryDead {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"data": map[string]string{"delivery_id": d.ID, "url": d.URL,
			"source_id": d.SourceID, "error": d.LastError}})
		return s.log.Append(ctx, tx, &events.Event{WorkspaceID: d.WorkspaceID, Type: events.AutomationWebhookDead,
			ConversationID: d.ConversationID, ActorKind: events.ActorSystem, Visibility: events.Admins, Payload: payload})
	})
}

// call POSTs the delivery through the SSRF-safe client.
func (s *Service) call(ctx context.Context, d *Delivery) outcome {
	if s.hooks.Client == nil {
		return outcome{err: fmt.Errorf("%w: no webhook client", outbound.ErrRefused)}
	}
	if err := outbound.CheckURL(d.URL); err != nil {
		return outcome{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.webhookTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader([]byte(d.Payload)))
	if err != nil {
		return outcome{err: fmt.Errorf("%w: %v", outbound.ErrRefused, err)} //nolint:errorlint // a request that cannot be built is a refusal; its cause is text for the delivery's log, not a second kind
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem-Webhook/1")
	req.Header.Set(HeaderEventID, d.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, []byte(d.Payload)))
	resp, err := s.hooks.Client.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	// The status is the answer, as receivers are told: a 2xx delivers. The
	// body is read only so the connection can serve the next call, through
	// the client's size limit and deadline; one too long or still trickling
	// is cut off and costs the connection, not a retry (which would send
	// the receiver the event again).
	_ = outbound.Drain(resp)
	return outcome{code: resp.StatusCode, wait: retryAfter(resp.StatusCode, resp.Header.Get("Retry-After"), s.now())}
}

// retryAfter is how long a 429 or 503 answer's Retry-After header asks the
// caller to wait, given in seconds or as an HTTP date, at most
// maxRetryAfter; 0 for other answers, and for a header that says nothing
// usable.
func retryAfter(code int, header string, now time.Time) time.Duration {
	if code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
		return 0
	}
	header = strings.TrimSpace(header)
	var wait time.Duration
	if secs, err := strconv.ParseInt(header, 10, 64); err == nil {
		wait = time.Duration(min(max(secs, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(header); err == nil {
		wait = at.Sub(now)
	}
	return min(max(wait, 0), maxRetryAfter)
}
