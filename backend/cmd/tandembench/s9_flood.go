package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// runS9 is a widget flood (catalog RATE-01): agents of one workspace read
// their open inbox and reply, each in a closed loop over Connect on HTTP/2,
// while in the Tandem phases the workspace's anonymous widget API is
// flooded with tandemd's production rate limits on. The baseline is the
// same agents without the flood. The agents' calls are timed one by one;
// the flood must not push their p99 past 250 ms nor far past the
// baseline's, and none of them may be refused.
//
// The flood comes through a trusted proxy (127.0.0.1, the tool itself):
// one client address starts sessions and sends messages and typing
// indicators in its session at about ten times its budgets, and many
// distinct forwarded addresses each start one session, together past the
// workspace's budget of new sessions.
func runS9(ctx context.Context, e *env) (*Result, error) {
	var (
		nAgents  = pick(e, 10, 3)
		duration = pick(e, 20*time.Second, 3*time.Second)
		nAddrs   = pick(e, 1000, 100)
		// The workspace's session burst is lowered from its default
		// (1200) so that nAddrs new sessions in a phase exceed the
		// workspace's budget; its rate stays the default.
		workspaceBurst = pick(e, 100, 20)
		over           = 10.0 // the flood's calls over its budgets
	)
	// tandemd's production widget limits (startReplicas turns them off;
	// an empty setting is the default), with the tool trusted as a proxy.
	limits := map[string]string{
		"TANDEM_WIDGET_RATE":                   "",
		"TANDEM_WIDGET_SESSIONS_PER_MINUTE":    "",
		"TANDEM_WORKSPACE_SESSIONS_PER_MINUTE": "",
		"TANDEM_WORKSPACE_SESSION_BURST":       strconv.Itoa(workspaceBurst),
		"TANDEM_TRUSTED_PROXIES":               "127.0.0.1",
	}
	cfg, err := config.Load(ctx, nil, func(name string) string { return limits[name] }, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("the limits' configuration: %w", err)
	}
	var (
		callRate  = over * cfg.WidgetRate // one session's calls
		startRate = over * (float64(cfg.WidgetSessionBurst) + cfg.WidgetSessionsPerMinute/60*duration.Seconds()) / duration.Seconds()
		addrRate  = float64(nAddrs) / duration.Seconds()
	)
	if callRate <= 0 || startRate <= 0 {
		return nil, fmt.Errorf("widget limits are off (rate %v, sessions per minute %v)", cfg.WidgetRate, cfg.WidgetSessionsPerMinute)
	}

	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, limits); err != nil {
		return nil, err
	}
	r := s.replicas[0]
	ws, err := s.owner.CreateWorkspace(ctx, "S9 shop")
	if err != nil {
		return nil, err
	}
	// Each agent replies in a conversation of its own.
	convs, err := visitors(ctx, r.URL, ws, nAgents)
	if err != nil {
		return nil, err
	}
	keys := make([]string, nAgents)
	for k := range keys {
		if keys[k], err = s.owner.AgentKey(ctx, ws, fmt.Sprintf("agent %d", k)); err != nil {
			return nil, err
		}
	}
	agentClient := tandemv1connect.NewConversationServiceClient(httpClient(rpcclient.GRPC, nAgents), r.URL, rpcclient.ClientOptions(rpcclient.Connect)...)
	agentCall := func(ctx context.Context, k, n int) error {
		ctx, cancel := context.WithTimeout(rpcclient.WithToken(ctx, keys[k]), 10*time.Second)
		defer cancel()
		if n%2 == 0 {
			_, err := agentClient.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: ws.ID, PageSize: 50})
			return err
		}
		_, err := agentClient.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: convs[k].ConversationID,
			ClientId: uuid.NewString(), Body: fmt.Sprintf("reply %d", n)})
		return err
	}
	for k := range keys { // the agents may do what they will do
		for n := range 2 {
			if err := agentCall(ctx, k, n); err != nil {
				return nil, fmt.Errorf("agent %d before the phases: %w", k, err)
			}
		}
	}

	// The flood's widget clients speak Connect over HTTP/1.1, as browsers
	// behind a proxy do, naming their client in X-Forwarded-For.
	widget := rpcclient.Clients{Widget: tandemv1connect.NewWidgetServiceClient(httpClient(rpcclient.Connect, 384), r.URL,
		append(rpcclient.ClientOptions(rpcclient.Connect), connect.WithInterceptors(connect.UnaryInterceptorFunc(forwardedFor)))...)}
	const floodAddr = "127.9.0.1"
	flooder, err := rpcclient.NewVisitor(withForwarded(ctx, floodAddr), widget, ws.PublicKey, "Flooder")
	if err != nil {
		return nil, fmt.Errorf("the flooding visitor: %w", err)
	}

	failures := map[string]string{} // the flood's first failure of each code
	// phase runs the agents for the duration, beside the flood when asked.
	phase := func(flood bool) (*measure, error) {
		m := newMeasure()
		var refused, failed atomic.Int64
		var f *floodCounts
		done := make(chan struct{})
		if flood {
			f = &floodCounts{failures: map[string]string{}}
			go func() {
				defer close(done)
				f.run(ctx, duration, widget, ws.PublicKey, flooder, floodAddr, callRate, startRate, addrRate, nAddrs)
			}()
		} else {
			close(done)
		}
		meter := meterServer(r.Pid())
		ops, elapsed, _ := closedLoop(ctx, nAgents, duration, func(ctx context.Context, k, n int) error {
			start := time.Now()
			err := agentCall(ctx, k, n)
			m.lat.Record(time.Since(start))
			switch {
			case connect.CodeOf(err) == connect.CodeResourceExhausted:
				refused.Add(1)
			case err != nil:
				failed.Add(1)
			}
			return nil
		})
		<-done
		meter.stop(m)
		m.ops, m.elapsed = ops, elapsed
		m.extra["agent_refused"], m.extra["agent_failed"] = float64(refused.Load()), float64(failed.Load())
		if f != nil {
			f.report(m)
			for code, msg := range f.failures {
				failures[code] = msg
			}
		}
		return m, ctx.Err()
	}
	res := &Result{Notes: []string{fmt.Sprintf("%d agents (API keys, Connect over HTTP/2) each alternating ListConversations and SendMessage in a closed loop for %v per phase; "+
		"B adds a flood through a trusted proxy at the production limits (workspace session burst %d): one address sends %.0f calls/s in its session and starts %.1f sessions/s, "+
		"%d other addresses start one session each (%.0f/s), %s",
		nAgents, duration, workspaceBurst, callRate, startRate, nAddrs, addrRate, alternation(e.rounds()))}}
	a, b, err := abab(e.rounds(),
		func(int) (*measure, error) {
			m, err := phase(false)
			if err == nil {
				res.Phases = append(res.Phases, m.phase("no_flood", "baseline"))
			}
			return m, err
		},
		func(int) (*measure, error) {
			m, err := phase(true)
			if err == nil {
				res.Phases = append(res.Phases, m.phase("flood", "tandem"))
			}
			return m, err
		})
	if err != nil {
		return nil, err
	}
	ap99, bp99 := a.lat.Summary().P99, b.lat.Summary().P99
	floodRefused := absCheck("flood_refused", nanF(), b.extra["flood_refused"], 1, true)
	floodRefused.worst = true // the flood must have been refused in every run
	res.Checks = []Check{
		absCheck("p99_ms", ap99, bp99, 250, false),
		ratioCheck("p99_ms", ap99, bp99, 2, false),
		countCheck("agent_refused", a.extra["agent_refused"], b.extra["agent_refused"]),
		floodRefused,
	}
	for _, code := range slices.Sorted(maps.Keys(failures)) {
		res.Notes = append(res.Notes, fmt.Sprintf("flood calls failed with %s (not refused), first: %s", code, failures[code]))
	}
	if f := a.extra["agent_failed"] + b.extra["agent_failed"]; f > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%.0f agent calls failed (not refused)", f))
	}
	return res, nil
}

