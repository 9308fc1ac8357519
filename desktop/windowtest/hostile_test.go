//go:build windowtest

package windowtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/desktop/internal/dbustest"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestWindowHostileContent is stored XSS and link handling in the real
// Wails webview (WebKitGTK), not Chromium (RELIABILITY.md INP-03,
// AUTH-04). A customer's name, messages and attributes, an agent's
// message and note and a tag carry payloads that, if any ever ran or
// loaded, would leave a trace outside the window: the X window's title
// changes (runtime.WindowSetTitle, document.title), a bound Go method or
// the Wails runtime opens a canary address (the fake xdg-open records
// it), or the webview fetches, loads or navigates to the canary HTTP
// server the test runs (every request is recorded). The agent opens the
// conversation in the window: nothing fires. Then the agent clicks a
// plain web link in a message: the app asks, and on "Open" the link goes
// to the system opener, not into the webview, and the app still works (a
// reply typed next reaches the customer). A customer's message with
// markup is shown natively, escaped for the notification server, which
// reads markup (INP-03's OS notifications).
func TestWindowHostileContent(t *testing.T) {
	bin := os.Getenv("TANDEM_DESKTOP_BIN")
	if bin == "" {
		t.Fatal("TANDEM_DESKTOP_BIN must name the built app (make -C desktop test-window builds it)")
	}
	artifacts := os.Getenv("TANDEM_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "hostile") // TestWindow keeps its app.log one level up
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	can := startCanary(t)
	// Wails opens links with xdg-open (github.com/pkg/browser): a fake one,
	// first on the app's PATH, records what it is asked to open.
	opened := fakeOpener(t)

	srv := tandemtest.Start(t, nil)
	bus := dbustest.StartBus(t)
	// A notification server that reads markup in bodies, as GNOME Shell
	// and KDE Plasma do.
	notifications := dbustest.Serve(t, bus)
	notifications.Advertise("actions", "body", "body-markup", "body-hyperlinks", "body-images")
	display := startXvfb(t)
	x := x{t: t, display: display}
	agent := srv.Login(t, tandemtest.AgentEmail)
	owner := srv.Login(t, tandemtest.OwnerEmail)
	ctx := context.Background()
	seen := watch(t, agent, srv.WorkspaceID)

	// The corpus (ideas from frontend/test/browser/xss_common.mjs), each
	// armed with the canaries. The canary's address is spelled so that the
	// app's linkifier (http:// followed by the rest) finds no link in it
	// and leaves the payload's HTML in one piece: {J} builds it in script,
	// {C} has an entity for its colon (HTML attributes decode it), {S} a
	// CSS escape; {U} is the plain address, linkified, for payloads aimed
	// at the linkifier's own attribute.
	host := strings.TrimPrefix(can.URL, "http://")
	js := func(id string) string {
		return fmt.Sprintf("var c='http:'+'//%[1]s';fetch(c+'/fetch/%[2]s');top.document.title='XSS-%[2]s';top.go.app.App.OpenLink(c+'/bound/%[2]s');"+
			"top.runtime.BrowserOpenURL(c+'/runtime/%[2]s');top.runtime.WindowSetTitle('XSS-%[2]s')", host, id)
	}
	arm := func(id, tmpl string) string {
		return strings.NewReplacer("{J}", js(id), "{C}", "http&#58;//"+host, "{S}", `http\3a //`+host, "{U}", can.URL).Replace(tmpl)
	}
	corpus := []struct{ id, tmpl string }{
		{"script", `<script>{J}</script>`},
		{"img", `<img src=x onerror="{J}">`},
		{"svg", `<svg onload="{J}"></svg>`},
		{"iframe", `<iframe srcdoc="<script>{J}</script>"></iframe>`},
		{"iframesrc", `<iframe src="{C}/load/iframesrc"></iframe>`},
		{"jslink", `<a href="javascript:{J}">click</a>`},
		{"datalink", `<a href="data:text/html,<script>{J}</script>">open</a>`},
		{"mdlink", `[click me](javascript:{J}) and [site]({U}/load/mdlink)`},
		{"mdimg", `![pixel]({U}/load/mdimg.png)`},
		{"autofocus", `" autofocus onfocus="{J}" x="`},
		{"breakout", `'><img src=x onerror="{J}"><x a='`},
		{"linkattr", `{U}/a"onmouseover="{J}"x=" {U}/b'autofocus/onfocus='{J}'x='`},
		{"details", `<details open ontoggle="{J}"><summary>x</summary></details>`},
		{"meta", `<meta http-equiv="refresh" content="0;url={C}/load/meta">`},
		{"css", `</style><style>body{background:url({S}/load/css)}</style><div style="background:url({C}/load/css2)">x</div>`},
		{"object", `<object data="{C}/load/object"></object><embed src="{C}/load/embed">`},
		{"media", `<video poster="{C}/load/poster" autoplay><source src=x onerror="{J}"></video><audio src="{C}/load/audio" autoplay></audio>`},
		{"template", `{{constructor.constructor('{J}')()}} ${{J}}`},
	}
	var payloads []string
	for _, p := range corpus {
		payloads = append(payloads, arm(p.id, p.tmpl))
	}

	// The customer: a hostile name, one message per payload, hostile
	// attributes; then they ask for a person.
	token := strings.ToUpper(uuid.NewString()[:8])
	customer := srv.StartConversation(t, `"><svg onload=top.runtime.WindowSetTitle('XSS-name')>`, "Hello, order "+token+" "+payloads[1])
	convID := customer.Conversation.GetId()
	customer.HandOff(t)
	for _, body := range payloads {
		if _, err := customer.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: body}); err != nil {
			t.Fatalf("customer message %.40q: %v", body, err)
		}
	}
	attrs := map[string]string{`k"><img src=x onerror=runtime.WindowSetTitle('XSS-akey')>`: arm("attr", `"><img src=x onerror="{J}">`)}
	for i, p := range payloads[:8] {
		attrs[fmt.Sprintf("p%d", i)] = p
	}
	if _, err := customer.Widget.UpdateVisitor(ctx, &tandemv1.UpdateVisitorRequest{Attributes: attrs}); err != nil {
		t.Fatalf("visitor attributes: %v", err)
	}

	// The team: a hostile tag (made by the owner) on the conversation; the
	// agent takes it over, answers and notes with every payload, and last
	// sends a plain web link to the canary server.
	tags := tandemv1connect.NewTagServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(withToken(owner.Token)))
	tag, err := tags.CreateTag(ctx, &tandemv1.CreateTagRequest{WorkspaceId: srv.WorkspaceID, Name: `<svg onload=runtime.WindowSetTitle('XSS-tag')>`, Description: payloads[1]})
	if err != nil {
		t.Fatalf("create tag: %v", err)
	}
	if _, err := agent.Conversations.TakeOverConversation(ctx, &tandemv1.TakeOverConversationRequest{ConversationId: convID}); err != nil {
		t.Fatalf("take over: %v", err)
	}
	if _, err := agent.Conversations.TagConversation(ctx, &tandemv1.TagConversationRequest{ConversationId: convID, TagId: tag.GetTag().GetId()}); err != nil {
		t.Fatalf("tag: %v", err)
	}
	all := strings.Join(payloads, "\n")
	if _, err := agent.Conversations.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: all}); err != nil {
		t.Fatalf("agent message: %v", err)
	}
	if _, err := agent.Conversations.AddNote(ctx, &tandemv1.AddNoteRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: all}); err != nil {
		t.Fatalf("note: %v", err)
	}
	navURL := can.URL + "/nav/" + token
	if _, err := agent.Conversations.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: "Track it here: " + navURL}); err != nil {
		t.Fatalf("link message: %v", err)
	}
	// What the customer sees is what they sent, byte for byte (the server
	// stores text; only the window's rendering is in question here).
	stored := map[string]bool{}
	for _, m := range customer.Messages(t) {
		stored[m.GetBody()] = true
	}
	for _, p := range payloads {
		if !stored[p] {
			t.Errorf("payload not stored verbatim: %.60q", p)
		}
	}

	// fired names every trace a payload left, or is empty.
	fired := func() []string {
		var out []string
		for _, h := range can.all() {
			out = append(out, "canary server hit: "+h)
		}
		for _, l := range opened() {
			if l != navURL {
				out = append(out, "system opener asked for: "+l)
			}
		}
		if ids, err := x.run(5*time.Second, "xdotool", "search", "--name", "XSS"); err == nil && strings.TrimSpace(ids) != "" {
			out = append(out, "a window's title was set by a payload")
		}
		if b, _ := os.ReadFile(filepath.Join(artifacts, "app.log")); bytes.Contains(b, []byte("unauthorized origin")) {
			out = append(out, "a page of another origin tried the app's bindings (app.log: Wails blocked it)")
		}
		return out
	}
	// waitClean waits like waitFor, failing at once if a payload fired.
	waitClean := func(what string, ok func() bool) {
		t.Helper()
		waitFor(t, what, uiTimeout, func() bool {
			if f := fired(); len(f) > 0 {
				x.screenshot(filepath.Join(artifacts, "fired.png"))
				t.Fatalf("while waiting for %s, hostile content ran in the window or the webview left the app:\n%s", what, strings.Join(f, "\n"))
			}
			return ok()
		})
	}

	// Sign in as TestWindow does, and open the conversation by its order
	// number.
	app := launch(t, bin, display, bus, artifacts)
	win := x.window("Tandem", uiTimeout)
	x.signIn(t, win, artifacts, srv.URL)
	waitClean("the app to sign in (agent online)", func() bool { return online(ctx, srv, owner, agent) })
	time.Sleep(2 * time.Second)
	x.keys(win, "slash")
	x.typeText(win, token)
	x.keys(win, "Return")
	waitClean("the app to open the conversation (read marker)", func() bool {
		return seen.seen(func(ev *tandemv1.Event) bool {
			return ev.GetType() == "conversation.read" && ev.GetConversationId() == convID
		})
	})
	// The link: the last message's address is the lowest link on screen
	// (WebKit's unvisited-link blue, #0000ee; the app styles no links),
	// once WebKit has painted the history scrolled to its end (two
	// screenshots a second apart agree). Clicking it asks first (the
	// dialog's backdrop dims the link); Enter takes "Open", which has the
	// focus.
	shot := filepath.Join(artifacts, "hostile-opened.png")
	var lx, ly int
	waitClean("the history to settle with a link at its end", func() bool {
		time.Sleep(time.Second)
		x.screenshot(shot)
		px, py, ok := lowestLink(t, shot)
		settled := ok && px == lx && py == ly
		lx, ly = px, py
		return settled
	})
	x.must("xdotool", "mousemove", "--sync", fmt.Sprint(lx), fmt.Sprint(ly-4))
	x.must("xdotool", "click", "1")
	confirm := filepath.Join(artifacts, "hostile-confirm.png")
	waitClean("the app to ask before opening the link", func() bool {
		x.screenshot(confirm)
		return !isLinkBlue(t, confirm, lx, ly)
	})
	x.keys(win, "Return")
	waitClean("the link to go to the system opener", func() bool {
		for _, l := range opened() {
			if l == navURL {
				return true
			}
		}
		return false
	})

	// The webview stayed on the app: a reply typed now reaches the
	// customer.
	reply := "Sorry about order " + token + ", a replacement ships today."
	x.keys(win, "r")
	x.typeText(win, reply)
	x.keys(win, "ctrl+Return")
	waitClean("the customer to receive the reply", func() bool {
		for _, m := range customer.Messages(t) {
			if m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_AGENT && m.GetBody() == reply {
				return true
			}
		}
		return false
	})
	// The customer writes markup while the agent owns the chat: the native
	// notification of it reaches the markup-reading server escaped, the
	// customer's words as text, no link or image of theirs.
	markup := `<a href="` + can.URL + `/notification/link">prize</a> <img src="` + can.URL + `/notification/img"> & <b>bold</b>`
	if _, err := customer.Widget.SendMessage(ctx, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: convID, ClientId: uuid.NewString(), Body: markup}); err != nil {
		t.Fatalf("customer markup message: %v", err)
	}
	n := notifications.Wait(t, uiTimeout, func(n dbustest.Notification) bool { return strings.Contains(n.Body, "prize") })
	if want := `&lt;a href="` + can.URL + `/notification/link"&gt;prize&lt;/a&gt; &lt;img src="` + can.URL + `/notification/img"&gt; &amp; &lt;b&gt;bold&lt;/b&gt;`; n.Body != want {
		t.Errorf("the notification's body reached a markup-reading server as %q, want it escaped: %q", n.Body, want)
	}
	for _, n := range notifications.All() {
		if strings.ContainsAny(n.Body, "<>") {
			t.Errorf("a notification's body carries markup to a server that reads it: %q", n.Body)
		}
	}

	// The reply went out after the window rendered every payload; a short
	// grace lets any late load or timer show itself.
	time.Sleep(3 * time.Second)
	x.screenshot(filepath.Join(artifacts, "hostile-after.png"))
	if f := fired(); len(f) > 0 {
		t.Fatalf("hostile content ran in the window or the webview left the app:\n%s", strings.Join(f, "\n"))
	}
	if got := opened(); len(got) != 1 {
		t.Errorf("system opener calls %q, want exactly the clicked link %q", got, navURL)
	}
	x.window("Tandem", 10*time.Second) // still titled Tandem
	app.stop(t)
}

