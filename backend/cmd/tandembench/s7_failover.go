package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// runS7d is failover: two replicas on MariaDB and NATS both run the
// reactors; customers of 20 workspaces (the AI agent on, a rule that notes
// every customer message) ask questions through replica B at a fixed rate;
// halfway, replica A is SIGKILLed and, at that instant, one more question
// goes to every workspace. Afterwards every conversation is read back:
// from the customer's point of view each question got exactly one reply
// from the AI agent and one rule action, none lost, none doubled. The
// takeover time is the longest, over the workspaces, from the kill to the
// reactions to the question asked at that instant: the work A held must be
// taken over within the reactor lease (plus one 1 s pass).
func runS7d(ctx context.Context, e *env) (*Result, error) {
	var (
		nws  = pick(e, 20, 4)
		rate = pick(e, 20.0, 8.0)
		dur  = pick(e, 20*time.Second, 6*time.Second)
		idle = pick(e, 30*time.Second, 15*time.Second)
	)
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startNATS(ctx); err != nil {
		return nil, err
	}
	if err := s.startReplicas(ctx, 2, map[string]string{"TANDEM_REACTORS": "true", "TANDEM_REACTOR_LEASE": e.o.lease.String()}); err != nil {
		return nil, err
	}
	a, b := s.replicas[0], s.replicas[1]
	var wss []*aiWorkspace
	for i := range nws {
		w, err := newAIWorkspace(ctx, b.URL, s.owner.Token, fmt.Sprintf("S7d shop %d", i), "Help", true)
		if err != nil {
			return nil, err
		}
		wss = append(wss, w)
	}
	p := newProbes(true)
	streams, err := watchAll(ctx, b.URL, s.owner.Token, wss, p)
	if err != nil {
		return nil, err
	}
	defer closeAll(streams)
	widget := widgetClients(b.URL, rpcclient.Connect, 64)

	var (
		killed  time.Time
		atKill  []*probe
		killErr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	wg.Go(func() {
		select {
		case <-ctx.Done():
			killErr = ctx.Err()
			return
		case <-time.After(dur / 2):
		}
		a.Kill()
		killed = time.Now()
		var mu sync.Mutex
		var sends sync.WaitGroup
		for i, w := range wss {
			sends.Go(func() {
				pr := p.send(ctx, widget, i, w, i, killed)
				mu.Lock()
				atKill = append(atKill, pr)
				mu.Unlock()
			})
		}
		sends.Wait()
	})
	openLoop(ctx, rate, dur, 64, func(ctx context.Context, i int, at time.Time) {
		ws := i % nws
		p.send(ctx, widget, ws, wss[ws], i, at)
	})
	wg.Wait()
	if killErr != nil {
		return nil, killErr
	}
	p.wait(ctx, idle)
	load := time.Since(start)

	aiLost, aiDoubled, ruleLost, ruleDoubled, err := p.audit(ctx, b.URL, s.owner.Token)
	if err != nil {
		return nil, err
	}
	var takeover time.Duration
	for _, pr := range atKill {
		at, ok := p.reacted(pr)
		if !ok {
			at = time.Now() // never: as long as waited, at least
		}
		takeover = max(takeover, at.Sub(killed))
	}
	t := p.tally(nil)
	if t.failed > 0 {
		return nil, fmt.Errorf("%d of %d questions failed to send through B", t.failed, t.sent)
	}
	am, rm := newMeasure(), newMeasure()
	am.ops, am.elapsed, am.lat = int64(t.sent), load, t.ai
	rm.ops, rm.elapsed, rm.lat = int64(t.sent), load, t.rule
	t.extra(am)
	am.extra["takeover_s"] = takeover.Seconds()
	bound := e.o.lease + time.Second
	return &Result{
		Notes: []string{fmt.Sprintf("%d workspaces, %.0f questions/s through B for %v, A SIGKILLed at %v and a question to every workspace at that instant; reaction lease %v (-reactor-lease)",
			nws, rate, dur, dur/2, e.o.lease)},
		Phases: []Phase{am.phase("ai_reply", "tandem"), rm.phase("rule_action", "tandem")},
		Checks: []Check{
			countCheck("ai_reply_lost", nanF(), float64(aiLost)),
			countCheck("ai_reply_doubled", nanF(), float64(aiDoubled)),
			countCheck("rule_action_lost", nanF(), float64(ruleLost)),
			countCheck("rule_action_doubled", nanF(), float64(ruleDoubled)),
			absCheck("takeover_s", nanF(), takeover.Seconds(), bound.Seconds(), false),
		},
	}, nil
}
