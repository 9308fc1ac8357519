package conversation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// The inbox client of the snapshot test (STR-04): an agent's app as the
// test plays it. It lists its view once, watches from the list's cursor and
// folds every event into its own copy of the view; the test then holds that
// copy to a fresh list.

// inboxClient is one agent's app: a view (a filter), the replica and
// protocol it talks over, and its copy of the view.
type inboxClient struct {
	name     string
	ws       string
	userID   string
	token    string
	filter   *tandemv1.ConversationFilter
	clients  rpcclient.Clients
	position func(cursor string) (int64, error) // the log position a cursor names
	db       *store.DB                          // for reports: what the log holds
	// items: keep the history items the stream brings (for a view of
	// every state, which every conversation event reaches).
	items bool

	mu    sync.Mutex
	convs map[string]*tandemv1.Conversation
	// from is the position of the one list; at, of the last cursor the
	// stream brought (events and heartbeats).
	from, at int64
	// got holds, per conversation, the history items the stream brought.
	got map[string]map[string]*tandemv1.Message
	// trail is, per conversation, what the stream said of it: for the
	// report of a difference.
	trail   map[string][]string
	failure error // the first event the client could not fold in
	endings []error
	// moved is signalled (never blocking) whenever at moves.
	moved chan struct{}
	stop  func()
}

// newInboxClient makes a client of the world's first workspace for the
// user, through clients (a replica, a protocol); cursors read positions.
func newInboxClient(w *world, cursors *events.Cursors, name, userID, token string, filter *tandemv1.ConversationFilter,
	clients rpcclient.Clients) *inboxClient {
	return &inboxClient{name: name, ws: w.W1.ID, userID: userID, token: token, filter: filter, clients: clients, db: w.Srv.DB(),
		position: func(cursor string) (int64, error) {
			pos, err := cursors.Parse(cursor, w.W1.ID, "u:"+userID)
			return pos.Seq, err
		}}
}

// start lists the view once and watches from the list's cursor, folding
// every event in, until the test ends; a stream that ends is resumed from
// its last cursor, as the apps do.
func (c *inboxClient) start(t *testing.T) error {
	ctx := rpcclient.WithToken(context.Background(), c.token)
	list, cursor, err := c.list(ctx)
	if err != nil {
		return fmt.Errorf("%s: first list: %w", c.name, err)
	}
	from, err := c.position(cursor)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.convs, c.got, c.trail = map[string]*tandemv1.Conversation{}, map[string]map[string]*tandemv1.Message{}, map[string][]string{}
	for _, cv := range list {
		c.convs[cv.GetId()] = cv
	}
	c.from, c.at = from, from
	c.moved = make(chan struct{}, 1)
	c.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			err := c.follow(ctx, cursor, func(next string) { cursor = next })
			if ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			c.endings = append(c.endings, err)
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond): // a pause before resuming, as the apps take
			}
		}
	}()
	c.stop = func() { cancel(); <-done }
	t.Cleanup(c.stop)
	return nil
}

// follow reads one Watch stream from the cursor, telling resumeFrom each
// cursor it receives, until the stream ends.
func (c *inboxClient) follow(ctx context.Context, cursor string, resumeFrom func(string)) error {
	stream, err := c.clients.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: c.ws, Cursor: cursor, Filter: c.filter})
	if err != nil {
		return err
	}
	defer func() { _ = stream.Close() }()
	for stream.Receive() {
		m := stream.Msg()
		if m.GetCursor() == "" {
			continue // an ephemeral event (typing) has no position
		}
		pos, err := c.position(m.GetCursor())
		if err != nil {
			return err
		}
		c.mu.Lock()
		if ev := m.GetEvent(); ev != nil && c.failure == nil {
			if err := c.apply(ev); err != nil {
				c.failure = fmt.Errorf("%s: event %d (%s): %w", c.name, ev.GetSeq(), ev.GetType(), err)
			}
		}
		c.at = pos
		c.mu.Unlock()
		select {
		case c.moved <- struct{}{}:
		default:
		}
		resumeFrom(m.GetCursor())
	}
	return stream.Err()
}

