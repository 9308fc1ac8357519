package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

const (
	ownerEmail    = "eval-owner@example.test"
	ownerPassword = "evaluation password 4821"
)

// tandem is tandemd running in this process on a fresh SQLite database in
// a temporary directory, served on a loopback port, with the owner signed
// in through the API.
type tandem struct {
	url     string
	clients rpcclient.Clients
	token   string // the signed-in owner's session
	dir     string
	stop    context.CancelFunc
	done    chan error
	closed  bool
}

// workspace is one document set's workspace, ready for customers.
type workspace struct {
	set       string
	id        string
	publicKey string
	// docs names each uploaded document's id by its file name.
	docs map[string]string
}

// startTandem starts tandemd; llmURL (the scripted model) may be empty for
// the extractive mode. The server's log goes to logOut at warn level.
func startTandem(ctx context.Context, llmURL string, logOut io.Writer) (*tandem, error) {
	dir, err := os.MkdirTemp("", "tandemeval-")
	if err != nil {
		return nil, err
	}
	cfg := fleet.InProcessConfig(store.Options{DataDir: dir})
	cfg.BootstrapEmail, cfg.BootstrapPass = ownerEmail, ownerPassword
	cfg.PollInterval = 100 * time.Millisecond
	if llmURL != "" {
		cfg.LLMURL, cfg.LLMModel, cfg.LLMTimeout = llmURL, "scripted", 10*time.Second
	}
	srvCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	t := &tandem{dir: dir, stop: stop, done: make(chan error, 1)}
	srv, err := server.New(srvCtx, cfg, cfg.Logger(logOut))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start tandemd: %w", err), t.close())
	}
	if err := srv.Bootstrap(srvCtx); err != nil {
		return nil, errors.Join(err, srv.Close(), t.close())
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, srv.Close(), t.close())
	}
	go func() {
		err := srv.Serve(srvCtx, ln)
		t.done <- errors.Join(err, srv.Close())
	}()
	t.url = "http://" + ln.Addr().String()
	t.clients = rpcclient.New(t.url, rpcclient.Connect)
	login, err := t.clients.Auth.Login(ctx, &tandemv1.LoginRequest{Email: ownerEmail, Password: ownerPassword})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sign in: %w", err), t.close())
	}
	t.token = login.GetToken()
	return t, nil
}

// close stops the server and removes its data; it returns the server's
// error, if it failed to serve or to close.
func (t *tandem) close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	t.stop()
	var err error
	if t.url != "" {
		select {
		case err = <-t.done:
		case <-time.After(20 * time.Second):
			err = errors.New("tandemd did not stop within 20s")
		}
	}
	return errors.Join(err, os.RemoveAll(t.dir))
}

// newWorkspace creates a workspace for the document set, uploads its
// documents (the file name decides the format) and turns its AI agent on,
// leaving every other setting at its default.
func (t *tandem) newWorkspace(ctx context.Context, set string, docs []Document) (workspace, error) {
	ctx = rpcclient.WithToken(ctx, t.token)
	created, err := t.clients.Workspace.CreateWorkspace(ctx, &tandemv1.CreateWorkspaceRequest{Name: "Eval " + set})
	if err != nil {
		return workspace{}, fmt.Errorf("create workspace %s: %w", set, err)
	}
	ws := workspace{set: set, id: created.GetWorkspace().GetId(), publicKey: created.GetWorkspace().GetPublicKey(), docs: map[string]string{}}
	for _, d := range docs {
		up, err := t.clients.Knowledge.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{WorkspaceId: ws.id,
			Filename: d.Filename, Content: d.Content, ClientId: uuid.NewString()})
		if err != nil {
			return ws, fmt.Errorf("upload %s/%s: %w", set, d.Filename, err)
		}
		ws.docs[d.Filename] = up.GetDocument().GetId()
	}
	if _, err := t.clients.Bot.UpdateBotSettings(ctx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: ws.id,
		Enabled: proto.Bool(true)}); err != nil {
		return ws, fmt.Errorf("turn the AI agent on in %s: %w", set, err)
	}
	return ws, nil
}

// handoffs returns the workspace's handoffs by conversation (the first of
// each), as the owner reads them from BotService.ListHandoffs.
func (t *tandem) handoffs(ctx context.Context, ws workspace) (map[string]*tandemv1.Handoff, error) {
	ctx = rpcclient.WithToken(ctx, t.token)
	out := map[string]*tandemv1.Handoff{}
	token := ""
	for {
		page, err := t.clients.Bot.ListHandoffs(ctx, &tandemv1.ListHandoffsRequest{WorkspaceId: ws.id, PageSize: 200, PageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list handoffs: %w", err)
		}
		for _, h := range page.GetHandoffs() { // newest first: the last one seen is the first made
			out[h.GetConversationId()] = h
		}
		if token = page.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// modelServer serves the scripted model on a loopback port until close.
type modelServer struct {
	model *scriptedModel
	url   string // the API base for tandemd's --llm-url
	srv   *http.Server
	done  chan error
}

func startModel(ctx context.Context) (*modelServer, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &modelServer{model: &scriptedModel{}, url: "http://" + ln.Addr().String() + "/v1", done: make(chan error, 1)}
	m.srv = &http.Server{Handler: m.model, ReadHeaderTimeout: 5 * time.Second}
	go func() { m.done <- m.srv.Serve(ln) }()
	return m, nil
}

// close stops the model server; it returns its error, if it failed to
// serve or to close.
func (m *modelServer) close() error {
	err := m.srv.Close()
	if serr := <-m.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
