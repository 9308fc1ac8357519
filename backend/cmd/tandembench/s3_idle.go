package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// runS3 holds many idle Watch streams open on one replica and measures the
// memory each costs and the CPU the replica burns while nothing happens
// (heartbeats at the production interval, 15 s, with their credential and
// role re-checks). The baseline is a bare connect-go handler of the same RPC
// that sends the same heartbeats from memory. Each phase runs on a freshly
// started process, so memory is not carried over.
func runS3(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	const heartbeat = 15 * time.Second
	if err := s.startReplicas(ctx, 1, map[string]string{"TANDEM_HEARTBEAT": heartbeat.String()}); err != nil {
		return nil, err
	}
	var (
		streams = pick(e, 20000, 1000)
		nws     = pick(e, 20, 4)
		idle    = pick(e, 16*time.Second, 3*time.Second)
	)
	r := s.replicas[0]
	var wss []rpcclient.Workspace
	for i := range nws {
		ws, err := s.owner.CreateWorkspace(ctx, fmt.Sprintf("S3 shop %d", i))
		if err != nil {
			return nil, err
		}
		wss = append(wss, ws)
	}
	tandem := func(round int) (*measure, error) {
		if err := r.Restart(ctx); err != nil {
			return nil, err
		}
		return s3Phase(ctx, r.Process, r.URL, r.MetricsURL, s.owner.Token, wss, streams, idle, func() func() {
			return s.profile(fmt.Sprintf("S3-idle-%d", round), r, idle)
		})
	}
	baseline := func(int) (*measure, error) {
		if s.bare != nil {
			s.bare.Kill()
		}
		url, err := s.startBare(ctx, heartbeat)
		if err != nil {
			return nil, err
		}
		m, err := s3Phase(ctx, s.bare, url, "", "", wss, streams, idle, func() func() { return func() {} })
		s.bare.Kill()
		return m, err
	}
	b, t, err := abab(e.rounds(), baseline, tandem)
	if err != nil {
		return nil, err
	}
	perStream := func(m *measure) float64 { return m.extra["grew_kib"] / m.extra["streams"] }
	idleCPU := func(m *measure) float64 { return 100 * m.cpu.Seconds() / m.elapsed.Seconds() }
	perGiB := func(m *measure) float64 { return float64(1<<20) / perStream(m) }
	res := &Result{
		Notes: []string{fmt.Sprintf("%d idle streams over %d workspaces (gRPC, HTTP/2), heartbeat %v, %v idle window per phase, %s on fresh processes",
			streams, nws, heartbeat, idle, alternation(e.rounds()))},
		Phases: []Phase{b.phase("idle", "baseline"), t.phase("idle", "tandem")},
		Checks: []Check{
			ratioCheck("memory_per_stream_kib", perStream(b), perStream(t), 1.5, false),
			absCheck("streams_per_gib", perGiB(b), perGiB(t), 25000, true),
			absCheck("idle_cpu_pct_core", idleCPU(b), idleCPU(t), 5, false),
		},
	}
	return res, nil
}

// s3Phase opens the streams on the server at url (process p; its metrics
// at metricsURL, "" for none), lets them sit
// idle, and measures: extra grew_kib (resident memory added by the
// streams), streams; cpu and elapsed over the idle window only. profile
// starts a profile of the idle window and returns what ends it.
func s3Phase(ctx context.Context, p *fleet.Process, url, metricsURL, token string, wss []rpcclient.Workspace, n int, idle time.Duration,
	profile func() func()) (*measure, error) {
	client := tandemv1connect.NewConversationServiceClient(httpClient(rpcclient.GRPC, 1), url, rpcclient.ClientOptions(rpcclient.GRPC)...)
	time.Sleep(time.Second) // let the fresh process settle
	before, err := fleet.RSS(p.Pid())
	if err != nil {
		return nil, err
	}
	open := make([]*rpcclient.Stream, n)
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	for i := range open {
		sem <- struct{}{}
		open[i] = rpcclient.OpenStream(ctx, client, token, wss[i%len(wss)].ID, "", nil)
		wg.Go(func() {
			<-open[i].Ready()
			<-sem
		})
	}
	wg.Wait()
	defer func() {
		for _, st := range open {
			st.Close()
		}
	}()
	failed := 0
	for _, st := range open {
		if st.Err() != nil {
			failed++
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%d of %d streams failed to open: %w", failed, n, firstErr(open))
	}
	time.Sleep(3 * time.Second)
	meter := meterServer(p.Pid())
	endProfile := profile()
	time.Sleep(idle)
	m := newMeasure()
	meter.stop(m)
	endProfile()
	m.elapsed = idle
	m.extra["streams"] = float64(n)
	m.extra["grew_kib"] = float64(m.rss-before) / 1024
	m.extra["max_rss_before_mib"] = float64(before) / (1 << 20)
	// Only tandemd exports these: where its memory per stream goes.
	if metricsURL != "" {
		if h, err := fleet.Metric(ctx, metricsURL, "go_memstats_heap_inuse_bytes"); err == nil {
			m.extra["max_heap_inuse_mib"] = h / (1 << 20)
		}
		if h, err := fleet.Metric(ctx, metricsURL, "go_memstats_stack_inuse_bytes"); err == nil {
			m.extra["max_stack_inuse_mib"] = h / (1 << 20)
		}
	}
	for _, st := range open {
		if st.Err() != nil {
			return nil, fmt.Errorf("an idle stream ended: %w", st.Err())
		}
	}
	return m, nil
}

func firstErr(ss []*rpcclient.Stream) error {
	for _, s := range ss {
		if err := s.Err(); err != nil {
			return err
		}
	}
	return nil
}
