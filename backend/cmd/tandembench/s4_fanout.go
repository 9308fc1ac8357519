package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// s4Maxp99 is the latency under which a fan-out rate counts as sustained.
const s4MaxP99 = 50.0

// runS4 fans events out to many agent streams in one workspace: customers'
// messages (widget SendMessage, Connect) at a fixed rate, stepped up; each
// reaches every stream. The baseline is a bare connect-go server that
// broadcasts each SendMessage to its Watch streams from memory. The result
// is the highest rate of deliveries each sustains with p99 <= 50 ms and
// nothing lost.
func runS4(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, nil); err != nil {
		return nil, err
	}
	bareURL, err := s.startBare(ctx, 15*time.Second)
	if err != nil {
		return nil, err
	}
	var (
		nStreams = pick(e, 500, 100)
		rates    = pick(e, []float64{2, 5, 10, 25, 50, 100, 200}, []float64{10, 40})
		step     = pick(e, 5*time.Second, 1500*time.Millisecond)
	)
	r := s.replicas[0]
	ws, vs, widget, err := shop(ctx, s.owner, r.URL, "S4 shop")
	if err != nil {
		return nil, err
	}
	bareClient := conversationClient(bareURL, rpcclient.Connect, 64)

	type system struct {
		name    string
		url     string
		token   string
		pid     int
		send    func(ctx context.Context, i int, msg string) error
		current atomic.Pointer[delivery]
		best    float64
		bestP99 float64
	}
	systems := []*system{
		{name: "baseline", url: bareURL, pid: s.bare.Pid(), send: func(ctx context.Context, i int, msg string) error {
			_, err := bareClient.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: vs[i%len(vs)].ConversationID,
				ClientId: uuid.NewString(), Body: msg})
			return err
		}},
		{name: "tandem", url: r.URL, token: s.owner.Token, pid: r.Pid(), send: func(ctx context.Context, i int, msg string) error {
			_, err := vs[i%len(vs)].Send(ctx, widget, uuid.NewString(), msg)
			return err
		}},
	}
	for _, sys := range systems {
		client := tandemv1connect.NewConversationServiceClient(httpClient(rpcclient.GRPC, 1), sys.url, rpcclient.ClientOptions(rpcclient.GRPC)...)
		_, closeStreams, err := watchDeliveries(ctx, client, sys.token, ws.ID, nStreams, &sys.current)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sys.name, err)
		}
		defer closeStreams()
	}

	res := &Result{Notes: []string{fmt.Sprintf("%d streams (gRPC) in one workspace; event rates %v/s stepped up, %v each, baseline then Tandem at each step",
		nStreams, rates, step)}}
	for _, rate := range rates {
		sustained := 0
		for _, sys := range systems {
			n := int(rate * step.Seconds())
			d := newDelivery(fmt.Sprintf("%s%.0f", sys.name[:1], rate), n, 1, nStreams)
			sys.current.Store(d)
			endProfile := func() {}
			if sys.name == "tandem" {
				endProfile = s.profile(fmt.Sprintf("S4-rate_%.0f", rate), r, step)
			}
			meter := meterServer(sys.pid)
			start := time.Now()
			sent := openLoop(ctx, rate, step, 256, func(ctx context.Context, i int, at time.Time) {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				d.acked[i] = sys.send(cctx, i, body(d.prefix, i, at)) == nil
			})
			elapsed := time.Since(start)
			d.wait(5 * time.Second)
			endProfile()
			sys.current.Store(nil)
			m := newMeasure()
			meter.stop(m)
			lost, dup, disorder, failed := d.tally()
			m.ops, m.elapsed, m.lat = d.firsts.Load(), elapsed, d.lat
			m.extra["events_per_s"] = float64(sent) / elapsed.Seconds()
			m.extra["lost"], m.extra["duplicated"], m.extra["out_of_order"], m.extra["failed_sends"] =
				float64(lost), float64(dup), float64(disorder), float64(failed)
			res.Phases = append(res.Phases, m.phase(fmt.Sprintf("rate_%.0f", rate), sys.name))
			p99 := d.lat.Summary().P99
			if p99 <= s4MaxP99 && lost == 0 && failed == 0 {
				sustained++
				if v := m.perSecond(); v > sys.best {
					sys.best, sys.bestP99 = v, p99
				}
			}
		}
		if sustained == 0 {
			break // neither keeps up: higher rates only take longer to fail
		}
	}
	b, t := systems[0], systems[1]
	res.Checks = []Check{
		ratioCheck("deliveries_per_s_at_p99_50ms", b.best, t.best, 0.5, true),
		absCheck("deliveries_per_s_at_p99_50ms", b.best, t.best, 25000, true),
	}
	return res, nil
}