// apply folds one event into the copy; c.mu is held.
func (c *inboxClient) apply(ev *tandemv1.Event) error {
	f, ok := folds[events.Type(ev.GetType())]
	if !ok {
		return errors.New("no row in folds: the client does not know what this event does to an inbox")
	}
	id := ev.GetConversationId()
	if id != "" {
		c.trail[id] = append(c.trail[id], fmt.Sprintf("%d %s by %s", ev.GetSeq(), ev.GetType(), ev.GetActorId()))
	}
	if msg := ev.GetMessage(); msg != nil && c.items && events.Type(ev.GetType()) != events.MemberMentioned {
		if c.got[id] == nil {
			c.got[id] = map[string]*tandemv1.Message{}
		}
		if _, twice := c.got[id][msg.GetId()]; twice {
			return fmt.Errorf("history item %s came twice", msg.GetId())
		}
		c.got[id][msg.GetId()] = msg
	}
	switch f {
	case foldConversation:
		next := ev.GetConversation()
		if next == nil {
			return errors.New("carries no conversation")
		}
		next = proto.CloneOf(next)
		prev := c.convs[id]
		next.Unread = prev.GetUnread()
		if ev.GetMessage() != nil {
			// The reader's own items are read by definition (the server
			// moves their marker); anyone else's are news.
			next.Unread = ev.GetActorId() != c.userID
		}
		if inView(c.filter, next, c.userID) {
			c.convs[id] = next
		} else {
			delete(c.convs, id)
		}
	case foldRead:
		if prev := c.convs[id]; prev != nil && ev.GetActorId() == c.userID {
			seq, _ := strconv.ParseInt(ev.GetData()["seq"], 10, 64)
			if seq >= prev.GetLastSeq() {
				prev.Unread = false
			}
		}
	case foldTagDeleted:
		tag := ev.GetData()["tag_id"]
		if tag == "" {
			return errors.New("does not say which tag went")
		}
		for cid, cv := range c.convs {
			cv.TagIds = slices.DeleteFunc(cv.TagIds, func(t string) bool { return t == tag })
			if !inView(c.filter, cv, c.userID) {
				delete(c.convs, cid)
			}
		}
	case foldNothing:
		if ev.GetConversation() != nil {
			return errors.New("carries a conversation, but folds says it changes nothing an inbox shows")
		}
	}
	return nil
}

// list reads the whole view, page by page, and returns it with the first
// page's cursor: its head was read before any of the pages.
func (c *inboxClient) list(ctx context.Context) ([]*tandemv1.Conversation, string, error) {
	var (
		out    []*tandemv1.Conversation
		cursor string
		token  string
	)
	for {
		resp, err := c.clients.Conversation.ListConversations(ctx, &tandemv1.ListConversationsRequest{WorkspaceId: c.ws,
			Filter: c.filter, PageSize: 200, PageToken: token})
		if err != nil {
			return nil, "", err
		}
		if cursor == "" {
			cursor = resp.GetCursor()
		}
		out = append(out, resp.GetConversations()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out, cursor, nil
		}
	}
}

