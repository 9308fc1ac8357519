package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/time/rate"

	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// visitorLimiter rate-limits the public widget API: each visitor session
// has a token bucket for its calls (stream opens included), and each client
// IP one for the sessions it starts, so that one flooding visitor gets
// ResourceExhausted (with Retry-After) while everyone else is served as
// usual. Limits are per replica.
type visitorLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*visitorBucket
}

type visitorBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxVisitorKeys bounds the memory a flood of distinct keys can take.
const maxVisitorKeys = 200_000

// newVisitorLimiter returns the limiter interceptor; a zero rate turns it
// into a no-op.
func newVisitorLimiter(perSecond float64, burst int) *visitorLimiter {
	return &visitorLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*visitorBucket{}}
}

// key names the bucket a widget call draws from, or "" for calls the
// limiter leaves alone (other services).
func (l *visitorLimiter) key(ctx context.Context, procedure string) string {
	if l.limit <= 0 || !strings.HasPrefix(procedure, "/"+tandemv1connect.WidgetServiceName+"/") {
		return ""
	}
	if p := access.PrincipalFrom(ctx); p != nil && p.Kind == access.KindVisitor {
		return "session:" + p.SessionID
	}
	return "ip:" + access.ClientIP(ctx)
}

// allow takes a token from key's bucket, or says how long to wait for one.
func (l *visitorLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxVisitorKeys {
			l.prune(now)
		}
		b = &visitorBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// prune forgets buckets idle long enough to be full again.
func (l *visitorLimiter) prune(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxVisitorKeys { // all recent: start over rather than grow
		clear(l.buckets)
	}
}

func (l *visitorLimiter) check(ctx context.Context, procedure string) error {
	key := l.key(ctx, procedure)
	if key == "" {
		return nil
	}
	ok, wait := l.allow(key, time.Now())
	if ok {
		return nil
	}
	err := connect.NewError(connect.CodeResourceExhausted, errors.New("too many requests from this chat; slow down and retry"))
	err.Meta().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
	return err
}

func (l *visitorLimiter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		if err := l.check(ctx, req.Spec().Procedure); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (l *visitorLimiter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (l *visitorLimiter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := l.check(ctx, conn.Spec().Procedure); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
