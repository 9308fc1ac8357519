package rpcclient

import (
	"context"
	"errors"
	"sync"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
)

// Stream is one ConversationService.Watch call, read by its own goroutine,
// which hands each response to a callback and remembers the last cursor.
// Resuming is the caller's: open a new Stream from Cursor.
type Stream struct {
	cancel context.CancelFunc
	ready  chan struct{} // closed at the first response (the stream is open)
	done   chan struct{} // closed when the stream ends

	mu     sync.Mutex
	cursor string
	err    error
}

// OpenStream starts watching the workspace after cursor through client,
// with the token. onMsg runs on the reader goroutine for every response,
// heartbeats included, with the time it arrived; it must be quick.
//
// The Watch call itself is made by the reader: a client's Watch returns only
// when the server sends its first message.
func OpenStream(ctx context.Context, client tandemv1connect.ConversationServiceClient, token, workspaceID, cursor string,
	onMsg func(m *tandemv1.WatchResponse, at time.Time)) *Stream {
	ctx, cancel := context.WithCancel(WithToken(ctx, token))
	s := &Stream{cancel: cancel, ready: make(chan struct{}), done: make(chan struct{}), cursor: cursor}
	go s.read(ctx, client, &tandemv1.WatchRequest{WorkspaceId: workspaceID, Cursor: cursor}, onMsg)
	return s
}

func (s *Stream) read(ctx context.Context, client tandemv1connect.ConversationServiceClient, req *tandemv1.WatchRequest,
	onMsg func(*tandemv1.WatchResponse, time.Time)) {
	defer close(s.done)
	var once sync.Once
	defer once.Do(func() { close(s.ready) })
	stream, err := client.Watch(ctx, req)
	if err != nil {
		s.finish(err)
		return
	}
	defer func() { _ = stream.Close() }()
	for stream.Receive() {
		at := time.Now()
		m := stream.Msg()
		if c := m.GetCursor(); c != "" {
			s.mu.Lock()
			s.cursor = c
			s.mu.Unlock()
		}
		if onMsg != nil {
			onMsg(m, at)
		}
		once.Do(func() { close(s.ready) })
	}
	s.finish(stream.Err())
}

func (s *Stream) finish(err error) {
	if err == nil {
		err = errors.New("stream ended without an error")
	}
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Ready is closed once the stream delivered its first message (or ended).
func (s *Stream) Ready() <-chan struct{} { return s.ready }

// Done is closed when the stream has ended.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Cursor is the last cursor received: resume from it.
func (s *Stream) Cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Err is why the stream ended (nil while it runs).
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Code is the Connect code the stream ended with.
func (s *Stream) Code() connect.Code { return connect.CodeOf(s.Err()) }

// Close ends the stream and waits for its reader.
func (s *Stream) Close() {
	s.cancel()
	<-s.done
}
