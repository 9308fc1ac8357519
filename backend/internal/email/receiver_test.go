package email_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// directory is what the conversation service asks of the workspace; these
// tests put no tags on conversations and nobody is online.
type directory struct{ *workspace.Service }

func (directory) Tag(context.Context, string) (string, string, error) {
	return "", "", apperr.ErrNotFound
}

func (directory) Online(context.Context, string, string) (bool, error) { return false, nil }

// mailEnv is env with the conversation and contact services, an inbox in
// W1 and the SMTP receiver on a loopback port.
type mailEnv struct {
	*env
	convs  *conversation.Service
	files  *files.Service
	inbox  email.Inbox
	addr   string // the receiver's host:port
	secret []byte
	swaks  string
}

func newMailEnv(t *testing.T, db *store.DB, opts email.ReceiverOptions) *mailEnv {
	t.Helper()
	sw := mailtest.Swaks(t)
	e := newEnv(t, db)
	log := events.NewLog(db, nil, e.Clock.Now)
	contacts := contact.NewService(db, log, e.Workspaces, contact.Options{Now: e.Clock.Now})
	bucket, err := files.OpenBucket(e.Ctx, "mem://", "")
	if err != nil {
		t.Fatal(err)
	}
	fs := files.NewService(db, bucket, slog.New(slog.DiscardHandler))
	convs := conversation.NewService(db, log, events.NewHub(db, time.Second), conversation.Deps{Accounts: e.Accounts, Contacts: contacts,
		Directory: directory{e.Workspaces}, Attacher: fs}, conversation.Options{Now: e.Clock.Now})
	inbox, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings("help@shop-one.example"))
	if err != nil {
		t.Fatal(err)
	}
	m := &mailEnv{env: e, convs: convs, files: fs, inbox: inbox, secret: []byte("a secret for reply tokens, 32 b."), swaks: sw}
	logger := slog.New(slog.DiscardHandler)
	in := email.NewInbound(e.svc, convs, contacts, m.files, m.secret, logger, nil)
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 1 << 20
	}
	opts.Domain, opts.MaxRecipients = "mx.test", 10
	l, err := (&net.ListenConfig{}).Listen(e.Ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() { done <- email.NewReceiver(in, opts, logger).Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("receiver: %v", err)
		}
	})
	return m
}

// send delivers raw to the address with swaks over TCP and returns its
// transcript and whether the server accepted the mail.
func (m *mailEnv) send(t *testing.T, to, from string, raw []byte) (string, bool) {
	t.Helper()
	host, port, _ := net.SplitHostPort(m.addr)
	if from == "" {
		from = "<>" // the null sender of bounces
	}
	cmd := exec.CommandContext(m.Ctx, m.swaks, "--server", host, "--port", port, "--from", from, "--to", to,
		"--helo", "client.test", "--data", "-", "--timeout", "20")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	return string(out), err == nil
}

func (m *mailEnv) to() string { return m.inbox.ReceivingAddress("localhost") }

