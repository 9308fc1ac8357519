package events

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Shards divides the workspaces among the replicas that run reactors: a
// workspace belongs to one of a fixed number of shards (FNV-1a of its id),
// and each shard is leased in reactor_shards to one replica at a time. The
// replicas running a group of shards announce themselves in
// reactor_replicas; each aims at an equal share, takes shards that are free
// or whose lease ran out, and gives back (between drains) what it holds
// beyond its share. A replica that dies stops renewing: within the lease
// its shards are free to the others.
//
// Every round costs the same few statements however many workspaces or
// shards there are: one renewal of the replica, one of all its shards, one
// read of each table; taking or giving back a shard is one more each, only
// when the division changes.
//
// The server's reactors share one Shards, so a replica holds a workspace
// for all of them at once: the AI agent's reactor, settling the rules
// before it answers, drains the rules' reactor in a workspace this replica
// holds for both.
type Shards struct {
	db      *store.DB
	name    string
	replica string
	count   int
	lease   time.Duration
	renew   time.Duration
	logger  *slog.Logger
	now     func() time.Time
	// release gives the shards back when Run ends (a graceful stop); a
	// crashed replica's shards wait for their lease to run out.
	release bool

	mu       sync.Mutex
	held     map[int]time.Time // shard -> until when this replica may act in it
	inflight map[int]int       // shard -> drains running in it
	watchers map[chan struct{}]struct{}
}

// ShardOptions tune Shards; zero values take the defaults.
type ShardOptions struct {
	// Count is the number of shards (default 64). Every replica of a
	// group must use the same.
	Count int
	// Lease is how long a replica holds a shard without renewing it
	// (default 10 s): the longest a dead replica's workspaces wait.
	Lease time.Duration
	// Renew is how often the leases are renewed and the division looked
	// at (default a fifth of the lease).
	Renew time.Duration
	// Replica names this replica (default a fresh UUID).
	Replica string
}

// DefaultShards is the number of shards when ShardOptions.Count is 0.
const DefaultShards = 64

// NewShards returns the shards of the group name (the server's reactors
// use one group) as this replica sees them; Run takes and keeps its share.
func NewShards(db *store.DB, name string, logger *slog.Logger, opts ShardOptions) *Shards {
	if opts.Count <= 0 {
		opts.Count = DefaultShards
	}
	if opts.Lease <= 0 {
		opts.Lease = 10 * time.Second
	}
	if opts.Renew <= 0 {
		opts.Renew = opts.Lease / 5
	}
	if opts.Replica == "" {
		opts.Replica = uuid.NewString()
	}
	return &Shards{db: db, name: name, replica: opts.Replica, count: opts.Count, lease: opts.Lease, renew: opts.Renew,
		logger: logger.With("shards", name, "replica", opts.Replica), now: time.Now, release: true,
		held: map[int]time.Time{}, inflight: map[int]int{}, watchers: map[chan struct{}]struct{}{}}
}

// Of returns the shard of a workspace.
func (s *Shards) Of(workspaceID string) int { return stripe(workspaceID, s.count) }

// Holds reports whether this replica holds the shard now.
func (s *Shards) Holds(shard int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validLocked(shard)
}

// Held lists the shards this replica holds now, in order.
func (s *Shards) Held() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for shard := range s.held {
		if s.validLocked(shard) {
			out = append(out, shard)
		}
	}
	slices.Sort(out)
	return out
}

// validLocked: the lease is held with a margin to spare, so that this
// replica stops acting in a shard before another may take it (a tenth of
// the lease, for clocks that differ a little and a statement in flight).
func (s *Shards) validLocked(shard int) bool {
	until, ok := s.held[shard]
	return ok && s.now().Add(s.lease/10).Before(until)
}

// enter marks a drain running in the shard, if this replica holds it: a
// shard is never given back with a drain running in it.
func (s *Shards) enter(shard int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.validLocked(shard) {
		return false
	}
	s.inflight[shard]++
	return true
}

func (s *Shards) leave(shard int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[shard]--; s.inflight[shard] <= 0 {
		delete(s.inflight, shard)
	}
}

// watch returns a channel that has a value whenever this replica takes
// shards (its reactors then look for work in them).
func (s *Shards) watch() chan struct{} {
	c := make(chan struct{}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers[c] = struct{}{}
	return c
}

func (s *Shards) unwatch(c chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, c)
}

// Run keeps this replica's share of the shards until ctx ends, renewing
// the leases every Renew interval. On a graceful stop it gives them back,
// so the other replicas take them at once.
func (s *Shards) Run(ctx context.Context) error {
	if err := s.ensure(ctx); err != nil && ctx.Err() == nil {
		s.logger.Warn("create shards", "err", err)
	}
	t := time.NewTicker(s.renew)
	defer t.Stop()
	for {
		if err := s.tick(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("renew shard leases", "err", err)
		}
		select {
		case <-ctx.Done():
			if s.release {
				s.giveBack(context.WithoutCancel(ctx))
			}
			return nil
		case <-t.C:
		}
	}
}

// ensure creates the shards' rows, once for all replicas.
func (s *Shards) ensure(ctx context.Context) error {
	rows := make([]string, s.count)
	args := make([]any, 0, 2*s.count)
	for i := range rows {
		rows[i] = "(?, ?, '', 0)"
		args = append(args, s.name, i)
	}
	_, err := s.db.ExecContext(ctx, s.db.Dialect.InsertIgnore()+` INTO reactor_shards (name, shard, owner, lease_until) VALUES `+
		strings.Join(rows, ", "), args...)
	return err
}

