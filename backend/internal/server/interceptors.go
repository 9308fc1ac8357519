package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"connectrpc.com/connect"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

type requestIDKey struct{}

// RequestID returns the id of the call ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID(header string) string {
	if validRequestID.MatchString(header) {
		return header
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID gives every HTTP request an id (the client's, when valid),
// in its context and on its response, before anything else can fail it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID(r.Header.Get(RequestIDHeader))
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// edgeInterceptor gives each call a request id and a default deadline, maps
// domain errors to Connect errors, and logs each call once, with the cause of
// any server fault (which the client never sees).
type edgeInterceptor struct {
	logger  *slog.Logger
	timeout time.Duration
}

// finish logs a call once. A failed call's line names who made it (as
// authentication found them, further in) and from which address, so that
// denials can be traced; denials log at warn.
func (i edgeInterceptor) finish(ctx context.Context, procedure string, start time.Time, caller func() *access.Principal, err error) error {
	id := RequestID(ctx)
	if err == nil {
		i.logger.DebugContext(ctx, "rpc", "procedure", procedure, "request_id", id, "duration", time.Since(start))
		return nil
	}
	ce, fault := apperr.ToConnect(err)
	level := slog.LevelInfo
	switch {
	case fault:
		level = slog.LevelError
	case ce.Code() == connect.CodePermissionDenied || ce.Code() == connect.CodeUnauthenticated:
		level = slog.LevelWarn
	}
	i.logger.Log(ctx, level, "rpc", "procedure", procedure, "request_id", id, "code", ce.Code().String(),
		"principal", access.Describe(caller()), "client_ip", access.ClientIP(ctx),
		"duration", time.Since(start), "error", err)
	return ce
}

func (i edgeInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, i.timeout)
			defer cancel()
		}
		ctx, caller := access.RecordCaller(ctx)
		resp, err := next(ctx, req)
		if err = i.finish(ctx, req.Spec().Procedure, start, caller, err); err != nil {
			return nil, err
		}
		return resp, nil
	}
}

func (i edgeInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i edgeInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		ctx, caller := access.RecordCaller(ctx)
		err := next(ctx, conn)
		return i.finish(ctx, conn.Spec().Procedure, start, caller, err)
	}
}

// tenantScope names the authorized workspace of a unary call to the store,
// which bounds one workspace's write transactions in flight on the replica
// (store.WithTenant): a workspace whose writes wait on a held lock cannot
// take every pooled connection from the others, and a visitor's writes
// count as anonymous (store.WithAnonymousTenant): a flood of them cannot
// queue ahead of the team's. It runs after authorization, which finds the
// workspace.
func tenantScope() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if s := access.ScopeFrom(ctx); s != nil && s.WorkspaceID != "" {
				if p := access.PrincipalFrom(ctx); p == nil || p.Kind == access.KindVisitor {
					ctx = store.WithAnonymousTenant(ctx, s.WorkspaceID)
				} else {
					ctx = store.WithTenant(ctx, s.WorkspaceID)
				}
			}
			return next(ctx, req)
		}
	})
}
