// Package inbox is the app's live copy of a workspace's conversations: a
// snapshot from ListConversations, kept current by the Watch stream's
// events. Events carry the conversation as it is after the change but not
// the reader's unread marker, so the inbox carries that across: anything
// new in the history from someone else makes a conversation unread, the
// reader's own writing or reading makes it read.
package inbox

import (
	"slices"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// Inbox holds conversations by id for one reader. It is safe for
// concurrent use.
type Inbox struct {
	me    string
	mu    sync.Mutex
	convs map[string]*tandemv1.Conversation
}

// New returns an empty inbox for the reader (a user id).
func New(me string) *Inbox {
	return &Inbox{me: me, convs: map[string]*tandemv1.Conversation{}}
}

// Reset replaces the content with a fresh snapshot.
func (b *Inbox) Reset(list []*tandemv1.Conversation) {
	m := make(map[string]*tandemv1.Conversation, len(list))
	for _, c := range list {
		m[c.GetId()] = proto.CloneOf(c)
	}
	b.mu.Lock()
	b.convs = m
	b.mu.Unlock()
}

// Upsert stores a conversation a call returned (it carries the caller's
// unread marker only from lists; others keep the one known).
func (b *Inbox) Upsert(c *tandemv1.Conversation, fromList bool) *tandemv1.Conversation {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := proto.CloneOf(c)
	if prev, ok := b.convs[c.GetId()]; ok && !fromList {
		next.Unread = prev.GetUnread()
		if prev.GetLastSeq() > next.GetLastSeq() {
			return proto.CloneOf(prev) // an older copy than what the stream brought
		}
	}
	b.convs[c.GetId()] = next
	return proto.CloneOf(next)
}

// Apply folds a stream event in and returns the conversation as it now
// stands, or nil when the event is not about one (typing, mentions...).
func (b *Inbox) Apply(ev *tandemv1.Event) *tandemv1.Conversation {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := ev.GetConversationId()
	prev := b.convs[id]
	switch {
	case ev.GetConversation() != nil:
		next := proto.CloneOf(ev.GetConversation())
		next.Unread = prev.GetUnread()
		if ev.GetMessage() != nil {
			// The reader's own items are read by definition (the server
			// moves their marker); anyone else's are news.
			next.Unread = ev.GetActorId() != b.me
		}
		b.convs[id] = next
		return proto.CloneOf(next)
	case ev.GetType() == "conversation.read" && prev != nil && ev.GetActorId() == b.me:
		seq, _ := strconv.ParseInt(ev.GetData()["seq"], 10, 64)
		if seq >= prev.GetLastSeq() {
			prev.Unread = false
		}
		return proto.CloneOf(prev)
	}
	return nil
}

// MarkRead clears the unread marker after the reader opened it.
func (b *Inbox) MarkRead(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.convs[id]; ok {
		c.Unread = false
	}
}

// Get returns one conversation.
func (b *Inbox) Get(id string) (*tandemv1.Conversation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.convs[id]
	if !ok {
		return nil, false
	}
	return proto.CloneOf(c), true
}

// List returns every conversation, most recently active first.
func (b *Inbox) List() []*tandemv1.Conversation {
	b.mu.Lock()
	out := make([]*tandemv1.Conversation, 0, len(b.convs))
	for _, c := range b.convs {
		out = append(out, proto.CloneOf(c))
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y *tandemv1.Conversation) int {
		if d := y.GetLastActivityTimeMs() - x.GetLastActivityTimeMs(); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		switch {
		case x.GetId() < y.GetId():
			return -1
		case x.GetId() > y.GetId():
			return 1
		}
		return 0
	})
	return out
}
