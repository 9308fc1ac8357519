package email_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/html"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// mailPayloads are markup a customer or an agent might write, each of
// which, if a mail reader ran it, would mark the page's body
// (data-pwned): scripts, handlers, frames, links, styles, a refresh,
// text that breaks out of the element around it, text already escaped,
// comments and the parser confusions of mutation XSS.
var mailPayloads = []string{
	`<script>document.body.dataset.pwned='script'</script>`,
	`<img src=x onerror="document.body.dataset.pwned='img'">`,
	`<svg onload="document.body.dataset.pwned='svg'"></svg>`,
	`<iframe srcdoc="<script>parent.document.body.dataset.pwned='srcdoc'</script>"></iframe>`,
	`"><img src=x onerror=document.body.dataset.pwned='attr'>`,
	`<a href="javascript:document.body.dataset.pwned='js'">click</a>`,
	`</div></body><script>document.body.dataset.pwned='breakout'</script>`,
	`<style>body{background:url(https://attacker.invalid/css)}</style>`,
	`<meta http-equiv="refresh" content="0;url=https://attacker.invalid/">`,
	`<details open ontoggle="document.body.dataset.pwned='details'">x</details>`,
	`<body onload="document.body.dataset.pwned='body'">`,
	`&lt;script&gt;document.body.dataset.pwned='entity'&lt;/script&gt;`,
	`<!--<img src=x onerror=document.body.dataset.pwned='comment'>-->`,
	`<math><mtext><table><mglyph><style><img src=x onerror=document.body.dataset.pwned='mxss'>`,
	`<base href="https://attacker.invalid/"><form action="https://attacker.invalid/"><input name=q></form>`,
}

// TestMailHTMLRunsNothing (INP-03): the HTML part of the mails Tandem
// sends, here a transcript of a chat whose customer and agent wrote every
// payload of mailPayloads, is rendered by a real browser engine (headless
// Chromium, scripts on: a stricter reader than any mail client): nothing
// runs, the document holds no element but the text's container and its
// line breaks and no attribute but its style, and each payload reads as the
// text that was written.
func TestMailHTMLRunsNothing(t *testing.T) {
	t.Parallel()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		storetest.Missing(t, "chromium is not installed (CI installs it)")
	}
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, withPublicURL)
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.Connect)
		m.inbox(t, w, "help@shop.example", false)
		visitor := rpcclient.WithToken(w.Ctx, w.VisitorToken)
		conv := w.Conversation(w.Visitor)
		for _, p := range mailPayloads {
			if _, err := c.Widget.SendMessage(visitor, &tandemv1.WidgetServiceSendMessageRequest{ConversationId: conv.ID,
				ClientId: uuid.NewString(), Body: p}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Conversation.SendMessage(w.As("owner"), &tandemv1.SendMessageRequest{ConversationId: conv.ID, ClientId: uuid.NewString(),
			Body: strings.Join(mailPayloads, "\n")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Widget.EmailTranscript(visitor, &tandemv1.EmailTranscriptRequest{ConversationId: conv.ID, Email: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		if code, body := sendForm(t, m.confirmLink(t, m.arrived(t, 1))); code != http.StatusOK {
			t.Fatalf("confirming the address: %d\n%s", code, body)
		}
		mails := m.arrived(t, 2) // the confirmation (fixed text) and the copy
		copyOf := mails[1]
		if !strings.HasPrefix(copyOf.Subject, "Your conversation") {
			copyOf = mails[0]
		}
		if copyOf.HTML == "" {
			t.Fatalf("the transcript %q has no HTML part", copyOf.Subject)
		}
		doc := render(t, chromium, copyOf.HTML)
		checkRendered(t, copyOf.Subject, doc)
		text := textOf(doc)
		for _, p := range mailPayloads {
			if n := strings.Count(text, p); n != 2 { // the customer's message and the agent's reply
				t.Errorf("the transcript shows %q %d times as text, want 2", p, n)
			}
		}
	})
}

// render loads page in headless Chromium, scripts on and the network left
// to fail, and parses the document as it stands once the page is done.
func render(t *testing.T, chromium, page string) *html.Node {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "mail.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--virtual-time-budget=3000", "--dump-dom", "file://"+file).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	doc, err := html.Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkRendered fails on any trace of markup of the mail's text in the
// rendered document: a body a script marked, an element other than the
// text's container and its line breaks, an attribute other than the
// container's style.
func checkRendered(t *testing.T, subject string, n *html.Node) {
	t.Helper()
	if n.Type == html.ElementNode {
		switch n.Data {
		case "html", "head", "body", "br":
			for _, a := range n.Attr {
				t.Errorf("%q: <%s %s=%q>: an attribute from the text (data-pwned: a script ran)", subject, n.Data, a.Key, a.Val)
			}
		case "div":
			for _, a := range n.Attr {
				if a.Key != "style" {
					t.Errorf("%q: <div %s=%q>: an attribute from the text", subject, a.Key, a.Val)
				}
			}
		default:
			t.Errorf("%q: a <%s> element from the text", subject, n.Data)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		checkRendered(t, subject, c)
	}
}

// textOf is the text of the document's body, as a reader sees it.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
