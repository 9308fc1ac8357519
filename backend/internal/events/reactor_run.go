package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// RunOptions tune a reactor's run loop; zero values take the defaults.
type RunOptions struct {
	// Workers bounds the workspaces drained at once (default 8). One
	// workspace's events are handled one at a time, in order; a slow
	// handler holds only its own workspace and one worker.
	Workers int
	// Sweep is how often the reactor looks for events that no wake-up
	// announced (one lost between replicas) (default 5 s): one query over
	// the events committed since the previous sweep (and sweepMargin
	// before it), through the events' created_at index, so its cost
	// follows the events, not the workspaces.
	Sweep time.Duration
	// FullSweep is how often the reactor compares every workspace's log
	// head with its cursor, in one query whose cost grows with the number
	// of workspaces (default 10 min). It also does when it starts and when
	// this replica takes shards: what happened before it held them.
	FullSweep time.Duration
	// Retry is how soon a workspace whose handler failed is tried again
	// (default 1 s).
	Retry time.Duration
}

// sweepMargin is how far before the previous sweep a sweep looks: an
// event's created_at is taken inside its transaction, which may commit
// (and become visible) a little later.
const sweepMargin = 30 * time.Second

func (o RunOptions) withDefaults() RunOptions {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Sweep <= 0 {
		o.Sweep = 5 * time.Second
	}
	if o.FullSweep <= 0 {
		o.FullSweep = 10 * time.Minute
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
	full := time.NewTicker(opts.FullSweep)
	defer full.Stop()
	retry := time.NewTicker(opts.Retry)
	defer retry.Stop()
	// since is where the next sweep starts looking: before the previous
	// one began, by the margin.
	var since time.Time
	sweepFrom := func(from time.Time) {
		start := r.now()
		if r.sweep(ctx, shards, p, from) {
			since = start.Add(-sweepMargin)
		}
	}
	sweepFrom(time.Time{})
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wakes:
			ids, overflow := tap.Take()
			if overflow {
				sweepFrom(since)
				continue
			}
			for _, ws := range ids {
				if shards.Holds(shards.Of(ws)) {
					p.submit(ws)
				}
			}
		case <-taken:
			sweepFrom(time.Time{})
		case <-full.C:
			sweepFrom(time.Time{})
		case <-sweep.C:
			sweepFrom(since)
		case <-retry.C:
			p.retry()
		}
	}
}

// sweep hands the pool the workspaces of held shards that have events past
// the reactor's cursor, among those with events since from (all of them
// for a zero from). It reports whether it could look.
func (r *Reactor) sweep(ctx context.Context, shards *Shards, p *pool, from time.Time) bool {
	ids, err := r.due(ctx, shards, from)
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("find workspaces with events", "err", err)
		}
		return false
	}
	for _, ws := range ids {
		p.submit(ws)
	}
	return true
}

// due lists the workspaces of held shards with events past the reactor's
// cursor, among those with events since from (all for a zero from). An
// ungated reactor meeting workspaces for the first time starts their
// cursors in bulk first, where their logs are quiet (see startCursors).
func (r *Reactor) due(ctx context.Context, shards *Shards, from time.Time) ([]string, error) {
	rows, err := r.behind(ctx, from)
	if err != nil {
		return nil, err
	}
	var ids, fresh []string
	for _, row := range rows {
		switch {
		case !shards.Holds(shards.Of(row.ID)):
		case row.Seq < 0:
			fresh = append(fresh, row.ID)
		default:
			ids = append(ids, row.ID)
		}
	}
	for len(fresh) > 0 {
		chunk := fresh[:min(len(fresh), 500)]
		fresh = fresh[len(chunk):]
		still, err := r.startCursors(ctx, chunk)
		if err != nil {
			return nil, err
		}
		ids = append(ids, still...)
	}
	return ids, nil
}

// behindRow is a workspace whose log is ahead of the reactor's cursor, and
// the cursor (-1: none yet).
type behindRow struct {
	ID  string `db:"id"`
	Seq int64  `db:"seq"`
}

// behind lists, in one statement, the workspaces whose log is ahead of the
// reactor's cursor: for a gated reactor those with a cursor (where its
// feature is on); for an ungated one also those it has no cursor in yet.
// With a from time it looks only at the workspaces with events created
// since (through the events' created_at index); with a zero one at every
// workspace.
func (r *Reactor) behind(ctx context.Context, from time.Time) ([]behindRow, error) {
	q := `SELECT w.id, COALESCE(c.seq, -1) AS seq FROM workspaces w LEFT JOIN reactor_cursors c ON c.name = ? AND c.workspace_id = w.id
		WHERE w.last_seq > COALESCE(c.seq, 0)`
	if r.gated {
		q = `SELECT w.id, c.seq FROM workspaces w JOIN reactor_cursors c ON c.name = ? AND c.workspace_id = w.id
		WHERE w.last_seq > c.seq`
	}
	args := []any{r.name}
	if !from.IsZero() {
		q += ` AND w.id IN (SELECT e.workspace_id FROM events e WHERE e.created_at >= ?)`
		args = append(args, store.NowMillis(from))
	}
	var rows []behindRow
	if err := r.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("find workspaces behind: %w", err)
	}
	return rows, nil
}

// startCursors starts, in one statement, the cursors of an ungated reactor
// in workspaces it never saw whose logs had no event in the last
// startGrace: at their heads, where Drain would start them one by one (see
// cursor). It returns those of ids still behind (their logs are not quiet:
// Drain starts them).
func (r *Reactor) startCursors(ctx context.Context, ids []string) ([]string, error) {
	in := store.Placeholders(len(ids))
	args := make([]any, 0, len(ids)+2)
	args = append(args, r.name)
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, store.NowMillis(r.now().Add(-startGrace)))
	if _, err := r.db.ExecContext(ctx, r.db.Dialect.InsertIgnore()+` INTO reactor_cursors (name, workspace_id, seq, lease_owner, lease_until)
		SELECT ?, w.id, w.last_seq, '', 0 FROM workspaces w WHERE w.id IN (`+in+`)
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = w.id AND e.created_at >= ?)`, args...); err != nil {
		return nil, fmt.Errorf("start cursors: %w", err)
	}
	var still []string
	if err := r.db.SelectContext(ctx, &still, `SELECT w.id FROM workspaces w LEFT JOIN reactor_cursors c ON c.name = ? AND c.workspace_id = w.id
		WHERE w.id IN (`+in+`) AND w.last_seq > COALESCE(c.seq, 0)`, args[:len(args)-1]...); err != nil {
		return nil, fmt.Errorf("find workspaces behind: %w", err)
	}
	return still, nil
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
	// The workspace's writes here share its turns with its calls' (store's
	// tenant share): a workspace whose row is held keeps its reactions'
	// connections in its own share too.
	err := p.r.drain(store.WithTenant(p.ctx, ws), ws, func() bool { return p.shards.Holds(shard) })
	switch {
	case err == nil, errors.Is(err, errShardLost):
		return nil
	case p.ctx.Err() != nil:
		return nil // stopping
	}
	p.r.logger.Warn("react", "workspace_id", ws, "err", err)
	return err
}
