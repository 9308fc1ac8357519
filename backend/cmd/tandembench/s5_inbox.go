package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// runS5 reads the inbox: ListConversations (the first page of open
// conversations, most recent first, with contacts and unread markers) and a
// conversation's history (GetConversation), alternating, at a fixed rate,
// first on a small workspace, then after growing it a hundredfold. The
// baseline is the hand-written SQL for the same pages on the same indexes.
func runS5(ctx context.Context, e *env) (*Result, error) {
	s, err := e.newStage(ctx)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.startReplicas(ctx, 1, nil); err != nil {
		return nil, err
	}
	db, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	var (
		sizes    = pick(e, []int{10_000, 1_000_000}, []int{1_000, 10_000})
		rate     = pick(e, 100.0, 50.0)
		duration = pick(e, 10*time.Second, 2*time.Second)
	)
	r := s.replicas[0]
	ws, err := s.owner.CreateWorkspace(ctx, "S5 shop")
	if err != nil {
		return nil, err
	}
	seed := newSeeder(db, ws.ID, s.owner.UserID)
	client := conversationClient(r.URL, rpcclient.Connect, 32)
	res := &Result{Notes: []string{fmt.Sprintf("one workspace, 10 messages per conversation, 1 in 5 open; %.0f reads/s open loop (list and history alternating), %v per phase, %s",
		rate, duration, alternation(e.rounds()))}}
	p99 := map[string]float64{}
	for _, size := range sizes {
		start := time.Now()
		if err := seed.growTo(ctx, size); err != nil {
			return nil, err
		}
		e.logger.Info("S5 seeded", "messages", size, "took", time.Since(start))
		if _, err := db.ExecContext(ctx, `ANALYZE TABLE conversations, messages, contacts`); err != nil {
			return nil, err
		}
		convs := seed.convs
		// phase runs one open-loop phase: reads (ops and server CPU) and
		// the list and history latencies.
		phase := func(round int, read func(ctx context.Context, list bool, conv string) error, meter *serverMeter) (reads, list, hist *measure, err error) {
			reads, list, hist = newMeasure(), newMeasure(), newMeasure()
			rng := rand.New(rand.NewPCG(uint64(round), uint64(size))) //nolint:gosec // a seeded load shape, not a secret; round and size are not negative
			targets := make([]string, int(rate*duration.Seconds()))
			for i := range targets {
				targets[i] = convs[rng.IntN(len(convs))]
			}
			var failed atomic.Pointer[error]
			start := time.Now()
			reads.ops = int64(openLoop(ctx, rate, duration, 64, func(ctx context.Context, i int, at time.Time) {
				if err := read(ctx, i%2 == 0, targets[i]); err != nil {
					failed.Store(&err)
					return
				}
				if i%2 == 0 {
					list.lat.Record(time.Since(at))
				} else {
					hist.lat.Record(time.Since(at))
				}
			}))
			reads.elapsed = time.Since(start)
			meter.stop(reads)
			if p := failed.Load(); p != nil {
				return nil, nil, nil, *p
			}
			list.ops, list.elapsed = list.lat.Count(), reads.elapsed
			hist.ops, hist.elapsed = hist.lat.Count(), reads.elapsed
			return reads, list, hist, nil
		}
		all := map[string][3]*measure{"baseline": {newMeasure(), newMeasure(), newMeasure()},
			"tandem": {newMeasure(), newMeasure(), newMeasure()}}
		for round := range e.rounds() {
			for _, system := range []string{"baseline", "tandem"} {
				var (
					ms  [3]*measure
					err error
				)
				if system == "baseline" {
					ms[0], ms[1], ms[2], err = phase(round, func(ctx context.Context, list bool, conv string) error {
						return s5SQL(ctx, db, ws.ID, s.owner.UserID, list, conv)
					}, meterServer())
				} else {
					endProfile := s.profile(fmt.Sprintf("S5-%s-%d", sizeLabel(size), round), r, duration)
					ms[0], ms[1], ms[2], err = phase(round, func(ctx context.Context, list bool, conv string) error {
						return s5API(ctx, client, s.owner.Token, ws.ID, list, conv)
					}, meterServer(r.Pid()))
					endProfile()
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %w", system, err)
				}
				for i := range ms {
					all[system][i].merge(ms[i])
				}
			}
		}
		label := sizeLabel(size)
		b, t := all["baseline"], all["tandem"]
		res.Phases = append(res.Phases, b[0].phase("reads_"+label, "baseline"), t[0].phase("reads_"+label, "tandem"),
			b[1].phase("list_"+label, "baseline"), t[1].phase("list_"+label, "tandem"),
			b[2].phase("history_"+label, "baseline"), t[2].phase("history_"+label, "tandem"))
		p99["list_b"+label], p99["list_t"+label] = b[1].lat.Summary().P99, t[1].lat.Summary().P99
		p99["history_b"+label], p99["history_t"+label] = b[2].lat.Summary().P99, t[2].lat.Summary().P99
		if size == sizes[len(sizes)-1] {
			for _, what := range []string{"list", "history"} {
				bp, tp := p99[what+"_b"+label], p99[what+"_t"+label]
				res.Checks = append(res.Checks,
					ratioCheck(what+"_p99_ms_"+label, bp, tp, 1.5, false),
					absCheck(what+"_p99_ms_"+label, bp, tp, 50, false))
			}
		}
	}
	small, large := sizeLabel(sizes[0]), sizeLabel(sizes[len(sizes)-1])
	for _, what := range []string{"list", "history"} {
		res.Checks = append(res.Checks, absCheck(fmt.Sprintf("%s_p99_%s_over_%s", what, large, small),
			p99[what+"_b"+large]/p99[what+"_b"+small], p99[what+"_t"+large]/p99[what+"_t"+small], 1.3, false))
	}
	return res, nil
}

