// Package app is the desktop app's Go side: the signed-in session, the live
// inbox, the outbox sender and notifications, behind the methods the
// frontend calls (App) and the lifecycle the window runtime drives (Host).
//
// The frontend owns views only. Everything that talks to the network,
// holds a token, survives a restart or decides to notify lives here, and
// is tested with go test against a real tandemd. Data from the API crosses
// to the frontend as protobuf JSON, which the frontend decodes with the
// TypeScript generated from the same protos (api/ts); errors cross as
// {kind, message} in plain words (apiclient.Error).
//
// Events the frontend listens to (see frontend/src/bridge.ts):
//
//	session       SessionView: signed in or out, workspace, connection
//	inbox:event   an Event (protobuf JSON) with its conversation as it now stands
//	inbox:reset   the inbox was reloaded (workspace switch, resync): list again
//	outbox        an outbox.Item that changed
//	open          a conversation id to show (its notification was clicked)
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/credential"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/profile"
)

// Shell is what the app needs from the window runtime: Wails in the real
// app, a recorder in tests.
type Shell interface {
	// Emit sends an event to the frontend.
	Emit(name string, data any)
	// Notify shows a native notification; clicking it must end in
	// Host.OpenConversation with its conversation and notification ids.
	Notify(n notify.Notification) error
	// OpenURL opens a link in the system browser.
	OpenURL(url string) error
	// PickFiles asks the person for files to attach; none when cancelled.
	PickFiles() ([]string, error)
	// PickDocument asks for one document for the knowledge base (text,
	// Markdown, HTML or PDF); "" when cancelled.
	PickDocument() (string, error)
	// SaveFile asks where to save a file, suggesting a name; "" when cancelled.
	SaveFile(suggested string) (string, error)
	// OpenFile opens a saved file with the system's default application.
	OpenFile(path string) error
}

// Config is what the app is built from.
type Config struct {
	// Dir holds the profile, the outbox and (without a keychain) tokens.
	Dir string
	// Keyring is the OS keychain; nil keeps tokens in a private file.
	Keyring credential.Keyring
	Shell   Shell
	Logger  *slog.Logger
	// Version goes into the User-Agent.
	Version string
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// WatchIdle, OutboxBackoff tune reconnects (tests make them short).
	WatchIdle     time.Duration
	OutboxBackoff outbox.Backoff
}

// App is bound to the frontend: every exported method is callable from
// JavaScript, and nothing else is exported.
type App struct{ c *core }

// Host is the app's lifecycle, driven by the window runtime.
type Host struct {
	c    *core
	once sync.Once
}

// New opens the app's stores; nothing runs until Host.Start.
func New(cfg Config) (*App, *Host, error) {
	if cfg.Shell == nil {
		return nil, nil, errors.New("app: a Shell is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// Until Start, calls run in a context that is already over.
	base, cancel := context.WithCancel(context.Background())
	cancel()
	c := &core{cfg: cfg, log: cfg.Logger, shell: cfg.Shell, base: base, cancel: cancel,
		tokens:  credential.NewStore(cfg.Keyring, cfg.Dir, cfg.Logger),
		profile: profile.NewStore(cfg.Dir), picked: map[string]string{}, saved: map[string]bool{}}
	ob, err := outbox.Open(filepath.Join(cfg.Dir, "outbox"), outbox.Options{Logger: cfg.Logger,
		OnChange: func(it outbox.Item) { c.shell.Emit("outbox", it) }})
	if err != nil {
		return nil, nil, err
	}
	c.outbox = ob
	return &App{c: c}, &Host{c: c}, nil
}

// Start runs the app until Stop: it signs back in with the remembered
// account, if any, and starts sending what the outbox holds.
func (h *Host) Start(ctx context.Context) {
	h.c.start(ctx)
}

// Stop tells the server the agent is offline, stops every goroutine and
// closes the outbox.
func (h *Host) Stop() {
	h.once.Do(h.c.stop)
}

// OpenConversation shows a conversation because its notification was
// clicked, and marks that notification read.
func (h *Host) OpenConversation(conversationID, notificationID string) {
	if conversationID != "" {
		h.c.shell.Emit("open", conversationID)
	}
	if notificationID == "" {
		return
	}
	sess, ws, err := h.c.current()
	if err != nil {
		return
	}
	if _, err := sess.client.Notifications.MarkNotificationsRead(h.c.ctx(), &tandemv1.MarkNotificationsReadRequest{
		WorkspaceId: ws.id, NotificationIds: []string{notificationID}}); err != nil {
		h.c.log.Info("mark notification read", "err", err)
	}
}
