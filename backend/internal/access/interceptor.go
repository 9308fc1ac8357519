package access

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// AuthFunc turns a bearer credential into a principal, or fails with an
// apperr of kind Unauthenticated.
type AuthFunc func(ctx context.Context, secret string) (*Principal, error)

// ErrUnauthenticated is the answer to a call that needs credentials and has
// none or a bad one.
var ErrUnauthenticated = apperr.New(apperr.Unauthenticated, "sign in first: send a valid credential as 'Authorization: Bearer <token>'")

// Authenticator turns an Authorization header into a principal, choosing
// the AuthFunc by the credential's prefix.
type Authenticator map[string]AuthFunc

// Authenticate returns the principal of a "Bearer <secret>" header: nil for
// an empty header (an anonymous caller), an Unauthenticated error for a bad
// credential.
func (a Authenticator) Authenticate(ctx context.Context, header string) (*Principal, error) {
	if header == "" {
		return nil, nil
	}
	secret, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || secret == "" {
		return nil, ErrUnauthenticated
	}
	for prefix, fn := range a {
		if strings.HasPrefix(secret, prefix) {
			return fn(ctx, secret)
		}
	}
	return nil, ErrUnauthenticated
}

// NewAuthnInterceptor authenticates the credential of each call, if any: a
// bearer token, or a browser's session cookie with its CSRF token. A call without a credential proceeds anonymously (the authz
// interceptor decides whether that is allowed); a call with a bad one fails
// at once.
func NewAuthnInterceptor(a Authenticator) connect.Interceptor {
	authenticate := func(ctx context.Context, header http.Header) (context.Context, error) {
		p, err := a.AuthenticateRequest(ctx, header)
		if err != nil || p == nil {
			return ctx, err
		}
		return WithPrincipal(ctx, p), nil
	}
	return &authnInterceptor{authenticate: authenticate}
}

type authnInterceptor struct {
	authenticate func(ctx context.Context, header http.Header) (context.Context, error)
}

func (i *authnInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authenticate(ctx, req.Header())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (i *authnInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *authnInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.authenticate(ctx, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// RuleOf returns the authorization rule a procedure declares, or nil.
func RuleOf(md protoreflect.MethodDescriptor) *tandemv1.AuthzRule {
	if md == nil {
		return nil
	}
	rule, _ := proto.GetExtension(md.Options(), tandemv1.E_Authz).(*tandemv1.AuthzRule)
	if rule == nil || rule.GetAccess() == tandemv1.Access_ACCESS_UNSPECIFIED {
		return nil
	}
	return rule
}

// NewAuthzInterceptor enforces each procedure's declared AuthzRule before
// its handler runs. A procedure without a rule is refused: new RPCs cannot
// ship unguarded. Handlers of non-public procedures therefore always see a
// principal, and workspace-scoped handlers always see a Scope.
func NewAuthzInterceptor(a *Authorizer) connect.Interceptor {
	return &authzInterceptor{authorizer: a}
}

type authzInterceptor struct {
	authorizer *Authorizer
	rules      sync.Map // procedure -> *tandemv1.AuthzRule
}

func (i *authzInterceptor) rule(spec connect.Spec) (*tandemv1.AuthzRule, error) {
	if r, ok := i.rules.Load(spec.Procedure); ok {
		return r.(*tandemv1.AuthzRule), nil
	}
	md, _ := spec.Schema.(protoreflect.MethodDescriptor)
	rule := RuleOf(md)
	if rule == nil {
		return nil, apperr.Wrap(apperr.PermissionDenied, "this procedure is not available",
			fmt.Errorf("procedure %s declares no authz rule", spec.Procedure))
	}
	i.rules.Store(spec.Procedure, rule)
	return rule, nil
}

// check authorizes one request message and returns the workspace scope for
// workspace-scoped rules.
func (i *authzInterceptor) check(ctx context.Context, rule *tandemv1.AuthzRule, msg any) (*Scope, error) {
	p := PrincipalFrom(ctx)
	switch rule.GetAccess() {
	case tandemv1.Access_ACCESS_PUBLIC:
		return nil, nil
	case tandemv1.Access_ACCESS_USER:
		if p == nil || p.Kind != KindUser {
			return nil, ErrUnauthenticated
		}
		return nil, nil
	case tandemv1.Access_ACCESS_PRINCIPAL:
		if p == nil || p.Kind == KindVisitor {
			return nil, ErrUnauthenticated
		}
		return nil, nil
	case tandemv1.Access_ACCESS_VISITOR:
		if p == nil || p.Kind != KindVisitor {
			return nil, ErrUnauthenticated
		}
		if rule.GetResource() != "" {
			id, err := idField(msg, rule.GetIdField())
			if err != nil {
				return nil, err
			}
			if err := i.authorizer.AuthorizeVisitor(ctx, p, rule.GetResource(), id); err != nil {
				return nil, err
			}
		}
		return &Scope{WorkspaceID: p.WorkspaceID}, nil
	case tandemv1.Access_ACCESS_WORKSPACE:
		if p == nil || p.Kind == KindVisitor {
			return nil, ErrUnauthenticated
		}
		id, err := idField(msg, rule.GetIdField())
		if err != nil {
			return nil, err
		}
		return i.authorizer.Authorize(ctx, p, rule.GetResource(), id, rule.GetAction())
	}
	return nil, apperr.New(apperr.PermissionDenied, "this procedure is not available")
}

func idField(msg any, name string) (string, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return "", fmt.Errorf("request is %T, not a proto message", msg)
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return "", fmt.Errorf("authz rule names id field %q, which %s lacks", name, r.Descriptor().FullName())
	}
	id := r.Get(fd).String()
	if id == "" {
		return "", apperr.Invalid(name, "is required")
	}
	return id, nil
}

func (i *authzInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		rule, err := i.rule(req.Spec())
		if err != nil {
			return nil, err
		}
		scope, err := i.check(ctx, rule, req.Any())
		if err != nil {
			return nil, err
		}
		return next(WithScope(ctx, scope), req)
	}
}

func (i *authzInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *authzInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		rule, err := i.rule(conn.Spec())
		if err != nil {
			return err
		}
		if conn.Spec().StreamType != connect.StreamTypeServer {
			return apperr.New(apperr.PermissionDenied, "client streams are not served")
		}
		// A server stream's request arrives with the first Receive, after the
		// handler got its context; the holder carries the scope across.
		holder := &scopeHolder{}
		ctx = context.WithValue(ctx, scopeKey{}, holder)
		return next(ctx, &authzConn{StreamingHandlerConn: conn, check: func(msg any) error {
			scope, err := i.check(ctx, rule, msg)
			holder.scope = scope
			return err
		}})
	}
}

type authzConn struct {
	connect.StreamingHandlerConn
	check   func(msg any) error
	checked bool
}

func (c *authzConn) Receive(msg any) error {
	if err := c.StreamingHandlerConn.Receive(msg); err != nil {
		return err
	}
	if c.checked {
		return errors.New("server stream sent a second request")
	}
	c.checked = true
	return c.check(msg)
}
