package server_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestResumeUnderDisconnects has writers post messages concurrently while
// an agent's stream is cut at random points and resumed from its last
// cursor, over all three protocols in turn. In the end the agent has seen
// exactly the committed messages: none missing, none twice, in commit order.
func TestResumeUnderDisconnects(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		convs := []string{w.Conversation(w.Visitor).ID, w.Conversation(w.Other).ID, w.Conversation(w.Visitor).ID}
		const writers, each = 4, 25
		committed := make(chan string, writers*each)
		ctx, cancel := context.WithTimeout(w.Ctx, 2*time.Minute)
		defer cancel()

		// Start from the head, before any writer runs.
		list, err := w.Srv.Clients(rpcclient.Connect).Conversation.ListConversations(w.As("agent"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		cursor := list.GetCursor()

		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				owner := w.Principal("owner")
				for j := range each {
					body := uuid.NewString()
					if _, _, err := w.Srv.Domain().Conversations.Post(ctx, owner, w.W1.ID, convs[(i+j)%len(convs)], uuid.NewString(), body, conversation.KindNote); err != nil {
						t.Errorf("post: %v", err)
						return
					}
					committed <- body
					time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		var (
			seen    []string
			lastSeq int64
			token   = w.Token("agent")
		)
		for attempt := 0; ; attempt++ {
			p := rpcclient.Protocols()[attempt%3]
			sctx, scancel := context.WithCancel(rpcclient.WithToken(ctx, token))
			stream, err := w.Srv.Clients(p).Conversation.Watch(sctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			cut := 1 + rand.IntN(15) // read this many, then drop the connection
			for n := 0; n < cut && len(seen) < writers*each && stream.Receive(); {
				msg := stream.Msg()
				if msg.GetEvent() == nil || msg.GetEvent().GetSeq() == 0 {
					continue
				}
				if seq := msg.GetEvent().GetSeq(); seq <= lastSeq {
					t.Fatalf("seq %d after %d: repeated or out of order", seq, lastSeq)
				} else {
					lastSeq = seq
				}
				cursor = msg.GetCursor()
				if msg.GetEvent().GetType() == string(events.NoteCreated) {
					seen = append(seen, msg.GetEvent().GetMessage().GetBody())
					n++
				}
			}
			scancel()
			_ = stream.Close()
			select {
			case <-done:
				if len(seen) == writers*each {
					goto check
				}
			default:
			}
			if ctx.Err() != nil {
				t.Fatalf("timed out with %d of %d messages", len(seen), writers*each)
			}
		}
	check:
		close(committed)
		want := map[string]bool{}
		for b := range committed {
			want[b] = true
		}
		got := map[string]bool{}
		for _, b := range seen {
			if got[b] {
				t.Fatalf("message %s delivered twice", b)
			}
			got[b] = true
			if !want[b] {
				t.Fatalf("message %s delivered but never committed", b)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("delivered %d of %d committed messages", len(got), len(want))
		}
	})
}

// TestResyncRequired resumes from cursors that cannot be honoured: each is
// refused with FailedPrecondition and the RESYNC_REQUIRED reason, never a
// silent start from now.
func TestResyncRequired(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		w.Conversation(w.Visitor)
		list, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		good := list.GetCursor()
		w2list, err := c.Conversation.ListConversations(w.As("w2owner"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W2.ID})
		if err != nil {
			t.Fatal(err)
		}
		adminList, err := c.Conversation.ListConversations(w.As("admin"), &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID})
		if err != nil {
			t.Fatal(err)
		}
		cursors, err := events.LoadCursors(w.Ctx, w.Srv.DB())
		if err != nil {
			t.Fatal(err)
		}
		future := cursors.Make(w.W1.ID, "u:"+w.Users["agent"].ID, events.Position{Seq: 1 << 40})
		w.Conversation(w.Visitor) // events after the good cursor, for the retention case
		tampered := []byte(good)
		tampered[len(tampered)/2] ^= 1

		watch := func(cursor string) error {
			ctx, cancel := context.WithTimeout(agent, 10*time.Second)
			defer cancel()
			stream, err := c.Conversation.Watch(ctx, &tandemv1.WatchRequest{WorkspaceId: w.W1.ID, Cursor: cursor})
			if err != nil {
				return err
			}
			defer func() { _ = stream.Close() }()
			for stream.Receive() {
			}
			return stream.Err()
		}
		for name, cursor := range map[string]string{
			"malformed":            "not-a-cursor",
			"tampered":             string(tampered),
			"another workspace's":  w2list.GetCursor(),
			"another principal's":  adminList.GetCursor(),
			"ahead of the log":     future,
			"older than retention": "",
		} {
			if name == "older than retention" {
				// Every event so far is past retention: prune them all.
				pruner := events.NewPruner(w.Srv.DB(), time.Minute, func() time.Time { return time.Now().Add(time.Hour) })
				if _, err := pruner.Prune(w.Ctx); err != nil {
					t.Fatal(err)
				}
				cursor = good // older than the events made since, which are now pruned
				w.Conversation(w.Visitor)
			}
			err := watch(cursor)
			var ce *connect.Error
			if connect.CodeOf(err) != connect.CodeFailedPrecondition || !errors.As(err, &ce) || ce.Meta().Get(apperr.DetailHeader) != events.ResyncRequired {
				t.Errorf("%s cursor: %v, want FailedPrecondition with %s", name, err, events.ResyncRequired)
			}
		}
	})
}