// canary is a loopback HTTP server that records every request.
type canary struct {
	URL  string
	mu   sync.Mutex
	hits []string
}

func startCanary(t *testing.T) *canary {
	t.Helper()
	c := &canary{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits = append(c.hits, r.Method+" "+r.URL.String())
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		// A page the webview reaches only by navigating away from the app
		// or by framing it: it tries the app's bindings as the Wails
		// runtime would. Wails refuses a window showing another origin,
		// but judges by the window's address, not the calling frame's: a
		// foreign frame inside the app would reach them, which is one more
		// reason the app's CSP allows no frames or objects.
		_, _ = w.Write([]byte("<!doctype html><title>XSS-canary-page</title><p>canary</p><script>" +
			"window.webkit.messageHandlers.external.postMessage('C'+JSON.stringify({name:'app.App.OpenLink',args:[location.origin+'/from-canary-page'+location.pathname],callbackID:'canary-1'}))" +
			"</script>"))
	}))
	t.Cleanup(s.Close)
	c.URL = s.URL
	return c
}

func (c *canary) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hits...)
}

// fakeOpener puts an xdg-open first on PATH (for the app, which launch
// starts with this PATH) that records its argument; the returned function
// reads what it was asked to open.
func fakeOpener(t *testing.T) func() []string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "opened.txt")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + log + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil { //nolint:gosec // an executable script, on purpose
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return func() []string {
		b, _ := os.ReadFile(log)
		return strings.Fields(string(b))
	}
}

// lowestLink finds the lowest row of link-blue pixels in a screenshot
// (the last link's underline) and returns a point in its middle.
func lowestLink(t *testing.T, path string) (int, int, bool) {
	t.Helper()
	img := decode(t, path)
	b := img.Bounds()
	for y := b.Max.Y - 1; y >= b.Min.Y; y-- {
		var xs []int
		for x := b.Min.X; x < b.Max.X; x++ {
			if linkBlue(img, x, y) {
				xs = append(xs, x)
			}
		}
		if len(xs) > 0 {
			return xs[len(xs)/2], y, true
		}
	}
	return 0, 0, false
}

// isLinkBlue reports whether a screenshot's pixel is WebKit's link blue.
func isLinkBlue(t *testing.T, path string, x, y int) bool {
	t.Helper()
	return linkBlue(decode(t, path), x, y)
}

func linkBlue(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r>>8 == 0 && g>>8 == 0 && b>>8 == 0xee
}

func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// withToken sets a member's token on every unary call.
func withToken(token string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}
}
