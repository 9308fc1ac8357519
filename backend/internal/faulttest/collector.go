package faulttest

import (
	"fmt"
	"sync"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
)

// Collector gathers the message.created events one logical watcher receives
// across its streams (it resumes on other replicas with its cursor), and
// checks the stream contract: every message once, in log order.
type Collector struct {
	mu     sync.Mutex
	bodies []string
	seen   map[string]int // body -> deliveries
	at     map[string]time.Time
	last   int64
	// Disorder counts events whose seq did not exceed the one before.
	disorder int
	notify   chan struct{}
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{seen: map[string]int{}, at: map[string]time.Time{}, notify: make(chan struct{}, 1)}
}

// OnMsg is an OpenStream callback.
func (c *Collector) OnMsg(m *tandemv1.WatchResponse, at time.Time) {
	ev := m.GetEvent()
	if ev == nil || ev.GetSeq() == 0 {
		return
	}
	c.mu.Lock()
	if ev.GetSeq() <= c.last {
		c.disorder++
	}
	c.last = ev.GetSeq()
	if ev.GetType() == string(events.MessageCreated) {
		body := ev.GetMessage().GetBody()
		c.bodies = append(c.bodies, body)
		c.seen[body]++
		if _, ok := c.at[body]; !ok {
			c.at[body] = at
		}
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// Has reports whether body was delivered, and when first.
func (c *Collector) Has(body string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.at[body]
	return at, ok
}

// WaitFor waits until every body was delivered or timeout passes; it
// returns those still missing.
func (c *Collector) WaitFor(bodies []string, timeout time.Duration) []string {
	deadline := time.After(timeout)
	for {
		var missing []string
		c.mu.Lock()
		for _, b := range bodies {
			if c.seen[b] == 0 {
				missing = append(missing, b)
			}
		}
		c.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-c.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return missing
		}
	}
}

// Check returns an error describing duplicates and disorder, if any.
func (c *Collector) Check() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var dups []string
	for b, n := range c.seen {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s x%d", b, n))
		}
	}
	if len(dups) > 0 || c.disorder > 0 {
		return fmt.Errorf("%d messages delivered more than once %v; %d events out of log order", len(dups), dups, c.disorder)
	}
	return nil
}

// Bodies is every message body delivered, in delivery order.
func (c *Collector) Bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bodies...)
}
