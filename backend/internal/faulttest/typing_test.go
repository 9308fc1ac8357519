package faulttest_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// typingBacklog is how many typing events a stalled stream may find waiting
// when it reads again: the subscription's buffer (8), the one its sender
// held when it blocked, and slack for any that reached the transport before
// it filled.
const typingBacklog = 16

// TestTypingFloodExpendable (STR-05): typing indicators are the one kind of
// event a stream may lose, and a stalled reader makes the server drop them
// rather than queue them, while it keeps every stored event for it. An
// agent's stream stops reading; 6 MB of messages fill its transport (the kernel lets a socket buffer up to 4 MB), so
// the server's sends to it block. Visitors then send 2,000 typing events
// while the stream is stalled, and more messages after them. Every typing
// call is answered OK (a stalled reader holds up no one), a healthy
// watcher gets the typing events and every message, and the stalled one,
// once it reads again (before its send timeout), gets every message
// exactly once, in order, and at most a handful of the typing events.
func TestTypingFloodExpendable(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	c := startCluster(t, sharedDatabase(t), 1, map[string]string{
		"TANDEM_STREAM_SEND_TIMEOUT": "2m", // not cut: what it is owed is the point
		"TANDEM_HEARTBEAT":           "1s",
	})
	r := c.replicas[0]
	visitors := c.visitors(t, r.URL, 5)
	marker, visitors := visitors[4], visitors[:4]
	cursor := c.cursor(t, r.URL)

	healthy := &typingCount{Collector: faulttest.NewCollector(), marker: marker.ConversationID}
	healthyStream := rpcclient.OpenStream(t.Context(), rpcclient.New(r.URL, rpcclient.GRPC).Conversation,
		c.owner.Token, c.ws.ID, cursor, healthy.onMsg)
	defer healthyStream.Close()
	stalled := &typingCount{Collector: faulttest.NewCollector(), marker: marker.ConversationID, gate: make(chan struct{})}
	client := tandemv1connect.NewConversationServiceClient(smallBufferClient(), r.URL, rpcclient.ClientOptions(rpcclient.Connect)...)
	stalledStream := rpcclient.OpenStream(t.Context(), client, c.owner.Token, c.ws.ID, cursor, stalled.onMsg)
	defer stalledStream.Close()
	defer stalled.release()
	<-healthyStream.Ready()
	<-stalledStream.Ready()

	// Messages enough to fill what lies between the server and the
	// stalled client (its socket buffers and HTTP/1.1's), so that the
	// server's next send to it blocks.
	flood := &flooder{t: t, senders: visitors, client: rpcclient.New(r.URL, rpcclient.Connect), fast: []*watcher{{Collector: healthy.Collector}}}
	flood.send(400)

	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for _, v := range visitors {
		wg.Go(func() {
			widget := rpcclient.New(r.URL, rpcclient.Connect).Widget
			ctx := rpcclient.WithToken(t.Context(), v.Token)
			for i := range 500 {
				call, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := widget.SetTyping(call, &tandemv1.WidgetServiceSetTypingRequest{ConversationId: v.ConversationID, Typing: i%2 == 0})
				cancel()
				if err != nil {
					failed.Add(1)
					t.Errorf("SetTyping while a stream was stalled: %v", err)
					return
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	flood.send(20)

	stalled.release()
	if missing := stalled.WaitFor(flood.sent, 60*time.Second); len(missing) > 0 {
		t.Errorf("the stalled stream never got %d of the %d messages once it read again", len(missing), len(flood.sent))
	}
	// Another visitor types until the stalled stream has one of its typing
	// events: a stream's typing events come in the order they were made,
	// so it then has every one of the flood it was ever going to.
	widget := rpcclient.New(r.URL, rpcclient.Connect).Widget
	for deadline := time.Now().Add(time.Minute); stalled.marks.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the stalled stream, reading again, got none of a visitor's typing events in a minute")
		}
		if _, err := widget.SetTyping(rpcclient.WithToken(t.Context(), marker.Token),
			&tandemv1.WidgetServiceSetTypingRequest{ConversationId: marker.ConversationID, Typing: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, col := range map[string]*typingCount{"the healthy watcher": healthy, "the stalled stream": stalled} {
		if err := col.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got := len(col.Bodies()); got != len(flood.sent) {
			t.Errorf("%s: %d messages delivered, %d sent", name, got, len(flood.sent))
		}
	}
	t.Logf("%d typing events sent; the healthy watcher got %d, the stalled stream %d; %d messages each",
		sent.Load(), healthy.typing.Load(), stalled.typing.Load(), len(flood.sent))
	if healthy.typing.Load() == 0 {
		t.Error("the healthy watcher got no typing event: the test proves nothing about dropping them")
	}
	if n := stalled.typing.Load(); n > typingBacklog {
		t.Errorf("the stalled stream was sent %d of the %d typing events made while it read nothing: they were queued for it, want at most %d",
			n, sent.Load(), typingBacklog)
	}
}

// typingCount collects a stream's messages and counts its typing events,
// the flood's and the marker's apart; with a gate, it stops reading at its
// first event until released.
type typingCount struct {
	*faulttest.Collector
	marker string       // the conversation whose typing marks the end
	typing atomic.Int64 // the flood's
	marks  atomic.Int64 // the marker's
	gate   chan struct{}
	once   sync.Once
}

func (c *typingCount) onMsg(m *tandemv1.WatchResponse, at time.Time) {
	ev := m.GetEvent()
	if ev == nil {
		return
	}
	if c.gate != nil {
		<-c.gate
	}
	if ev.GetType() == string(events.Typing) {
		if ev.GetConversationId() == c.marker {
			c.marks.Add(1)
		} else {
			c.typing.Add(1)
		}
	}
	c.OnMsg(m, at)
}

func (c *typingCount) release() {
	if c.gate != nil {
		c.once.Do(func() { close(c.gate) })
	}
}
