package store

import (
	"context"
	"sync"
)

// Every write of a workspace appends an event under a lock on the
// workspace's row, so its write transactions run one after another in the
// database whatever their number. More of them in flight than a few gains
// nothing and holds pooled connections while they wait: a workspace whose
// row is held (a long transaction, an operator's console, a stalled
// client) would take the whole pool from every other workspace on the
// replica. So a replica runs at most a quarter of its pool's connections
// in write transactions of one workspace (the tenant in the context,
// WithTenant); the rest wait their turn, outside the pool, within their
// deadline. Transactions without a tenant (reactors, sweeps) are not
// counted.
//
// Callers without an account (widget visitors, new widget sessions:
// WithAnonymousTenant) take those turns too, but no more than a quarter of
// them at once: a flood of anonymous writes that a workspace's budgets let
// through waits in a queue of its own, and the team's writes queue behind
// at most those few.

type tenantKey struct{}

// tenant is the workspace a context's transactions are counted against,
// and whether its caller is anonymous.
type tenant struct {
	id        string
	anonymous bool
}

// WithTenant names the workspace whose transactions ctx runs.
func WithTenant(ctx context.Context, workspaceID string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant{id: workspaceID})
}

// WithAnonymousTenant is WithTenant for a caller without an account: a
// widget visitor, or a widget session being started.
func WithAnonymousTenant(ctx context.Context, workspaceID string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant{id: workspaceID, anonymous: true})
}

// tenantGate counts one replica's write transactions per workspace. Only
// workspaces with a transaction in flight or waiting have an entry: the
// idle ones cost nothing.
type tenantGate struct {
	per, anonymous int
	mu             sync.Mutex
	in             map[string]*tenantSlots
}

// tenantSlots is a workspace's turns: a token in slots is a transaction in
// flight, one in anonymous an anonymous caller's in flight or waiting for
// a slot; users counts those in flight and waiting.
type tenantSlots struct {
	slots, anonymous chan struct{}
	users            int
}

func newTenantGate(per int) *tenantGate {
	per = max(per, 1)
	return &tenantGate{per: per, anonymous: max(per/4, 1), in: map[string]*tenantSlots{}}
}

// enter waits for a turn of ctx's tenant, if it has one, and returns the
// function that gives it back; it fails with ctx's error if the wait
// outlasts ctx.
func (g *tenantGate) enter(ctx context.Context) (leave func(), err error) {
	t, _ := ctx.Value(tenantKey{}).(tenant)
	if g == nil || t.id == "" {
		return func() {}, nil
	}
	id := t.id
	g.mu.Lock()
	s := g.in[id]
	if s == nil {
		s = &tenantSlots{slots: make(chan struct{}, g.per), anonymous: make(chan struct{}, g.anonymous)}
		g.in[id] = s
	}
	s.users++
	g.mu.Unlock()
	if t.anonymous {
		select {
		case s.anonymous <- struct{}{}:
		case <-ctx.Done():
			g.done(id, s)
			return nil, ctx.Err()
		}
	}
	release := func() {
		if t.anonymous {
			<-s.anonymous
		}
		g.done(id, s)
	}
	select {
	case s.slots <- struct{}{}:
		return func() {
			<-s.slots
			release()
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// done forgets a user of the tenant's slots, and the slots with the last.
func (g *tenantGate) done(id string, s *tenantSlots) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(g.in, id)
	}
}

// tenants reports how many workspaces have a transaction in flight or
// waiting (the tests check that idle ones are forgotten).
func (g *tenantGate) tenants() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.in)
}