// inView is ConversationFilter's meaning, as the server's lists and
// streams apply it (conversation.Filter.Matches): the client drops a
// conversation that left its view.
func inView(f *tandemv1.ConversationFilter, c *tandemv1.Conversation, me string) bool {
	if states := f.GetStates(); len(states) > 0 {
		if !slices.Contains(states, c.GetState()) {
			return false
		}
	} else if c.GetState() == tandemv1.ConversationState_CONVERSATION_STATE_CLOSED {
		return false
	}
	switch f.GetAssignee() {
	case tandemv1.ConversationFilter_ASSIGNEE_ME:
		if c.GetAssigneeUserId() != me {
			return false
		}
	case tandemv1.ConversationFilter_ASSIGNEE_UNASSIGNED:
		if c.GetAssigneeUserId() != "" {
			return false
		}
	case tandemv1.ConversationFilter_ASSIGNEE_USER:
		if c.GetAssigneeUserId() != f.GetAssigneeUserId() {
			return false
		}
	}
	if f.GetGroupId() != "" && c.GetGroupId() != f.GetGroupId() {
		return false
	}
	if ps := f.GetPriorities(); len(ps) > 0 && !slices.Contains(ps, c.GetPriority()) {
		return false
	}
	if tags := f.GetTagIds(); len(tags) > 0 && !slices.ContainsFunc(c.GetTagIds(), func(t string) bool { return slices.Contains(tags, t) }) {
		return false
	}
	return c.GetLastActivityTimeMs() >= f.GetUpdatedSinceTimeMs()
}

// shown is a conversation as the comparison sees it: what an inbox shows,
// with the contact by id only (events carry the contact as their replica
// read it when it first sent them; contact changes are not conversation
// events) and tags and participants as sets.
func shown(c *tandemv1.Conversation) *tandemv1.Conversation {
	out := proto.CloneOf(c)
	out.Contact = &tandemv1.Contact{Id: c.GetContact().GetId()}
	slices.Sort(out.TagIds)
	slices.Sort(out.ParticipantUserIds)
	return out
}

// caughtUp waits until the stream has brought everything up to the log
// position pos (a heartbeat's cursor passes events the view leaves out).
func (c *inboxClient) caughtUp(pos int64, within time.Duration) error {
	timeout := time.NewTimer(within)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		at, failure := c.at, c.failure
		c.mu.Unlock()
		switch {
		case failure != nil:
			return failure
		case at >= pos:
			return nil
		}
		select {
		case <-c.moved:
		case <-timeout.C:
			return fmt.Errorf("%s: the stream is at %d after %v, the list at %d (stream endings: %v)", c.name, at, within, pos, c.streamEndings())
		}
	}
}

func (c *inboxClient) streamEndings() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.endings)
}

// differs compares the client's copy with a fresh list of its view and
// describes the first difference ("" when they agree).
func (c *inboxClient) differs(fresh []*tandemv1.Conversation) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]*tandemv1.Conversation{}
	for _, cv := range fresh {
		want[cv.GetId()] = cv
	}
	ids := make([]string, 0, len(want)+len(c.convs))
	for id := range want {
		ids = append(ids, id)
	}
	for id := range c.convs {
		if _, ok := want[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		got, ok := c.convs[id]
		w, inList := want[id]
		var what string
		switch {
		case !ok:
			what = fmt.Sprintf("the list shows it, the client does not have it:\n%v", brief(w))
		case !inList:
			what = fmt.Sprintf("the client has it, the list does not show it:\n%v", brief(got))
		default:
			if d := cmp.Diff(shown(w), shown(got), protocmp.Transform()); d != "" {
				what = "the list (-) and the client (+) differ:\n" + d
			}
		}
		if what != "" {
			return fmt.Sprintf("%s, conversation %s: %s\nwhat its stream said of it since position %d:\n  %s\nwhat the log holds of it:\n  %s",
				c.name, id, what, c.from, strings.Join(c.trail[id], "\n  "), strings.Join(c.logged(id), "\n  "))
		}
	}
	return ""
}

// logged lists what the log holds of a conversation past the client's
// list (seq, type, visibility, actor): for reports, what the stream left
// out. c.mu is held.
func (c *inboxClient) logged(conversationID string) []string {
	var rows []struct {
		Seq        int64  `db:"seq"`
		Type       string `db:"type"`
		Visibility string `db:"visibility"`
		ActorID    string `db:"actor_id"`
	}
	if err := c.db.SelectContext(context.Background(), &rows, `SELECT seq, type, visibility, actor_id FROM events
		WHERE workspace_id = ? AND conversation_id = ? AND seq > ? ORDER BY seq`, c.ws, conversationID, c.from); err != nil {
		return []string{err.Error()}
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%d %s (%s) by %s", r.Seq, r.Type, r.Visibility, r.ActorID)
	}
	return out
}

