package automation

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Each destination has a circuit breaker, kept in webhook_destinations so
// that every replica obeys it. After breakerAfter failures in a row
// (answers other than 2xx, and calls that fail) it opens: the
// destination's deliveries wait, neither called nor spending attempts, for
// a cool-down. Then it is half-open: one replica claims one delivery as
// its probe (which holds the breaker open for the probe's lease), and the
// probe's success closes the breaker, its failure opens it for another
// cool-down. Any success closes it.
const breakerAfter = 5

// maxOrigin bounds a destination's origin as stored (a host name is at
// most 253 bytes).
const maxOrigin = 300

// destinationOf is the origin of a webhook URL: its scheme, host and port,
// in lower case, with the scheme's port when the URL names none; "" for a
// URL that does not parse (its call is refused).
func destinationOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return truncate(scheme+"://"+net.JoinHostPort(strings.ToLower(u.Hostname()), port), maxOrigin)
}

// breakerCooldown is how long an open breaker holds its destination's
// deliveries: as long as a delivery's second retry waits (a minute by
// default).
func (s *Service) breakerCooldown() time.Duration { return 2 * s.retryBase() }

// takeProbe claims the half-open breaker's probe for this replica, holding
// the breaker open until lease. It reports whether this replica has it.
func takeProbe(ctx context.Context, tx *store.Tx, to destination, now, lease int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE webhook_destinations SET open_until = ?, updated_at = ?
		WHERE workspace_id = ? AND destination = ? AND failures >= ? AND open_until <= ?`,
		lease, now, to.workspaceID, to.origin, breakerAfter, now)
	if err != nil {
		return false, fmt.Errorf("claim webhook probe: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// knowDestination makes sure the destination has its breaker row, before
// the transaction that counts a failure on it. On its own, outside that
// transaction: a duplicate-key check's shared lock, held on into the
// count's update, deadlocks two replicas counting at once on MySQL.
func (s *Service) knowDestination(ctx context.Context, to destination, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.db.Dialect.InsertIgnore()+` INTO webhook_destinations
		(workspace_id, destination, failures, open_until, updated_at) VALUES (?, ?, 0, 0, ?)`,
		to.workspaceID, to.origin, store.NowMillis(now)); err != nil {
		return fmt.Errorf("add webhook destination: %w", err)
	}
	return nil
}

// countFailure counts a failure in a row; the one that reaches
// breakerAfter, and each after it, opens the breaker for a cool-down. A
// failed probe ends its own hold; other calls' failures never shorten the
// hold of a probe in flight. open_until is set first: MySQL evaluates
// SET's assignments in order, and the CASE must read the old count.
func (s *Service) countFailure(ctx context.Context, tx *store.Tx, c claimed, now time.Time) error {
	at, until := store.NowMillis(now), store.NowMillis(now.Add(s.breakerCooldown()))
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_destinations
		SET open_until = CASE WHEN failures + 1 >= ? AND (? OR open_until < ?) THEN ? ELSE open_until END, failures = failures + 1,
		updated_at = ? WHERE workspace_id = ? AND destination = ?`,
		breakerAfter, c.probe, until, until, at, c.to.workspaceID, c.to.origin); err != nil {
		return fmt.Errorf("count webhook failure: %w", err)
	}
	return nil
}

// closeBreaker resets the destination's count after a success, closing its
// breaker.
func closeBreaker(ctx context.Context, tx *store.Tx, to destination, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_destinations SET failures = 0, open_until = 0, updated_at = ?
		WHERE workspace_id = ? AND destination = ? AND (failures <> 0 OR open_until <> 0)`,
		store.NowMillis(now), to.workspaceID, to.origin); err != nil {
		return fmt.Errorf("close webhook breaker: %w", err)
	}
	return nil
}