// shardRow is one row of reactor_shards.
type shardRow struct {
	Shard int    `db:"shard"`
	Owner string `db:"owner"`
	Until int64  `db:"lease_until"`
}

// tick is one round: renew this replica and its shards, then take or give
// back shards towards an equal share.
func (s *Shards) tick(ctx context.Context) error {
	start := s.now()
	now := store.NowMillis(start)
	until := now + s.lease.Milliseconds()
	if err := s.announce(ctx, now, until); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE reactor_shards SET lease_until = ? WHERE name = ? AND owner = ?`,
		until, s.name, s.replica); err != nil {
		return fmt.Errorf("renew shards: %w", err)
	}
	var live int
	if err := s.db.GetContext(ctx, &live, `SELECT COUNT(*) FROM reactor_replicas WHERE name = ? AND seen_until >= ?`,
		s.name, now); err != nil {
		return fmt.Errorf("count replicas: %w", err)
	}
	var rows []shardRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT shard, owner, lease_until FROM reactor_shards WHERE name = ? ORDER BY shard`, s.name); err != nil {
		return fmt.Errorf("read shards: %w", err)
	}
	var mine, free []int
	for _, r := range rows {
		switch {
		case r.Shard >= s.count:
		case r.Owner == s.replica && r.Until >= until:
			mine = append(mine, r.Shard) // renewed just now
		case r.Owner == "" || r.Until < now:
			free = append(free, r.Shard)
		}
	}
	share := (s.count + max(live, 1) - 1) / max(live, 1)
	// Replicas start taking at different shards, so that two taking at
	// once mostly take different ones.
	off := stripe(s.replica, s.count)
	slices.SortFunc(free, func(a, b int) int { return (a-off+s.count)%s.count - (b-off+s.count)%s.count })
	var taken []int
	for _, shard := range free {
		if len(mine)+len(taken) >= share {
			break
		}
		res, err := s.db.ExecContext(ctx, `UPDATE reactor_shards SET owner = ?, lease_until = ?
			WHERE name = ? AND shard = ? AND (owner = '' OR lease_until < ?)`, s.replica, until, s.name, shard, now)
		if err != nil {
			return fmt.Errorf("take shard %d: %w", shard, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			taken = append(taken, shard)
		}
	}
	s.mu.Lock()
	clear(s.held)
	for _, shard := range append(mine, taken...) {
		s.held[shard] = start.Add(s.lease)
	}
	// Give back what is beyond the share, between drains: the shard stops
	// being held here before its row is freed.
	var back []int
	for i := len(mine) - 1; i >= 0 && len(mine)-len(back) > share; i-- {
		if shard := mine[i]; s.inflight[shard] == 0 {
			delete(s.held, shard)
			back = append(back, shard)
		}
	}
	if len(taken) > 0 {
		for c := range s.watchers {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
	s.mu.Unlock()
	for _, shard := range back {
		if _, err := s.db.ExecContext(ctx, `UPDATE reactor_shards SET owner = '', lease_until = 0 WHERE name = ? AND shard = ? AND owner = ?`,
			s.name, shard, s.replica); err != nil {
			return fmt.Errorf("give back shard %d: %w", shard, err)
		}
	}
	if len(taken) > 0 || len(back) > 0 {
		s.logger.Info("shards divided", "took", len(taken), "gave_back", len(back), "held", len(mine)+len(taken)-len(back), "replicas", live)
	}
	return nil
}

// announce renews this replica's place among the replicas (making it the
// first time), and forgets replicas long gone.
func (s *Shards) announce(ctx context.Context, now, until int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE reactor_replicas SET seen_until = ? WHERE name = ? AND replica = ?`, until, s.name, s.replica)
	if err != nil {
		return fmt.Errorf("renew replica: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	// New here (or renewed to the same millisecond, which cannot be on a
	// later round): join, and clear out replicas gone for a day.
	if _, err := s.db.ExecContext(ctx, s.db.Dialect.InsertIgnore()+` INTO reactor_replicas (name, replica, seen_until) VALUES (?, ?, ?)`,
		s.name, s.replica, until); err != nil {
		return fmt.Errorf("join replicas: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reactor_replicas WHERE name = ? AND seen_until < ?`,
		s.name, now-24*time.Hour.Milliseconds()); err != nil {
		return fmt.Errorf("forget replicas: %w", err)
	}
	return nil
}

// giveBack frees every shard this replica holds and leaves the replicas,
// once the drains running here have ended (or a few seconds have passed).
func (s *Shards) giveBack(ctx context.Context) {
	s.mu.Lock()
	clear(s.held) // no drain starts from now on
	s.mu.Unlock()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		s.mu.Lock()
		busy := len(s.inflight) > 0
		s.mu.Unlock()
		if !busy {
			break
		}
		time.Sleep(10 * time.Millisecond) // shutdown only: drains end on their own cancelled contexts
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `UPDATE reactor_shards SET owner = '', lease_until = 0 WHERE name = ? AND owner = ?`,
		s.name, s.replica); err != nil {
		s.logger.Warn("give back shards", "err", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reactor_replicas WHERE name = ? AND replica = ?`, s.name, s.replica); err != nil {
		s.logger.Warn("leave replicas", "err", err)
	}
}
