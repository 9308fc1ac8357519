package events

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Pruner deletes events older than the retention. A workspace's pruned_seq
// is raised before its events are deleted, so a reader that finds a gap can
// always tell it was pruning and ask for a resync.
type Pruner struct {
	db        *store.DB
	retention time.Duration
	now       func() time.Time
}

// NewPruner returns a pruner keeping events for retention.
func NewPruner(db *store.DB, retention time.Duration, now func() time.Time) *Pruner {
	if now == nil {
		now = time.Now
	}
	return &Pruner{db: db, retention: retention, now: now}
}

// Prune deletes the events older than the retention and returns how many.
func (p *Pruner) Prune(ctx context.Context) (int64, error) {
	cutoff := store.NowMillis(p.now().Add(-p.retention))
	var rows []struct {
		WorkspaceID string `db:"workspace_id"`
		Seq         int64  `db:"seq"`
	}
	if err := p.db.SelectContext(ctx, &rows, `SELECT workspace_id, MAX(seq) AS seq FROM events
		WHERE created_at < ? GROUP BY workspace_id`, cutoff); err != nil {
		return 0, fmt.Errorf("find old events: %w", err)
	}
	var total int64
	for _, r := range rows {
		if _, err := p.exec(ctx, `UPDATE workspaces SET pruned_seq = ? WHERE id = ? AND pruned_seq < ?`,
			r.Seq, r.WorkspaceID, r.Seq); err != nil {
			return total, fmt.Errorf("mark pruned: %w", err)
		}
		var lowest int64
		if err := p.db.GetContext(ctx, &lowest, `SELECT COALESCE(MIN(seq), 0) FROM events WHERE workspace_id = ?`, r.WorkspaceID); err != nil {
			return total, fmt.Errorf("find oldest event: %w", err)
		}
		// In ranges of seqs, so that no statement holds its locks for long.
		for upTo := lowest + 1000; ; upTo += 1000 {
			n, err := p.exec(ctx, `DELETE FROM events WHERE workspace_id = ? AND seq <= ?`,
				r.WorkspaceID, min(upTo, r.Seq))
			if err != nil {
				return total, fmt.Errorf("delete old events: %w", err)
			}
			total += n
			if upTo >= r.Seq {
				break
			}
		}
	}
	return total, nil
}

// exec runs one statement in its own transaction, retried like every write
// (store.DB.InTx): the pruner's writes race the workspace's own, and lose
// deadlocks to them on MySQL. It returns the rows affected.
func (p *Pruner) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := p.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