func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// s5API reads through Tandem: the inbox's first page, or a history page.
func s5API(ctx context.Context, c interface {
	ListConversations(context.Context, *tandemv1.ListConversationsRequest) (*tandemv1.ListConversationsResponse, error)
	GetConversation(context.Context, *tandemv1.GetConversationRequest) (*tandemv1.GetConversationResponse, error)
}, token, workspaceID string, list bool, conv string) error {
	ctx = rpcclient.WithToken(ctx, token)
	if list {
		resp, err := c.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: workspaceID, PageSize: 50})
		if err == nil && len(resp.GetConversations()) == 0 {
			err = fmt.Errorf("empty inbox")
		}
		return err
	}
	resp, err := c.GetConversation(ctx, &tandemv1.GetConversationRequest{ConversationId: conv, PageSize: 50})
	if err == nil && len(resp.GetHistory()) == 0 {
		err = fmt.Errorf("empty history")
	}
	return err
}

// s5SQL is the hand-written baseline: one query for the inbox page (with
// contacts and unread markers joined in), two for a conversation and its
// history page.
func s5SQL(ctx context.Context, db *sql.DB, workspaceID, userID string, list bool, conv string) error {
	if list {
		rows, err := db.QueryContext(ctx, `SELECT c.id, c.state, c.assignee_id, c.priority, c.last_message_preview,
			c.last_activity_at, c.last_seq, ct.name, ct.email, c.last_seq > COALESCE(r.last_read_seq, 0)
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
			LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = ?
			WHERE c.workspace_id = ? AND c.state <> 'closed'
			ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 50`, userID, workspaceID)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		n := 0
		for rows.Next() {
			var (
				id, state, assignee, priority, preview, name, email string
				activity, seq                                       int64
				unread                                              bool
			)
			if err := rows.Scan(&id, &state, &assignee, &priority, &preview, &activity, &seq, &name, &email, &unread); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("empty inbox")
		}
		return rows.Err()
	}
	var id, state, name string
	if err := db.QueryRowContext(ctx, `SELECT c.id, c.state, ct.name FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.id = ?`, conv).Scan(&id, &state, &name); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT id, seq, kind, author_kind, author_name, body, created_at FROM messages
		WHERE conversation_id = ? ORDER BY seq DESC LIMIT 50`, conv)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	n := 0
	for rows.Next() {
		var (
			mid, kind, author, authorName, text string
			seq, at                             int64
		)
		if err := rows.Scan(&mid, &seq, &kind, &author, &authorName, &text, &at); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("empty history")
	}
	return rows.Err()
}
