package automation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Webhook calls are made by each replica's deliverer (RunDeliveries).
//
// A delivery is claimed before its call: its lease (lease_until) is set and
// its attempt counted in one statement, so replicas never make the same
// attempt at once. A replica that dies mid-call (the receiver heard it, its
// outcome was never recorded) leaves a lease that expires; then one replica
// claims it again and calls once more, with the same event id, which
// receivers dedupe on. Each such crash costs one call at most, and calls
// that never finish still use the attempts up.
//
// Calls run concurrently: at most perDestination at once to a destination,
// perWorkspace for a workspace and maxInFlight in all, per replica. A
// receiver that hangs holds its own slots until the call's timeout, never
// another's, and deliveries to a destination or workspace whose slots are
// full are left for the next pass rather than fill this one's batch.
const (
	perDestination = 4
	// perWorkspace is one workspace's share of the slots. Due deliveries
	// are claimed oldest first, so without it a workspace's burst to
	// several slow receivers would take every slot, and every other
	// workspace's deliveries would wait behind its whole backlog.
	perWorkspace = 8
	maxInFlight  = 32
)

// destination is where a delivery goes, as its concurrency limit and
// circuit breaker count it: a workspace's receiver origin. A workspace's
// destinations are apart from every other's, so one tenant's failing
// receiver never trips another's breaker or takes its slots, even on a
// host they share.
type destination struct{ workspaceID, origin string }

// deliverer is what a replica knows of its own webhook calls: how many are
// in flight to each destination and for each workspace, and the wake-up of
// its loop.
type deliverer struct {
	mu          sync.Mutex
	inFlight    map[destination]int
	byWorkspace map[string]int
	total       int
	woken       chan struct{}
}

func newDeliverer() *deliverer {
	return &deliverer{inFlight: map[destination]int{}, byWorkspace: map[string]int{}, woken: make(chan struct{}, 1)}
}

// reserve takes a call slot for the destination, if one is free for it
// and for its workspace.
func (c *deliverer) reserve(to destination) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total >= maxInFlight || c.inFlight[to] >= perDestination || c.byWorkspace[to.workspaceID] >= perWorkspace {
		return false
	}
	c.inFlight[to]++
	c.byWorkspace[to.workspaceID]++
	c.total++
	return true
}

// release gives a slot back.
func (c *deliverer) release(to destination) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.inFlight[to]--; c.inFlight[to] <= 0 {
		delete(c.inFlight, to)
	}
	if c.byWorkspace[to.workspaceID]--; c.byWorkspace[to.workspaceID] <= 0 {
		delete(c.byWorkspace, to.workspaceID)
	}
}

// full is what has no free slot: destinations and workspaces whose
// deliveries a pass leaves out.
type full struct {
	destinations []destination
	workspaces   []string
}

// busy tells what is full, and how many calls may start in all.
func (c *deliverer) busy() (full, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var f full
	for to, n := range c.inFlight {
		if n >= perDestination {
			f.destinations = append(f.destinations, to)
		}
	}
	for ws, n := range c.byWorkspace {
		if n >= perWorkspace {
			f.workspaces = append(f.workspaces, ws)
		}
	}
	return f, maxInFlight - c.total
}

// wake asks the loop for a pass now: a call ended, or one was queued.
func (c *deliverer) wake() {
	select {
	case c.woken <- struct{}{}:
	default: // a pass is asked for already
	}
}

// claimed is a delivery this replica holds the lease of.
type claimed struct {
	id    string
	to    destination
	lease int64
	// probe is the call a half-open breaker lets through.
	probe bool
}

// RunDeliveries makes webhook attempts as they fall due, until ctx ends: a
// pass every second, and one whenever a call ends or this replica queues
// one. Calls in flight when ctx ends are cut off unrecorded (their leases
// expire, then a replica calls again); it waits for them to end.
func (s *Service) RunDeliveries(ctx context.Context) error {
	var calls sync.WaitGroup
	defer calls.Wait()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		_, err := s.dispatch(ctx, func(c claimed) {
			calls.Go(func() {
				if err := s.deliver(ctx, c); err != nil && ctx.Err() == nil {
					s.logger.WarnContext(ctx, "deliver webhook", "delivery_id", c.id, "err", err)
				}
			})
		})
		if err != nil && ctx.Err() == nil {
			s.logger.WarnContext(ctx, "deliver webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.calls.woken:
		}
	}
}

// DeliverDue makes the attempts that are due now, as a pass of
// RunDeliveries does, and waits for their outcomes (tests and tools use
// it). It returns how many it made.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	var (
		calls sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	n, err := s.dispatch(ctx, func(c claimed) {
		calls.Go(func() {
			if err := s.deliver(ctx, c); err != nil {
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
			}
		})
	})
	calls.Wait()
	return n, errors.Join(append(errs, err)...)
}

