package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
)

// job is background work every replica repeats: one pass, which returns
// how much it did. The first pass runs at start, so work that fell due
// while no replica ran is done then.
type job struct {
	name  string
	every time.Duration
	pass  func(context.Context) (int, error)
}

// repeat runs the job's passes until ctx ends; a failed pass is logged and
// the next one retries.
func repeat(ctx context.Context, logger *slog.Logger, j job) {
	t := time.NewTicker(j.every)
	defer t.Stop()
	for {
		n, err := j.pass(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn(j.name, "err", err)
		case n > 0:
			logger.Debug(j.name, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// jobs are the server's background passes. Those that act on the
// workspace's behalf (rules' timers, SLA timers) run only on
// replicas that run reactions; each claims its rows, so replicas running
// the same job never do the same work twice.
func (s *Server) jobs() []job {
	pendingTTL := s.cfg.UploadPendingTTL
	if pendingTTL <= 0 {
		pendingTTL = 2 * time.Hour
	}
	jobs := []job{
		{"prune events", time.Hour, func(ctx context.Context) (int, error) {
			n, err := s.pruner.Prune(ctx)
			return int(n), err
		}},
		{"sweep unsent files", min(pendingTTL/4, 10*time.Minute), func(ctx context.Context) (int, error) { return s.domain.Files.Sweep(ctx, pendingTTL) }},
		// At least once a heartbeat, and within 5 s of a sign-out or an
		// expiry: every 4 s leaves the check itself a second.
		{"re-check streams", min(s.cfg.Heartbeat, 4*time.Second), s.streamGuard.Check},
		{"take inactive agents offline", 30 * time.Second, func(ctx context.Context) (int, error) {
			return s.domain.Presence.ExpireInactive(ctx, time.Now().Add(-presence.InactiveAfter))
		}},
		{"wake snoozed conversations", 5 * time.Second, s.domain.Conversations.WakeDue},
		{"sweep rate limits", 10 * time.Minute, s.limits.Sweep},
	}
	if s.cfg.Reactors {
		jobs = append(jobs,
			job{"fire rule timers", 5 * time.Second, func(ctx context.Context) (int, error) { return s.domain.Automation.FireDue(ctx, time.Now()) }},
			job{"fire SLA timers", time.Second, s.domain.SLA.FireDue},
			job{"send email replies", time.Second, s.mailSender.SendDue},
		)
	}
	return jobs
}

// background starts the server's long-lived work: the hub's poller, the
// jobs and, on replicas that run them, the reactors with their shards and
// routing. It outlives ctx's cancellation (a shutdown drains requests
// first); the function it returns stops it and waits for the end.
func (s *Server) background(ctx context.Context) (stop func()) {
	background, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.hub.Run(background) })
	for _, j := range s.jobs() {
		wg.Go(func() { repeat(background, s.logger, j) })
	}
	if s.cfg.Reactors { // the server's own reactions, on replicas that run them
		wg.Go(func() { _ = s.shards.Run(background) })
		wg.Go(func() { _ = s.domain.Routing.Run(background, s.cfg.RoutingInterval, s.shards) })
		// Webhooks: a loop of its own, not a job, since a pass must not wait
		// for a slow receiver's calls before others'.
		wg.Go(func() { _ = s.domain.Automation.RunDeliveries(background) })
		opts := events.RunOptions{Workers: s.cfg.ReactorWorkers, Sweep: s.cfg.ReactorSweep}
		for _, r := range []*events.Reactor{s.botReactor, s.domain.Automation.Reactor(), s.notifyReactor, s.pushReactor, s.slaReactor,
			s.metricsReactor, s.mailReactor} {
			wg.Go(func() { _ = r.Run(background, s.shards, opts) })
		}
	}
	if s.imap != nil {
		wg.Go(func() { _ = s.imap.Run(background) })
	}
	if s.smtp != nil {
		wg.Go(func() {
			if err := s.smtp.Serve(background, s.smtpListener); err != nil {
				s.logger.Error("smtp receiver stopped", "err", err)
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}
