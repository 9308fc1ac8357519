package server_test

import (
	"context"
	"log/slog"
	"sync"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
)

// Email inboxes, with their SMTP settings: admins and owners (and admin API
// keys) manage them, nobody below; another workspace's inbox answers
// NotFound.
func init() {
	authzParts = append(authzParts, authzPart{
		table: map[string]policy{
			"/tandem.v1.EmailService/CreateEmailInbox": member(access.RoleAdmin),
			"/tandem.v1.EmailService/ListEmailInboxes": member(access.RoleAdmin),
			"/tandem.v1.EmailService/GetEmailInbox":    member(access.RoleAdmin),
			"/tandem.v1.EmailService/UpdateEmailInbox": member(access.RoleAdmin),
			"/tandem.v1.EmailService/DeleteEmailInbox": member(access.RoleAdmin),
			// The mails of a conversation and where its replies go: whoever
			// may read it; who is copied and the subject: whoever may reply.
			"/tandem.v1.EmailService/ListEmailMessages": member(access.RoleAgent),
			"/tandem.v1.EmailService/GetEmailThread":    member(access.RoleAgent),
			"/tandem.v1.EmailService/UpdateEmailThread": member(access.RoleAgent),
			// A visitor has a copy of their own conversation mailed to them.
			"/tandem.v1.WidgetService/EmailTranscript": visitorsOwn,
		},
		fixtures: func(w *world) map[string]func(tg target) call {
			sends := sync.OnceFunc(func() { w.emailInbox(own) }) // W1 sends mail
			colleague := &access.Principal{Kind: access.KindUser, UserID: w.QuickMember(w.W1, access.RoleAgent)}
			inboxes := map[target]string{} // one per workspace: each holds at most 50
			inboxOf := func(tg target) string {
				if inboxes[tg] == "" {
					inboxes[tg] = w.emailInbox(tg)
				}
				return inboxes[tg]
			}
			emailConv := func(tg target) string { return w.emailConversation(tg, colleague, inboxOf) }
			return map[string]func(tg target) call{
				"/tandem.v1.EmailService/GetEmailThread": func(tg target) call {
					id := emailConv(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.GetEmailThread(ctx, &tandemv1.GetEmailThreadRequest{ConversationId: id})
						return err
					}
				},
				"/tandem.v1.EmailService/UpdateEmailThread": func(tg target) call {
					id := emailConv(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.UpdateEmailThread(ctx, &tandemv1.UpdateEmailThreadRequest{ConversationId: id, Cc: []string{"boss@example.com"}})
						return err
					}
				},
				"/tandem.v1.EmailService/ListEmailMessages": func(tg target) call {
					id := uuid.NewString()
					switch tg {
					case own:
						id = w.Conversation(w.Visitor).ID
					case foreign:
						id = w.Conversation(w.W2Visitor).ID
					case colleagues:
						id = w.colleagueConversation(colleague).ID
					}
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.ListEmailMessages(ctx, &tandemv1.ListEmailMessagesRequest{ConversationId: id})
						return err
					}
				},
				"/tandem.v1.WidgetService/EmailTranscript": func(tg target) call {
					sends()
					id := uuid.NewString()
					switch tg {
					case own:
						id = w.Conversation(w.Visitor).ID
					case foreign:
						id = w.Conversation(w.Other).ID
					}
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Widget.EmailTranscript(ctx, &tandemv1.EmailTranscriptRequest{ConversationId: id, Email: "ada@example.com"})
						return err
					}
				},
				"/tandem.v1.EmailService/CreateEmailInbox": func(tg target) call {
					id, address := w.targetWorkspace(tg), rpctest.Unique("help")+"@shop.example"
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.CreateEmailInbox(ctx, &tandemv1.CreateEmailInboxRequest{WorkspaceId: id, Name: "Support",
							SupportAddress: address, SmtpHost: "smtp.example.com", SmtpPort: 587,
							SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS})
						return err
					}
				},
				"/tandem.v1.EmailService/ListEmailInboxes": func(tg target) call {
					id := w.targetWorkspace(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.ListEmailInboxes(ctx, &tandemv1.ListEmailInboxesRequest{WorkspaceId: id})
						return err
					}
				},
				"/tandem.v1.EmailService/GetEmailInbox": func(tg target) call {
					id := w.emailInbox(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.GetEmailInbox(ctx, &tandemv1.GetEmailInboxRequest{EmailInboxId: id})
						return err
					}
				},
				"/tandem.v1.EmailService/UpdateEmailInbox": func(tg target) call {
					id, name := w.emailInbox(tg), rpctest.Unique("Support ")
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.UpdateEmailInbox(ctx, &tandemv1.UpdateEmailInboxRequest{EmailInboxId: id, Name: &name})
						return err
					}
				},
				"/tandem.v1.EmailService/DeleteEmailInbox": func(tg target) call {
					id := w.emailInbox(tg)
					return func(ctx context.Context, c rpcclient.Clients) error {
						_, err := c.Email.DeleteEmailInbox(ctx, &tandemv1.DeleteEmailInboxRequest{EmailInboxId: id})
						return err
					}
				},
			}
		},
		digest: []string{
			`SELECT id, name, support_address, receiving_token, smtp_host, smtp_port, smtp_tls_mode, smtp_username,
				smtp_password, signature, group_id, updated_at FROM email_inboxes WHERE workspace_id = ? ORDER BY id`,
		},
	})
}

// emailInbox makes an email inbox in W1 (own) or W2 (foreign), or names a
// missing one, and returns its id.
func (w *world) emailInbox(tg target) string {
	w.T.Helper()
	if tg == missing {
		return uuid.NewString()
	}
	ws, owner := w.W1, w.Principal("owner")
	if tg == foreign {
		ws, owner = w.W2, w.Principal("w2owner")
	}
	name, address, host, port, mode := "Support", rpctest.Unique("help")+"@shop.example", "smtp.example.com", 587, email.TLSStartTLS
	i, err := w.Srv.Domain().Email.Create(w.Ctx, owner, ws.ID, email.Settings{Name: &name, SupportAddress: &address, SMTPHost: &host,
		SMTPPort: &port, SMTPTLSMode: &mode})
	if err != nil {
		w.T.Fatal(err)
	}
	return i.ID
}

// emailConversation makes an email conversation in W1 (own) or W2
// (foreign) by delivering a mail to an inbox of it, or names a colleague's
// chat (colleagues: not email) or a missing conversation.
func (w *world) emailConversation(tg target, colleague *access.Principal, inboxOf func(target) string) string {
	w.T.Helper()
	switch tg {
	case missing:
		return uuid.NewString()
	case colleagues:
		return w.colleagueConversation(colleague).ID
	}
	ws := w.W1.ID
	if tg == foreign {
		ws = w.W2.ID
	}
	d := w.Srv.Domain()
	inbox, err := d.Email.Get(w.Ctx, ws, inboxOf(tg))
	if err != nil {
		w.T.Fatal(err)
	}
	in := email.NewInbound(d.Email, d.Conversations, d.Contacts, nil, nil, slog.New(slog.DiscardHandler), nil)
	raw := "From: ada@example.com\r\nSubject: Where is it?\r\nMessage-ID: <" + uuid.NewString() + "@example.com>\r\n\r\nMy parcel.\r\n"
	got, err := in.Deliver(w.Ctx, inbox, "", "ada@example.com", []byte(raw))
	if err != nil {
		w.T.Fatal(err)
	}
	return got.ConversationID
}
