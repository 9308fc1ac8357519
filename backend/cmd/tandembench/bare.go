package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
)

// bareCommand runs this binary as the bare baseline server.
const bareCommand = "bare-server"

// bareServer is the least a connect-go server needs to do what S3 and S4
// measure: ConversationService.Watch streams that send a heartbeat at the
// interval, and a SendMessage that broadcasts an event to every stream from
// memory. No database, no interceptors, no authorization.
type bareServer struct {
	tandemv1connect.UnimplementedConversationServiceHandler
	heartbeat time.Duration
	seq       atomic.Int64
	dropped   atomic.Int64

	mu   sync.Mutex
	subs map[chan *tandemv1.WatchResponse]struct{}
}

// Watch implements the stream: a first heartbeat at once (which sends the
// headers), then events and heartbeats until the client leaves.
func (s *bareServer) Watch(ctx context.Context, _ *tandemv1.WatchRequest, stream *connect.ServerStream[tandemv1.WatchResponse]) error {
	ch := make(chan *tandemv1.WatchResponse, 64)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	heartbeat := func() error {
		return stream.Send(&tandemv1.WatchResponse{Heartbeat: true, Cursor: strconv.FormatInt(s.seq.Load(), 10)})
	}
	if err := heartbeat(); err != nil {
		return err
	}
	t := time.NewTicker(s.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			if err := stream.Send(m); err != nil {
				return err
			}
		case <-t.C:
			if err := heartbeat(); err != nil {
				return err
			}
		}
	}
}

// SendMessage broadcasts a message.created event shaped like Tandem's.
func (s *bareServer) SendMessage(_ context.Context, req *tandemv1.SendMessageRequest) (*tandemv1.SendMessageResponse, error) {
	seq := s.seq.Add(1)
	now := time.Now().UnixMilli()
	msg := &tandemv1.Message{Id: uuid.NewString(), ConversationId: req.GetConversationId(), Kind: tandemv1.MessageKind_MESSAGE_KIND_TEXT,
		AuthorKind: tandemv1.AuthorKind_AUTHOR_KIND_CUSTOMER, Body: req.GetBody(), ClientId: req.GetClientId(), CreateTimeMs: now, Seq: seq}
	conv := &tandemv1.Conversation{Id: req.GetConversationId(), State: tandemv1.ConversationState_CONVERSATION_STATE_PENDING,
		Contact: &tandemv1.Contact{Id: uuid.NewString(), Name: "Visitor"}, LastMessagePreview: req.GetBody(),
		LastMessageTimeMs: now, LastActivityTimeMs: now, LastSeq: seq}
	out := &tandemv1.WatchResponse{Cursor: strconv.FormatInt(seq, 10), Event: &tandemv1.Event{Id: uuid.NewString(), Seq: seq,
		Type: string(events.MessageCreated), ConversationId: req.GetConversationId(), CreateTimeMs: now, Conversation: conv, Message: msg}}
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- out:
		default:
			s.dropped.Add(1) // a slow stream: counted as lost by the client
		}
	}
	s.mu.Unlock()
	return &tandemv1.SendMessageResponse{Message: msg, Conversation: conv}, nil
}

// serveBare is the bare-server subcommand: bare-server -addr A -heartbeat D.
func serveBare(args []string) error {
	fs := flag.NewFlagSet(bareCommand, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	heartbeat := fs.Duration("heartbeat", 15*time.Second, "heartbeat interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &bareServer{heartbeat: *heartbeat, subs: map[chan *tandemv1.WatchResponse]struct{}{}}
	mux := http.NewServeMux()
	mux.Handle(tandemv1connect.NewConversationServiceHandler(s))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) })
	// The same transport settings as tandemd: HTTP/1.1 and cleartext HTTP/2.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: mux, Protocols: protocols, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startBare runs the bare server as a child process (so that its memory and
// CPU are its own) and waits until it answers.
func (s *stage) startBare(ctx context.Context, heartbeat time.Duration) (url string, err error) {
	addr, err := fleet.FreeAddr(ctx)
	if err != nil {
		return "", err
	}
	p, err := fleet.StartProcess("bare server", s.e.self, []string{bareCommand, "-addr", addr, "-heartbeat", heartbeat.String()}, nil)
	if err != nil {
		return "", err
	}
	s.bare = p
	url = "http://" + addr
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			return url, nil
		}
		if p.Exited() || time.Now().After(deadline) {
			return "", fmt.Errorf("bare server not ready: %s", p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
