//go:build desktop || dev || bindings

package main

import (
	"errors"

	"github.com/pkg/browser"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/tandem-inbox/tandem/desktop/internal/notify"
)

// Emit sends an event to the frontend.
func (s *wailsShell) Emit(name string, data any) {
	if s.ctx != nil {
		runtime.EventsEmit(s.ctx, name, data)
	}
}

// Notify shows a native notification; its conversation id comes back in
// the click's user info.
func (s *wailsShell) Notify(n notify.Notification) error {
	if !s.notifications {
		return errors.New("notifications are not available")
	}
	body := n.Body
	if s.markup {
		body = notify.Markup(body)
	}
	return runtime.SendNotification(s.ctx, runtime.NotificationOptions{
		ID:    n.ID,
		Title: n.Title,
		Body:  body,
		Data:  map[string]any{"conversation_id": n.ConversationID, "notification_id": n.ID, "kind": string(n.Kind)},
	})
}

// OpenURL opens a link in the system browser (the app checked it is http(s)).
func (s *wailsShell) OpenURL(url string) error {
	runtime.BrowserOpenURL(s.ctx, url)
	return nil
}

// PickFiles asks for files to attach.
func (s *wailsShell) PickFiles() ([]string, error) {
	return runtime.OpenMultipleFilesDialog(s.ctx, runtime.OpenDialogOptions{Title: "Attach files (10 MB each at most)"})
}

// PickDocument asks for a document for the knowledge base.
func (s *wailsShell) PickDocument() (string, error) {
	return runtime.OpenFileDialog(s.ctx, runtime.OpenDialogOptions{
		Title: "Add a document to the knowledge base (8 MB at most)",
		Filters: []runtime.FileFilter{
			{DisplayName: "Documents (*.txt, *.md, *.html, *.pdf)", Pattern: "*.txt;*.text;*.md;*.markdown;*.html;*.htm;*.pdf"},
		},
	})
}

// SaveFile asks where to save an attachment.
func (s *wailsShell) SaveFile(suggested string) (string, error) {
	return runtime.SaveFileDialog(s.ctx, runtime.SaveDialogOptions{Title: "Save attachment", DefaultFilename: suggested})
}

// OpenFile opens a saved file with the system's default application (the
// app checked it cannot run a program).
func (s *wailsShell) OpenFile(path string) error {
	return browser.OpenFile(path)
}