// floodCounts counts a flood's calls by kind: accepted, refused
// (ResourceExhausted) and failed otherwise.
type floodCounts struct {
	sessions, calls, addrs [3]atomic.Int64
	mu                     sync.Mutex
	failures               map[string]string // the first failure of each code
}

// run floods the widget API for the duration: the visitor's session calls
// (SendMessage and SetTyping by turns) and new sessions from addr, each at
// its rate, and one new session from each of n distinct addresses.
func (f *floodCounts) run(ctx context.Context, duration time.Duration, c rpcclient.Clients, publicKey string,
	v *rpcclient.Visitor, addr string, callRate, startRate, addrRate float64, n int) {
	count := func(into *[3]atomic.Int64, err error) {
		switch {
		case err == nil:
			into[0].Add(1)
		case connect.CodeOf(err) == connect.CodeResourceExhausted:
			into[1].Add(1)
		default:
			into[2].Add(1)
			f.mu.Lock()
			if _, ok := f.failures[connect.CodeOf(err).String()]; !ok {
				f.failures[connect.CodeOf(err).String()] = err.Error()
			}
			f.mu.Unlock()
		}
	}
	start := func(ctx context.Context, addr string) error {
		ctx, cancel := context.WithTimeout(withForwarded(ctx, addr), 10*time.Second)
		defer cancel()
		_, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: publicKey, Name: "Flood"})
		return err
	}
	done := make(chan struct{}, 2)
	go func() {
		openLoop(ctx, callRate, duration, 128, func(ctx context.Context, i int, _ time.Time) {
			ctx, cancel := context.WithTimeout(withForwarded(ctx, addr), 10*time.Second)
			defer cancel()
			var err error
			if i%2 == 0 {
				_, err = v.Send(ctx, c, uuid.NewString(), fmt.Sprintf("flood %d", i))
			} else {
				_, err = c.Widget.SetTyping(rpcclient.WithToken(ctx, v.Token),
					&tandemv1.WidgetServiceSetTypingRequest{ConversationId: v.ConversationID, Typing: true})
			}
			count(&f.calls, err)
		})
		done <- struct{}{}
	}()
	go func() {
		openLoop(ctx, startRate, duration, 128, func(ctx context.Context, _ int, _ time.Time) {
			count(&f.sessions, start(ctx, addr))
		})
		done <- struct{}{}
	}()
	openLoop(ctx, addrRate, duration, 128, func(ctx context.Context, i int, _ time.Time) {
		if i < n {
			count(&f.addrs, start(ctx, fmt.Sprintf("127.10.%d.%d", i/250, i%250+1)))
		}
	})
	<-done
	<-done
}

// report puts the counts in the measure's details.
func (f *floodCounts) report(m *measure) {
	var refused, failed float64
	for name, c := range map[string]*[3]atomic.Int64{"flood_calls": &f.calls, "flood_sessions": &f.sessions, "flood_addrs": &f.addrs} {
		m.extra[name+"_accepted"], m.extra[name+"_refused"] = float64(c[0].Load()), float64(c[1].Load())
		refused += float64(c[1].Load())
		failed += float64(c[2].Load())
	}
	m.extra["flood_refused"], m.extra["flood_failed"] = refused, failed
}

type forwardedKey struct{}

// withForwarded makes widget calls with ctx name addr as their client in
// X-Forwarded-For (see forwardedFor).
func withForwarded(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, forwardedKey{}, addr)
}

// forwardedFor sets X-Forwarded-For to the address withForwarded put in
// the call's context, as a trusted proxy would.
func forwardedFor(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if a, _ := ctx.Value(forwardedKey{}).(string); a != "" {
			req.Header().Set("X-Forwarded-For", a)
		}
		return next(ctx, req)
	}
}
