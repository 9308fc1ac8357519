package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// stallMarker in a document's title makes the fake model stall on questions
// answered from it.
const stallMarker = "(STALLS)"

// runS7c is isolation: the AI agent of one workspace calls a model that
// stalls (it never answers; tandemd gives up after its model timeout, 20 s,
// and hands the conversation off), while customers of 50 other workspaces,
// on the same model, ask questions at a fixed rate. Their replies must keep
// coming: p99 <= 1 s from the scheduled question to the reply on an agent
// stream. The stalled questions are spread over the load window.
func runS7c(ctx context.Context, e *env) (*Result, error) {
	var (
		others  = pick(e, 50, 5)
		timeout = pick(e, 20*time.Second, 4*time.Second)
		rate    = pick(e, 10.0, 10.0)
		dur     = pick(e, 30*time.Second, 6*time.Second)
		stalled = pick(e, 3, 2)
	)
	model, err := startFakeModel(ctx, stallMarker, 2*timeout)
	if err != nil {
		return nil, err
	}
	defer model.close()
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, map[string]string{"TANDEM_REACTORS": "true", "TANDEM_LLM_URL": model.url,
		"TANDEM_LLM_MODEL": "s7-fake", "TANDEM_LLM_TIMEOUT": timeout.String()}); err != nil {
		return nil, err
	}
	r := s.replicas[0]
	var wss []*aiWorkspace
	for i := range others + 1 {
		title := "Help"
		if i == 0 {
			title = "Help " + stallMarker
		}
		w, err := newAIWorkspace(ctx, r.URL, s.owner.Token, fmt.Sprintf("S7c shop %d", i), title, false)
		if err != nil {
			return nil, err
		}
		wss = append(wss, w)
	}
	p := newProbes(false)
	streams, err := watchAll(ctx, r.URL, s.owner.Token, wss, p)
	if err != nil {
		return nil, err
	}
	defer closeAll(streams)
	widget := widgetClients(r.URL, rpcclient.Connect, 64)
	start := time.Now()
	var wg sync.WaitGroup
	for k := range stalled {
		at := start.Add(time.Duration(k) * dur / time.Duration(stalled))
		wg.Go(func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(at)):
			}
			p.send(ctx, widget, 0, wss[0], k, at)
		})
	}
	endProfile := s.profile("S7c-stall", r, dur)
	openLoop(ctx, rate, dur, 64, func(ctx context.Context, i int, at time.Time) {
		ws := 1 + i%others
		p.send(ctx, widget, ws, wss[ws], i, at)
	})
	wg.Wait()
	endProfile()
	p.wait(ctx, timeout+20*time.Second)
	rest, stall := p.tally(func(ws int) bool { return ws != 0 }), p.tally(func(ws int) bool { return ws == 0 })
	m := newMeasure()
	m.ops, m.elapsed, m.lat = int64(rest.sent), dur, rest.ai
	rest.extra(m)
	sm := newMeasure()
	sm.ops, sm.elapsed, sm.lat = int64(stall.sent), dur, stall.ai
	stall.extra(sm)
	sm.extra["model_calls_stalled"] = float64(model.stalls.Load())
	m.extra["model_calls"] = float64(model.calls.Load() - model.stalls.Load())
	if rest.failed+stall.failed > 0 {
		return nil, fmt.Errorf("%d questions failed to send", rest.failed+stall.failed)
	}
	return &Result{
		Notes: []string{fmt.Sprintf("%d workspaces answer through a fake model over HTTP; %d questions to the one whose model stalls (model timeout %v), spread over %v while the others ask %.0f/s",
			others, stalled, timeout, dur, rate)},
		Phases: []Phase{m.phase("others_ai_reply", "tandem"), sm.phase("stalled_ai_reply", "tandem")},
		Checks: []Check{
			absCheck("others_ai_reply_p99_ms", nanF(), rest.ai.Summary().P99, 1000, false),
			// The scenario did what it says: the stalled questions reached
			// the model, and each was handed off once it gave up.
			absCheck("model_stalls", nanF(), float64(model.stalls.Load()), float64(stalled), true),
			absCheck("stalled_handed_off", nanF(), float64(stall.handoffs), float64(stalled), true),
		},
	}, nil
}
