package server

import (
	"context"
	"fmt"
	"sync"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// streamLimits are the most streams one caller may hold open at once on a
// replica; 0 is no limit.
type streamLimits struct {
	// PerVisitor bounds a widget visitor's streams (all their sessions),
	// PerMember a signed-in person's or an API key's, PerAddress those
	// from one client address, whoever opens them.
	PerVisitor, PerMember, PerAddress int
}

// streamLimiter counts the open streams (every server-streaming procedure:
// member and widget Watch) per visitor, per member or key, and per client
// address, and refuses one more beyond a limit with ResourceExhausted. A
// slot is freed when its stream ends, however it ends. Counts are per
// replica, in memory: one caller's streams spread over replicas are each
// bounded there.
type streamLimiter struct {
	limits streamLimits

	mu   sync.Mutex
	open map[string]int
}

func newStreamLimiter(l streamLimits) *streamLimiter {
	return &streamLimiter{limits: l, open: map[string]int{}}
}

// slot is one count a stream holds, with its limit and who it names.
type slot struct {
	key   string
	limit int
	who   string
}

func (l *streamLimiter) slots(ctx context.Context) []slot {
	var out []slot
	if p := access.PrincipalFrom(ctx); p != nil {
		switch p.Kind {
		case access.KindVisitor:
			out = append(out, slot{"v:" + p.VisitorID, l.limits.PerVisitor, "this visitor"})
		case access.KindUser:
			out = append(out, slot{"u:" + p.UserID, l.limits.PerMember, "this member"})
		case access.KindAPIKey:
			out = append(out, slot{"k:" + p.APIKeyID, l.limits.PerMember, "this API key"})
		}
	}
	return append(out, slot{"a:" + access.ClientIP(ctx), l.limits.PerAddress, "this client address"})
}

// acquire takes every slot, or none and the error naming the full one.
func (l *streamLimiter) acquire(slots []slot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range slots {
		if s.limit > 0 && l.open[s.key] >= s.limit {
			return connect.NewError(connect.CodeResourceExhausted,
				fmt.Errorf("too many open streams for %s (at most %d at once): close one first", s.who, s.limit))
		}
	}
	for _, s := range slots {
		l.open[s.key]++
	}
	return nil
}

func (l *streamLimiter) release(slots []slot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range slots {
		if l.open[s.key]--; l.open[s.key] <= 0 {
			delete(l.open, s.key) // idle callers take no memory
		}
	}
}

func (l *streamLimiter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc { return next }

func (l *streamLimiter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (l *streamLimiter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		slots := l.slots(ctx)
		if err := l.acquire(slots); err != nil {
			return err
		}
		defer l.release(slots)
		return next(ctx, conn)
	}
}