// dueDelivery is a delivery due now, with its destination's breaker.
type dueDelivery struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	URL         string `db:"url"`
	Destination string `db:"destination"`
	Failures    int    `db:"failures"`
}

// dispatch claims due deliveries while call slots are free and starts each
// call. A destination whose breaker is open is passed over (its deliveries
// wait, spending no attempt); one whose breaker is half-open gets one
// call, its probe. It returns how many calls it started.
func (s *Service) dispatch(ctx context.Context, start func(claimed)) (int, error) {
	started := 0
	// A few rounds: rows passed over (their destination or workspace
	// filled up as this round went) may hide others due behind them.
	for range 4 {
		now := store.NowMillis(s.now())
		skip, room := s.calls.busy()
		if room <= 0 {
			return started, nil
		}
		rows, err := s.dueDeliveries(ctx, now, skip, room)
		if err != nil {
			return started, err
		}
		passed := false
		probing := map[destination]bool{}
		for _, r := range rows {
			to := destination{r.WorkspaceID, r.Destination}
			if to.origin == "" {
				to.origin = destinationOf(r.URL)
			}
			if probing[to] || !s.calls.reserve(to) {
				passed = true
				continue
			}
			c := claimed{id: r.ID, to: to, lease: now + s.leaseFor().Milliseconds(), probe: r.Failures >= breakerAfter}
			probing[to] = probing[to] || c.probe
			ok, err := s.claim(ctx, c, now)
			if err != nil || !ok {
				s.calls.release(to)
				if err != nil {
					return started, err
				}
				passed = true
				continue
			}
			start(c)
			started++
		}
		if !passed || len(rows) < room {
			return started, nil
		}
	}
	return started, nil
}

// dueDeliveries lists up to limit deliveries due now, oldest due first,
// leaving out those whose breaker is open and those of the full
// destinations and workspaces.
func (s *Service) dueDeliveries(ctx context.Context, now int64, skip full, limit int) ([]dueDelivery, error) {
	q := `SELECT w.id, w.workspace_id, w.url, w.destination, COALESCE(b.failures, 0) AS failures
		FROM webhook_deliveries w LEFT JOIN webhook_destinations b ON b.workspace_id = w.workspace_id AND b.destination = w.destination
		WHERE w.status = ? AND w.next_attempt_at <= ? AND w.lease_until < ? AND (b.open_until IS NULL OR b.open_until <= ?)`
	args := []any{DeliveryPending, now, now, now}
	for _, to := range skip.destinations {
		q += ` AND NOT (w.workspace_id = ? AND w.destination = ?)`
		args = append(args, to.workspaceID, to.origin)
	}
	for _, ws := range skip.workspaces {
		q += ` AND w.workspace_id <> ?`
		args = append(args, ws)
	}
	q += ` ORDER BY w.next_attempt_at LIMIT ?`
	var rows []dueDelivery
	if err := s.db.SelectContext(ctx, &rows, q, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("find due webhooks: %w", err)
	}
	return rows, nil
}

// leaseFor is how long a claim holds a delivery: longer than a call may
// take, so that a live replica's call never outlasts its lease.
func (s *Service) leaseFor() time.Duration { return s.webhookTimeout() + 30*time.Second }

// errProbeTaken rolls back the claim of a probe another replica makes.
var errProbeTaken = errors.New("another replica probes the destination")

// claim leases a due delivery and counts its attempt; a probe also takes
// its destination's half-open breaker, in the same transaction, so that one
// replica alone probes. It reports whether this replica has the delivery.
func (s *Service) claim(ctx context.Context, c claimed, now int64) (bool, error) {
	won := false
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		won = false
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1, destination = ?
			WHERE id = ? AND status = ? AND next_attempt_at <= ? AND lease_until < ?`, c.lease, c.to.origin, c.id, DeliveryPending, now, now)
		if err != nil {
			return fmt.Errorf("claim webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another replica has it
		}
		if c.probe {
			ok, err := takeProbe(ctx, tx, c.to, now, c.lease)
			if err != nil {
				return err
			}
			if !ok {
				return errProbeTaken
			}
		}
		won = true
		return nil
	})
	if errors.Is(err, errProbeTaken) {
		return false, nil
	}
	return won, err
}

func (s *Service) webhookTimeout() time.Duration {
	if s.hooks.Timeout > 0 {
		return s.hooks.Timeout
	}
	return 10 * time.Second
}

func (s *Service) retryBase() time.Duration {
	if s.hooks.RetryBase > 0 {
		return s.hooks.RetryBase
	}
	return 30 * time.Second
}
