package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// s2World is S2's fixture: workspaces, each with visitors (their
// conversations) and agents (API keys).
type s2World struct {
	workspaces []rpcclient.Workspace
	visitors   [][]*rpcclient.Visitor // by workspace
	agentKeys  [][]string             // by workspace
}

// runS2 is delivery across replicas: customers send through the widget API
// (gRPC-web) on replica A at a fixed rate; about 20 agents per workspace
// watch on replica B, woken through NATS. The baseline commits the same
// transaction in this process (conversation.Service.Post) and publishes the
// message on NATS to plain subscribers. Latency is from each message's
// scheduled send to its arrival at each watcher.
func runS2(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startNATS(ctx); err != nil {
		return nil, err
	}
	if err := s.startReplicas(ctx, 2, nil); err != nil {
		return nil, err
	}
	inproc, err := s.inProcess(ctx)
	if err != nil {
		return nil, err
	}
	var (
		nws      = pick(e, 5, 2)
		agents   = pick(e, 20, 5)
		perWS    = pick(e, 10, 4)
		rate     = pick(e, 200.0, 100.0)
		duration = pick(e, 15*time.Second, 2*time.Second)
	)
	a, b := s.replicas[0], s.replicas[1]
	w := &s2World{}
	for i := range nws {
		ws, err := s.owner.CreateWorkspace(ctx, fmt.Sprintf("S2 shop %d", i))
		if err != nil {
			return nil, err
		}
		vs, err := visitors(ctx, a.URL, ws, perWS)
		if err != nil {
			return nil, err
		}
		var keys []string
		for j := range agents {
			k, err := s.owner.AgentKey(ctx, ws, fmt.Sprintf("agent %d", j))
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		w.workspaces, w.visitors, w.agentKeys = append(w.workspaces, ws), append(w.visitors, vs), append(w.agentKeys, keys)
	}
	principals := make([][]*access.Principal, nws)
	for g, vs := range w.visitors {
		for _, v := range vs {
			p, err := inproc.Domain().Contacts.AuthenticateVisitor(ctx, v.Token)
			if err != nil {
				return nil, err
			}
			principals[g] = append(principals[g], p)
		}
	}
	widget := widgetClients(a.URL, rpcclient.GRPCWeb, 64)
	watchClient := conversationClient(b.URL, rpcclient.GRPC, 4)

	n := int(rate * duration.Seconds())
	tandem := func(round int) (*measure, *delivery, error) {
		d := newDelivery(fmt.Sprintf("t%d", round), n, nws, agents)
		var streams []*rpcclient.Stream
		for g, keys := range w.agentKeys {
			for k, key := range keys {
				streams = append(streams, rpcclient.OpenStream(ctx, watchClient, key, w.workspaces[g].ID, "", func(m *tandemv1.WatchResponse, at time.Time) {
					if ev := m.GetEvent(); ev.GetType() == string(events.MessageCreated) {
						d.receive(g, k, ev.GetMessage().GetBody(), ev.GetSeq(), at)
					}
				}))
			}
		}
		defer func() {
			for _, st := range streams {
				st.Close()
			}
		}()
		for _, st := range streams {
			<-st.Ready()
			if err := st.Err(); err != nil {
				return nil, nil, fmt.Errorf("open watch on B: %w", err)
			}
		}
		profA, profB := s.profile(fmt.Sprintf("S2-A-%d", round), a, duration), s.profile(fmt.Sprintf("S2-B-%d", round), b, duration)
		defer profA()
		defer profB()
		meter := meterServer(a.Pid(), b.Pid())
		m := s2Send(ctx, d, w, rate, duration, func(ctx context.Context, g, v int, msg string) error {
			_, err := w.visitors[g][v].Send(ctx, widget, uuid.NewString(), msg)
			return err
		})
		meter.stop(m)
		return m, d, nil
	}
	baseline := func(round int) (*measure, *delivery, error) {
		d := newDelivery(fmt.Sprintf("b%d", round), n, nws, agents)
		pub, err := nats.Connect(s.nats.URL())
		if err != nil {
			return nil, nil, err
		}
		defer pub.Close()
		for g := range nws {
			for k := range agents {
				sub, err := nats.Connect(s.nats.URL())
				if err != nil {
					return nil, nil, err
				}
				defer sub.Close()
				if _, err := sub.Subscribe(fmt.Sprintf("bench.s2.%d", g), func(msg *nats.Msg) {
					at := time.Now()
					if len(msg.Data) > 8 {
						d.receive(g, k, string(msg.Data[8:]), int64(binary.BigEndian.Uint64(msg.Data)), at) //nolint:gosec // a sequence number, sent as its 64 bits
					}
				}); err != nil {
					return nil, nil, err
				}
				if err := sub.Flush(); err != nil {
					return nil, nil, err
				}
			}
		}
		meter := meterServer()
		m := s2Send(ctx, d, w, rate, duration, func(ctx context.Context, g, v int, msg string) error {
			p := principals[g][v]
			m, _, err := inproc.Domain().Conversations.Post(ctx, p, p.WorkspaceID, w.visitors[g][v].ConversationID, uuid.NewString(), msg, conversation.KindText)
			if err != nil {
				return err
			}
			return pub.Publish(fmt.Sprintf("bench.s2.%d", g), append(binary.BigEndian.AppendUint64(nil, uint64(m.Seq)), msg...)) //nolint:gosec // a sequence number, sent as its 64 bits
		})
		meter.stop(m)
		return m, d, nil
	}

	res := &Result{Notes: []string{fmt.Sprintf("%d workspaces x (%d visitors, %d agent streams); %.0f msg/s open loop for %v per phase, %s",
		nws, perWS, agents, rate, duration, alternation(e.rounds()))}}
	bm, tm := newMeasure(), newMeasure()
	var bTally, tTally [4]int
	for round := range e.rounds() {
		for _, sys := range []struct {
			run   func(int) (*measure, *delivery, error)
			into  *measure
			tally *[4]int
		}{{baseline, bm, &bTally}, {tandem, tm, &tTally}} {
			m, d, err := sys.run(round)
			if err != nil {
				return nil, err
			}
			lost, dup, disorder, failed := d.tally()
			for i, v := range []int{lost, dup, disorder, failed} {
				sys.tally[i] += v
			}
			m.lat = d.lat
			sys.into.merge(m)
		}
	}
	for _, x := range []struct {
		m *measure
		t [4]int
	}{{bm, bTally}, {tm, tTally}} {
		x.m.extra["lost"], x.m.extra["duplicated"], x.m.extra["out_of_order"], x.m.extra["failed_sends"] =
			float64(x.t[0]), float64(x.t[1]), float64(x.t[2]), float64(x.t[3])
	}
	res.Phases = []Phase{bm.phase("delivery", "baseline"), tm.phase("delivery", "tandem")}
	bp99, tp99 := bm.lat.Summary().P99, tm.lat.Summary().P99
	res.Checks = []Check{
		ratioCheck("p99_ms", bp99, tp99, 2, false),
		absCheck("p99_ms", bp99, tp99, 25, false),
		countCheck("lost", float64(bTally[0]), float64(tTally[0])),
		countCheck("duplicated", float64(bTally[1]), float64(tTally[1])),
		countCheck("out_of_order", float64(bTally[2]), float64(tTally[2])),
	}
	if tTally[3] > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d Tandem sends failed", tTally[3]))
	}
	return res, nil
}

// s2Send sends n messages round-robin over the visitors on the schedule,
// then waits for the deliveries. The measure counts messages sent.
func s2Send(ctx context.Context, d *delivery, w *s2World, rate float64, duration time.Duration,
	send func(ctx context.Context, g, v int, msg string) error) *measure {
	var all [][2]int // (group, visitor) in send rotation
	for g, vs := range w.visitors {
		for v := range vs {
			all = append(all, [2]int{g, v})
		}
	}
	for i := range d.group {
		d.group[i] = all[i%len(all)][0]
	}
	start := time.Now()
	sent := openLoop(ctx, rate, duration, 256, func(ctx context.Context, i int, at time.Time) {
		gv := all[i%len(all)]
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		d.acked[i] = send(cctx, gv[0], gv[1], body(d.prefix, i, at)) == nil
	})
	m := newMeasure()
	m.ops, m.elapsed = int64(sent), time.Since(start)
	d.wait(10 * time.Second)
	return m
}
