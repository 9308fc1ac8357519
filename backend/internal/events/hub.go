package events

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Ephemeral is an event that is never stored: typing indicators. It may be
// dropped under pressure.
type Ephemeral struct {
	WorkspaceID    string     `json:"workspace_id"`
	ConversationID string     `json:"conversation_id"`
	Type           Type       `json:"type"`
	ActorKind      string     `json:"actor_kind"`
	ActorID        string     `json:"actor_id"`
	ActorName      string     `json:"actor_name"`
	Typing         bool       `json:"typing"`
	Visibility     Visibility `json:"visibility"`
	CreatedAt      int64      `json:"created_at"`
}

// Broker carries wake-ups and ephemeral events to the other replicas.
type Broker interface {
	PublishWake(workspaceID string, seq int64)
	PublishEphemeral(e Ephemeral)
}

// Hub wakes this replica's stream readers: when a commit here or on another
// replica (through the Broker) advances a workspace's log, and, as a
// fallback for lost broker messages, when its poller sees the log head move.
// It carries no events itself: readers read the log.
type Hub struct {
	db   *store.DB
	poll time.Duration

	mu     sync.Mutex
	broker Broker
	subs   map[string]map[*Subscription]struct{}
	taps   map[*Tap]struct{} // reactors' taps: told of every workspace
	known  map[string]int64  // newest seq this hub has woken readers for
	// acked is the newest seq of a workspace whose commit is known to have
	// returned (here, on another replica, or in a reader's flush), hence
	// durable: readers pass on events up to it without a flush of their own
	// (see flusher). A durable event stays durable, so an entry outlives
	// the workspace's streams (its snapshot reads need it too); the map is
	// a cache, emptied when it reaches ackedCap workspaces.
	acked map[string]int64
}

// Subscription is one reader's wake-up line.
type Subscription struct {
	// Wake has a value when the workspace's log may have advanced.
	Wake <-chan struct{}
	// Ephemeral carries typing events; when the reader falls behind, new
	// ones are dropped.
	Ephemeral <-chan Ephemeral

	wake chan struct{}
	eph  chan Ephemeral
	hub  *Hub
	ws   string
}

// NewHub returns a hub that polls the log heads of watched workspaces every
// poll interval.
func NewHub(db *store.DB, poll time.Duration) *Hub {
	return &Hub{db: db, poll: poll, subs: map[string]map[*Subscription]struct{}{},
		known: map[string]int64{}, acked: map[string]int64{}}
}

// SetBroker connects the hub to the other replicas.
func (h *Hub) SetBroker(b Broker) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broker = b
}

// Subscribe starts waking the caller for the workspace. Subscribe before
// reading the log, so that no wake-up falls between the read and the wait.
func (h *Hub) Subscribe(workspaceID string) *Subscription {
	s := &Subscription{wake: make(chan struct{}, 1), eph: make(chan Ephemeral, 8), hub: h, ws: workspaceID}
	s.Wake, s.Ephemeral = s.wake, s.eph
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[workspaceID] == nil {
		h.subs[workspaceID] = map[*Subscription]struct{}{}
	}
	h.subs[workspaceID][s] = struct{}{}
	return s
}

// Close stops the subscription and closes its Wake channel.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s.ws][s]; !ok {
		return // closed before
	}
	close(s.wake)
	delete(h.subs[s.ws], s)
	if len(h.subs[s.ws]) == 0 {
		delete(h.subs, s.ws)
		delete(h.known, s.ws)
	}
}

// Notify is told of a local commit, once it has returned: it wakes local
// readers and the other replicas.
func (h *Hub) Notify(workspaceID string, seq int64) {
	h.Deliver(workspaceID, seq)
	h.mu.Lock()
	b := h.broker
	h.mu.Unlock()
	if b != nil {
		b.PublishWake(workspaceID, seq)
	}
}

// Deliver wakes the local readers of the workspace for a commit, up to
// seq, that has returned (here or on another replica).
func (h *Hub) Deliver(workspaceID string, seq int64) {
	h.wake(workspaceID, seq, true)
}

// wake wakes the local readers of the workspace, whose log reached seq; a
// commit that returned also moves the acknowledged seq.
func (h *Hub) wake(workspaceID string, seq int64, returned bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if returned {
		h.ackLocked(workspaceID, seq) // for later readers and snapshot reads, watched or not
	}
	for t := range h.taps {
		t.mark(workspaceID)
	}
	subs := h.subs[workspaceID]
	if len(subs) == 0 {
		return
	}
	if seq > h.known[workspaceID] {
		h.known[workspaceID] = seq
	}
	for s := range subs {
		select {
		case s.wake <- struct{}{}:
		default: // a wake-up is already pending; the reader reads everything new
		}
	}
}

// Woken returns the newest seq of the workspace the hub has woken its
// readers for (0 when none reads it): the read after a wake-up must reach it.
func (h *Hub) Woken(workspaceID string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.known[workspaceID]
}

// Acked returns the newest seq of the workspace known to be durable (0 when
// the hub knows none).
func (h *Hub) Acked(workspaceID string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acked[workspaceID]
}

// ackedCap bounds the workspaces Hub.acked remembers (about 64 bytes each).
const ackedCap = 1 << 16

// ack records that the workspace's log is durable up to seq (a reader's
// flush proved it).
func (h *Hub) ack(workspaceID string, seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ackLocked(workspaceID, seq)
}

func (h *Hub) ackLocked(workspaceID string, seq int64) {
	if seq <= h.acked[workspaceID] {
		return
	}
	if _, ok := h.acked[workspaceID]; !ok && len(h.acked) >= ackedCap {
		clear(h.acked) // forgetting costs only flushes
	}
	h.acked[workspaceID] = seq
}

// Publish sends an ephemeral event to local readers and other replicas.
func (h *Hub) Publish(e Ephemeral) {
	h.DeliverEphemeral(e)
	h.mu.Lock()
	b := h.broker
	h.mu.Unlock()
	if b != nil {
		b.PublishEphemeral(e)
	}
}

// DeliverEphemeral sends an ephemeral event to local readers.
func (h *Hub) DeliverEphemeral(e Ephemeral) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[e.WorkspaceID] {
		select {
		case s.eph <- e:
		default: // the reader is behind: typing indicators are expendable
		}
	}
}

// Run polls the log heads of watched workspaces until ctx ends, waking
// readers whose workspace advanced without a wake-up reaching them (a lost
// broker message, a broker outage). It bounds the delay of delivery across
// replicas by the poll interval whatever the broker does.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(h.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		h.mu.Lock()
		ids := make([]string, 0, len(h.subs))
		for ws := range h.subs {
			ids = append(ids, ws)
		}
		h.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		heads, err := h.heads(ctx, ids)
		if err != nil {
			continue // the database is away; readers retry on their own wake-ups
		}
		for ws, seq := range heads {
			h.mu.Lock()
			behind := seq > h.known[ws]
			h.mu.Unlock()
			if behind {
				// Read, not acknowledged: the commit may not be durable yet.
				h.wake(ws, seq, false)
			}
		}
	}
}

// heads reads the newest seq of each workspace.
func (h *Hub) heads(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		var rows []struct {
			ID   string `db:"id"`
			Last int64  `db:"last_seq"`
		}
		if err := h.db.SelectContext(ctx, &rows, `SELECT id, last_seq FROM workspaces WHERE id IN (`+store.Placeholders(len(chunk))+`)`, args...); err != nil {
			return nil, fmt.Errorf("read log heads: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r.Last
		}
	}
	return out, nil
}
