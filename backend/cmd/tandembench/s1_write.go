package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// s1Target is one conversation an agent writes to.
type s1Target struct{ workspaceID, conversationID string }

// runS1 is the write path: an agent's SendMessage over Connect, N in flight,
// first spread over 20 workspaces, then all in one hot workspace (every
// write takes its workspace's sequence lock). The baseline runs the same
// transaction (conversation.Service.Post: the same SQL, statement for
// statement) in this process on a pool sized like tandemd's, with no RPC
// layer: no HTTP, protobuf, authentication or authorization.
func runS1(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, nil); err != nil {
		return nil, err
	}
	inproc, err := s.inProcess(ctx)
	if err != nil {
		return nil, err
	}
	var (
		inFlight   = pick(e, 32, 8)
		workspaces = pick(e, 20, 4)
		perWS      = pick(e, 8, 4)
		phase      = pick(e, 12*time.Second, 1500*time.Millisecond)
	)
	r := s.replicas[0]
	spread, err := s1Targets(ctx, s, workspaces, perWS)
	if err != nil {
		return nil, err
	}
	hot, err := s1Targets(ctx, s, 1, inFlight)
	if err != nil {
		return nil, err
	}
	res := &Result{Notes: []string{fmt.Sprintf("%d in flight (closed loop), %v phases, %s; spread: %d workspaces x %d conversations; hot: 1 workspace x %d",
		inFlight, phase, alternation(e.rounds()), workspaces, perWS, inFlight)}}
	client := conversationClient(r.URL, rpcclient.Connect, inFlight)
	owner := &access.Principal{Kind: access.KindUser, UserID: s.owner.UserID}
	body := "Thanks for waiting! Your order #48213 left our warehouse this morning and should arrive on Thursday."

	for _, v := range []struct {
		name    string
		targets []s1Target
	}{{"spread", spread}, {"hot", hot}} {
		target := func(w, n int) s1Target { return v.targets[(w+n*inFlight)%len(v.targets)] }
		baseline := func(int) (*measure, error) {
			return s1Phase(ctx, inFlight, phase, meterServer(), func(ctx context.Context, w, n int) error {
				t := target(w, n)
				_, _, err := inproc.Domain().Conversations.Post(ctx, owner, t.workspaceID, t.conversationID, uuid.NewString(), body, conversation.KindText)
				return err
			})
		}
		tandem := func(round int) (*measure, error) {
			defer s.profile(fmt.Sprintf("S1-%s-%d", v.name, round), r, phase)()
			return s1Phase(ctx, inFlight, phase, meterServer(r.Pid()), func(ctx context.Context, w, n int) error {
				t := target(w, n)
				_, err := client.SendMessage(rpcclient.WithToken(ctx, s.owner.Token), &tandemv1.SendMessageRequest{
					ConversationId: t.conversationID, ClientId: uuid.NewString(), Body: body})
				return err
			})
		}
		b, t, err := abab(e.rounds(), baseline, tandem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		res.Phases = append(res.Phases, b.phase(v.name, "baseline"), t.phase(v.name, "tandem"))
		res.Checks = append(res.Checks,
			ratioCheck(v.name+"_msgs_per_s", b.perSecond(), t.perSecond(), 0.70, true),
			ratioCheck(v.name+"_p99_ms", b.lat.Summary().P99, t.lat.Summary().P99, 2, false))
		if v.name == "spread" {
			res.Checks = append(res.Checks, absCheck("spread_msgs_per_s", b.perSecond(), t.perSecond(), 2000, true))
		}
	}
	return res, nil
}

// s1Phase runs one closed-loop phase and measures it.
func s1Phase(ctx context.Context, inFlight int, d time.Duration, meter *serverMeter, op func(ctx context.Context, w, n int) error) (*measure, error) {
	m := newMeasure()
	ops, elapsed, err := closedLoop(ctx, inFlight, d, func(ctx context.Context, w, n int) error {
		start := time.Now()
		if err := op(ctx, w, n); err != nil {
			return err
		}
		m.lat.Record(time.Since(start))
		return nil
	})
	meter.stop(m)
	m.ops, m.elapsed = ops, elapsed
	return m, err
}

// s1Targets creates workspaces with conversations (opened by visitors) and
// has the owner answer each once, so that measured writes are replies to
// conversations they own (no state change).
func s1Targets(ctx context.Context, s *stage, workspaces, perWS int) ([]s1Target, error) {
	r := s.replicas[0]
	client := conversationClient(r.URL, rpcclient.Connect, 8)
	var out []s1Target
	for i := range workspaces {
		ws, err := s.owner.CreateWorkspace(ctx, fmt.Sprintf("S1 shop %d", i))
		if err != nil {
			return nil, err
		}
		vs, err := visitors(ctx, r.URL, ws, perWS)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if _, err := client.SendMessage(rpcclient.WithToken(ctx, s.owner.Token), &tandemv1.SendMessageRequest{
				ConversationId: v.ConversationID, ClientId: uuid.NewString(), Body: "Hello, how can I help?"}); err != nil {
				return nil, err
			}
			out = append(out, s1Target{workspaceID: ws.ID, conversationID: v.ConversationID})
		}
	}
	return out, nil
}
