package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// probes is the bookkeeping of S7's reaction probes: each probe is a
// customer opening a conversation with a question, at a scheduled time; the
// reactions are the AI agent's reply (an answer or a handoff) and the
// rule's note, seen on agent streams. A reaction may arrive before the call
// that opened the conversation returns: reactions are kept by conversation
// and matched to probes as they bind.
type probes struct {
	mu      sync.Mutex
	byConv  map[string]*probe
	all     []*probe
	pending atomic.Int64 // reactions awaited and not seen yet
	rule    bool         // the rule's note is awaited too
}

// probe is one customer question and what came of it.
type probe struct {
	ws          int // index of the probed workspace
	scheduled   time.Time
	conv        string
	err         error
	aiAt        time.Time // first AI reply (or handoff) seen
	ruleAt      time.Time // first rule note seen
	bound       bool
	seenAI      bool
	seenRule    bool
	handedOff   bool
	answersSeen int
}

func newProbes(rule bool) *probes { return &probes{byConv: map[string]*probe{}, rule: rule} }

// get returns the conversation's probe, made unbound when a reaction comes
// first. The lock is held.
func (p *probes) get(conv string) *probe {
	pr := p.byConv[conv]
	if pr == nil {
		pr = &probe{}
		p.byConv[conv] = pr
	}
	return pr
}

// observe is an agent stream's callback.
func (p *probes) observe(m *tandemv1.WatchResponse, at time.Time) {
	ev := m.GetEvent()
	if ev == nil || ev.GetConversationId() == "" {
		return
	}
	msg := ev.GetMessage()
	ai := msg != nil && isAIReply(msg)
	handoff := ev.GetType() == string(events.ConversationHandoff)
	note := msg != nil && isRuleNote(msg)
	if !ai && !handoff && !note {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.get(ev.GetConversationId())
	if ai || handoff {
		if ai {
			pr.answersSeen++
		}
		pr.handedOff = pr.handedOff || handoff
		if !pr.seenAI {
			pr.seenAI, pr.aiAt = true, at
			if pr.bound {
				p.pending.Add(-1)
			}
		}
	}
	if note && !pr.seenRule {
		pr.seenRule, pr.ruleAt = true, at
		if pr.bound && p.rule {
			p.pending.Add(-1)
		}
	}
}

// bind records a probe's conversation once the call that opened it
// returned.
func (p *probes) bind(ws int, conv string, scheduled time.Time, err error) *probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		pr := &probe{ws: ws, scheduled: scheduled, err: err}
		p.all = append(p.all, pr)
		return pr
	}
	pr := p.get(conv)
	pr.ws, pr.conv, pr.scheduled, pr.bound = ws, conv, scheduled, true
	p.all = append(p.all, pr)
	if !pr.seenAI {
		p.pending.Add(1)
	}
	if p.rule && !pr.seenRule {
		p.pending.Add(1)
	}
	return pr
}

// reacted is when the probe had every reaction awaited (ok false while one
// is missing).
func (p *probes) reacted(pr *probe) (at time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.err != nil || !pr.seenAI || (p.rule && !pr.seenRule) {
		return time.Time{}, false
	}
	at = pr.aiAt
	if p.rule && pr.ruleAt.After(at) {
		at = pr.ruleAt
	}
	return at, true
}

// wait waits until every reaction awaited arrived, or none arrived for
// idle.
func (p *probes) wait(ctx context.Context, idle time.Duration) {
	last, since := p.pending.Load(), time.Now()
	for last > 0 && time.Since(since) < idle && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		if n := p.pending.Load(); n != last {
			last, since = n, time.Now()
		}
	}
}

// probeTally is what a set of probes measured.
type probeTally struct {
	sent, failed      int
	ai, rule          *Latency
	noAI, noRule      int // bound probes whose reaction never came
	handoffs, answers int
}

