// Package outbox keeps the replies and notes an agent sends until the server
// has them, so that nothing written is lost to a dropped connection, a
// crash or a restart.
//
// Enqueue appends the item to a JSON-lines journal and syncs it to disk
// before it returns: only then may the app say "queued". Run sends the
// queued items of one identity (server and user) one at a time, in the
// order they were written, each with its client id, which the server uses
// to store a message once however often it is retried. Each item ends
// delivered, or failed with a reason and kept for editing. Items are never
// sent under another identity: after a sign-out they wait for the same
// person to sign in to the same server again.
package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Kind is what an item becomes on the server.
type Kind string

// Kinds of items.
const (
	// Reply is a message to the customer (SendMessage).
	Reply Kind = "reply"
	// Note is an internal note (AddNote), perhaps a whisper or with mentions.
	Note Kind = "note"
)

// State is where an item stands.
type State string

// States. Queued items are sent; delivered and failed are final.
const (
	Queued    State = "queued"
	Delivered State = "delivered"
	Failed    State = "failed"
	// Discarded is reported to OnChange when an item leaves the outbox
	// unsent; it is never stored.
	Discarded State = "discarded"
)

// MaxBodyBytes is the server's limit on a message or note.
const MaxBodyBytes = 16384

// Identity is who an item is sent as: a user on a server.
type Identity struct {
	Server string `json:"server"`
	UserID string `json:"user_id"`
}

// MaxFileBytes is the server's limit on one attachment (10 MiB).
const MaxFileBytes = 10 << 20

// Draft is what the agent wrote.
type Draft struct {
	Identity
	WorkspaceID    string   `json:"workspace_id"`
	ConversationID string   `json:"conversation_id"`
	Kind           Kind     `json:"kind"`
	Body           string   `json:"body"`
	Mentions       []string `json:"mentions,omitempty"`
	Whisper        bool     `json:"whisper,omitempty"`
	// Files attached to a reply.
	Files []File `json:"files,omitempty"`
}

// File is an attachment of a reply. Enqueue copies it into the outbox, so
// that it is sent as it was even if the original moves or changes.
type File struct {
	// ClientID is made once and sent with every upload attempt.
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	// Source is where the agent picked it; Enqueue reads it, nothing keeps it.
	Source string `json:"-"`
}

// Item is a draft in the outbox.
type Item struct {
	Draft
	// ClientID is made once and sent with every attempt.
	ClientID string `json:"client_id"`
	State    State  `json:"state"`
	// Reason says, in plain words, why a failed item failed, or why a
	// queued one is still waiting.
	Reason string `json:"reason,omitempty"`
	// MessageID is the server's id for a delivered item.
	MessageID string `json:"message_id,omitempty"`
	// Order is the compose order, across restarts.
	Order        int64 `json:"order"`
	CreateTimeMs int64 `json:"create_time_ms"`
	UpdateTimeMs int64 `json:"update_time_ms"`
}

// Errors of outbox operations.
var (
	ErrNotFound  = errors.New("no such item in the outbox")
	ErrInFlight  = errors.New("the item is being sent right now")
	ErrFinal     = errors.New("the item was delivered")
	ErrSignedOut = errors.New("the server no longer accepts this sign-in")
	// ErrLocked means another process (a second copy of the app) has the
	// outbox open.
	ErrLocked = errors.New("the outbox is in use by another copy of the app")
)

// Options tune an Outbox.
type Options struct {
	// OnChange is called after every change of an item (outside the lock).
	OnChange func(Item)
	Now      func() time.Time
	Logger   *slog.Logger
}

// Outbox is the durable queue of one app installation (all identities).
type Outbox struct {
	mu       sync.Mutex
	j        *journal
	items    map[string]*Item
	next     int64
	inflight string
	wake     chan struct{}
	opts     Options
}

// Open opens (creating if needed) the outbox kept in dir and replays its
// journal.
func Open(dir string, opts Options) (*Outbox, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnChange == nil {
		opts.OnChange = func(Item) {}
	}
	j, items, err := openJournal(dir, opts.Logger)
	if err != nil {
		return nil, err
	}
	o := &Outbox{j: j, items: map[string]*Item{}, wake: make(chan struct{}, 1), opts: opts}
	for _, it := range items {
		o.items[it.ClientID] = it
		o.next = max(o.next, it.Order)
	}
	o.sweepFiles()
	return o, nil
}