// counts are the conversations and customer messages of W1.
func (m *mailEnv) counts(t *testing.T) (convs, msgs int) {
	t.Helper()
	if err := m.DB.GetContext(m.Ctx, &convs, `SELECT COUNT(*) FROM conversations WHERE workspace_id = ?`, m.w1.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.GetContext(m.Ctx, &msgs, `SELECT COUNT(*) FROM messages WHERE workspace_id = ? AND author_kind = ? AND kind = ?`,
		m.w1.ID, conversation.AuthorCustomer, conversation.KindText); err != nil {
		t.Fatal(err)
	}
	return convs, msgs
}

// only returns W1's one conversation, and its customer messages' bodies.
func (m *mailEnv) only(t *testing.T) (conversation.Conversation, []string) {
	t.Helper()
	var ids []string
	if err := m.DB.SelectContext(m.Ctx, &ids, `SELECT id FROM conversations WHERE workspace_id = ?`, m.w1.ID); err != nil || len(ids) != 1 {
		t.Fatalf("conversations %v, %v; want one", ids, err)
	}
	c, err := m.convs.Get(m.Ctx, m.w1.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	if err := m.DB.SelectContext(m.Ctx, &bodies, `SELECT body FROM messages WHERE conversation_id = ? AND author_kind = ? AND kind = ? ORDER BY seq`,
		c.ID, conversation.AuthorCustomer, conversation.KindText); err != nil {
		t.Fatal(err)
	}
	return c, bodies
}

func mailFrom(from, subject, messageID string, extra []string, body string) []byte {
	h := []string{"From: " + from, "To: help@shop-one.example", "Subject: " + subject, "Date: Mon, 7 Jan 2030 10:00:00 +0000"}
	if messageID != "" {
		h = append(h, "Message-ID: <"+messageID+">")
	}
	return msg(append(h, extra...), body)
}

// TestReceiveAndThread: a new mail starts an email conversation; replies
// join it by References and by the reply token, and reopen it when closed.
func TestReceiveAndThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{})
		first := mailFrom("Ada Lovelace <Ada@Example.com>", "Where is my parcel?", "m1@example.com", nil,
			"It has not arrived.\n\nOn Mon, Shop wrote:\n> shipped\n")
		if out, ok := m.send(t, m.to(), "ada@example.com", first); !ok {
			t.Fatalf("first mail refused:\n%s", out)
		}
		c, bodies := m.only(t)
		if c.Channel != conversation.ChannelEmail || c.Subject != "Where is my parcel?" || c.State != conversation.StatePending ||
			len(bodies) != 1 || bodies[0] != "It has not arrived." {
			t.Fatalf("conversation %+v, bodies %q", c, bodies)
		}
		var who struct {
			Email string `db:"email"`
			Name  string `db:"name"`
		}
		if err := db.GetContext(m.Ctx, &who, `SELECT email, name FROM contacts WHERE id = ?`, c.ContactID); err != nil ||
			who.Email != "ada@example.com" || who.Name != "Ada Lovelace" {
			t.Errorf("contact %+v, %v", who, err)
		}

		// A reply by References, with another subject.
		reply := mailFrom("ada@example.com", "Re: Where is my parcel? (order 42)", "m2@example.com",
			[]string{"References: <m1@example.com>"}, "Order 42.")
		if out, ok := m.send(t, m.to(), "ada@example.com", reply); !ok {
			t.Fatalf("reply refused:\n%s", out)
		}
		// Closed, then a reply by the reply token alone reopens it.
		if _, err := m.convs.Close(m.Ctx, m.o1, m.w1.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		token := email.ReplyToken(m.secret, m.inbox.ID, c.ID)
		byToken := mailFrom("ada@example.com", "still waiting", "m3@example.com", nil, "Any news?")
		if out, ok := m.send(t, email.ReplyAddress(m.inbox, "localhost", token), "ada@example.com", byToken); !ok {
			t.Fatalf("reply by token refused:\n%s", out)
		}
		c, bodies = m.only(t)
		if strings.Join(bodies, "|") != "It has not arrived.|Order 42.|Any news?" || c.State != conversation.StatePending ||
			c.Subject != "Where is my parcel?" {
			t.Errorf("after the replies: %+v, %q", c, bodies)
		}

		// Someone else's mail with the same References, or a forged token,
		// starts its own conversation.
		other := mailFrom("eve@example.com", "Re: Where is my parcel?", "m4@example.com", []string{"References: <m1@example.com>"}, "Mine now")
		if _, ok := m.send(t, m.to(), "eve@example.com", other); !ok {
			t.Fatal("other sender's mail refused")
		}
		forged := mailFrom("ada@example.com", "forged", "m5@example.com", nil, "hello")
		if _, ok := m.send(t, email.ReplyAddress(m.inbox, "localhost", email.ReplyToken([]byte("wrong secret"), m.inbox.ID, c.ID)),
			"ada@example.com", forged); !ok {
			t.Fatal("mail with a forged token refused")
		}
		if convs, msgs := m.counts(t); convs != 3 || msgs != 5 {
			t.Errorf("%d conversations, %d messages; want 3, 5", convs, msgs)
		}
	})
}

// TestReceiveOnce: the same mail delivered again, one after the other or
// at once, is stored once; so is a mail without a Message-ID.
func TestReceiveOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{})
		mail := mailFrom("ada@example.com", "Twice", "dup@example.com", nil, "Hello")
		for range 2 {
			if out, ok := m.send(t, m.to(), "ada@example.com", mail); !ok {
				t.Fatalf("refused:\n%s", out)
			}
		}
		reply := mailFrom("ada@example.com", "Re: Twice", "dup2@example.com", []string{"In-Reply-To: <dup@example.com>"}, "Again")
		noID := mailFrom("grace@example.com", "No id", "", nil, "Where is it?")
		var wg sync.WaitGroup
		for range 4 {
			for _, raw := range [][]byte{reply, noID} {
				wg.Go(func() {
					if out, ok := m.send(t, m.to(), "x@example.com", raw); !ok {
						t.Errorf("concurrent delivery refused:\n%s", out)
					}
				})
			}
		}
		wg.Wait()
		if convs, msgs := m.counts(t); convs != 2 || msgs != 3 {
			t.Errorf("%d conversations, %d messages; want 2, 3", convs, msgs)
		}
	})
}