// tally measures the probes of the workspaces for which keep is true (all
// when keep is nil). A reaction that never came counts in the latency as
// the time waited for it, a lower bound: a stall is never hidden.
func (p *probes) tally(keep func(ws int) bool) probeTally {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := probeTally{ai: NewLatency(), rule: NewLatency()}
	now := time.Now()
	for _, pr := range p.all {
		if keep != nil && !keep(pr.ws) {
			continue
		}
		t.sent++
		if pr.err != nil {
			t.failed++
			continue
		}
		if pr.seenAI {
			t.ai.Record(pr.aiAt.Sub(pr.scheduled))
			if pr.handedOff {
				t.handoffs++
			} else {
				t.answers++
			}
		} else {
			t.ai.Record(now.Sub(pr.scheduled))
			t.noAI++
		}
		if p.rule {
			if pr.seenRule {
				t.rule.Record(pr.ruleAt.Sub(pr.scheduled))
			} else {
				t.rule.Record(now.Sub(pr.scheduled))
				t.noRule++
			}
		}
	}
	return t
}

// extra adds the tally's counts to a measure.
func (t probeTally) extra(m *measure) {
	m.extra["probes"] += float64(t.sent)
	m.extra["failed_sends"] += float64(t.failed)
	m.extra["answers"] += float64(t.answers)
	m.extra["handoffs"] += float64(t.handoffs)
	m.extra["no_ai_reply"] += float64(t.noAI)
	if t.rule.Count() > 0 {
		m.extra["no_rule_action"] += float64(t.noRule)
	}
}

// send opens probe i's conversation in workspace w, as its visitor, with
// the question, and binds it. Each probe is a new conversation: one
// question each, so that no answer depends on an earlier one and the
// rules' loop protection never counts them together.
func (p *probes) send(ctx context.Context, widget rpcclient.Clients, ws int, w *aiWorkspace, i int, scheduled time.Time) *probe {
	cctx, cancel := context.WithTimeout(rpcclient.WithToken(ctx, w.visitor), 30*time.Second)
	defer cancel()
	res, err := widget.Widget.StartConversation(cctx, &tandemv1.StartConversationRequest{ClientId: uuid.NewString(), Body: question(i)})
	return p.bind(ws, res.GetConversation().GetId(), scheduled, err)
}

// watchAll opens an agent stream (the owner's) on every workspace through
// the server at url and waits until each is open.
func watchAll(ctx context.Context, url, token string, wss []*aiWorkspace, p *probes) ([]*rpcclient.Stream, error) {
	client := conversationClient(url, rpcclient.GRPC, 1)
	streams := make([]*rpcclient.Stream, len(wss))
	for i, w := range wss {
		streams[i] = rpcclient.OpenStream(ctx, client, token, w.id, "", p.observe)
	}
	for _, st := range streams {
		<-st.Ready()
	}
	if err := firstErr(streams); err != nil {
		closeAll(streams)
		return nil, fmt.Errorf("open agent streams: %w", err)
	}
	return streams, nil
}

func closeAll(ss []*rpcclient.Stream) {
	for _, s := range ss {
		s.Close()
	}
}

// audit reads every probe's conversation as the owner sees it, through the
// server at url, after the reactions settled: how many AI replies and rule
// notes each got. From the customer's point of view each question gets
// exactly one reply from the AI agent (an answer or the handoff message),
// and the rule acts exactly once.
func (p *probes) audit(ctx context.Context, url, token string) (aiLost, aiDoubled, ruleLost, ruleDoubled int, err error) {
	c := rpcclient.New(url, rpcclient.Connect)
	octx := rpcclient.WithToken(ctx, token)
	p.mu.Lock()
	all := append([]*probe(nil), p.all...)
	p.mu.Unlock()
	for _, pr := range all {
		if pr.err != nil {
			continue
		}
		res, err := c.Conversation.GetConversation(octx, &tandemv1.GetConversationRequest{ConversationId: pr.conv, PageSize: 200})
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("audit %s: %w", pr.conv, err)
		}
		ai, notes := 0, 0
		for _, m := range res.GetHistory() {
			if isAIReply(m) {
				ai++
			}
			if isRuleNote(m) {
				notes++
			}
		}
		if ai == 0 {
			aiLost++
		}
		aiDoubled += max(0, ai-1)
		if p.rule {
			if notes == 0 {
				ruleLost++
			}
			ruleDoubled += max(0, notes-1)
		}
	}
	return aiLost, aiDoubled, ruleLost, ruleDoubled, nil
}
