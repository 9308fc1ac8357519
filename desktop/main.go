//go:build desktop || dev || bindings

// Command tandem is the Tandem desktop app for agents: a Wails window over
// the frontend in frontend/dist, bound to internal/app. Build it with the
// tags desktop,production (and webkit2_41 on Linux distributions that ship
// WebKitGTK 4.1): see README.md.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/credential"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tandem:", err)
		os.Exit(1)
	}
}

func run() error {
	level := slog.LevelInfo
	if os.Getenv("TANDEM_DESKTOP_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	dir, err := dataDir()
	if err != nil {
		return err
	}
	shell := &wailsShell{log: logger}
	bound, host, err := app.New(app.Config{Dir: dir, Keyring: credential.OSKeyring(), Shell: shell, Logger: logger, Version: version})
	if errors.Is(err, outbox.ErrLocked) {
		fmt.Fprintln(os.Stderr, "tandem: the app is already running")
		return nil
	}
	if err != nil {
		return err
	}
	return wails.Run(&options.App{
		Title:     "Tandem",
		Width:     1360,
		Height:    860,
		MinWidth:  360,
		MinHeight: 560,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		OnStartup: func(ctx context.Context) {
			shell.start(ctx, host)
			host.Start(ctx)
		},
		OnDomReady: func(context.Context) {
			logger.Debug("page loaded")
		},
		OnShutdown: func(ctx context.Context) {
			host.Stop()
			shell.stop()
		},
		Bind: []any{bound},
		// Nothing dropped on the window may navigate it away from the app.
		DragAndDrop: &options.DragAndDrop{DisableWebViewDrop: true},
		// Errors reach the frontend as {kind, message}: typed, in plain words.
		ErrorFormatter: func(err error) any { return apiclient.From(err) },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: "tandem-desktop-0f6c1d0e",
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				shell.show()
			},
		},
		Linux: &linux.Options{ProgramName: "tandem"},
	})
}

// dataDir is where the app keeps its profile, outbox and (without a
// keychain) token: TANDEM_DESKTOP_DIR, or "Tandem" in the user's
// configuration directory.
func dataDir() (string, error) {
	if d := os.Getenv("TANDEM_DESKTOP_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory: %w", err)
	}
	return filepath.Join(base, "Tandem"), nil
}

// wailsShell is app.Shell over the Wails runtime.
type wailsShell struct {
	log           *slog.Logger
	ctx           context.Context
	notifications bool
	markup        bool // the notification server reads markup in bodies: escape them
}

func (s *wailsShell) start(ctx context.Context, host *app.Host) {
	s.ctx = ctx
	if err := runtime.InitializeNotifications(ctx); err != nil {
		s.log.Warn("native notifications unavailable", "err", err)
		return
	}
	if ok, err := runtime.RequestNotificationAuthorization(ctx); err != nil || !ok {
		s.log.Warn("notifications not allowed", "err", err)
		return
	}
	s.notifications = true
	s.markup = notify.BodyMarkup(ctx)
	runtime.OnNotificationResponse(ctx, func(r runtime.NotificationResult) {
		if r.Error != nil {
			return
		}
		conv, _ := r.Response.UserInfo["conversation_id"].(string)
		note, _ := r.Response.UserInfo["notification_id"].(string)
		s.show()
		host.OpenConversation(conv, note)
	})
}

func (s *wailsShell) stop() {
	if s.notifications {
		runtime.CleanupNotifications(s.ctx)
	}
}

func (s *wailsShell) show() {
	if s.ctx == nil {
		return
	}
	runtime.WindowUnminimise(s.ctx)
	runtime.WindowShow(s.ctx)
}