// Close closes the journal.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.j.close()
}

func (d *Draft) validate() error {
	switch {
	case d.Server == "" || d.UserID == "":
		return errors.New("outbox: draft without an identity")
	case d.ConversationID == "":
		return errors.New("outbox: draft without a conversation")
	case d.Kind != Reply && d.Kind != Note:
		return fmt.Errorf("outbox: unknown kind %q", d.Kind)
	case d.Kind == Note && len(d.Files) > 0:
		return errors.New("outbox: notes carry no files")
	case len(d.Files) > 10:
		return errors.New("outbox: at most 10 files per message")
	case strings.TrimSpace(d.Body) == "" && len(d.Files) == 0:
		return errors.New("outbox: empty message")
	case len(d.Body) > MaxBodyBytes:
		return fmt.Errorf("outbox: message longer than %d bytes", MaxBodyBytes)
	case !utf8.ValidString(d.Body):
		return errors.New("outbox: message is not valid text")
	}
	return nil
}

// Enqueue stores a draft durably and queues it. When it returns without
// error the item is on disk and will be delivered or fail visibly.
func (o *Outbox) Enqueue(d Draft) (Item, error) {
	if err := d.validate(); err != nil {
		return Item{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Item{}, err
	}
	now := o.opts.Now().UnixMilli()
	d.Mentions = slices.Clone(d.Mentions)
	if d.Files, err = o.keepFiles(d.Files); err != nil {
		return Item{}, err
	}
	o.mu.Lock()
	it := &Item{Draft: d, ClientID: id.String(), State: Queued, Order: o.next + 1, CreateTimeMs: now, UpdateTimeMs: now}
	if err := o.j.put(it); err != nil {
		o.mu.Unlock()
		o.dropFiles(d.Files)
		return Item{}, fmt.Errorf("outbox: could not save the message: %w", err)
	}
	o.next++
	o.items[it.ClientID] = it
	out := *it
	o.mu.Unlock()
	o.changed(out)
	o.Kick()
	return out, nil
}

// Items returns the items of an identity that are not delivered, plus those
// delivered since the app started, in compose order.
func (o *Outbox) Items(id Identity) []Item {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Item
	for _, it := range o.items {
		if it.Identity == id {
			out = append(out, *it)
		}
	}
	slices.SortFunc(out, func(a, b Item) int { return int(a.Order - b.Order) })
	return out
}

// Get returns one item.
func (o *Outbox) Get(clientID string) (Item, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	it, ok := o.items[clientID]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// Retry queues a failed item again, after every item queued so far.
func (o *Outbox) Retry(clientID string) (Item, error) {
	o.mu.Lock()
	it, ok := o.items[clientID]
	if !ok {
		o.mu.Unlock()
		return Item{}, ErrNotFound
	}
	if it.State != Failed {
		o.mu.Unlock()
		return *it, nil
	}
	next := *it
	next.State, next.Reason, next.Order, next.UpdateTimeMs = Queued, "", o.next+1, o.opts.Now().UnixMilli()
	if err := o.j.put(&next); err != nil {
		o.mu.Unlock()
		return Item{}, err
	}
	o.next++
	*it = next
	o.mu.Unlock()
	o.changed(next)
	o.Kick()
	return next, nil
}

// Discard removes a failed or queued item (not one being sent) and returns
// it, so that its text can go back to the composer for editing.
func (o *Outbox) Discard(clientID string) (Item, error) {
	o.mu.Lock()
	it, ok := o.items[clientID]
	switch {
	case !ok:
		o.mu.Unlock()
		return Item{}, ErrNotFound
	case o.inflight == clientID:
		o.mu.Unlock()
		return Item{}, ErrInFlight
	case it.State == Delivered:
		o.mu.Unlock()
		return Item{}, ErrFinal
	}
	if err := o.j.drop(clientID); err != nil {
		o.mu.Unlock()
		return Item{}, err
	}
	delete(o.items, clientID)
	out := *it
	o.mu.Unlock()
	o.dropFiles(out.Files)
	out.State = Discarded
	o.changed(out)
	return out, nil
}

// Kick wakes the sender: something was queued, or the connection is back.
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) changed(it Item) { o.opts.OnChange(it) }
