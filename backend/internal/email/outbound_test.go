package email_test

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// outEnv is mailEnv with the sender and its reactor.
type outEnv struct {
	*mailEnv
	sender  *email.Sender
	reactor *events.Reactor
}

func newOutEnv(t *testing.T, db *store.DB, maxAttempts int) *outEnv {
	t.Helper()
	m := newMailEnv(t, db, email.ReceiverOptions{})
	log := events.NewLog(db, nil, m.Clock.Now)
	sender := email.NewSender(db, m.svc, m.convs, nil, email.SenderOptions{Domain: "mx.test", Secret: m.secret,
		RetryBase: 20 * time.Millisecond, MaxAttempts: maxAttempts, Timeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
	return &outEnv{mailEnv: m, sender: sender,
		reactor: events.NewReactor(email.ReactorName, log, events.NewHub(db, time.Second), sender.React, slog.New(slog.DiscardHandler)).Gated()}
}

// smtpTo points the inbox's outbound SMTP at addr (no TLS, any password).
func (o *outEnv) smtpTo(t *testing.T, addr string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	mode := email.TLSNone
	if _, err := o.svc.Update(o.Ctx, o.o1, o.w1.ID, o.inbox.ID, email.Settings{SMTPHost: &host, SMTPPort: &p, SMTPTLSMode: &mode}); err != nil {
		t.Fatal(err)
	}
}

// reply posts an agent's reply and lets the reactor put it in the outbox.
func (o *outEnv) reply(t *testing.T, convID, body string) conversation.Message {
	t.Helper()
	msg, _, err := o.convs.Post(o.Ctx, o.o1, o.w1.ID, convID, uuid.NewString(), body, conversation.KindText)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.reactor.Drain(o.Ctx, o.w1.ID); err != nil {
		t.Fatal(err)
	}
	return msg
}

// sendUntil runs SendDue until cond holds.
func (o *outEnv) sendUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(25 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out sending")
		}
		if _, err := o.sender.SendDue(o.Ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutbound: an agent's reply arrives in Mailpit from the inbox's
// address under the agent's name, threaded under the customer's mail, with
// the signature, as text and HTML, once; the customer's answer to it lands
// in the same conversation.
func TestOutbound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newOutEnv(t, db, 8)
		mp := mailtest.StartMailpit(t, "")
		o.smtpTo(t, mp.SMTP)
		if out, ok := o.send(t, o.to(), "ada@example.com", mailFrom("Ada <ada@example.com>", "Where is my parcel?", "m1@example.com",
			[]string{"References: <older@example.com>"}, "It has not arrived.")); !ok {
			t.Fatalf("refused:\n%s", out)
		}
		conv, _ := o.only(t)
		msg := o.reply(t, conv.ID, "It is on its way.\nTracking: 42 <b>not bold</b>")
		o.sendUntil(t, func() bool { return len(mp.Messages(t)) == 1 })
		// Seen again, sent again: neither sends twice.
		if err := o.reactor.Drain(o.Ctx, o.w1.ID); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := o.sender.SendDue(o.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := mp.Messages(t)
		if len(got) != 1 {
			t.Fatalf("%d mails arrived, want 1", len(got))
		}
		a := got[0]
		h := func(name string) string { return strings.Join(a.Headers[name], " ") }
		if a.Subject != "Re: Where is my parcel?" || a.From.Address != "help@shop-one.example" || a.From.Name != "olivia (Support)" ||
			len(a.To) != 1 || a.To[0].Address != "ada@example.com" || a.MessageID != msg.ID+"@mx.test" ||
			h("In-Reply-To") != "<m1@example.com>" || h("References") != "<older@example.com> <m1@example.com>" {
			t.Errorf("arrived %+v", a)
		}
		if len(a.ReplyTo) != 1 || !strings.HasPrefix(a.ReplyTo[0].Address, o.inbox.ReceivingToken+"+") {
			t.Errorf("Reply-To %+v", a.ReplyTo)
		}
		if text := strings.ReplaceAll(a.Text, "\r\n", "\n"); !strings.Contains(text, "It is on its way.\nTracking: 42 <b>not bold</b>") ||
			!strings.Contains(text, "\n-- \n") || !strings.Contains(text, "The Shop One team") {
			t.Errorf("text %q", a.Text)
		}
		if !strings.Contains(a.HTML, "Tracking: 42 &lt;b&gt;not bold&lt;/b&gt;") || strings.Contains(a.HTML, "<b>") {
			t.Errorf("HTML %q", a.HTML)
		}

		// The customer answers the reply: it threads by Tandem's Message-ID.
		answer := mailFrom("ada@example.com", "Re: Where is my parcel?", "m2@example.com",
			[]string{"In-Reply-To: <" + a.MessageID + ">"}, "Thanks!")
		if out, ok := o.send(t, "help+x@shop-one.example", "ada@example.com", answer); ok {
			t.Fatalf("a non-receiving address took mail:\n%s", out)
		}
		if out, ok := o.send(t, o.to(), "ada@example.com", answer); !ok {
			t.Fatalf("answer refused:\n%s", out)
		}
		if _, bodies := o.only(t); strings.Join(bodies, "|") != "It has not arrived.|Thanks!" {
			t.Errorf("customer messages %q", bodies)
		}
	})
}

// TestOutboundServerDown: a reply waits while the SMTP server is down and
// arrives once when it is back; a reply whose attempts run out is marked
// failed and the team gets a note.
func TestOutboundServerDown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := newOutEnv(t, db, 1000)
		if out, ok := o.send(t, o.to(), "ada@example.com", mailFrom("ada@example.com", "Parcel", "d1@example.com", nil, "Where?")); !ok {
			t.Fatalf("refused:\n%s", out)
		}
		conv, _ := o.only(t)
		addr := rpctest.FreeAddr(t)
		o.smtpTo(t, addr)
		o.reply(t, conv.ID, "On its way.")
		for range 3 { // down: each attempt fails and is retried later
			time.Sleep(30 * time.Millisecond)
			if _, err := o.sender.SendDue(o.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		var attempts int
		if err := db.GetContext(o.Ctx, &attempts, `SELECT attempts FROM email_outbox WHERE status = 'pending'`); err != nil || attempts < 2 {
			t.Fatalf("attempts %d, %v", attempts, err)
		}
		mp := mailtest.StartMailpit(t, addr)
		o.sendUntil(t, func() bool { return len(mp.Messages(t)) == 1 })
		time.Sleep(100 * time.Millisecond)
		for range 3 {
			if _, err := o.sender.SendDue(o.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(mp.Messages(t)); n != 1 {
			t.Errorf("%d mails arrived, want 1", n)
		}

		// Given up: failed, with a note on the conversation.
		mp.Stop()
		o.sender = email.NewSender(db, o.svc, o.convs, nil, email.SenderOptions{Domain: "mx.test", RetryBase: 20 * time.Millisecond,
			MaxAttempts: 2, Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
		lost := o.reply(t, conv.ID, "Lost reply")
		o.sendUntil(t, func() bool {
			var status string
			err := db.GetContext(o.Ctx, &status, `SELECT status FROM email_outbox WHERE id = ?`, lost.ID)
			return err == nil && status == "failed"
		})
		var notes []string
		if err := db.SelectContext(o.Ctx, &notes, `SELECT body FROM messages WHERE conversation_id = ? AND kind = ?`, conv.ID,
			conversation.KindNote); err != nil || len(notes) != 1 || !strings.Contains(notes[0], "could not be emailed") {
			t.Errorf("notes %q, %v", notes, err)
		}
		// The note mentions the reply's author: they are notified.
		var mentioned []string
		if err := db.SelectContext(o.Ctx, &mentioned, `SELECT payload FROM events WHERE workspace_id = ? AND type = ?`, o.w1.ID,
			events.MemberMentioned); err != nil || len(mentioned) != 1 || !strings.Contains(mentioned[0], o.o1.UserID) {
			t.Errorf("mentions %q, %v", mentioned, err)
		}
	})
}
