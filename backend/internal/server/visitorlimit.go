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
// IP one, tighter, for the sessions it starts (each makes a contact and an
// event), so that one flooding visitor gets ResourceExhausted (with
// Retry-After) while everyone else is served as usual. Limits are per
// replica.
type visitorLimiter struct {
	limit rate.Limit
	burst int
	// ipLimit and ipBurst are the buckets of client IPs (keys "ip:...").
	ipLimit rate.Limit
	ipBurst int

	mu      sync.Mutex
	buckets map[string]*visitorBucket
}

type visitorBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxVisitorKeys bounds the memory a flood of distinct keys can take.
const maxVisitorKeys = 200_000

// newVisitorLimiter returns the limiter interceptor: perSecond and burst
// for each session, sessionsPerMinute and sessionBurst for each client IP.
// A zero rate turns its limit off.
func newVisitorLimiter(perSecond float64, burst int, sessionsPerMinute float64, sessionBurst int) *visitorLimiter {
	return &visitorLimiter{limit: rate.Limit(perSecond), burst: burst, ipLimit: rate.Limit(sessionsPerMinute / 60),
		ipBurst: max(sessionBurst, 1), buckets: map[string]*visitorBucket{}}
}

// key names the bucket a widget call draws from, or "" for calls the
// limiter leaves alone (other services).
func (l *visitorLimiter) key(ctx context.Context, procedure string) string {
	if !strings.HasPrefix(procedure, "/"+tandemv1connect.WidgetServiceName+"/") {
		return ""
	}
	if p := access.PrincipalFrom(ctx); p != nil && p.Kind == access.KindVisitor {
		if l.limit <= 0 {
			return ""
		}
		return "session:" + p.SessionID
	}
	if l.ipLimit <= 0 {
		return ""
	}
	return "ip:" + access.ClientIP(ctx)
}

// bucketOf is the rate and burst of key's bucket.
func (l *visitorLimiter) bucketOf(key string) (rate.Limit, int) {
	if strings.HasPrefix(key, "ip:") {
		return l.ipLimit, l.ipBurst
	}
	return l.limit, l.burst
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
		b = &visitorBucket{lim: rate.NewLimiter(l.bucketOf(key))}
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
	for k, b := range l.buckets {
		limit, burst := l.bucketOf(k)
		if full := time.Duration(float64(burst) / float64(limit) * float64(time.Second)); now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxVisitorKeys { // all recent: start over rather than grow
		clear(l.buckets)
	}
}

func (l *visitorLimiter) check(ctx context.Context, procedure string) error {
	return l.checkKey(l.key(ctx, procedure))
}

// checkKey takes a token from key's bucket ("" takes none), or answers
// ResourceExhausted with how long to wait.
func (l *visitorLimiter) checkKey(key string) error {
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

// uploadLimit rate-limits POST /files: a visitor's upload draws from its
// session's widget bucket like any widget call, and every uploader
// (visitor, member or API key) also from an upload bucket of its own in
// uploads.
func uploadLimit(widget, uploads *visitorLimiter) func(ctx context.Context, p *access.Principal) error {
	return func(_ context.Context, p *access.Principal) error {
		if p.Kind == access.KindVisitor && widget.limit > 0 {
			if err := widget.checkKey("session:" + p.SessionID); err != nil {
				return err
			}
		}
		if uploads.limit <= 0 {
			return nil
		}
		kind, id := p.Actor()
		return uploads.checkKey("upload:" + kind + ":" + id)
	}
}
