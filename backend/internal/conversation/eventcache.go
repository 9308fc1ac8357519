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
type eventCache struct {
	flight singleflight.Group

	mu    sync.Mutex
	byID  map[string]*convertedEvent
	order [eventCacheSize]string // a ring of ids; the oldest at next
	next  int
}

// convertedEvent is an event as streams use it; shared, never modified.
type convertedEvent struct {
	pl  Payload
	out *tandemv1.Event
}

// eventCacheSize bounds the cache to the events a wake-up sets off, not a
// log: at most 256 events (4 MB of the largest messages).
const eventCacheSize = 256

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
		ce := &convertedEvent{}
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
	if old := c.order[c.next]; old != "" {
		delete(c.byID, old)
	}
	c.byID[id] = ce
	c.order[c.next] = id
	c.next = (c.next + 1) % eventCacheSize
}