// disagreement holds the client's copy to a fresh list of its view, at
// rest, and describes how they differ ("" when they agree). more, if set,
// checks more at the same position. The callers have paused, but the
// server's own reactors (the AI agent, notifications, snoozes waking) may
// still commit: a difference counts only if the log did not move
// meanwhile, else the client looks again.
func (c *inboxClient) disagreement(t *testing.T, more func(context.Context) string) string {
	ctx := rpcclient.WithToken(t.Context(), c.token)
	for attempt := 1; ; attempt++ {
		fresh, pos := c.settledList(ctx, t)
		if err := c.caughtUp(pos, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		diff := c.differs(fresh)
		if diff == "" && more != nil {
			diff = more(ctx)
		}
		if diff == "" {
			return ""
		}
		if _, now := c.settledList(ctx, t); now != pos && attempt < 20 {
			continue // something committed meanwhile: look again
		}
		return fmt.Sprintf("(attempt %d, log at %d):\n%s", attempt, pos, diff)
	}
}

// settledList lists the view until two lists in a row were made at the
// same log position: then nothing committed between the first's head and
// the second's, and the first shows exactly that position.
func (c *inboxClient) settledList(ctx context.Context, t *testing.T) ([]*tandemv1.Conversation, int64) {
	prev, prevPos := []*tandemv1.Conversation(nil), int64(-1)
	for range 50 {
		list, cursor, err := c.list(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pos, err := c.position(cursor)
		if err != nil {
			t.Fatal(err)
		}
		if pos == prevPos {
			return prev, pos
		}
		prev, prevPos = list, pos
	}
	t.Fatalf("%s: the log never stood still for two lists in a row", c.name)
	return nil, 0
}

// brief is a conversation's fields that decide views, for reports.
func brief(c *tandemv1.Conversation) string {
	return fmt.Sprintf("state %v, assignee %q, group %q, priority %v, tags %v, last_seq %d", c.GetState(), c.GetAssigneeUserId(),
		c.GetGroupId(), c.GetPriority(), c.GetTagIds(), c.GetLastSeq())
}

// itemsDiffer compares the history items the stream brought for a
// conversation with its history past the list's position, read fresh
// ("" when they agree): each item arrived once, as it is stored.
func (c *inboxClient) itemsDiffer(ctx context.Context, conversationID string) (string, error) {
	var history []*tandemv1.Message
	token := ""
	for {
		resp, err := c.clients.Conversation.GetConversation(ctx, &tandemv1.GetConversationRequest{ConversationId: conversationID,
			PageSize: 200, PageToken: token})
		if err != nil {
			return "", err
		}
		history = append(history, resp.GetHistory()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var want []*tandemv1.Message
	for _, m := range history {
		if m.GetSeq() > c.from {
			want = append(want, m)
		}
	}
	got := make([]*tandemv1.Message, 0, len(c.got[conversationID]))
	for _, m := range c.got[conversationID] {
		got = append(got, m)
	}
	bySeq := func(a, b *tandemv1.Message) int { return int(a.GetSeq() - b.GetSeq()) }
	slices.SortFunc(want, bySeq)
	slices.SortFunc(got, bySeq)
	if d := cmp.Diff(want, got, protocmp.Transform(), cmpopts.EquateEmpty()); d != "" {
		return fmt.Sprintf("%s, conversation %s: its history past position %d (-) and the items the stream brought (+) differ:\n%s",
			c.name, conversationID, c.from, d), nil
	}
	return "", nil
}

// known lists the ids of the conversations in the client's copy, sorted.
func (c *inboxClient) known() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.convs))
	for id := range c.convs {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
