package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// shell records what the app tells the window.
type shell struct {
	mu       sync.Mutex
	events   []emitted
	notified []notify.Notification
	opened   []string
	// pick is what the file chooser returns; saveAs what the save dialog does.
	pick    []string
	pickDoc string
	saveAs  string
	files   []string
}

type emitted struct {
	name string
	data any
}

func (s *shell) Emit(name string, data any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, emitted{name, data})
}

func (s *shell) Notify(n notify.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notified = append(s.notified, n)
	return nil
}

func (s *shell) OpenURL(u string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = append(s.opened, u)
	return nil
}

func (s *shell) PickFiles() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pick, nil
}

func (s *shell) PickDocument() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pickDoc, nil
}

func (s *shell) SaveFile(string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveAs, nil
}

func (s *shell) OpenFile(p string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = append(s.files, p)
	return nil
}

func (s *shell) notifications() []notify.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Notification(nil), s.notified...)
}

// lastSession returns the last session event.
func (s *shell) lastSession() (app.SessionView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.events) - 1; i >= 0; i-- {
		if v, ok := s.events[i].data.(app.SessionView); ok && s.events[i].name == "session" {
			return v, true
		}
	}
	return app.SessionView{}, false
}

// streamed returns the events the stream brought, decoded.
func (s *shell) streamed(t *testing.T) []*tandemv1.Event {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*tandemv1.Event
	for _, e := range s.events {
		if e.name != "inbox:event" {
			continue
		}
		ev := &tandemv1.Event{}
		if err := protojson.Unmarshal(e.data.(json.RawMessage), ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

type running struct {
	app   *app.App
	host  *app.Host
	shell *shell
	dir   string
}

// launch starts the app on dir (a fresh one when empty), as the window
// runtime would, and stops it when the test ends (or on stop).
func launch(t *testing.T, dir string) *running {
	t.Helper()
	return launchVia(t, dir, nil)
}

// launchVia is launch with the app's HTTP transport replaced (nil keeps
// the app's own).
func launchVia(t *testing.T, dir string, rt http.RoundTripper) *running {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	sh := &shell{}
	var logger *slog.Logger
	if os.Getenv("TANDEM_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, h, err := app.New(app.Config{Dir: dir, Shell: sh, Logger: logger, Version: "test", Transport: rt,
		WatchIdle: 5 * time.Second, OutboxBackoff: outbox.Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.Start(ctx)
	var once sync.Once
	r := &running{app: a, host: h, shell: sh, dir: dir}
	t.Cleanup(func() { once.Do(func() { h.Stop(); cancel() }) })
	return r
}

func (r *running) stop() { r.host.Stop() }

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func decodeConv(t *testing.T, raw json.RawMessage) *tandemv1.Conversation {
	t.Helper()
	c := &tandemv1.Conversation{}
	if err := protojson.Unmarshal(raw, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func decodeMsg(t *testing.T, raw json.RawMessage) *tandemv1.Message {
	t.Helper()
	m := &tandemv1.Message{}
	if err := protojson.Unmarshal(raw, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// customerSaw reports whether the customer's side has an agent message with
// the body, and how many.
func customerSaw(t *testing.T, c *tandemtest.Customer, body string) int {
	t.Helper()
	n := 0
	for _, m := range c.Messages(t) {
		if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_AGENT && strings.TrimSpace(m.GetBody()) == body {
			n++
		}
	}
	return n
}
