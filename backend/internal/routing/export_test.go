package routing

import (
	"context"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Sweep is Run's search for due work, one pass at a time.
type Sweep struct{ w *sweep }

// NewSweep returns the search over the workspaces of the shards this
// replica holds (all when shards is nil).
func NewSweep(db *store.DB, shards *events.Shards) *Sweep { return &Sweep{newSweep(db, shards)} }

// Due lists the workspaces due at now, each taken as routed at once.
func (s *Sweep) Due(ctx context.Context, now time.Time) ([]string, error) {
	due, err := s.w.due(ctx, now)
	ids := make([]string, len(due))
	for i, d := range due {
		ids[i] = d.workspaceID
		s.w.done(d, now)
	}
	return ids, err
}
