package conversation

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// eventCache converts each logged event once for all of this replica's
// Watch streams: its decoded payload and its proto (with the contact of its
// conversation) are the same for every watcher; only whether a watcher may
// see it differs. A commit wakes every stream of the workspace at once, so
// without it each stream would decode the payload and query the contact
// itself. Concurrent first uses share one conversion; failures are not
// kept.
//
// It keeps the newest conversions up to a budget in bytes: enough for the
// events a resume storm reads back across many workspaces at once, whose
// streams would otherwise convert (and query the contact of) the same
// events again and again (tandembench S6).
type eventCache struct {
	flight singleflight.Group

	mu    sync.Mutex
	byID  map[string]*convertedEvent
	fifo  []string // ids, oldest first
	bytes int
}

// convertedEvent is an event as streams use it; shared, never modified.
type convertedEvent struct {
	pl   Payload
	out  *tandemv1.Event
	size int // what it holds, roughly: the payload twice (decoded and as proto)
}

// The cache's budget: 8 MiB, and at most 16k events.
const (
	eventCacheBytes  = 8 << 20
	eventCacheEvents = 16 << 10
)

func newEventCache() *eventCache { return &eventCache{byID: map[string]*convertedEvent{}} }

// get returns the event converted, converting it on first use.
func (c *eventCache) get(ctx context.Context, h *Handler, ev *events.Event) (*convertedEvent, error) {
	c.mu.Lock()
	got, ok := c.byID[ev.ID]
	c.mu.Unlock()
	if ok {
		return got, nil
	}
	v, err, _ := c.flight.Do(ev.ID, func() (any, error) {
		ce := &convertedEvent{size: 2*len(ev.Payload) + 512}
		// Every event's payload decodes as a Payload: conversation events
		// fill its conversation fields, membership events its ids.
		if err := json.Unmarshal(ev.Payload, &ce.pl); err != nil {
			return nil, err
		}
		// Not the first stream's context: its end must not fail the others.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		out, err := h.eventToProto(ctx, ev, &ce.pl, map[string]*tandemv1.Contact{})
		if err != nil {
			return nil, err
		}
		ce.out = out
		c.put(ev.ID, ce)
		return ce, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*convertedEvent), nil
}

func (c *eventCache) put(id string, ce *convertedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = ce
	c.fifo = append(c.fifo, id)
	c.bytes += ce.size
	for c.bytes > eventCacheBytes || len(c.fifo) > eventCacheEvents {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		c.bytes -= c.byID[old].size
		delete(c.byID, old)
	}
}
