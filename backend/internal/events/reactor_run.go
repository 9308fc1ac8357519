package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// RunOptions tune a reactor's run loop; zero values take the defaults.
type RunOptions struct {
	// Workers bounds the workspaces drained at once (default 8). One
	// workspace's events are handled one at a time, in order; a slow
	// handler holds only its own workspace and one worker.
	Workers int
	// Sweep is how often the reactor looks, in one query, for workspaces
	// with events past its cursor that no wake-up announced (a wake-up lost
	// between replicas) (default 30 s). It also sweeps when it starts and
	// when this replica takes shards.
	Sweep time.Duration
	// Retry is how soon a workspace whose handler failed is tried again
	// (default 1 s).
	Retry time.Duration
}

func (o RunOptions) withDefaults() RunOptions {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Sweep <= 0 {
		o.Sweep = 30 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	return o
}

// Run reacts until ctx ends in the workspaces of the shards this replica
// holds (shards' own Run keeps them): at once when a workspace commits an
// event (on any replica: the hub's wake-ups name it), and in the sweeps,
// which find in one query the workspaces whose log is ahead of the cursor.
// A workspace without events costs nothing.
func (r *Reactor) Run(ctx context.Context, shards *Shards, opts RunOptions) error {
	opts = opts.withDefaults()
	var wakes <-chan struct{}
	var tap *Tap
	if r.hub != nil {
		tap = r.hub.Tap()
		defer tap.Close()
		wakes = tap.C
	}
	taken := shards.watch()
	defer shards.unwatch(taken)
	p := newPool(ctx, r, shards, opts.Workers)
	defer p.stop()
	sweep := time.NewTicker(opts.Sweep)
	defer sweep.Stop()
	retry := time.NewTicker(opts.Retry)
	defer retry.Stop()
	r.sweep(ctx, shards, p)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wakes:
			ids, overflow := tap.Take()
			if overflow {
				r.sweep(ctx, shards, p)
				continue
			}
			for _, ws := range ids {
				if shards.Holds(shards.Of(ws)) {
					p.submit(ws)
				}
			}
		case <-taken:
			r.sweep(ctx, shards, p)
		case <-sweep.C:
			r.sweep(ctx, shards, p)
		case <-retry.C:
			p.retry()
		}
	}
}

// sweep hands the pool the workspaces of held shards that have events past
// the reactor's cursor.
func (r *Reactor) sweep(ctx context.Context, shards *Shards, p *pool) {
	ids, err := r.behind(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("find workspaces with events", "err", err)
		}
		return
	}
	for _, ws := range ids {
		if shards.Holds(shards.Of(ws)) {
			p.submit(ws)
		}
	}
}

// behind lists, in one statement, the workspaces whose log is ahead of the
// reactor's cursor: for a gated reactor those with a cursor (where its
// feature is on); for an ungated one also those it has no cursor in yet
// (Drain starts one there, see startGrace).
func (r *Reactor) behind(ctx context.Context) ([]string, error) {
	var ids []string
	var err error
	if r.gated {
		err = r.db.SelectContext(ctx, &ids, `SELECT c.workspace_id FROM reactor_cursors c
			JOIN workspaces w ON w.id = c.workspace_id WHERE c.name = ? AND w.last_seq > c.seq`, r.name)
	} else {
		err = r.db.SelectContext(ctx, &ids, `SELECT w.id FROM workspaces w
			LEFT JOIN reactor_cursors c ON c.name = ? AND c.workspace_id = w.id WHERE w.last_seq > COALESCE(c.seq, 0)`, r.name)
	}
	if err != nil {
		return nil, fmt.Errorf("find workspaces behind: %w", err)
	}
	return ids, nil
}

// pool drains workspaces on a bounded number of workers, one drain per
// workspace at a time: a workspace handed in while it is being drained is
// drained again right after, so nothing committed meanwhile waits for the
// next wake-up.
type pool struct {
	ctx    context.Context
	r      *Reactor
	shards *Shards

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []string
	state  map[string]drainState
	failed map[string]struct{}
	done   bool
	wg     sync.WaitGroup
}

type drainState uint8

const (
	queued  drainState = iota + 1 // waiting for a worker
	running                       // being drained
	again                         // being drained, and handed in again since
)

func newPool(ctx context.Context, r *Reactor, shards *Shards, workers int) *pool {
	p := &pool{ctx: ctx, r: r, shards: shards, state: map[string]drainState{}, failed: map[string]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

// submit asks for a drain of the workspace.
func (p *pool) submit(ws string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state[ws] {
	case 0:
		p.state[ws] = queued
		p.queue = append(p.queue, ws)
		p.cond.Signal()
	case running:
		p.state[ws] = again
	}
}

// retry hands in again the workspaces whose drain failed.
func (p *pool) retry() {
	p.mu.Lock()
	ids := make([]string, 0, len(p.failed))
	for ws := range p.failed {
		ids = append(ids, ws)
	}
	clear(p.failed)
	p.mu.Unlock()
	for _, ws := range ids {
		p.submit(ws)
	}
}

// stop ends the workers once their drains return (their context is done).
func (p *pool) stop() {
	p.mu.Lock()
	p.done = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *pool) work() {
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.done {
			p.cond.Wait()
		}
		if p.done {
			p.mu.Unlock()
			return
		}
		ws := p.queue[0]
		p.queue[0] = ""
		p.queue = p.queue[1:]
		p.state[ws] = running
		p.mu.Unlock()

		err := p.drain(ws)

		p.mu.Lock()
		if err != nil {
			p.failed[ws] = struct{}{}
		}
		if p.state[ws] == again && err == nil {
			p.state[ws] = queued
			p.queue = append(p.queue, ws)
			p.cond.Signal()
		} else {
			delete(p.state, ws)
		}
		p.mu.Unlock()
	}
}

// drain drains the workspace while this replica holds its shard.
func (p *pool) drain(ws string) error {
	shard := p.shards.Of(ws)
	if !p.shards.enter(shard) {
		return nil // given up or lost since: its new holder drains it
	}
	defer p.shards.leave(shard)
	err := p.r.drain(p.ctx, ws, func() bool { return p.shards.Holds(shard) })
	switch {
	case err == nil, errors.Is(err, errShardLost):
		return nil
	case p.ctx.Err() != nil:
		return nil // stopping
	}
	p.r.logger.Warn("react", "workspace_id", ws, "err", err)
	return err
}