// TestReceiveRefusals: unknown recipients at RCPT, oversized, machine-made
// and malformed mail; nothing of them is stored.
func TestReceiveRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{MaxBytes: 32 << 10})
		for _, tt := range []struct {
			name, to, from string
			raw            []byte
			accepted       bool
			code           string
		}{
			{"unknown recipient", "in-nosuchinbox@localhost", "ada@example.com", mailFrom("ada@example.com", "hi", "r1@x", nil, "hi"), false, "550"},
			{"not a receiving address", "help@shop-one.example", "ada@example.com", mailFrom("ada@example.com", "hi", "r2@x", nil, "hi"), false, "550"},
			{"too big", m.to(), "ada@example.com", mailFrom("ada@example.com", "big", "r3@x", nil, strings.Repeat("0123456789\n", 4000)), false, "552"},
			{"no From", m.to(), "ada@example.com", msg([]string{"Subject: who?", "Message-ID: <r4@x>"}, "anonymous"), false, "554"},
			{"broken MIME, no sender", m.to(), "ada@example.com", msg([]string{"From: <<<", `Content-Type: multipart/mixed; boundary="b"`}, "--b\n\n--"), false, "554"},
			{"auto-reply", m.to(), "ada@example.com", mailFrom("ada@example.com", "Out of office", "r5@x", []string{"Auto-Submitted: auto-replied"}, "away"), true, "250"},
			{"vacation", m.to(), "ada@example.com", mailFrom("ada@example.com", "Away", "r6@x", []string{"Precedence: bulk"}, "away"), true, "250"},
			{"list", m.to(), "news@example.com", mailFrom("news@example.com", "News", "r7@x", []string{"List-Id: <news.example.com>"}, "news"), true, "250"},
			{"bounce", m.to(), "", mailFrom("MAILER-DAEMON@mx.example.com", "Undelivered", "r8@x",
				[]string{`Content-Type: multipart/report; report-type=delivery-status; boundary="r"`}, "--r\n\nfailed\n--r--"), true, "250"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := len(storetest.Events(t, db))
				out, ok := m.send(t, tt.to, tt.from, tt.raw)
				if ok != tt.accepted || !strings.Contains(out, " "+tt.code+" ") {
					t.Errorf("accepted %v, want %v with %s:\n%s", ok, tt.accepted, tt.code, out)
				}
				if after := len(storetest.Events(t, db)); after != before {
					t.Errorf("%d events appended", after-before)
				}
			})
		}
		if convs, msgs := m.counts(t); convs != 0 || msgs != 0 {
			t.Errorf("%d conversations, %d messages stored", convs, msgs)
		}
	})
}

// TestReceiveAttachments: a mail's files are kept through the files
// service (a type it refuses is left out, the mail still delivered), once
// however often the mail comes.
func TestReceiveAttachments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{})
		png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
		raw := mailFrom("ada@example.com", "Photo", "att@example.com", []string{`Content-Type: multipart/mixed; boundary="b"`, "MIME-Version: 1.0"},
			"--b\nContent-Type: text/plain\n\nSee the photo.\n--b\nContent-Type: image/png\nContent-Disposition: attachment; filename=\"parcel.png\"\n"+
				"Content-Transfer-Encoding: base64\n\n"+png+"\n--b\nContent-Type: application/x-msdownload\nContent-Disposition: attachment; filename=\"run.exe\"\n\nMZ\x90\x00binary\n--b--\n")
		for range 2 {
			if out, ok := m.send(t, m.to(), "ada@example.com", raw); !ok {
				t.Fatalf("refused:\n%s", out)
			}
		}
		var names []string
		if err := db.SelectContext(m.Ctx, &names, `SELECT name FROM files WHERE workspace_id = ?`, m.w1.ID); err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[0] != "parcel.png" {
			t.Errorf("files kept %q, want [parcel.png]", names)
		}
		var carried int
		if err := db.GetContext(m.Ctx, &carried, `SELECT COUNT(*) FROM messages WHERE workspace_id = ? AND meta LIKE '%parcel.png%'`, m.w1.ID); err != nil || carried != 1 {
			t.Errorf("%d messages carry the file (%v), want 1", carried, err)
		}
		if _, bodies := m.only(t); len(bodies) != 2 || bodies[0] != "See the photo." {
			t.Errorf("messages %q", bodies)
		}
	})
}

// TestReceiveHeaderInjection: encoded line breaks in the subject and the
// sender's name are kept as one line.
func TestReceiveHeaderInjection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{})
		raw := mailFrom("=?UTF-8?Q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.com>", "=?UTF-8?Q?Hi=0D=0ABcc:_victim@example.com?=",
			"inj@example.com", nil, "hello")
		if out, ok := m.send(t, m.to(), "eve@example.com", raw); !ok {
			t.Fatalf("refused:\n%s", out)
		}
		c, _ := m.only(t)
		var name string
		if err := db.GetContext(m.Ctx, &name, `SELECT name FROM contacts WHERE id = ?`, c.ContactID); err != nil {
			t.Fatal(err)
		}
		if c.Subject != "Hi Bcc: victim@example.com" || strings.ContainsAny(name, "\r\n") {
			t.Errorf("subject %q, name %q", c.Subject, name)
		}
	})
}

// TestReceiveRateLimit: one client IP's sessions beyond the burst are
// refused with 421 until the rate lets more in.
func TestReceiveRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMailEnv(t, db, email.ReceiverOptions{PerMinute: 1, Burst: 2})
		var refused string
		for i := range 3 {
			out, ok := m.send(t, m.to(), "ada@example.com", mailFrom("ada@example.com", "n", fmt.Sprintf("rl%d-%s@x", i, uuid.NewString()), nil, "n"))
			if i < 2 && !ok {
				t.Fatalf("mail %d refused:\n%s", i, out)
			}
			if i == 2 {
				if ok {
					t.Fatalf("third mail accepted over the limit:\n%s", out)
				}
				refused = out
			}
		}
		if !strings.Contains(refused, "421") {
			t.Errorf("refused without 421:\n%s", refused)
		}
	})
}
