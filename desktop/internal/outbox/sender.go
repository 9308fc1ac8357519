package outbox

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// Deliver sends one item to the server (SendMessage or AddNote with the
// item's client id) and returns the id the server gave the message.
type Deliver func(ctx context.Context, it Item) (messageID string, err error)

// Backoff bounds the wait between attempts while the server is unreachable.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff is used when Run is given none.
var DefaultBackoff = Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}

// maxServerFaults is how many times an item is retried after the server
// failed on its side (it may be a passing fault) before it is failed.
const maxServerFaults = 5

// Run sends the identity's queued items, one at a time in compose order,
// until ctx ends (it then returns ctx.Err()) or the server stops accepting
// the identity's token (ErrSignedOut; the items stay queued for when the
// same person signs in again). Only one Run may be active at a time.
func (o *Outbox) Run(ctx context.Context, id Identity, deliver Deliver, b Backoff) error {
	if b.Min <= 0 {
		b = DefaultBackoff
	}
	wait := b.Min
	faults := map[string]int{}
	for {
		it, ok := o.claimNext(id)
		if !ok {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-o.wake:
				continue
			}
		}
		msgID, err := deliver(ctx, it)
		if err == nil {
			o.finish(it.ClientID, Delivered, "", msgID)
			wait = b.Min
			continue
		}
		if ctx.Err() != nil {
			o.release(it.ClientID, "")
			return ctx.Err()
		}
		e := apiclient.From(err)
		switch e.Kind {
		case apiclient.KindSignedOut:
			o.release(it.ClientID, "Waiting for you to sign in again.")
			return ErrSignedOut
		case apiclient.KindOffline, apiclient.KindTimeout, apiclient.KindCanceled:
			o.release(it.ClientID, e.Message)
		case apiclient.KindInternal:
			faults[it.ClientID]++
			if faults[it.ClientID] >= maxServerFaults {
				o.finish(it.ClientID, Failed, e.Message, "")
				continue
			}
			o.release(it.ClientID, e.Message)
		default: // the server refused it: retrying unchanged cannot help
			o.finish(it.ClientID, Failed, e.Message, "")
			wait = b.Min
			continue
		}
		// Wait before trying again; a kick (the connection is back, or
		// something new was queued) cuts the wait short.
		t := time.NewTimer(jitter(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		case <-o.wake:
			t.Stop()
		}
		wait = min(wait*2, b.Max)
	}
}

// jitter spreads retries of many clients over [d/2, d).
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// claimNext marks the identity's first queued item as in flight.
func (o *Outbox) claimNext(id Identity) (Item, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next *Item
	for _, it := range o.items {
		if it.Identity == id && it.State == Queued && (next == nil || it.Order < next.Order) {
			next = it
		}
	}
	if next == nil {
		return Item{}, false
	}
	o.inflight = next.ClientID
	return *next, true
}

// release returns an in-flight item to the queue, noting why it waits.
func (o *Outbox) release(clientID, reason string) {
	o.mu.Lock()
	o.inflight = ""
	it, ok := o.items[clientID]
	if !ok || it.Reason == reason {
		o.mu.Unlock()
		return
	}
	it.Reason = reason // in memory only: the state did not change
	out := *it
	o.mu.Unlock()
	o.changed(out)
}

// finish records an item's final state. If the journal cannot be written
// the state is still kept in memory; on disk the item stays queued, so after
// a restart it is sent again with the same client id, which the server
// answers with the message it stored the first time (or refuses again).
func (o *Outbox) finish(clientID string, state State, reason, messageID string) {
	o.mu.Lock()
	o.inflight = ""
	it, ok := o.items[clientID]
	if !ok {
		o.mu.Unlock()
		return
	}
	it.State, it.Reason, it.MessageID, it.UpdateTimeMs = state, reason, messageID, o.opts.Now().UnixMilli()
	recorded := o.j.put(it) == nil
	if !recorded {
		o.opts.Logger.Error("record outbox result", "client_id", clientID, "state", state)
	}
	out := *it
	o.mu.Unlock()
	if state == Delivered && recorded {
		o.dropFiles(out.Files) // on the server now; a failed one keeps them for a retry
	}
	o.changed(out)
}
